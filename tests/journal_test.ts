import assert from "node:assert/strict";
import {
  type CliRun,
  orch,
  orchCommand,
  recipeOf,
  REPO,
  stepCounts,
  tempTree,
} from "./_helpers.ts";
import { commitsOf, records, untilJournal } from "./_journal.ts";
import { Context } from "../core/context.ts";
import { Journal, type JournalRecord, replayJournal } from "../core/journal.ts";
import { ok } from "../core/envelope.ts";

const FIXTURES = `${REPO}/tests/fixtures/journal`;

/** One `Put` step of a generated recipe. */
interface PutStep {
  name: string;
  key: string;
  value: number;
  from?: string[];
  depends_on?: string[];
  fail_if?: string;
  ms?: number;
}

function recipeYaml(steps: PutStep[], grant?: string): string {
  const puts = steps.map(({ name, depends_on, key, value, from, fail_if, ms }) => ({
    name,
    module: `${FIXTURES}/put.ts`,
    function: "Put",
    args: { key, value, from, fail_if, ms },
    ...(depends_on ? { depends_on } : {}),
    ...(grant ? { permissions: { read: [grant] } } : {}),
  }));
  return recipeOf(puts, { testId: "J-1", tester: "t", description: "journal" });
}

/** Runs orch in `dir` with its run directories under `dir/state`. */
function orchIn(dir: string, ...args: string[]): Promise<CliRun> {
  return orch([...args, "--allow-module", FIXTURES], {
    cwd: dir,
    env: { ORCH_HOME: `${dir}/state` },
  });
}

const chain = (flag?: string): PutStep[] => [
  { name: "a", key: "j.a_v1", value: 1 },
  { name: "b", key: "j.b_v1", value: 10, from: ["j.a_v1"], fail_if: flag },
  { name: "c", key: "j.c_v1", value: 100, from: ["j.b_v1"] },
  { name: "d", key: "j.d_v1", value: 1000, depends_on: [] },
];

/** A run of `chain` whose step b fails while the file `flag` exists (exit 1). */
async function failingChainRun(): Promise<{ dir: string; flag: string; failed: CliRun }> {
  const dir = await tempTree();
  const flag = `${dir}/broken`;
  await Deno.writeTextFile(flag, "");
  await Deno.writeTextFile(`${dir}/r.yaml`, recipeYaml(chain(flag), dir));
  const failed = await orchIn(dir, "run", "r.yaml");
  assert.equal(failed.code, 1, failed.stderr);
  return { dir, flag, failed };
}

Deno.test("orch run writes a run directory: journal, context.json and run.json, atomically", async () => {
  const dir = await tempTree({ "r.yaml": recipeYaml(chain()) });
  const r = await orchIn(dir, "run", "r.yaml");
  assert.equal(r.code, 0, r.stderr);
  const runDir = r.json.run_dir as string;
  assert.equal(runDir, `${dir}/state/runs/${r.json.run_id}`);
  assert.match(r.json.run_id as string, /^\d{8}-\d{9}-[0-9a-f]{6}$/);
  const names = [...Deno.readDirSync(runDir)].map((e) => e.name).sort();
  assert.deepEqual(names, ["context.json", "journal.jsonl", "run.json"], "no temp file, no lock");
  const recs = await records(runDir);
  assert.equal(recs[0].kind, "run-start");
  assert.equal(recs.at(-1)?.kind, "run-end");
  assert.deepEqual(recs.filter((x) => x.kind === "step-start").length, 4);
  assert.deepEqual(commitsOf(recs).sort(), ["a", "b", "c", "d"]);
  const start = recs[0] as Extract<JournalRecord, { kind: "run-start" }>;
  assert.equal(start.recipe, `${dir}/r.yaml`);
  assert.match(start.recipe_sha256, /^[0-9a-f]{64}$/);
  assert.equal(start.test_id, "J-1");
  const commit = recs.find((x) => x.kind === "step-commit" && x.step === "c")!;
  assert.deepEqual(
    (commit as Extract<JournalRecord, { kind: "step-commit" }>).writes,
    [{ key: "j.c_v1", value: 111, who: "c" }],
    "a commit holds only the step's own writes",
  );
  const ctx = JSON.parse(await Deno.readTextFile(`${runDir}/context.json`));
  assert.deepEqual(ctx.data, { "j.a_v1": 1, "j.b_v1": 11, "j.c_v1": 111, "j.d_v1": 1000 });
  const summary = JSON.parse(await Deno.readTextFile(`${runDir}/run.json`));
  assert.equal(summary.status, "ok");
  assert.equal(summary.committed, 4);
});

Deno.test("a step that passes after a retry is timed from its first attempt: waits included", async () => {
  // attempt 1 fails fast, then a 600 ms wait, then attempt 2 passes
  const flaky = `n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n > count; ` +
    `[ $n -ge 2 ] || exit 3; echo '{"status":"ok"}'`;
  const dir = await tempTree({
    "r.yaml": [
      "test_meta: {test_id: J-2, tester: t, description: retried}",
      "steps:",
      `  - ${
        JSON.stringify({
          idx: 1,
          name: "flaky",
          type: "shell",
          run: flaky,
          retry: { max: 1, delay_sec: 0.6 },
          permissions: { run: ["sh"] },
        })
      }`,
    ].join("\n") + "\n",
  });
  const r = await orchIn(dir, "run", "r.yaml");
  assert.equal(r.code, 0, r.stderr);
  const commit = (await records(r.json.run_dir as string)).find((x) =>
    x.kind === "step-commit"
  ) as Extract<JournalRecord, { kind: "step-commit" }>;
  const [first, second] = commit.attempts;
  assert.equal(commit.attempts.length, 2);
  assert.ok(
    commit.duration_ms >= 600 + first.durationMs + second.durationMs - 2,
    `${commit.duration_ms} ms`,
  );
  assert.ok(second.durationMs < 600, "each attempt keeps its own time");
  // the console's end line says the same
  const took = r.stderr.match(
    /✓ flaky \((\d+) ms, 2 attempts\)|✓ flaky \(([\d.]+) s, 2 attempts\)/,
  );
  assert.ok(took, r.stderr);
  const ms = took[1] !== undefined ? Number(took[1]) : Number(took[2]) * 1000;
  assert.ok(ms >= 600, r.stderr);
});

Deno.test("a torn last journal line is ignored on load and dropped before appending", async () => {
  const dir = await tempTree();
  const journal = await Journal.open(dir, { runId: "r1", recipe: "/r.yaml", recipeSha256: "x" });
  const at = new Date();
  journal.event({ kind: "run-start", at, file: "/r.yaml", testId: "T", steps: 2, concurrency: 1 });
  const writes = [{ key: "t.a_v1", value: 1, who: "a" }];
  journal.commit("a", { at, writes, envelope: ok(["t.a_v1"]), attempts: [] }, 1);
  await journal.close({ status: "failed", context: new Context() });
  const good = await Deno.readTextFile(`${dir}/journal.jsonl`);
  await Deno.writeTextFile(`${dir}/journal.jsonl`, '{"kind":"step-commit","at":"20', {
    append: true,
  });
  const replayed = await replayJournal(dir);
  assert.deepEqual([...replayed.committed], ["a"]);
  assert.deepEqual(replayed.context.snapshot(), { "t.a_v1": 1 });
  const again = await Journal.open(dir, { runId: "r1", recipe: "/r.yaml", recipeSha256: "x" });
  again.append({ kind: "step-start", at: at.toISOString(), step: "b", attempt: 1 });
  await again.close({ status: "failed", context: replayed.context });
  const text = await Deno.readTextFile(`${dir}/journal.jsonl`);
  assert.ok(text.startsWith(good) && !text.includes('"at":"20\n'), text);
  assert.equal((await records(dir)).length, 3);
  // a bad line before the last one is corruption, not a torn write
  await Deno.writeTextFile(`${dir}/journal.jsonl`, `${good}garbage\n${good}`);
  await assert.rejects(() => replayJournal(dir), /line 3 is not a journal record/);
});

Deno.test("a second run on a locked run directory exits 2; a stale lock is taken over", async () => {
  const dir = await tempTree({ "r.yaml": recipeYaml(chain()) });
  const first = await orchIn(dir, "run", "r.yaml");
  assert.equal(first.code, 0, first.stderr);
  const runDir = first.json.run_dir as string;
  await Deno.writeTextFile(`${runDir}/lock`, `${Deno.pid}\n`); // this test process is alive
  const locked = await orchIn(dir, "run", "--resume", first.json.run_id as string);
  assert.equal(locked.code, 2, locked.stderr);
  assert.match(locked.json.reason as string, new RegExp(`locked by process ${Deno.pid}`));
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  await Deno.writeTextFile(`${runDir}/lock`, `${dead.pid}\n`);
  const resumed = await orchIn(dir, "run", "--resume", runDir);
  assert.equal(resumed.code, 0, resumed.stderr);
  await assert.rejects(() => Deno.stat(`${runDir}/lock`), Deno.errors.NotFound);
});

Deno.test("orch runs lists runs newest first; orch show prints a summary and the context", async () => {
  const dir = await tempTree({ "r.yaml": recipeYaml(chain()) });
  const one = await orchIn(dir, "run", "r.yaml");
  const two = await orchIn(dir, "run", "r.yaml");
  const runs = await orchIn(dir, "runs");
  assert.equal(runs.code, 0, runs.stderr);
  const listed = runs.json.runs as Record<string, unknown>[];
  assert.deepEqual(listed.map((r) => r.run_id), [two.json.run_id, one.json.run_id]);
  assert.equal(listed[0].status, "ok");
  assert.equal(listed[0].recipe, `${dir}/r.yaml`);
  assert.equal(typeof listed[0].duration_ms, "number");
  assert.match(runs.stderr, /RUN\s+STATUS\s+STARTED\s+DURATION\s+RECIPE/);
  const show = await orchIn(dir, "show", one.json.run_id as string);
  assert.equal(show.code, 0, show.stderr);
  assert.equal((show.json.run as Record<string, unknown>).run_id, one.json.run_id);
  assert.equal((show.json.context as { data: Record<string, number> }).data["j.c_v1"], 111);
  const missing = await orchIn(dir, "show", "nope");
  assert.equal(missing.code, 2);
  assert.match(missing.json.reason as string, /no run "nope"/);
});

Deno.test("orch show counts commits from the journal when run.json is the one from session start", async () => {
  // a session that died mid-run (killed, disk failed): run.json still says what started() wrote
  const state = await tempTree();
  const dir = `${state}/runs/r2`;
  const journal = await Journal.open(dir, { runId: "r2", recipe: "/r.yaml", recipeSha256: "x" });
  await journal.started();
  const t0 = new Date("2026-01-01T00:00:00.000Z");
  journal.event({
    kind: "run-start",
    at: t0,
    file: "/r.yaml",
    testId: "T-2",
    steps: 3,
    concurrency: 1,
  });
  for (const [i, step] of ["a", "b"].entries()) {
    const writes = [{ key: `t.${step}_v1`, value: i, who: step }];
    const at = new Date(t0.getTime() + 1000 * (i + 1));
    journal.commit(step, { at, writes, envelope: ok([`t.${step}_v1`]), attempts: [] }, 1);
  }
  await journal.durable();
  await Deno.remove(`${dir}/lock`); // its process is gone
  const before = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
  assert.deepEqual([before.status, before.committed], ["running", 0]);
  const show = await orch(["show", dir]);
  assert.equal(show.code, 0, show.stderr);
  const run = show.json.run as Record<string, unknown>;
  assert.equal(run.status, "crashed");
  assert.equal(run.committed, 2);
  assert.equal(run.test_id, "T-2");
  assert.equal(run.duration_ms, 2000, "up to its last record");
  assert.match(show.stderr, /crashed, 2 step\(s\) committed/);
  assert.deepEqual((show.json.context as { data: object }).data, { "t.a_v1": 0, "t.b_v1": 1 });
  const runs = await orch(["runs", "--state-dir", state]); // and runs agrees
  assert.equal(runs.code, 0, runs.stderr);
  const [listed] = runs.json.runs as Record<string, unknown>[];
  assert.deepEqual([listed.status, listed.committed], ["crashed", 2]);
});

Deno.test("resume after a failure runs only the rest and ends with the uninterrupted context", async () => {
  const { dir, flag, failed } = await failingChainRun();
  assert.equal(failed.json.step, "b");
  assert.equal(failed.json.resume, `orch run --resume ${failed.json.run_id}`);
  const before = commitsOf(await records(failed.json.run_dir as string));
  assert.ok(before.includes("a") && !before.includes("b") && !before.includes("c"), `${before}`);
  await Deno.remove(flag); // fix the cause
  const resumed = await orchIn(dir, "run", "--resume", failed.json.run_id as string);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.json.run_id, failed.json.run_id);
  const recs = await records(failed.json.run_dir as string);
  const commits = commitsOf(recs);
  assert.equal(new Set(commits).size, commits.length, "no step committed twice");
  assert.deepEqual(commits.sort(), ["a", "b", "c", "d"]);
  assert.deepEqual(resumed.json.steps, stepCounts({ ok: 4 - before.length }), "only the rest ran");
  const whole = await orchIn(dir, "run", "r.yaml");
  assert.equal(whole.code, 0, whole.stderr);
  const ctx = (r: CliRun) =>
    JSON.parse(Deno.readTextFileSync(`${r.json.run_dir}/context.json`)).data;
  assert.deepEqual(ctx(resumed), ctx(whole));
  const noop = await orchIn(dir, "run", "--resume", failed.json.run_id as string);
  assert.equal(noop.code, 0, noop.stderr);
  assert.equal(
    (noop.json.steps as Record<string, number>).ok,
    0,
    "a finished run resumes to a no-op",
  );
});

Deno.test("resume refuses a changed recipe (exit 2, naming it) unless --force", async () => {
  const { dir, failed } = await failingChainRun();
  await Deno.writeTextFile(`${dir}/r.yaml`, recipeYaml(chain(), dir)); // the fix is in the recipe
  const refused = await orchIn(dir, "run", "--resume", failed.json.run_id as string);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.json.reason as string, /recipe .*r\.yaml changed since run .*--force/);
  const forced = await orchIn(dir, "run", "--resume", failed.json.run_id as string, "--force");
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(commitsOf(await records(failed.json.run_dir as string)).sort(), [
    "a",
    "b",
    "c",
    "d",
  ]);
});

Deno.test("SIGTERM stops the run, exits 130 with how to resume, and resume finishes it", async () => {
  const dir = await tempTree();
  const steps = Array.from({ length: 6 }, (_, i): PutStep => ({
    name: `s${i}`,
    key: `j.s${i}_v1`,
    value: i,
    ms: 150,
  }));
  await Deno.writeTextFile(`${dir}/r.yaml`, recipeYaml(steps));
  const child = _spawn(dir, ["run", "r.yaml"], "piped");
  const runDir = await _untilCommits(dir, 1, child);
  child.kill("SIGTERM");
  const out = await child.output();
  assert.equal(out.code, 130, new TextDecoder().decode(out.stderr));
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(json.reason, "interrupted");
  assert.equal(json.resume, `orch run --resume ${json.run_id}`);
  const recs = await records(runDir);
  assert.equal(recs.at(-1)?.kind, "run-end", "the journal's last records were written");
  const resumed = await orchIn(dir, "run", "--resume", json.run_id);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(resumed.json.ctx_keys, steps.map((s) => s.key));
});

/** `orch` as a child process with run directories under `dir/state`. */
function _spawn(dir: string, args: string[], stdout: "piped" | "null"): Deno.ChildProcess {
  return orchCommand([...args, "--allow-module", FIXTURES], {
    cwd: dir,
    env: { ORCH_HOME: `${dir}/state` },
    stdout,
    stderr: stdout,
  }).spawn();
}

/** Waits until the only run directory under `dir/state` has `n` commits (or `child` exited). */
async function _untilCommits(dir: string, n: number, child: Deno.ChildProcess): Promise<string> {
  const runDir = await untilJournal(`${dir}/state`, (recs) => commitsOf(recs).length >= n, {
    child,
  });
  assert.ok(runDir, `orch exited before it made a run directory under ${dir}/state`);
  return runDir;
}

/** A recipe of n steps, each writing one key; most read keys of one or two earlier steps. */
function generated(n: number): PutStep[] {
  return Array.from({ length: n }, (_, i) => {
    const deps = i % 7 === 0 ? [] : i % 3 === 0 ? [`s${i - 1}`, `s${i - 3}`] : [`s${i - 1}`];
    return {
      name: `s${i}`,
      key: `gen.s${i}_v1`,
      value: i,
      from: deps.map((d) => `gen.${d}_v1`),
      depends_on: deps,
      ms: 2 + (i % 5) * 2, // long enough for a kill to land inside the run
    };
  });
}

const POINTS = Number(Deno.env.get("ORCH_SIGKILL_POINTS") ?? "10");
const STEPS = Number(Deno.env.get("ORCH_SIGKILL_STEPS") ?? (POINTS > 10 ? "100" : "40"));

Deno.test(`SIGKILL at ${POINTS} moments of a ${STEPS}-step run: resume loses and repeats no commit`, async () => {
  const dir = await tempTree({ "r.yaml": recipeYaml(generated(STEPS)) });
  const whole = await tempTree({ "r.yaml": recipeYaml(generated(STEPS)) });
  const reference = await orchIn(whole, "run", "r.yaml");
  assert.equal(reference.code, 0, reference.stderr);
  const expected = JSON.parse(
    await Deno.readTextFile(`${reference.json.run_dir}/context.json`),
  ).data;
  let runDir = "";
  let kills = 0, unfinished = 0;
  for (let k = 0; k < POINTS; k++) {
    // kill once this session made a varying number of commits, plus a varying sub-step delay
    const before = runDir ? commitsOf(await records(runDir)).length : 0;
    const more = Math.max(1, Math.floor(((STEPS / POINTS) * ((k % 3) + 1)) / 2.5));
    const args = k === 0 ? ["run", "r.yaml"] : ["run", "--resume", runDir];
    const child = _spawn(dir, args, "null");
    runDir = await _untilCommits(dir, before + more, child);
    await new Promise((resolve) => setTimeout(resolve, k % 4));
    try {
      child.kill("SIGKILL");
      kills++;
    } catch { /* it had already finished */ }
    await child.status;
    const commits = commitsOf(await records(runDir));
    if (commits.length < STEPS) unfinished++;
    assert.equal(new Set(commits).size, commits.length, `after kill ${k}: a step committed twice`);
  }
  const last = await orchIn(dir, "run", "--resume", runDir);
  assert.equal(last.code, 0, last.stderr);
  const commits = commitsOf(await records(runDir));
  assert.equal(new Set(commits).size, commits.length, "a step committed twice");
  assert.equal(commits.length, STEPS);
  const final = JSON.parse(await Deno.readTextFile(`${runDir}/context.json`)).data;
  assert.deepEqual(final, expected);
  assert.ok(unfinished >= POINTS / 2, `only ${unfinished} of ${POINTS} kills left work to resume`);
  if (Deno.env.get("ORCH_SIGKILL_POINTS")) {
    const recs = await records(runDir);
    const starts = recs.filter((r) => r.kind === "step-start").length;
    const sessions = recs.filter((r) => r.kind === "run-start").length;
    console.error(
      `SIGKILL loop: ${STEPS} steps, ${kills} kills (${unfinished} mid-run), ${sessions} sessions, ${commits.length} ` +
        `commits, ${starts} step starts (${starts - STEPS} started but lost to a kill)`,
    );
  }
});
