/**
 * @module
 * Hermetic single-step execution: `orch step --recipe R --name S --context-in --context-out`
 * and `orch context merge`, through the real CLI. The fan-in recipe is run node by node, each
 * node its own process with only context files passing between them, and must end with the
 * same context data as `orch run`.
 */
import assert from "node:assert/strict";
import type { ContextJson } from "../core/context.ts";
import { orch, tempTree } from "./_helpers.ts";

const RECIPE = "recipes/fan_in.yaml";
const BRANCHES = ["compute_mean", "median_of", "compute_std"];

async function readJson(path: string): Promise<ContextJson> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** Runs one step of the fan-in recipe as its own process; asserts it succeeded. */
async function step(name: string, out: string, contextIn?: string): Promise<void> {
  const args = ["step", "--recipe", RECIPE, "--name", name, "--context-out", out];
  if (contextIn) args.push("--context-in", contextIn);
  const res = await orch(args);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.json.status, "ok");
}

Deno.test("the fan-in recipe run node by node ends with the context of orch run", async () => {
  const dir = await tempTree();
  const whole = await orch(["run", RECIPE, "--context-out", `${dir}/run.json`]);
  assert.equal(whole.code, 0, whole.stderr);

  await step("load_numbers", `${dir}/load.json`);
  await step("normalize_numbers", `${dir}/norm.json`, `${dir}/load.json`);
  await Promise.all(BRANCHES.map((b) => step(b, `${dir}/${b}.json`, `${dir}/norm.json`)));
  const merge = await orch([
    "context",
    "merge",
    ...BRANCHES.map((b) => `${dir}/${b}.json`),
    "-o",
    `${dir}/merged.json`,
    "--recipe",
    RECIPE,
  ]);
  assert.equal(merge.code, 0, merge.stderr);
  assert.equal(merge.json.merge, "last_write_wins");
  await step("aggregate_stats", `${dir}/final.json`, `${dir}/merged.json`);

  const final = await readJson(`${dir}/final.json`);
  assert.deepEqual(final.data, (await readJson(`${dir}/run.json`)).data);
  assert.deepEqual(
    final.history.map((h) => h.step),
    ["load_numbers", "normalize_numbers", ...BRANCHES, "aggregate_stats"],
  );
});

Deno.test("orch step --recipe with an unknown --name exits 2 and suggests the step", async () => {
  const res = await orch(["step", "--recipe", RECIPE, "--name", "agregate_stats"]);
  assert.equal(res.code, 2);
  assert.match(
    res.json.reason as string,
    /"agregate_stats" is not a step.*did you mean "aggregate_stats"/,
  );
});

Deno.test("orch step --recipe refuses the one-module flags", async () => {
  const res = await orch(["step", "--recipe", RECIPE, "--name", "load_numbers", "--params", "{}"]);
  assert.equal(res.code, 2);
  assert.match(res.json.reason as string, /--params/);
  for (const flag of [["--isolate"], ["--python-path", "x"], ["--type", "shell"]]) {
    const r = await orch(["step", "--recipe", RECIPE, "--name", "load_numbers", ...flag]);
    assert.equal(r.code, 2, flag[0]);
    assert.match(r.json.reason as string, new RegExp(`from the recipe, not ${flag[0]}`));
  }
});

Deno.test("a failing step exits 1 and writes no --context-out", async () => {
  const dir = await tempTree();
  await step("load_numbers", `${dir}/load.json`);
  // aggregate_stats without the three branch results fails its validate
  const res = await orch([
    "step",
    "--recipe",
    RECIPE,
    "--name",
    "aggregate_stats",
    "--context-in",
    `${dir}/load.json`,
    "--context-out",
    `${dir}/out.json`,
  ]);
  assert.equal(res.code, 1);
  assert.equal(res.json.step, "aggregate_stats");
  await assert.rejects(Deno.stat(`${dir}/out.json`), Deno.errors.NotFound);
});

/** A one-step recipe whose shell step writes the `${{ run.id }}` it was given to `id.txt`. */
const RUN_ID_RECIPE = await Deno.readTextFile(
  new URL("./fixtures/run_id/recipe.yaml", import.meta.url),
);

Deno.test("orch step --run-id is what ${{ run.id }} resolves to; without it the step says to pass one", async () => {
  const dir = await tempTree({ "r.yaml": RUN_ID_RECIPE });
  const args = ["step", "--recipe", "r.yaml", "--name", "tag"];
  const tagged = await orch([...args, "--run-id", "wf-42"], { cwd: dir });
  assert.equal(tagged.code, 0, tagged.stderr);
  assert.equal(await Deno.readTextFile(`${dir}/id.txt`), "wf-42\n");
  const bare = await orch(args, { cwd: dir });
  assert.equal(bare.code, 1, bare.stderr);
  assert.match(bare.json.reason as string, /run\.id \}\}: this run has no id .*--run-id/);
  const empty = await orch([...args, "--run-id", " "], { cwd: dir });
  assert.equal(empty.code, 2, empty.stderr);
});

Deno.test("orch context merge under fail_on_conflict names the key and both writers", async () => {
  const at = "2026-01-01T00:00:00.000Z";
  const base = { key: "a.x_v1", who: "load", step: "load", op: "set", at };
  const branch = (step: string, value: number) => ({
    data: { "a.x_v1": 1, "b.y_v1": value },
    history: [base, { key: "b.y_v1", who: `${step}_who`, step, op: "set", at }],
  });
  const dir = await tempTree({
    "one.json": JSON.stringify(branch("left", 2)),
    "two.json": JSON.stringify(branch("right", 3)),
  });
  const files = [`${dir}/one.json`, `${dir}/two.json`];
  const out = `${dir}/out.json`;
  const res = await orch(["context", "merge", ...files, "-o", out, "--merge", "fail_on_conflict"]);
  assert.equal(res.code, 1);
  const reason = res.json.reason as string;
  assert.match(reason, /"b\.y_v1"/);
  assert.match(reason, /step "left" \(who "left_who"\)/);
  assert.match(reason, /step "right" \(who "right_who"\)/);
  await assert.rejects(Deno.stat(out), Deno.errors.NotFound);

  const lww = await orch(["context", "merge", ...files, "-o", out]);
  assert.equal(lww.code, 0, lww.stderr);
  assert.equal((await readJson(out)).data["b.y_v1"], 3);
});

Deno.test("orch context merge rejects a bad --merge and a missing -o with exit 2", async () => {
  const dir = await tempTree({ "a.json": "{}" });
  const bad = await orch([
    "context",
    "merge",
    `${dir}/a.json`,
    "-o",
    `${dir}/o.json`,
    "--merge",
    "last_write_win",
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.json.reason as string, /did you mean "last_write_wins"/);
  const noOut = await orch(["context", "merge", `${dir}/a.json`]);
  assert.equal(noOut.code, 2);
});
