import assert from "node:assert/strict";
import { type CliRun, orch, recipeOf, REPO, tempTree } from "./_helpers.ts";

/** Bad and good step modules for these tests. */
const STEPS = new URL("./fixtures/steps", import.meta.url).pathname;

/** A recipe as YAML text (steps named s1, s2, ... unless named); steps[i] sits on line 3 + i. */
function recipeYaml(steps: Record<string, unknown>[], extra = ""): string {
  return recipeOf(steps.map((s, i) => ({ name: `s${i + 1}`, ...s }))) + extra;
}

/** Runs `orch run recipe.yaml --context-out out.json ...flags` in a temp dir holding `files`. */
async function runIn(
  steps: Record<string, unknown>[],
  flags: string[] = [],
  options: { files?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<CliRun & { dir: string }> {
  const dir = await tempTree({ "recipe.yaml": recipeYaml(steps), ...options.files });
  const r = await orch(["run", "recipe.yaml", "--context-out", "out.json", ...flags], {
    cwd: dir,
    env: options.env,
  });
  return Object.assign(r, { dir });
}

/** Asserts the run was refused at validation: exit 2, one issue on steps[0].<field>, no step ran. */
async function assertRefused(
  r: CliRun & { dir: string },
  message: RegExp,
  field = "module",
): Promise<void> {
  assert.equal(r.code, 2, r.stderr);
  const json = r.json;
  assert.equal(json.status, "error");
  assert.equal(json.exit_code, 2);
  const errors = json.errors as Record<string, unknown>[];
  assert.equal(errors.length, 1, JSON.stringify(errors));
  const [e] = errors;
  assert.equal(e.file, "recipe.yaml");
  assert.equal(e.line, 3);
  assert.equal(typeof e.col, "number");
  assert.equal(e.path, `steps[0].${field}`);
  assert.match(e.message as string, /^cannot load step "s1": /);
  assert.match(e.message as string, message);
  assert.doesNotMatch(r.stderr, /▶/, "no step may start");
  assert.equal("steps" in json, false, "a refused recipe reports no step counts");
  await assert.rejects(Deno.stat(`${r.dir}/out.json`), Deno.errors.NotFound);
}

const APPEND = { module: `${STEPS}/append.ts`, function: "Append", args: { tag: "a" } };

Deno.test("an absolute module path outside the allowed roots is refused with the fix", async () => {
  const r = await runIn([APPEND]);
  await assertRefused(r, /outside the allowed roots .*--allow-module DIR/);
});

Deno.test("a module next to the recipe is refused: a recipe cannot allow its own directory", async () => {
  const r = await runIn([{ ...APPEND, module: "mine.ts" }], [], {
    files: { "mine.ts": await Deno.readTextFile(`${STEPS}/append.ts`) },
  });
  await assertRefused(r, /resolves to .*mine\.ts, outside the allowed roots/);
});

Deno.test("a recipe cannot widen the allowlist with a key of its own", async () => {
  const dir = await tempTree({
    "recipe.yaml": recipeYaml([APPEND], `allow_modules: ["${STEPS}"]\n`),
  });
  const r = await orch(["run", "recipe.yaml"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(JSON.stringify(r.json.errors), /allow_modules/);
  assert.doesNotMatch(r.stderr, /▶/);
});

for (
  const spec of [
    "steps/../tests/fixtures/steps/append.ts",
    "../steps/compute_numbers.ts",
    "steps/sub/../../x.ts",
  ]
) {
  Deno.test(`a module path with a ".." segment is refused: ${spec}`, async () => {
    const r = await runIn([{ ...APPEND, module: spec }], ["--allow-module", STEPS]);
    await assertRefused(r, /contains a "\.\." segment/);
  });
}

Deno.test("a symlink in an allowed dir that points outside every root is refused", async () => {
  const dir = await tempTree({ "allowed/.keep": "" });
  await Deno.symlink(`${STEPS}/append.ts`, `${dir}/allowed/link.ts`);
  const r = await runIn([{ ...APPEND, module: `${dir}/allowed/link.ts` }], [
    "--allow-module",
    `${dir}/allowed`,
  ]);
  await assertRefused(r, /resolves to .*tests\/fixtures\/steps\/append\.ts, outside the allowed/);
});

Deno.test("a symlinked directory inside an allowed dir cannot reach outside it", async () => {
  const dir = await tempTree({ "allowed/.keep": "" });
  await Deno.symlink(STEPS, `${dir}/allowed/sub`);
  const r = await runIn([{ ...APPEND, module: `${dir}/allowed/sub/append.ts` }], [
    "--allow-module",
    `${dir}/allowed`,
  ]);
  await assertRefused(r, /outside the allowed roots/);
});

Deno.test("a symlink in an allowed dir pointing into steps/ is allowed (real path decides)", async () => {
  const dir = await tempTree({ "allowed/.keep": "", "data/n.csv": "1\n2\n" });
  await Deno.symlink(`${REPO}/steps/compute_numbers.ts`, `${dir}/allowed/link.ts`);
  const r = await runIn([{
    module: `${dir}/allowed/link.ts`,
    function: "ComputeNumbers",
    args: { src: `${dir}/data/n.csv` },
    permissions: { read: [`${dir}/data`] }, // the data lies outside the cwd's default grant
  }], ["--allow-module", `${dir}/allowed`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.ctx_keys, ["numbers.stats_v1"]);
});

for (
  const spec of [
    "http://example.com/step.ts",
    "https://example.com/step.ts",
    "npm:left-pad",
    "jsr:@std/path",
    "data:text/javascript,export class X {}",
    "blob:https://example.com/1",
    "node:fs",
    `file://${REPO}/steps/compute_numbers.ts`,
  ]
) {
  const scheme = spec.slice(0, spec.indexOf(":") + 1);
  Deno.test(`a module with the ${scheme} scheme is refused`, async () => {
    const r = await runIn([{ ...APPEND, module: spec }], ["--allow-module", STEPS]);
    await assertRefused(r, new RegExp(`uses the ${scheme} scheme; .*--allow-module DIR`));
  });
}

Deno.test("a missing module file is refused and the message says where orch looked", async () => {
  const r = await runIn([{ ...APPEND, module: "steps/no_such_step.ts" }]);
  await assertRefused(r, /"steps\/no_such_step\.ts" was not found \(looked in .*steps\/no_such/);
});

Deno.test("a missing export is refused on steps[0].function and lists the scriptlet exports", async () => {
  const r = await runIn([{ module: `${STEPS}/not_class.ts`, function: "Nope" }], [
    "--allow-module",
    STEPS,
  ]);
  await assertRefused(r, /has no export "Nope" \(scriptlet exports: RealOne\)/, "function");
});

for (const [name, kind] of [["NotAClass", "number"], ["Plain", "function"]]) {
  Deno.test(`an export that is not a scriptlet class (${name}) is refused`, async () => {
    const r = await runIn([{ module: `${STEPS}/not_class.ts`, function: name }], [
      "--allow-module",
      STEPS,
    ]);
    await assertRefused(
      r,
      new RegExp(`export "${name}" is a ${kind}, not a class extending BaseScriptlet`),
      "function",
    );
  });
}

/** Modules that cannot import, made at test time (as files they would break `deno check`). */
const BROKEN: Record<string, [string, RegExp]> = {
  // lexed for its imports before it is ever loaded: refused by the import check (import_graph.ts)
  "syntax_error.ts": ["export class Broken {\n  run( {\n", /cannot be lexed .*syntax_error\.ts/],
  "import_error.ts": [
    'import { Missing } from "./does_not_exist.ts";\nexport const Broken = Missing;\n',
    /failed to import: .*not found/i,
  ],
};
for (const [file, [source, why]] of Object.entries(BROKEN)) {
  Deno.test(`a module that fails to import (${file}) is refused at validation`, async () => {
    const dir = await tempTree({ [`broken/${file}`]: source });
    const r = await runIn([{ module: `${dir}/broken/${file}`, function: "Broken" }], [
      "--allow-module",
      `${dir}/broken`,
    ]);
    await assertRefused(r, why);
  });
}

Deno.test("--allow-module DIR lets a step module under DIR run", async () => {
  const r = await runIn([APPEND], ["--allow-module", STEPS]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.ctx_keys, ["order.tags_v1"]);
});

Deno.test("ORCH_ALLOW_MODULES takes a ':'-separated list of roots", async () => {
  const other = await tempTree({ ".keep": "" });
  const r = await runIn([APPEND], [], { env: { ORCH_ALLOW_MODULES: `${other}::${STEPS}` } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.ctx_keys, ["order.tags_v1"]);
});

Deno.test("a nonexistent --allow-module dir is one clear usage error, not a step issue", async () => {
  const r = await runIn([APPEND, { ...APPEND, name: "s2", idx: 2 }], [
    "--allow-module",
    "no/such/dir",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.json.exit_code, 2);
  assert.match(r.json.reason as string, /allowed module root ".*no\/such\/dir" does not exist/);
  assert.equal(r.json.errors, undefined, "not attributed to any step");
  assert.doesNotMatch(r.stderr, /▶/);
});

Deno.test("a nonexistent ORCH_ALLOW_MODULES entry is a clear usage error", async () => {
  const r = await runIn([APPEND], [], { env: { ORCH_ALLOW_MODULES: `${STEPS}:/no/such/root` } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.json.reason as string, /"\/no\/such\/root" does not exist.*ORCH_ALLOW_MODULES/);
});

Deno.test("an --allow-module that is a file, not a directory, is refused", async () => {
  const r = await runIn([APPEND], ["--allow-module", `${STEPS}/append.ts`]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.json.reason as string, /is not a directory/);
});

Deno.test("a relative --allow-module is taken from the cwd even for a built-in recipe", async () => {
  const dir = await tempTree({ "mine/.keep": "" });
  const r = await orch(["run", "recipes/example_numbers.yaml", "--allow-module", "mine"], {
    cwd: dir,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.ctx_keys, ["numbers.stats_v1"]);
});

Deno.test("a relative module found in orch's install but outside the roots does not shadow the allowed one", async () => {
  // tests/fixtures/steps/append.ts exists in orch's install (not allowed) and in the cwd (allowed)
  const local = `import { BaseScriptlet } from "${REPO}/core/scriptlet.ts";
export class Append extends BaseScriptlet {
  run(ctx) {
    ctx.set("local.marker_v1", true);
    return this.ok(["local.marker_v1"]);
  }
}
`;
  const r = await runIn([{ ...APPEND, module: "tests/fixtures/steps/append.ts" }], [
    "--allow-module",
    "tests/fixtures/steps",
  ], { files: { "tests/fixtures/steps/append.ts": local } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.ctx_keys, ["local.marker_v1"]);
});

Deno.test("orch validate reports every module error of every step of every file", async () => {
  const dir = await tempTree({
    "broken/syntax_error.ts": BROKEN["syntax_error.ts"][0],
    "a.yaml": recipeYaml([
      { module: "npm:zod", function: "X" },
      { module: "steps/nope.ts", function: "X" },
      { module: "steps/compute_numbers.ts", function: "Nope" },
      { module: "steps/compute_numbers.ts", function: "ComputeNumbers", args: { src: 3 } },
      { module: "broken/syntax_error.ts", function: "Broken" },
      { module: `${STEPS}/append.ts`, function: "Append" },
    ]),
    "b.yaml": "steps: [\n",
    "c.yaml": recipeYaml([{ module: "../x.ts", function: "X" }]),
    "ok.yaml": recipeYaml([
      { module: "steps/compute_numbers.ts", function: "ComputeNumbers", args: { src: "x.csv" } },
    ]),
  });
  const files = ["a.yaml", "b.yaml", "c.yaml", "ok.yaml"];
  const r = await orch(["validate", ...files, "--allow-module", "broken"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  const errors = r.json.errors as { file: string; path?: string; line: number }[];
  const where = errors.map((e) => `${e.file}:${e.line} ${e.path ?? ""}`.trim());
  assert.deepEqual(where.filter((w) => w.startsWith("a.yaml")), [
    "a.yaml:3 steps[0].module",
    "a.yaml:4 steps[1].module",
    "a.yaml:5 steps[2].function",
    "a.yaml:6 steps[3].args.src",
    "a.yaml:7 steps[4].module",
    "a.yaml:8 steps[5].module",
  ]);
  assert.ok(where.some((w) => w.startsWith("b.yaml")), where.join("\n"));
  assert.ok(where.includes("c.yaml:3 steps[0].module"), where.join("\n"));
  assert.ok(!where.some((w) => w.startsWith("ok.yaml")), where.join("\n"));
});
