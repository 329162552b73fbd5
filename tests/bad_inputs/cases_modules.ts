/**
 * @module
 * Bad-input cases for what planning checks beyond the schema: every refused module specifier,
 * modules that do not load or export no scriptlet, params failing a step's schema, and
 * permissions above a ceiling. Every one exits 2 and leaves no run directory behind.
 */
import { type BadCase, FIX, META, stepRecipe } from "./case.ts";

const recipe = (text: string) => ({ files: { "recipe.yaml": text }, argv: ["run", "recipe.yaml"] });

const SPECIFIERS: [string, string | RegExp][] = [
  ["http://example.com/step.ts", "uses the http: scheme"],
  ["https://example.com/step.ts", "uses the https: scheme"],
  ["npm:left-pad@1.3.0", "uses the npm: scheme"],
  ["jsr:@std/path", "uses the jsr: scheme"],
  ["data:text/javascript,export class X {}", "uses the data: scheme"],
  ["blob:null/1234", "uses the blob: scheme"],
  ["node:fs", "uses the node: scheme"],
  [`file://${FIX}/misbehave.ts`, "uses the file: scheme"],
  ["steps/../../etc/passwd", 'contains a ".." segment'],
  ["/etc/hostname", "outside the allowed roots"],
  ["local/step.ts", "outside the allowed roots"],
  ["steps/no_such_step.ts", "was not found"],
];

const moduleCases: BadCase[] = SPECIFIERS.map(([spec, reason]) => ({
  name: `module "${spec.slice(0, 40)}" → exit 2, refused: ${reason}`,
  files: {
    "recipe.yaml": stepRecipe({ module: JSON.stringify(spec) }),
    "local/step.ts": "export const x = 1;\n",
  },
  argv: ["run", "recipe.yaml"],
  code: 2,
  reason,
  at: { line: 9, path: "steps[0].module" },
}));

const SCRIPTLET = `import { BaseScriptlet } from "file://${
  new URL("../../core/scriptlet.ts", import.meta.url).pathname
}";\n`;

const loadCases: BadCase[] = [
  {
    name: "a symlink in an allowed root pointing outside it → exit 2, outside the allowed roots",
    files: {
      "recipe.yaml": stepRecipe({ module: "mods/link.ts", function: "X", args: null }),
      "outside/real.ts":
        `${SCRIPTLET}export class X extends BaseScriptlet { run() { return this.ok(); } }\n`,
      "mods/.keep": "",
    },
    links: { "mods/link.ts": "../outside/real.ts" },
    argv: ["run", "recipe.yaml", "--allow-module", "mods"],
    code: 2,
    reason: "outside the allowed roots",
  },
  {
    name: "a missing export → exit 2, lists the module's scriptlets",
    ...recipe(stepRecipe({ function: "ComputeNumbrs" })),
    code: 2,
    reason: /ComputeNumbrs.*ComputeNumbers/,
  },
  {
    name: "an export that is not a scriptlet class → exit 2",
    files: {
      "recipe.yaml": stepRecipe({ module: "mods/plain.ts", function: "Plain", args: null }),
      "mods/plain.ts": "export class Plain { run() { return 1; } }\n",
    },
    argv: ["run", "recipe.yaml", "--allow-module", "mods"],
    code: 2,
    reason: 'export "Plain" is a function, not a class extending BaseScriptlet',
  },
  {
    name: "a module with a syntax error → exit 2, fails to import",
    files: {
      "recipe.yaml": stepRecipe({ module: "mods/broken.ts", function: "X", args: null }),
      "mods/broken.ts": "export class X {\n",
    },
    argv: ["run", "recipe.yaml", "--allow-module", "mods"],
    code: 2,
    // refused by the import check before loading (issue 8's module pins) or, without it, when
    // the Worker imports it; either way one line naming the module and where it breaks
    reason: new RegExp(
      String.raw`module "mods/broken\.ts" (failed to import: SyntaxError: Unexpected eof ` +
        String.raw`\(at file:///\S+/mods/broken\.ts:2:1\)|.*cannot be lexed.*broken\.ts:1:1)`,
    ),
  },
  {
    name: "a module that throws while importing → exit 2, names the error",
    files: {
      "recipe.yaml": stepRecipe({ module: "mods/throws.ts", function: "X", args: null }),
      "mods/throws.ts": `${SCRIPTLET}throw new Error("top-level boom");\n` +
        "export class X extends BaseScriptlet { run() { return this.ok(); } }\n",
    },
    argv: ["run", "recipe.yaml", "--allow-module", "mods"],
    code: 2,
    reason: "top-level boom",
  },
  {
    name: "a module V8 refuses to link (duplicate export) → exit 2, one line naming it",
    files: {
      "recipe.yaml": stepRecipe({ module: "mods/dup.ts", function: "X", args: null }),
      "mods/dup.ts":
        `${SCRIPTLET}export class X extends BaseScriptlet { run() { return this.ok(); } }\n` +
        "export { X as Y };\nexport { X as Y };\n",
    },
    argv: ["run", "recipe.yaml", "--allow-module", "mods"],
    code: 2,
    reason: /module "mods\/dup\.ts" .*Duplicate export of 'Y'/,
  },
  {
    name: "a module throwing a multi-line error while importing → exit 2, one line",
    files: {
      "recipe.yaml": stepRecipe({ module: "mods/throws.ts", function: "X", args: null }),
      "mods/throws.ts": `${SCRIPTLET}throw new Error("boom\\n    at fake (file:///f.ts:1:1)");\n` +
        "export class X extends BaseScriptlet { run() { return this.ok(); } }\n",
    },
    argv: ["run", "recipe.yaml", "--allow-module", "mods"],
    code: 2,
    reason: "failed to import: boom (+1 line)",
  },
  {
    name: "params failing the step's schema (number for a string) → exit 2, invalid param",
    ...recipe(stepRecipe({ args: "{src: 12345}" })),
    code: 2,
    reason: 'invalid param for step "first": expected string, found number 12345',
    at: { line: 11, path: "steps[0].args.src" },
  },
  {
    name: "params missing a required field → exit 2, names it",
    ...recipe(stepRecipe({ args: "{}" })),
    code: 2,
    reason: /src/,
  },
  {
    name: "params with an unknown field → exit 2, names it",
    ...recipe(stepRecipe({ args: "{src: data/numbers.csv, colour: red}" })),
    code: 2,
    reason: /colour/,
  },
  {
    name: "a __proto__ param → exit 2 (unknown param), not a polluted prototype",
    ...recipe(stepRecipe({ args: "{src: data/numbers.csv, __proto__: {polluted: 1}}" })),
    code: 2,
    reason: /__proto__/,
  },
];

const permissionCases: BadCase[] = [
  {
    name: "a step asking for write above the recipe ceiling → exit 2, names the entry",
    ...recipe(
      stepRecipe({ permissions: "{read: [data], write: [out]}" }, "permissions: {read: [data]}\n"),
    ),
    code: 2,
    reason: /write.*ceiling|ceiling.*write/,
    at: { line: 12, path: "steps[0].permissions.write[0]" },
  },
  {
    name: "a step asking for net while orch runs without --allow-net → exit 2",
    ...recipe(stepRecipe({ permissions: "{read: true, net: true}" })),
    code: 2,
    reason: /net/,
  },
  {
    name: "a step asking for env above --max-permissions → exit 2, names the ceiling",
    files: { "recipe.yaml": stepRecipe({ permissions: "{read: true, env: [HOME]}" }) },
    argv: ["run", "recipe.yaml", "--max-permissions", '{"read":true}'],
    code: 2,
    reason: /env/,
  },
  {
    name: "a shell step without a run grant → exit 2, needs run for its executable",
    ...recipe(`${META}steps:\n  - {idx: 1, name: sh, type: shell, run: "echo hi"}\n`),
    code: 2,
    reason: /run/,
  },
];

export const MODULE_CASES: BadCase[] = [...moduleCases, ...loadCases, ...permissionCases];
