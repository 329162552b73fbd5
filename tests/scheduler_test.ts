import assert from "node:assert/strict";
import { orch, recipeOf, stepCounts, tempTree } from "./_helpers.ts";
import { run } from "../core/api.ts";
import type { JsonValue } from "../core/context.ts";
import { fail, ok } from "../core/envelope.ts";
import { UsageError } from "../core/errors.ts";
import type { RunEvent } from "../core/events.ts";
import type { Executor, StepAttempt, StepOutcome } from "../core/executors/executor.ts";
import type { Plan, PlannedStep } from "../core/plan.ts";
import { NO_RETRY, type RetryPolicy } from "../core/recipe.ts";
import { type ExecuteOptions, executePlan } from "../core/runner.ts";

// ---------------------------------------------------------------------------------------------
// A fake executor: every attempt waits until the test settles it by hand (or its signal aborts,
// which it answers with "cancelled", as the Worker executor does).

interface Call {
  step: string;
  snapshot: Record<string, JsonValue>;
  signal: AbortSignal;
  /** Ends the attempt ok with these writes. */
  ok(writes?: Record<string, JsonValue>): void;
  /** Ends the attempt with an error envelope. */
  fail(reason: string): void;
}

class FakeExecutor implements Executor {
  calls: Call[] = [];
  closed = 0;
  /** When true, attempts ignore their abort signal (a misbehaving executor). */
  deaf = false;
  #wake: (() => void)[] = [];

  run(attempt: StepAttempt, signal: AbortSignal): Promise<StepOutcome> {
    return new Promise((resolve) => {
      const step = attempt.step;
      const end = (o: Omit<StepOutcome, "durationMs">) => resolve({ ...o, durationMs: 1 });
      if (!this.deaf) {
        signal.addEventListener("abort", () =>
          end({
            status: "cancelled",
            envelope: fail(step, "cancelled: the run was interrupted", 130),
            delta: { writes: [] },
          }));
      }
      this.calls.push({
        step,
        snapshot: attempt.snapshot,
        signal,
        ok: (writes = {}) =>
          end({
            status: "ok",
            envelope: ok(Object.keys(writes)),
            delta: {
              writes: Object.entries(writes).map(([key, value]) => ({ key, value, who: step })),
            },
          }),
        fail: (reason) =>
          end({ status: "error", envelope: fail(step, reason), delta: { writes: [] } }),
      });
      for (const wake of this.#wake.splice(0)) wake();
    });
  }

  close(): void {
    this.closed++;
  }

  /** Waits until `n` attempts have started, lets the scheduler settle, returns the calls. */
  async started(n: number): Promise<Call[]> {
    while (this.calls.length < n) await new Promise<void>((r) => this.#wake.push(r));
    await tick();
    return this.calls;
  }

  /** Names of the steps started so far, in start order. */
  get names(): string[] {
    return this.calls.map((c) => c.step);
  }
}

/** Lets every pending promise reaction and zero-delay timer run. */
const tick = () => new Promise((r) => setTimeout(r, 0));

interface StepSpec {
  deps?: string[];
  parallel?: boolean;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  ctxHasKeys?: string[];
}

/** A plan of steps in the given (idx) order; steps are roots unless they list deps. */
function planOf(
  specs: Record<string, StepSpec>,
  merge: Plan["recipe"]["merge"] = "last_write_wins",
): Plan {
  const steps: PlannedStep[] = Object.entries(specs).map(([name, s], i) => ({
    step: {
      index: i,
      idx: i + 1,
      name,
      type: "deno" as const,
      module: "fake.ts",
      function: "Fake",
      args: {},
      success: { ctxHasKeys: s.ctxHasKeys ?? [] },
      dependsOn: s.deps,
      retry: { ...NO_RETRY, ...s.retry },
      timeoutMs: s.timeoutMs,
    },
    module: { spec: "fake.ts", path: "/fake.ts", url: "file:///fake.ts", root: "/" },
    target: { type: "deno", moduleUrl: "file:///fake.ts", exportName: "Fake" },
    permissions: {},
    deps: s.deps ?? [],
    parallel: s.parallel ?? false,
  }));
  return {
    recipe: {
      file: "fake.yaml",
      testMeta: { testId: "T-1", tester: "test", description: "fake" },
      steps: steps.map((p) => p.step),
      merge,
      locate: () => ({ line: 1, col: 1 }),
    },
    steps,
    baseDir: "/",
  } as Plan;
}

/** Starts executePlan with a fake executor; collects events. */
function start(plan: Plan, options: ExecuteOptions = {}) {
  const executor = new FakeExecutor();
  const events: RunEvent[] = [];
  const result = executePlan(plan, {
    concurrency: 4,
    ...options,
    executor,
    onEvent: (e) => events.push(e),
  });
  return { executor, events, result };
}

const P = { parallel: true };
const statuses = (r: Awaited<ReturnType<typeof executePlan>>) =>
  Object.fromEntries(r.steps.map((s) => [s.name, s.status]));

// ---------------------------------------------------------------------------------------------
// Ordering and concurrency

Deno.test("a step starts only after every step it depends on succeeded", async () => {
  const { executor, result } = start(
    planOf({ a: P, b: P, c: { ...P, deps: ["a", "b"] } }),
  );
  const calls = await executor.started(2);
  assert.deepEqual(executor.names, ["a", "b"]);
  calls[0].ok();
  await tick();
  assert.deepEqual(executor.names, ["a", "b"], "c still waits for b");
  calls[1].ok();
  (await executor.started(3))[2].ok();
  assert.equal((await result).status, "ok");
});

Deno.test("no more than `concurrency` steps run at once", async () => {
  const { executor, events, result } = start(planOf({ a: P, b: P, c: P }), { concurrency: 2 });
  const calls = await executor.started(2);
  assert.equal(calls.length, 2);
  calls[1].ok();
  await executor.started(3);
  assert.deepEqual(executor.names, ["a", "b", "c"]);
  calls[0].ok();
  calls[2].ok();
  const r = await result;
  assert.deepEqual(r.counts, stepCounts({ ok: 3 }));
  const runStart = events.find((e) => e.kind === "run-start");
  assert.equal(runStart?.kind === "run-start" && runStart.concurrency, 2);
  assert.equal(executor.closed, 1, "the executor is closed once when the run ends");
});

Deno.test("a step that is not parallel-safe runs alone, and holds back later steps", async () => {
  const { executor, result } = start(planOf({ a: P, b: {}, c: P }));
  const calls = await executor.started(1);
  assert.deepEqual(executor.names, ["a"], "b waits for a to finish; c waits behind b");
  calls[0].ok();
  await executor.started(2);
  assert.deepEqual(executor.names, ["a", "b"], "c does not join b");
  calls[1].ok();
  (await executor.started(3))[2].ok();
  assert.equal((await result).status, "ok");
});

Deno.test("concurrent steps see the context as it was when they started", async () => {
  const { executor, result } = start(planOf({ a: P, b: P, c: { ...P, deps: ["a", "b"] } }));
  const calls = await executor.started(2);
  calls[0].ok({ "a.out_v1": 1 });
  await tick();
  assert.deepEqual(calls[1].snapshot, {}, "b's snapshot was taken before a committed");
  calls[1].ok({ "b.out_v1": 2 });
  const c = (await executor.started(3))[2];
  assert.deepEqual(c.snapshot, { "a.out_v1": 1, "b.out_v1": 2 });
  c.ok();
  assert.deepEqual((await result).context.snapshot(), { "a.out_v1": 1, "b.out_v1": 2 });
});

// ---------------------------------------------------------------------------------------------
// Failure policy

Deno.test("fail-fast: a failure cancels running steps and skips the rest", async () => {
  const { executor, events, result } = start(
    planOf({ a: P, b: P, c: P, d: { deps: ["b"] }, e: P }),
    { concurrency: 3 },
  );
  const calls = await executor.started(3);
  calls[0].fail("a broke");
  const r = await result;
  assert.equal(r.status, "failed");
  assert.deepEqual(r.failed, { step: "a", reason: "a broke", exitCode: 1 });
  assert.deepEqual(statuses(r), {
    a: "failed",
    b: "cancelled",
    c: "cancelled",
    d: "skipped",
    e: "skipped",
  });
  assert.deepEqual(r.counts, stepCounts({ failed: 1, skipped: 2, cancelled: 2 }));
  assert.ok(calls[1].signal.aborted && calls[2].signal.aborted);
  const b = r.steps.find((s) => s.name === "b")!;
  assert.equal(b.envelope.status === "error" && b.envelope.reason.startsWith("cancelled"), true);
  assert.match(JSON.stringify(b.envelope), /step \\"a\\" failed/);
  assert.deepEqual(executor.names, ["a", "b", "c"], "nothing starts after the failure");
  const end = events.at(-1);
  assert.equal(end?.kind, "run-end");
  assert.deepEqual(end?.kind === "run-end" && end.counts, r.counts);
});

Deno.test("keep-going: every branch that does not depend on the failure still runs", async () => {
  const { executor, result } = start(
    planOf({ a: {}, b: { deps: ["a"] }, c: { deps: ["b"] }, d: {}, e: { deps: ["d"] } }),
    { keepGoing: true },
  );
  (await executor.started(1))[0].fail("a broke");
  (await executor.started(2))[1].ok();
  (await executor.started(3))[2].ok();
  const r = await result;
  assert.equal(r.status, "failed");
  assert.deepEqual(executor.names, ["a", "d", "e"]);
  assert.deepEqual(statuses(r), {
    a: "failed",
    b: "skipped",
    c: "skipped",
    d: "ok",
    e: "ok",
  });
  const c = r.steps.find((s) => s.name === "c")!;
  assert.match(
    c.envelope.status === "error" ? c.envelope.reason : "",
    /depends on "a" \(through "b"\), which failed/,
  );
});

Deno.test("aborting the run cancels running steps, starts nothing new, and says interrupted", async () => {
  const controller = new AbortController();
  const { executor, result } = start(planOf({ a: {}, b: {} }), { signal: controller.signal });
  await executor.started(1);
  controller.abort();
  const r = await result;
  assert.equal(r.status, "interrupted");
  assert.deepEqual(statuses(r), { a: "cancelled", b: "skipped" });
  assert.deepEqual(executor.names, ["a"]);
});

// ---------------------------------------------------------------------------------------------
// Selection

const chain = () => planOf({ a: {}, b: { deps: ["a"] }, c: { deps: ["b"] }, d: { deps: ["c"] } });

/** Runs a plan whose every attempt succeeds; returns the steps started. */
async function startedWith(plan: Plan, options: ExecuteOptions): Promise<string[]> {
  const { executor, result } = start(plan, options);
  let done = false;
  result.finally(() => done = true);
  for (let n = 1; !done; n++) {
    await Promise.race([executor.started(n), result]);
    if (!done) executor.calls[n - 1].ok();
  }
  const r = await result;
  assert.equal(r.steps.length, executor.calls.length, "unselected steps are not reported");
  return executor.names;
}

Deno.test("only, skip and resumeFrom select the steps that run", async () => {
  assert.deepEqual(await startedWith(chain(), { only: ["b", "d"] }), ["b", "d"]);
  assert.deepEqual(await startedWith(chain(), { skip: ["b"] }), ["a", "c", "d"]);
  assert.deepEqual(await startedWith(chain(), { resumeFrom: "c" }), ["c", "d"]);
  assert.deepEqual(await startedWith(chain(), { resumeFrom: "b", skip: ["c"] }), ["b", "d"]);
});

Deno.test("an unknown step name in a filter is a usage error with a suggestion", async () => {
  for (
    const [options, message] of [
      [{ only: ["a", "bb"] }, /--only names step "bb".*did you mean "b"/],
      [{ skip: ["x"] }, /--skip names step "x", which is not in the recipe/],
      [{ resumeFrom: "cc" }, /--resume-from names step "cc".*did you mean "c"/],
      [{ skip: ["a", "b", "c", "d"] }, /leaves no step to run/],
    ] as [ExecuteOptions, RegExp][]
  ) {
    const { executor, result } = start(chain(), options);
    await assert.rejects(result, (err) => err instanceof UsageError && message.test(err.message));
    assert.equal(executor.calls.length, 0);
  }
});

// ---------------------------------------------------------------------------------------------
// Merging writes

Deno.test("fail_on_conflict: two unordered writers of one key fail the later committer", async () => {
  const { executor, result } = start(planOf({ a: P, b: P }, "fail_on_conflict"));
  const calls = await executor.started(2);
  calls[1].ok({ "shared.key_v1": "b" });
  await tick();
  calls[0].ok({ "shared.key_v1": "a" });
  const r = await result;
  assert.equal(r.status, "failed");
  assert.equal(r.failed?.step, "a");
  assert.match(r.failed!.reason, /steps "b" and "a" both write "shared\.key_v1"/);
  assert.equal(r.context.get("shared.key_v1"), "b", "the conflicting write is not applied");
  assert.equal(r.steps.find((s) => s.name === "a")?.attempts.length, 1);
});

Deno.test("fail_on_conflict allows a step to overwrite a key of a step it depends on", async () => {
  const { executor, result } = start(
    planOf({ a: {}, b: {}, c: { deps: ["b"] } }, "fail_on_conflict"),
  );
  (await executor.started(1))[0].ok({ "other.key_v1": 1 });
  (await executor.started(2))[1].ok({ "shared.key_v1": "b" });
  (await executor.started(3))[2].ok({ "shared.key_v1": "c" });
  const r = await result;
  assert.equal(r.status, "ok", r.failed?.reason);
  assert.equal(r.context.get("shared.key_v1"), "c");
});

Deno.test("last_write_wins: the later committer's value stays", async () => {
  const { executor, result } = start(planOf({ a: P, b: P }));
  const calls = await executor.started(2);
  calls[1].ok({ "shared.key_v1": "b" });
  await tick();
  calls[0].ok({ "shared.key_v1": "a" });
  const r = await result;
  assert.equal(r.status, "ok");
  assert.equal(r.context.get("shared.key_v1"), "a");
});

// ---------------------------------------------------------------------------------------------
// Retries and timeouts

Deno.test("a retry that succeeds on the third attempt keeps only the third attempt's writes", async () => {
  const retry = { max: 3, delayMs: 20, backoff: 3, maxDelayMs: 50 };
  const { executor, events, result } = start(
    planOf({ flaky: { retry, ctxHasKeys: ["flaky.done_v1"] } }),
  );
  (await executor.started(1))[0].ok({ "flaky.first_v1": 1 }); // misses ctx_has_keys
  (await executor.started(2))[1].fail("second attempt broke");
  (await executor.started(3))[2].ok({ "flaky.done_v1": 3 });
  const r = await result;
  assert.equal(r.status, "ok");
  assert.deepEqual(r.context.snapshot(), { "flaky.done_v1": 3 });
  const attempts = r.steps[0].attempts;
  assert.deepEqual(attempts.map((a) => [a.attempt, a.status]), [[1, "failed"], [2, "failed"], [
    3,
    "ok",
  ]]);
  assert.match(attempts[0].reason!, /ctx_has_keys expected "flaky\.done_v1"/);
  assert.equal(attempts[1].reason, "second attempt broke");
  assert.equal(attempts[2].reason, undefined);
  const retries = events.filter((e) => e.kind === "step-retry");
  assert.deepEqual(retries.map((e) => e.kind === "step-retry" && e.delayMs), [20, 50]);
  const starts = events.filter((e) => e.kind === "step-start");
  assert.deepEqual(starts.map((e) => e.kind === "step-start" && e.attempt), [1, 2, 3]);
  for (const [i, delay] of [[0, 20], [1, 50]]) {
    const waited = starts[i + 1].at.getTime() - retries[i].at.getTime();
    assert.ok(waited >= delay - 1, `attempt ${i + 2} started ${waited} ms after the retry event`);
  }
  const end = events.find((e) => e.kind === "step-end");
  assert.equal(end?.kind === "step-end" && end.attempts.length, 3);
});

Deno.test("retries stop at max and the step fails with every attempt recorded", async () => {
  const { executor, result } = start(planOf({ s: { retry: { max: 1 } } }));
  (await executor.started(1))[0].fail("no");
  (await executor.started(2))[1].fail("still no");
  const r = await result;
  assert.equal(r.steps[0].status, "failed");
  assert.deepEqual(r.steps[0].attempts.map((a) => a.status), ["failed", "failed"]);
  assert.match(r.failed!.reason, /still no \(after 2 attempts\)/);
});

Deno.test("retry `on: [timeout]` does not retry an error", async () => {
  const { executor, result } = start(planOf({ s: { retry: { max: 3, on: ["timeout"] } } }));
  (await executor.started(1))[0].fail("plain error");
  const r = await result;
  assert.equal(r.steps[0].attempts.length, 1);
  assert.equal(executor.calls.length, 1);
});

Deno.test("an attempt past its timeout is aborted and reported as timeout", async () => {
  const { executor, result } = start(
    planOf({ slow: { timeoutMs: 30, retry: { max: 1, on: ["timeout"] } }, after: {} }),
    { keepGoing: true },
  );
  await executor.started(2); // the second attempt of slow
  assert.ok(executor.calls[0].signal.aborted, "the first attempt's signal was aborted");
  const after = (await executor.started(3))[2];
  assert.equal(after.step, "after", "keep-going: the independent step runs after the timeout");
  after.ok();
  const r = await result;
  assert.equal(r.steps[0].status, "timeout");
  assert.deepEqual(r.steps[0].attempts.map((a) => a.status), ["timeout", "timeout"]);
  assert.match(r.failed!.reason, /timed out after 30 ms/);
  assert.deepEqual(r.counts, stepCounts({ ok: 1, timeout: 1 }));
});

Deno.test("an executor that ignores the abort cannot hang the run", async () => {
  const executor = new FakeExecutor();
  executor.deaf = true;
  const r = await executePlan(planOf({ stuck: { timeoutMs: 10 } }), { executor });
  assert.equal(r.steps[0].status, "timeout");
});

// ---------------------------------------------------------------------------------------------
// Real Workers, through the CLI and the library

const FIXTURES = new URL("./fixtures/scheduler", import.meta.url).pathname;

function recipeYaml(steps: Record<string, unknown>[]): string {
  const located = steps.map((s) => ({ ...s, module: `${FIXTURES}/${s.module}` }));
  return recipeOf(located, { testId: "T-S", description: "scheduler fixture" });
}

const nap = (name: string, ms: number, extra: Record<string, unknown> = {}) => ({
  name,
  module: "naps.ts",
  function: "Naps",
  args: { ms, key: `naps.${name}_v1` },
  ...extra,
});

async function orchRun(steps: Record<string, unknown>[], ...flags: string[]) {
  const dir = await tempTree({ "recipe.yaml": recipeYaml(steps) });
  return await orch(["run", "recipe.yaml", "--allow-module", FIXTURES, ...flags], { cwd: dir });
}

Deno.test("a step stuck in while(true) is stopped at its timeout and the run goes on", async () => {
  const r = await orchRun([
    { name: "spin", module: "spins.ts", function: "Spins", timeout: "300ms", depends_on: [] },
    nap("after_spin", 1, { depends_on: ["spin"] }),
    nap("independent", 1, { depends_on: [] }),
  ], "--keep-going");
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.step, "spin");
  assert.match(r.json.reason as string, /timed out after 300 ms/);
  assert.deepEqual(r.json.failed_steps, ["spin"]);
  assert.deepEqual(r.json.steps, stepCounts({ ok: 1, skipped: 1, timeout: 1 }));
  assert.deepEqual(r.json.ctx_keys, ["naps.independent_v1"]);
});

Deno.test("Deno.exit() in a step fails only that step under --keep-going", async () => {
  const r = await orchRun([
    { name: "quitter", module: "exits.ts", function: "Exits", depends_on: [] },
    nap("needs_quitter", 1, { depends_on: ["quitter"] }),
    nap("bystander", 1, { depends_on: [] }),
  ], "--keep-going");
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(r.json.failed_steps, ["quitter"]);
  assert.match(r.json.reason as string, /Deno\.exit\(0\)/);
  assert.deepEqual(r.json.steps, stepCounts({ ok: 1, failed: 1, skipped: 1 }));
  assert.deepEqual(r.json.ctx_keys, ["naps.bystander_v1"], "the quitter's write is dropped");
});

const FAN = [
  nap("load", 1),
  nap("mean", 300, { parallel: true, depends_on: ["load"] }),
  nap("median", 300, { parallel: true, depends_on: ["load"] }),
  nap("std", 300, { parallel: true, depends_on: ["load"] }),
  nap("aggregate", 1, { depends_on: ["mean", "median", "std"] }),
];

Deno.test("fan-out/fan-in: the three middle steps overlap (event timestamps)", async () => {
  const dir = await tempTree({ "recipe.yaml": recipeYaml(FAN) });
  const events: RunEvent[] = [];
  await run(`${dir}/recipe.yaml`, {
    baseDir: dir,
    allowModules: [FIXTURES],
    concurrency: 3,
    onEvent: (e) => events.push(e),
  });
  const at = (kind: string, step: string) =>
    events.find((e) => e.kind === kind && "step" in e && e.step === step)!.at.getTime();
  const middle = ["mean", "median", "std"];
  const lastStart = Math.max(...middle.map((s) => at("step-start", s)));
  const firstEnd = Math.min(...middle.map((s) => at("step-end", s)));
  assert.ok(lastStart < firstEnd, `every middle step started before any ended`);
  assert.ok(at("step-end", "load") <= Math.min(...middle.map((s) => at("step-start", s))));
  assert.ok(at("step-start", "aggregate") >= Math.max(...middle.map((s) => at("step-end", s))));
});

Deno.test("fan-out/fan-in through the CLI: all three branches start before any ends", async () => {
  const r = await orchRun(FAN, "--concurrency", "3");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split("\n");
  const line = (mark: string, step: string) =>
    lines.findIndex((l) => l.startsWith(`${mark} ${step}`) || l.startsWith(`${mark} ${step} `));
  const middle = ["mean", "median", "std"];
  const lastStart = Math.max(...middle.map((s) => line("▶", s)));
  const firstEnd = Math.min(...middle.map((s) => line("✓", s)));
  assert.ok(lastStart >= 0 && lastStart < firstEnd, r.stderr);
  assert.deepEqual(r.json.steps, stepCounts({ ok: 5 }));
});

Deno.test("--concurrency 1 runs the same fan-out one step at a time", async () => {
  const r = await orchRun(FAN.map((s) => ({ ...s, args: { ms: 1 } })), "--concurrency", "1");
  assert.equal(r.code, 0, r.stderr);
  const marks = r.stderr.split("\n").filter((l) => /^[▶✓] /.test(l)).map((l) => l[0]);
  assert.deepEqual(marks, ["▶", "✓", "▶", "✓", "▶", "✓", "▶", "✓", "▶", "✓"]);
});

Deno.test("run flags are checked: a bad --concurrency and an unknown --only name exit 2", async () => {
  const bad = await orchRun(FAN, "--concurrency", "0");
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.json.reason as string, /--concurrency must be a positive integer, got "0"/);
  const unknown = await orchRun(FAN, "--only", "load,meen");
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.json.reason as string, /--only names step "meen".*did you mean "mean"/);
});

Deno.test("--only, --skip and --resume-from select steps through the CLI", async () => {
  const chainSteps = ["a", "b", "c", "d"].map((n) => nap(n, 1));
  const started = (stderr: string) => [...stderr.matchAll(/^▶ (\S+)/gm)].map((m) => m[1]);
  const only = await orchRun(chainSteps, "--only", "b,d");
  assert.deepEqual(started(only.stderr), ["b", "d"]);
  assert.deepEqual(only.json.steps, stepCounts({ ok: 2 }));
  const skip = await orchRun(chainSteps, "--skip", "a", "--skip", "c");
  assert.deepEqual(started(skip.stderr), ["b", "d"]);
  const resume = await orchRun(chainSteps, "--resume-from", "c");
  assert.deepEqual(started(resume.stderr), ["c", "d"]);
  assert.deepEqual(resume.json.ctx_keys, ["naps.c_v1", "naps.d_v1"]);
});

Deno.test("a real step that fails twice succeeds on its third attempt; only that attempt's write stays", async () => {
  const dir = await tempTree({ "recipe.yaml": "" });
  await Deno.writeTextFile(
    `${dir}/recipe.yaml`,
    recipeYaml([{
      name: "flaky",
      module: "flaky.ts",
      function: "Flaky",
      args: { counter: `${dir}/count.txt`, fail_times: 2 },
      retry: { max: 3, delay_sec: 0.01 },
      permissions: { read: [dir], write: [dir] },
    }]),
  );
  const r = await orch([
    "run",
    "recipe.yaml",
    "--allow-module",
    FIXTURES,
    "--context-out",
    "out.json",
  ], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await Deno.readTextFile(`${dir}/count.txt`), "3", "three attempts ran");
  const out = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  assert.deepEqual(out.data, { "flaky.attempt3_v1": 3 }, "failed attempts left nothing behind");
  assert.match(r.stderr, /↻ flaky attempt 1 failed: attempt 1 fails on purpose/);
  assert.match(r.stderr, /↻ flaky attempt 2 failed/);
});
