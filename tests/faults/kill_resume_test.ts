/**
 * SIGKILL at random moments of a run with parallel branches, retried steps and shell steps, each
 * time followed by `orch run --resume`: the run ends ok, every step committed exactly once and
 * the final context equals an uninterrupted run's. The kill delays come from a seeded generator;
 * the seed is printed (`ORCH_FAULT_SEED=N` replays it, `ORCH_FAULT_KILLS=N` sets the count).
 */
import assert from "node:assert/strict";
import { tempTree } from "../_helpers.ts";
import { commitsOf, FIX, onlyRun, orchIn, PUT, records, spawnOrch } from "./_faults.ts";

const LAYERS = 3;
const KILLS = Number(Deno.env.get("ORCH_FAULT_KILLS") ?? "8");
const SEED = Number(Deno.env.get("ORCH_FAULT_SEED") ?? Date.now() % 1_000_000);

/**
 * The recipe: a root, then per layer three parallel branches (a deno step, a shell step reading
 * the context, a shell step failing once then retried) joined by a deno step.
 */
function recipe(dir: string): string {
  const steps: Record<string, unknown>[] = [
    { name: "root", module: PUT, function: "Put", args: { key: "f.root_v1", value: 1, ms: 30 } },
  ];
  let join = "root";
  for (let l = 1; l <= LAYERS; l++) {
    const from = `f.${join}_v1`;
    steps.push(
      {
        name: `put${l}`,
        module: PUT,
        function: "Put",
        args: { key: `f.put${l}_v1`, value: l, from: [from], ms: 40 },
      },
      {
        name: `sh${l}`,
        type: "shell",
        script: `${FIX}/double.sh`,
        args: [from, `f.sh${l}_v1`, "0.1", `${dir}/starts.log`],
        permissions: { run: ["double.sh"] },
      },
      {
        name: `flaky${l}`,
        type: "shell",
        script: `${FIX}/flaky.sh`,
        args: [`${dir}/marker${l}`, `f.flaky${l}_v1`, String(l * 100)],
        retry: { max: 2, delay_sec: 0.02 },
        permissions: { run: ["flaky.sh"] },
      },
    );
    for (const s of steps.slice(-3)) Object.assign(s, { depends_on: [join], parallel: true });
    steps.push({
      name: `join${l}`,
      module: PUT,
      function: "Put",
      args: {
        key: `f.join${l}_v1`,
        value: 0,
        from: [`f.put${l}_v1`, `f.sh${l}_v1`, `f.flaky${l}_v1`],
      },
      depends_on: [`put${l}`, `sh${l}`, `flaky${l}`],
    });
    join = `join${l}`;
  }
  const lines = steps.map((s, i) => `  - ${JSON.stringify({ idx: i + 1, type: "deno", ...s })}`);
  return ["test_meta: {test_id: F-KILL, tester: t, description: kill and resume}", "steps:"]
    .concat(lines).join("\n") + "\n";
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test(`SIGKILL at ${KILLS} seeded random moments of a run with parallel, retried and shell steps, then resume`, async () => {
  const reference = await tempTree();
  await Deno.writeTextFile(`${reference}/r.yaml`, recipe(reference));
  const whole = await orchIn(reference, "run", "r.yaml");
  assert.equal(whole.code, 0, whole.stderr);
  const runMs = whole.json.duration_ms as number;
  const expected = JSON.parse(await Deno.readTextFile(`${whole.json.run_dir}/context.json`)).data;
  const stepCount = 1 + LAYERS * 4;

  const dir = await tempTree();
  await Deno.writeTextFile(`${dir}/r.yaml`, recipe(dir));
  const random = seeded(SEED);
  const delays: number[] = [];
  let runDir: string | undefined;
  for (let k = 0; k < KILLS; k++) {
    // a delay into the session's run (after orch started and wrote its run-start record)
    const delay = Math.round(random() * runMs);
    delays.push(delay);
    const child = spawnOrch(dir, runDir ? ["run", "--resume", runDir] : ["run", "r.yaml"]);
    await _sessionStarted(dir, k, child);
    await new Promise((r) => setTimeout(r, delay));
    try {
      child.kill("SIGKILL");
    } catch { /* it had finished */ }
    await child.output();
    runDir ??= await onlyRun(`${dir}/state`); // killed before it made one: start afresh
    if (!runDir) continue;
    const commits = commitsOf(await records(runDir));
    assert.equal(new Set(commits).size, commits.length, `after kill ${k}: a step committed twice`);
  }
  console.log(
    `fault seed ${SEED} (ORCH_FAULT_SEED=${SEED} replays it); uninterrupted run ` +
      `${runMs} ms; kill delays into each session, ms: ${delays.join(", ")}`,
  );
  const last = runDir
    ? await orchIn(dir, "run", "--resume", runDir)
    : await orchIn(dir, "run", "r.yaml");
  assert.equal(last.code, 0, last.stderr);
  runDir = last.json.run_dir as string;
  const recs = await records(runDir);
  const commits = commitsOf(recs);
  assert.equal(new Set(commits).size, commits.length, "a step committed twice");
  assert.equal(commits.length, stepCount, `committed: ${commits}`);
  const final = JSON.parse(await Deno.readTextFile(`${runDir}/context.json`)).data;
  assert.deepEqual(final, expected);
  const starts = (await Deno.readTextFile(`${dir}/starts.log`)).trim().split("\n").length;
  const sessions = recs.filter((r) => r.kind === "run-start").length;
  const stepStarts = recs.filter((r) => r.kind === "step-start").length;
  console.log(
    `${sessions} sessions, ${commits.length} commits, ${stepStarts} step starts ` +
      `(retries included); the ${LAYERS} context-reading shell steps started ${starts} times`,
  );
});

/** Waits until session `k` wrote its run-start record (or orch exited). */
async function _sessionStarted(dir: string, k: number, child: Deno.ChildProcess) {
  let exited = false;
  child.status.then(() => exited = true);
  for (const until = Date.now() + 30_000; Date.now() < until && !exited;) {
    const runDir = await onlyRun(`${dir}/state`);
    const recs = runDir ? await records(runDir).catch(() => []) : [];
    if (recs.filter((r) => r.kind === "run-start").length > k) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}
