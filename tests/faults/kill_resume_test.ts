/**
 * SIGKILL at random moments of a run with parallel branches, retried steps and shell steps, each
 * time followed by `orch run --resume`: the run ends ok, every step committed exactly once and
 * the final context equals an uninterrupted run's. The kill delays come from a seeded generator,
 * scaled to the steps left, and at least half the kills must stop a session with steps left;
 * the seed is printed (`ORCH_FAULT_SEED=N` replays it, `ORCH_FAULT_KILLS=N` sets the count).
 */
import assert from "node:assert/strict";
import type { JournalRecord } from "../../core/journal.ts";
import { recipeOf, seededRandom, tempTree } from "../_helpers.ts";
import { commitsOf, onlyRun, records, untilJournal } from "../_journal.ts";
import { FIX, orchIn, PUT, spawnOrch } from "./_faults.ts";

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
  return recipeOf(steps, { testId: "F-KILL", tester: "t", description: "kill and resume" });
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
  const random = seededRandom(SEED);
  const delays: number[] = [];
  let runDir: string | undefined;
  let interrupted = 0; // kills that stopped a session with steps left to commit
  for (let k = 0; k < KILLS; k++) {
    // a delay into the session's run (after orch started and wrote its run-start record), scaled
    // to the work left so the kill tends to land before the session ends
    const left = stepCount - (runDir ? commitsOf(await records(runDir)).length : 0);
    const delay = Math.round(random() * runMs * left / stepCount);
    delays.push(delay);
    const child = spawnOrch(dir, runDir ? ["run", "--resume", runDir] : ["run", "r.yaml"]);
    await untilJournal(`${dir}/state`, (recs) => _sessions(recs) > k, { child });
    await new Promise((r) => setTimeout(r, delay));
    let killed = true;
    try {
      child.kill("SIGKILL");
    } catch {
      killed = false; // it had finished
    }
    await child.output();
    runDir ??= await onlyRun(`${dir}/state`); // killed before it made one: start afresh
    if (!runDir) continue;
    const commits = commitsOf(await records(runDir));
    assert.equal(new Set(commits).size, commits.length, `after kill ${k}: a step committed twice`);
    if (killed && commits.length < stepCount) interrupted++;
  }
  console.log(
    `fault seed ${SEED} (ORCH_FAULT_SEED=${SEED} replays it); uninterrupted run ` +
      `${runMs} ms; kill delays into each session, ms: ${delays.join(", ")}; ` +
      `${interrupted} of ${KILLS} kills stopped a session with steps left`,
  );
  assert.ok(
    interrupted >= KILLS / 2,
    `only ${interrupted} of ${KILLS} kills (seed ${SEED}) landed before their session finished`,
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
  const sessions = _sessions(recs);
  const stepStarts = recs.filter((r) => r.kind === "step-start").length;
  console.log(
    `${sessions} sessions, ${commits.length} commits, ${stepStarts} step starts ` +
      `(retries included); the ${LAYERS} context-reading shell steps started ${starts} times`,
  );
});

/** How many sessions (run-start records) a journal holds. */
function _sessions(recs: JournalRecord[]): number {
  return recs.filter((r) => r.kind === "run-start").length;
}
