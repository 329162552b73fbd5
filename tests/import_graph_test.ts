/**
 * The import-graph check (core/import_graph.ts) on real files: what a step module and the
 * modules it reaches may import ahead of time, and where a refusal points. Through the loader
 * (core/loader.ts) and the CLI for the refusal a recipe author sees.
 */
import assert from "node:assert/strict";
import { importChecker } from "../core/import_graph.ts";
import { ORCH_ROOT, resolveModule } from "../core/loader.ts";
import { StepLoadError } from "../core/errors.ts";
import { orch, tempTree } from "./_helpers.ts";

const CORE = `${ORCH_ROOT}/core`;
const OK = "export const v = 1;\n";

/** A tree with `root/` (the allowed root) and `out/code.ts`, `out/x.json` outside it. */
async function tree(files: Record<string, string>): Promise<string> {
  return await Deno.realPath(
    await tempTree({ "out/code.ts": OK, "out/x.json": '{"s": 1}', ...files }),
  );
}

/** Checks `root/<file>` with `root` as the only allowed root. */
async function check(dir: string, file = "root/step.ts") {
  return await importChecker([`${dir}/root`], CORE)(`file://${dir}/${file}`);
}

Deno.test("a static import from outside the roots is refused at its file:line:col", async () => {
  const dir = await tree({ "root/step.ts": `// a step\nimport { v } from "../out/code.ts";\n` });
  assert.deepEqual(await check(dir), {
    file: `${dir}/root/step.ts`,
    line: 2,
    col: 19,
    specifier: "../out/code.ts",
    why: `resolves to ${dir}/out/code.ts, outside the allowed module roots (${dir}/root)`,
  });
});

for (
  const [what, code] of [
    ["export * from", `export * from "../out/code.ts";`],
    ["export { } from", `export { v } from "../out/code.ts";`],
    ["a literal import()", `const m = await import("../out/code.ts");`],
    ["a template import() without ${}", "const m = await import(`../out/code.ts`);"],
    ["a JSON import", `import x from "../out/x.json" with { type: "json" };`],
    ["an absolute path", `import "DIR/out/code.ts";`],
    ["a file: URL", `import "file://DIR/out/code.ts";`],
  ]
) {
  Deno.test(`${what} reaching outside the roots is refused`, async () => {
    const dir = await tree({});
    await Deno.mkdir(`${dir}/root`);
    await Deno.writeTextFile(`${dir}/root/step.ts`, code.replaceAll("DIR", dir));
    const p = await check(dir);
    assert.match(p?.why ?? "(allowed)", /outside the allowed module roots/);
    assert.equal(p?.line, 1);
  });
}

Deno.test("imports inside the roots, of orch's core, node: builtins and the import map pass", async () => {
  const dir = await tree({
    "root/step.ts": [
      `import { v } from "./lib/util.ts";`,
      `import data from "./data.json" with { type: "json" };`,
      `import { BaseScriptlet } from "${CORE}/scriptlet.ts";`,
      `import { z } from "zod";`,
      `import { readFileSync } from "node:fs";`,
      `import type { Outside } from "../out/code.ts"; // type-only: erased, never loaded`,
      `export type { T } from "../out/code.ts";`,
      `const name = "x"; await import(name); // computed: checked by the Worker at run time`,
    ].join("\n"),
    "root/lib/util.ts": OK,
    "root/data.json": "{}",
  });
  assert.equal(await check(dir), undefined);
});

Deno.test("a chain whose second hop leaves the roots names the file that imports it", async () => {
  const dir = await tree({
    "root/step.ts": `import { w } from "./a.ts";\n`,
    "root/a.ts": `import { v } from "./b.ts";\nexport const w = v;\n`,
    "root/b.ts": `export * from "../out/code.ts";\n`,
  });
  const p = await check(dir);
  assert.equal(p?.file, `${dir}/root/b.ts`);
  assert.equal(p?.specifier, "../out/code.ts");
  assert.deepEqual([p?.line, p?.col], [1, 15]);
});

Deno.test("cycles in the import graph terminate", async () => {
  const dir = await tree({
    "root/step.ts": `import "./a.ts";\n`,
    "root/a.ts": `import "./b.ts";\nimport "./step.ts";\n`,
    "root/b.ts": `import "./a.ts";\nimport "./b.ts";\n`,
  });
  assert.equal(await check(dir), undefined);
  await Deno.writeTextFile(`${dir}/root/c.ts`, `import "../out/code.ts";\n`);
  await Deno.writeTextFile(`${dir}/root/b.ts`, `import "./a.ts";\nimport "./c.ts";\n`);
  assert.equal((await check(dir))?.file, `${dir}/root/c.ts`, "a fresh checker sees the change");
});

Deno.test("a symlink in the root pointing outside is refused by its real path", async () => {
  const dir = await tree({ "root/step.ts": `import { v } from "./linked.ts";\n` });
  await Deno.symlink(`${dir}/out/code.ts`, `${dir}/root/linked.ts`);
  const p = await check(dir);
  assert.equal(p?.specifier, "./linked.ts");
  assert.match(p!.why, new RegExp(`resolves to ${dir}/out/code\\.ts, outside`));
});

for (
  const [spec, why] of [
    ["https://example.com/x.ts", /uses the https: scheme/],
    ["jsr:@std/path", /uses the jsr: scheme/],
    ["data:text/javascript,export default 1", /uses the data: scheme/],
    ["npm:zod@4.6.7", /is an npm: specifier; .*bare names in orch's deno\.json imports/],
    ["left-pad", /bare specifier that is not in orch's import map/],
    ["//example.com/x.ts", /does not name a local file/],
  ] as [string, RegExp][]
) {
  Deno.test(`"${spec}" is refused: ${why.source}`, async () => {
    const dir = await tree({ "root/step.ts": `import x from "${spec}";\n` });
    const p = await check(dir);
    assert.equal(p?.specifier, spec);
    assert.match(p!.why, why);
  });
}

Deno.test("a template import() with ${} is refused: Deno preloads every match", async () => {
  const dir = await tree({
    "root/step.ts": "const n = 'code';\nawait import(`../out/${n}.ts`);\n",
  });
  const p = await check(dir);
  assert.equal(p?.specifier, "../out/*.ts");
  assert.match(p!.why, /template literal with \$\{\}: Deno loads every file it could match/);
});

Deno.test("modules that cannot be lexed or are not code are refused; missing ones left to Deno", async () => {
  const dir = await tree({
    "root/step.ts": `import "./bad.ts";\n`,
    "root/bad.ts": `const s = "unterminated\n`,
    "root/text.ts": `import "./notes.txt";\n`,
    "root/notes.txt": "hello",
    "root/missing.ts": `import "./nowhere.ts";\n`,
  });
  const bad = await check(dir);
  assert.equal(bad?.file, `${dir}/root/bad.ts`);
  assert.equal(bad?.specifier, undefined);
  assert.match(bad!.why, /^cannot be lexed to check its imports \(Parse error .*bad\.ts:1:\d+\)$/);
  const txt = await check(dir, "root/text.ts");
  assert.match(txt!.why, /not a JavaScript or TypeScript module/);
  assert.equal(await check(dir, "root/missing.ts"), undefined, "loading it fails by itself");
});

Deno.test("every TS file of orch's own steps/ and core/ lexes and passes", async () => {
  const check = importChecker([`${ORCH_ROOT}/steps`, `${ORCH_ROOT}/core`], "/nonexistent");
  for (const root of ["steps", "core"]) {
    for await (const e of Deno.readDir(`${ORCH_ROOT}/${root}`)) {
      if (!e.isFile || !e.name.endsWith(".ts")) continue;
      assert.equal(await check(`file://${ORCH_ROOT}/${root}/${e.name}`), undefined, e.name);
    }
  }
});

Deno.test("a checker lexes a module once however many steps share it", async () => {
  const dir = await tree({ "root/step.ts": `import "./a.ts";\n`, "root/a.ts": OK });
  const checker = importChecker([`${dir}/root`], CORE);
  assert.equal(await checker(`file://${dir}/root/step.ts`), undefined);
  await Deno.writeTextFile(`${dir}/root/a.ts`, `import "../out/code.ts";\n`);
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) await checker(`file://${dir}/root/step.ts`);
  const ms = performance.now() - t0;
  assert.equal(await checker(`file://${dir}/root/step.ts`), undefined, "remembered, not re-read");
  assert.ok(ms < 500, `10k checks of one module took ${ms.toFixed(0)} ms`);
});

Deno.test("the loader refuses such a module, naming the step, the file:line:col and the fix", async () => {
  const dir = await tree({ "root/step.ts": `\n\nimport { v } from "../out/code.ts";\n` });
  const err = await resolveModule("root/step.ts", {
    baseDir: dir,
    allowModules: ["root"],
  }, { step: "s1" }).catch((e) => e);
  assert.ok(err instanceof StepLoadError, String(err));
  assert.equal(
    err.message,
    `cannot load step "s1": module "root/step.ts" imports "../out/code.ts" at ` +
      `${dir}/root/step.ts:3:19, which resolves to ${dir}/out/code.ts, outside the allowed ` +
      `module roots (${ORCH_ROOT}/steps, ${dir}/root)`,
  );
  assert.match(err.hint!, /move the imported file under steps\/ or .*--allow-module DIR/);
});

Deno.test("orch run refuses the recipe (exit 2) before any module loads", async () => {
  const dir = await tree({
    "root/step.ts": `import "../out/side_effect.ts";\nexport class S {}\n`,
    "out/side_effect.ts": `await Deno.writeTextFile("${"LOADED"}", "x");\n`,
    "r.yaml": "test_meta: {test_id: T, tester: t, description: d}\nsteps:\n" +
      "  - {idx: 1, name: s1, type: deno, module: root/step.ts, function: S}\n",
  });
  const r = await orch(["run", "r.yaml", "--allow-module", "root"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  const [e] = r.json.errors as { step: string; path: string; message: string }[];
  assert.equal(e.step, "s1");
  assert.equal(e.path, "steps[0].module");
  assert.match(e.message, /imports "\.\.\/out\/side_effect\.ts" at .*root\/step\.ts:1:8/);
  await assert.rejects(Deno.stat(`${dir}/LOADED`), Deno.errors.NotFound, "never loaded");
});
