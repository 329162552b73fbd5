import assert from "node:assert/strict";
import { type CliRun, orch, orchCommand, REPO, stepCounts, tempTree } from "./_helpers.ts";
import { describeThrown } from "../core/invoke.ts";
import { run, runRecipe, validateRecipeFile } from "../mod.ts";

/** Bad and good step modules for these tests. */
const STEPS = new URL("./fixtures/steps", import.meta.url).pathname;

/** A recipe as YAML text, one flow mapping per step; modules are fixture file names. */
function recipeYaml(steps: Record<string, unknown>[]): string {
  return [
    "test_meta: {test_id: T-1, tester: test, description: fixture}",
    "steps:",
    ...steps.map((s) =>
      `  - ${JSON.stringify({ type: "deno", ...s, module: `${STEPS}/${s.module}` })}`
    ),
  ].join("\n") + "\n";
}

const append = (idx: number, tag: string, extra: Record<string, unknown> = {}) => ({
  idx,
  name: `append_${tag}`,
  module: "append.ts",
  function: "Append",
  args: { tag },
  ...extra,
});

/** Runs the steps with the fixture dir allowed; returns the run and the --context-out data. */
async function runSteps(
  steps: Record<string, unknown>[],
): Promise<CliRun & { dir: string; out: () => Promise<Record<string, unknown>> }> {
  const dir = await tempTree({ "recipe.yaml": recipeYaml(steps) });
  const r = await orch([
    "run",
    "recipe.yaml",
    "--allow-module",
    STEPS,
    "--context-out",
    "out.json",
  ], { cwd: dir });
  const out = async () => JSON.parse(await Deno.readTextFile(`${dir}/out.json`)).data;
  return Object.assign(r, { dir, out });
}

/** Asserts exit 1 with one JSON line naming the step and a reason, and no stack on stdout. */
function assertStepFailed(r: CliRun, step: string, reason: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout.trimEnd().split("\n").length, 1, r.stdout);
  assert.equal(r.json.status, "error");
  assert.equal(r.json.exit_code, 1);
  assert.equal(r.json.step, step);
  assert.match(r.json.reason as string, reason);
  assert.doesNotMatch(r.stdout, /\n\s+at |\.ts:\d+:\d+/, "no stack trace on stdout");
}

Deno.test("steps run in idx order, not file order", async () => {
  const r = await runSteps([append(30, "c"), append(10, "a"), append(20, "b")]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.steps, stepCounts({ ok: 3 }));
  assert.deepEqual((await r.out())["order.tags_v1"], ["a", "b", "c"]);
  const started = [...r.stderr.matchAll(/▶ (\S+)/g)].map((m) => m[1]);
  assert.deepEqual(started, ["append_a", "append_b", "append_c"]);
});

Deno.test("a missing ctx_has_keys key fails that step, names the key and skips the rest", async () => {
  const r = await runSteps([
    append(1, "a", { success: { ctx_has_keys: ["order.tags_v1"] } }),
    append(2, "b", { success: { ctx_has_keys: ["never.written_v1", "order.tags_v1"] } }),
    append(3, "c"),
  ]);
  assertStepFailed(r, "append_b", /ctx_has_keys .*"never\.written_v1"/);
  assert.doesNotMatch(r.json.reason as string, /"order\.tags_v1"/);
  assert.deepEqual(r.json.steps, stepCounts({ ok: 1, failed: 1, skipped: 1 }));
  assert.match(r.stderr, /- append_c skipped/);
  assert.deepEqual(await r.out(), { "order.tags_v1": ["a"] }, "append_b's write is dropped");
});

Deno.test("a step that writes a key then returns an error leaves no write behind", async () => {
  const r = await runSteps([
    append(1, "a"),
    { idx: 2, name: "partial", module: "writes_then_fails.ts", function: "WritesThenFails" },
    append(3, "c"),
  ]);
  assertStepFailed(r, "partial", /gave up after writing partial\.value_v1/);
  assert.deepEqual(r.json.steps, stepCounts({ ok: 1, failed: 1, skipped: 1 }));
  assert.deepEqual(r.json.ctx_keys, ["order.tags_v1"]);
  assert.deepEqual(await r.out(), { "order.tags_v1": ["a"] });
});

const BAD: [string, string, string, RegExp][] = [
  ["throws.ts", "Throws", "throws", /boom from throws/],
  ["rejects.ts", "Rejects", "rejects", /TypeError: rejected from rejects/],
  ["exits.ts", "Exits", "exits", /Deno\.exit\(3\)/],
  ["self_close.ts", "SelfClose", "closes", /close\(\)/],
  ["non_envelope.ts", "NonEnvelope", "non_envelope", /envelope "status" must be .*"done"/],
  ["writes_nan.ts", "WritesNan", "nan", /nan\.value_v1\.mean: NaN is not JSON-safe/],
];
for (const [module, fn, name, reason] of BAD) {
  Deno.test(`a step that fails this way (${module}) exits 1 with a reason and no writes`, async () => {
    const r = await runSteps([
      append(1, "a"),
      { idx: 2, name, module, function: fn },
      append(3, "c"),
    ]);
    assertStepFailed(r, name, reason);
    assert.deepEqual(r.json.steps, stepCounts({ ok: 1, failed: 1, skipped: 1 }));
    assert.deepEqual(await r.out(), { "order.tags_v1": ["a"] });
    assert.match(r.stderr, new RegExp(`✗ ${name} failed`));
  });
}

Deno.test("step output goes to stderr prefixed with the step name, never to stdout", async () => {
  const r = await runSteps([{ idx: 1, name: "chatty", module: "logs.ts", function: "Logs" }]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, "ok");
  for (
    const line of [
      "hello from log",
      "two",
      "lines",
      "info line { a: 1 }",
      "error line",
      "warn line",
      "raw stdout write",
    ]
  ) {
    assert.ok(r.stderr.includes(`[chatty] ${line}\n`), `missing [chatty] ${line} in\n${r.stderr}`);
  }
  assert.equal(r.stdout.split("\n").filter(Boolean).length, 1, r.stdout);
  assert.doesNotMatch(r.stdout, /hello|raw stdout/);
});

Deno.test("a step cannot write files: its Worker only has read permission", async () => {
  const dir = await tempTree();
  const target = `${dir}/written.txt`;
  const r = await runSteps([{
    idx: 1,
    name: "writer",
    module: "writes_file.ts",
    function: "WritesFile",
    args: { path: target },
  }]);
  assertStepFailed(r, "writer", /write access to ".*written\.txt" denied/);
  assert.doesNotMatch(r.json.reason as string, /--allow-write/, "no advice the step cannot take");
  await assert.rejects(Deno.stat(target), Deno.errors.NotFound);
});

Deno.test("SIGINT during a long step exits 130 with one JSON line", async () => {
  const dir = await tempTree({
    "recipe.yaml": recipeYaml([
      append(1, "a"),
      { idx: 2, name: "nap", module: "sleeps.ts", function: "Sleeps" },
      append(3, "c"),
    ]),
  });
  const child = orchCommand(["run", "recipe.yaml", "--allow-module", STEPS], { cwd: dir })
    .spawn();
  const stdout = new Response(child.stdout).text();
  let stderr = "";
  const decoder = new TextDecoder();
  const reader = child.stderr.getReader();
  const deadline = Date.now() + 20_000;
  while (!stderr.includes("[nap] sleeping")) {
    const { value, done } = await reader.read();
    if (done || Date.now() > deadline) break;
    stderr += decoder.decode(value, { stream: true });
  }
  assert.match(stderr, /▶ nap/, stderr);
  child.kill("SIGINT");
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stderr += decoder.decode(value, { stream: true });
    }
  })();
  const status = await child.status;
  await rest;
  const out = await stdout;
  assert.equal(status.code, 130, stderr);
  const lines = out.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, out);
  const json = JSON.parse(lines[0]);
  assert.equal(json.status, "error");
  assert.equal(json.exit_code, 130);
  assert.equal(json.step, "nap");
  assert.deepEqual(json.steps, stepCounts({ ok: 1, skipped: 1, cancelled: 1 }));
  assert.doesNotMatch(stderr, /▶ append_c/, "no step starts after the interrupt");
});

Deno.test("runRecipe() from mod.ts returns a Context holding numbers.stats_v1", async () => {
  const ctx = await runRecipe("recipes/example_numbers.yaml", { baseDir: REPO });
  const stats = ctx.get("numbers.stats_v1") as Record<string, number>;
  assert.equal(typeof stats.mean, "number");
  assert.deepEqual(Object.keys(stats).sort(), ["count", "max", "mean", "min", "sum"]);
  assert.equal(stats.mean, stats.sum / stats.count);
});

Deno.test("the library API finds and runs a recipe relative to a baseDir that is not the cwd", async () => {
  const recipe = `test_meta: {test_id: BASE-1, tester: t, description: baseDir}
steps:
  - {idx: 1, name: stats, type: deno, module: steps/compute_numbers.ts, function: ComputeNumbers,
     args: {src: data/mine.csv}}
`;
  const dir = await tempTree({ "sub/mine.yaml": recipe, "data/mine.csv": "1\n2\n3\n" });
  assert.notEqual(dir, Deno.cwd());
  const plan = await validateRecipeFile("sub/mine.yaml", { baseDir: dir });
  assert.equal(plan.recipe.file, `${dir}/sub/mine.yaml`);
  assert.equal(plan.baseDir, dir);
  const result = await run("sub/mine.yaml", { baseDir: dir });
  assert.equal(result.status, "ok", JSON.stringify(result.failed));
  assert.equal((result.context.get("numbers.stats_v1") as { sum: number }).sum, 6);
  const ctx = await runRecipe("sub/mine.yaml", { baseDir: dir });
  assert.equal((ctx.get("numbers.stats_v1") as { count: number }).count, 3);
  await assert.rejects(
    () => validateRecipeFile("sub/other.yaml", { baseDir: dir }),
    (err: Error) => err.message.includes(`${dir}/sub/other.yaml`),
    "a missing recipe is named by its path under baseDir",
  );
});

Deno.test("describeThrown() never throws, even for values JSON cannot show", () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.equal(describeThrown(new RangeError("x")), "RangeError: x");
  assert.equal(describeThrown("plain"), "threw plain");
  assert.equal(describeThrown({ code: 1 }), 'threw {"code":1}');
  assert.match(describeThrown(10n), /^threw a bigint/);
  assert.match(describeThrown(circular), /^threw a object/);
});
