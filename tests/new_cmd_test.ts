/**
 * @module
 * Tests of `orch new step` (core/cli/new_cmd.ts, core/scaffold.ts) through the real CLI: the
 * generated step runs (alone, via orch step, in a recipe built from the printed snippet), its
 * generated tests pass and fail when the step is broken, and nothing is ever overwritten.
 */
import assert from "node:assert/strict";
import { orch, REPO, runScript, tempTree } from "./_helpers.ts";

/** Runs `deno <args>` in `cwd` with orch's config (import map, permission set). */
async function deno(args: string[], cwd: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [args[0], "-q", "--config", `${REPO}/deno.json`, ...args.slice(1)],
    cwd,
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "" },
    clearEnv: true,
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

Deno.test("orch new step writes a step and tests that pass, and prints the recipe snippet", async () => {
  const dir = await tempTree();
  const res = await orch(["new", "step", "word_count"], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.json.class, "WordCount");
  assert.deepEqual(res.json.files, [
    `${dir}/steps/word_count.ts`,
    `${dir}/tests/word_count_test.ts`,
  ]);
  assert.ok(res.stderr.includes("module: steps/word_count.ts\n"), res.stderr);
  const test = await deno(["test", "-P=orch", "tests/word_count_test.ts"], dir);
  assert.equal(test.code, 0, test.text);
  assert.match(test.text, /2 passed \| 0 failed/);
  const lint = await deno(["lint", "steps", "tests"], dir);
  assert.equal(lint.code, 0, lint.text);
  const fmt = await deno(["fmt", "--check", "steps", "tests"], dir);
  assert.equal(fmt.code, 0, fmt.text);
});

Deno.test("the generated test fails when the generated step is broken", async () => {
  const dir = await tempTree();
  assert.equal((await orch(["new", "step", "word_count"], { cwd: dir })).code, 0);
  const step = `${dir}/steps/word_count.ts`;
  const text = await Deno.readTextFile(step);
  await Deno.writeTextFile(step, text.replace("{ text: params.text, words }", "{ words }"));
  // type checking was shown by the test above; skip it here to save time
  const test = await deno(["test", "--no-check", "-P=orch", "tests/word_count_test.ts"], dir);
  assert.equal(test.code, 1, test.text);
  assert.match(test.text, /1 passed \| 1 failed/);
});

Deno.test("the generated step runs alone, through orch step, and in a recipe from the snippet", async () => {
  const dir = await tempTree();
  const made = await orch(["new", "step", "greeting_words"], { cwd: dir });
  assert.equal(made.code, 0, made.stderr);
  const params = ["--params", '{"text":"one two three"}'];
  const alone = await runScript(`${dir}/steps/greeting_words.ts`, params, { cwd: dir });
  assert.equal(alone.code, 0, alone.stderr);
  assert.deepEqual(alone.json, { status: "ok", outputs: ["greeting_words.result_v1"] });
  const out = `${dir}/out.json`;
  const step = await orch(
    ["step", "steps/greeting_words.ts", ...params, "--allow-module", "steps", "--context-out", out],
    { cwd: dir },
  );
  assert.equal(step.code, 0, step.stderr);
  const ctx = JSON.parse(await Deno.readTextFile(out));
  assert.deepEqual(ctx.data["greeting_words.result_v1"], { text: "one two three", words: 3 });
  const recipe = "test_meta: {test_id: NEW-1, tester: t, description: new step}\nsteps:\n" +
    (made.json.recipe_snippet as string);
  await Deno.writeTextFile(`${dir}/r.yaml`, recipe);
  const run = await orch(["run", "r.yaml", "--allow-module", "steps"], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.json.ctx_keys, ["greeting_words.result_v1"]);
});

Deno.test("orch new step refuses to overwrite and then writes neither file", async () => {
  const dir = await tempTree({ "tests/word_count_test.ts": "// mine\n" });
  const res = await orch(["new", "step", "word_count"], { cwd: dir });
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.json.reason as string, /tests\/word_count_test\.ts already exists/);
  assert.match(
    res.json.reason as string,
    /never overwrites a file; choose another name, or remove/,
  );
  await assert.rejects(Deno.stat(`${dir}/steps/word_count.ts`), Deno.errors.NotFound);
  await assert.rejects(Deno.stat(`${dir}/steps`), Deno.errors.NotFound, "no directory left");
  assert.equal(await Deno.readTextFile(`${dir}/tests/word_count_test.ts`), "// mine\n");

  await Deno.remove(`${dir}/tests/word_count_test.ts`);
  assert.equal((await orch(["new", "step", "word_count", "--dir", dir])).code, 0);
  const before = await Deno.readTextFile(`${dir}/steps/word_count.ts`);
  const again = await orch(["new", "step", "word_count"], { cwd: dir });
  assert.equal(again.code, 2);
  assert.match(again.json.reason as string, /steps\/word_count\.ts already exists/);
  assert.match(again.json.reason as string, /choose another name, or remove the file first$/);
  assert.equal(await Deno.readTextFile(`${dir}/steps/word_count.ts`), before);
});

Deno.test("orch new refuses bad names, unknown kinds and names of built-in steps", async () => {
  const dir = await tempTree();
  const cases: [string[], RegExp][] = [
    [["new", "step", "WordCount"], /not snake_case/],
    [["new", "step", "1st"], /not snake_case/],
    [["new", "step", "a-b"], /not snake_case/],
    [["new", "step", "a__b"], /not snake_case/],
    [["new", "step"], /exactly one NAME/],
    [["new", "recipe", "x"], /cannot create "recipe"/],
    [["new", "step", "compute_mean"], /built-in step steps\/compute_mean\.ts/],
    [["new", "step", "ok_name", "--dir", `${dir}/missing`], /is not a directory/],
  ];
  for (const [args, reason] of cases) {
    const res = await orch(args, { cwd: dir });
    assert.equal(res.code, 2, args.join(" "));
    assert.match(res.json.reason as string, reason);
  }
  assert.deepEqual([...Deno.readDirSync(dir)], []);
});
