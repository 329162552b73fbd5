import assert from "node:assert/strict";
import { orch, stepCounts, tempTree } from "./_helpers.ts";

const RECIPE = `test_meta: {test_id: C-1, tester: t, description: cache}
steps:
  - idx: 1
    name: stats
    type: deno
    module: steps/compute_numbers.ts
    function: ComputeNumbers
    args: {src: data/n.csv}
    cache_key: auto
  - idx: 2
    name: range
    type: deno
    module: steps/compute_range.ts
    function: ComputeRange
    cache_key: auto
    inputs: {ctx: [numbers.stats_v1]}
  - idx: 3
    name: median
    type: deno
    module: steps/compute_median.ts
    function: ComputeMedian
    args: {src: data/other.csv}
    cache_key: auto
    depends_on: []
`;

async function project() {
  return await tempTree({ "r.yaml": RECIPE, "data/n.csv": "1\n2\n3\n", "data/other.csv": "5\n" });
}

// Each test keeps its own state directory (runs and cache) inside its project.
const run = (dir: string, ...flags: string[]) =>
  orch(["run", "r.yaml", "--context-out", "out.json", "--state-dir", ".state", ...flags], {
    cwd: dir,
  });
const cache = (dir: string, ...args: string[]) =>
  orch(["cache", ...args, "--state-dir", ".state"], { cwd: dir });

Deno.test("a rerun replays every cached step: status cached, same context", async () => {
  const dir = await project();
  const first = await run(dir);
  assert.equal(first.code, 0, first.stderr);
  const before = JSON.parse(await Deno.readTextFile(`${dir}/out.json`)).data;
  const again = await run(dir);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(again.json.steps, stepCounts({ cached: 3 }));
  assert.equal(again.json.cache_misses, undefined);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/out.json`)).data, before);
  assert.match(again.stderr, /✓ stats cached/);
});

Deno.test("changing an input file misses exactly the steps that read it, naming the change", async () => {
  const dir = await project();
  assert.equal((await run(dir)).code, 0);
  await Deno.writeTextFile(`${dir}/data/n.csv`, "1\n2\n30\n");
  const r = await run(dir);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.cache_misses, {
    stats: ["file:data/n.csv changed"],
    range: ["ctx:numbers.stats_v1 changed"],
  });
  assert.equal((r.json.steps as Record<string, number>).cached, 1, "median read another file");
  const out = JSON.parse(await Deno.readTextFile(`${dir}/out.json`)).data;
  assert.equal(out["numbers.stats_v1"].max, 30, "the changed input was really used");
});

Deno.test("--no-cache runs every step; failed steps are never stored", async () => {
  const dir = await project();
  assert.equal((await run(dir)).code, 0);
  const r = await run(dir, "--no-cache");
  assert.equal((r.json.steps as Record<string, number>).ok, 3, r.stderr);
  await Deno.writeTextFile(`${dir}/data/other.csv`, "# nothing\n");
  const failed = await run(dir, "--keep-going");
  assert.equal(failed.code, 1);
  const ls = await cache(dir, "ls");
  const entries = ls.json.entries as { step: string }[];
  assert.equal(entries.filter((e) => e.step === "median").length, 1, "only the good result");
});

Deno.test("orch cache explain names what changed; clear empties the cache", async () => {
  const dir = await project();
  assert.equal((await run(dir)).code, 0);
  const hit = await cache(dir, "explain", "r.yaml", "stats");
  assert.equal(hit.code, 0, hit.stderr);
  assert.equal(hit.json.hit, true);
  await Deno.writeTextFile(`${dir}/data/n.csv`, "7\n");
  const miss = await cache(dir, "explain", "r.yaml", "stats");
  assert.equal(miss.json.hit, false);
  assert.deepEqual(miss.json.reasons, ["file:data/n.csv changed"]);
  const typo = await cache(dir, "explain", "r.yaml", "stat");
  assert.equal(typo.code, 2);
  assert.match(String(typo.json.reason), /did you mean "stats"/);
  const cleared = await cache(dir, "clear");
  assert.equal(cleared.json.removed, 3);
  const after = await run(dir);
  assert.equal((after.json.steps as Record<string, number>).cached, 0);
});

Deno.test("a step replayed from another recipe's entry explains its next miss against it", async () => {
  const state = await tempTree();
  const a = await project();
  const b = await project();
  const runIn = (dir: string) => orch(["run", "r.yaml", "--state-dir", state], { cwd: dir });
  assert.equal((await runIn(a)).code, 0);
  const shared = await runIn(b);
  assert.equal((shared.json.steps as Record<string, number>).cached, 3, "b replays a's results");
  await Deno.writeTextFile(`${b}/data/n.csv`, "4\n");
  const r = await runIn(b);
  assert.deepEqual((r.json.cache_misses as Record<string, string[]>).stats, [
    "file:data/n.csv changed",
  ]);
});
