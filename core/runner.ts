/**
 * @module
 * Executes a Plan: `scheduler.ts` decides when each step starts; this file runs one step to its
 * end (its attempts through the executor, per-attempt timeouts, retries with backoff), checks the
 * step's `success` assertions and commits its writes only when it succeeded. Emits events;
 * never prints.
 */
import { pickKeys, withContext } from "./attempt_context.ts";
import { planStepId, replayedWrites, type StepCache } from "./cache.ts";
import { type Fingerprint, fingerprint } from "./fingerprint.ts";
import { Context, type ContextDelta } from "./context.ts";
import { type Envelope, fail } from "./envelope.ts";
import { UsageError } from "./errors.ts";
import { type AttemptRecord, type EventSink, type StepStatus, zeroCounts } from "./events.ts";
import { stepExecutor } from "./executors/by_type.ts";
import type { Executor, StepOutcome } from "./executors/executor.ts";
import type { Journal } from "./journal.ts";
import type { Plan, PlannedStep } from "./plan.ts";
import { retryDelayMs } from "./recipe.ts";
import { withSecretsRedacted } from "./redact.ts";
import { runMeta } from "./run_meta.ts";
import { ancestry, schedule, type Selection, selectSteps } from "./scheduler.ts";
import { resolveStep } from "./step_templates.ts";

/** Options of a run. */
export interface ExecuteOptions extends Selection {
  /** The context to start from; it is updated in place. @default a new empty Context */
  context?: Context;
  /** Receives every event. @default ignores them */
  onEvent?: EventSink;
  /** Aborting stops the run: running steps are cancelled, no new step starts. */
  signal?: AbortSignal;
  /** Runs one attempt; its optional `close()` is called when the run ends. @default Worker executor */
  executor?: Executor;
  /** Most steps running at once. @default navigator.hardwareConcurrency */
  concurrency?: number;
  /** Stored results of steps with `cache_key`; absent: nothing is cached. @default none */
  cache?: StepCache;
  /** After a failure, keep running every step that does not depend on it. @default false */
  keepGoing?: boolean;
  /**
   * Records every commit (the step's own writes) and the run's events. Before a shell or python
   * step starts, the run waits until the journal is on disk. @default no journal
   */
  journal?: Journal;
  /**
   * Steps already committed by an earlier session of this run (resume): they are not run, not
   * counted and not reported, and count as satisfied dependencies. @default none
   */
  committed?: ReadonlySet<string>;
  /** What `${{ run.id }}` resolves to. @default the journal's run id (none without a journal) */
  runId?: string;
}

/** How one step ended. */
export interface StepResult {
  /** The step's name. */
  name: string;
  /** Its final status. */
  status: StepStatus;
  /**
   * Wall time from when the step was taken up (its first attempt's start) to its end, retry
   * waits included (0 when skipped); each attempt's own time is in `attempts`.
   */
  durationMs: number;
  /** The final envelope (the last attempt's, or why it was skipped). */
  envelope: Envelope;
  /** Every attempt, in order (empty when skipped). */
  attempts: AttemptRecord[];
  /** For a step with `cache_key` under a cache: whether it was replayed, and why not. */
  cache?: { hit: boolean; hash: string; reasons?: string[] };
}

/** Outcome of a whole run. */
export interface RunResult {
  /** How the run ended. */
  status: "ok" | "failed" | "interrupted";
  /** The final context. */
  context: Context;
  /** How many selected steps ended in each status (unselected steps are not counted). */
  counts: Record<StepStatus, number>;
  /** Each selected step's result, in the order they ended. */
  steps: StepResult[];
  /** The first step that failed or timed out, and why, when there is one. */
  failed?: { step: string; reason: string; exitCode: number };
  /** Duration of the whole run, in milliseconds. */
  durationMs: number;
}

/** How long an executor may take to return after its attempt is aborted. */
const ABORT_GRACE_MS = 2_000;

/**
 * Runs the plan's steps as their dependencies allow and returns the result (step failures are
 * results, not throws). Throws UsageError for a bad selection or concurrency.
 */
export async function executePlan(plan: Plan, options: ExecuteOptions = {}): Promise<RunResult> {
  const concurrency = options.concurrency ?? navigator.hardwareConcurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const committed = options.committed ?? new Set<string>();
  const selected = selectSteps(plan.steps, options).filter((p) => !committed.has(p.step.name));
  const run = new _Run(plan, options);
  const signal = options.signal ?? new AbortController().signal;
  run.emit({
    kind: "run-start",
    at: new Date(),
    file: plan.recipe.file,
    testId: plan.recipe.testMeta.testId,
    steps: selected.length,
    concurrency,
    meta: runMeta(plan),
  });
  try {
    await schedule(selected, {
      concurrency,
      keepGoing: options.keepGoing ?? false,
      signal,
      run: (step, stepSignal) => run.step(step, stepSignal, signal),
      onEnd: (_, end) => run.record(end),
      onSkip: (step, why, exitCode) => run.skip(step, why, exitCode),
    });
  } finally {
    run.executor.close?.();
  }
  return run.finish(signal.aborted);
}

/** An attempt's outcome after timeouts and commit checks. */
interface _Attempt {
  status: AttemptRecord["status"];
  envelope: Envelope;
  delta: ContextDelta;
  durationMs: number;
  /** False when trying again cannot help (a merge conflict). */
  retryable: boolean;
}

/** The state of one run: its context, counts, results and the writers of each key. */
class _Run {
  readonly executor: Executor;
  readonly emit: EventSink;
  #plan: Plan;
  #context: Context;
  #start = performance.now();
  #counts: Record<StepStatus, number> = zeroCounts();
  #steps: StepResult[] = [];
  /** Key → steps of this run that committed it (for fail_on_conflict). */
  #writers = new Map<string, string[]>();
  #ancestors?: Map<string, Set<string>>;
  #journal?: Journal;
  #cache?: StepCache;
  #runId?: string;
  /** Module source hashes for fingerprints, computed once per run. */
  #sources = new Map<string, Promise<string>>();

  constructor(plan: Plan, options: ExecuteOptions) {
    this.#plan = plan;
    this.#context = options.context ?? new Context();
    // a resumed run: what the committed steps wrote counts for fail_on_conflict too
    for (const h of options.committed?.size ? this.#context.history() : []) {
      if (h.step === undefined || !options.committed!.has(h.step)) continue;
      this.#writers.set(h.key, [...this.#writers.get(h.key) ?? [], h.step]);
    }
    this.executor = withSecretsRedacted(options.executor ?? stepExecutor(), plan.recipe);
    this.#cache = options.cache;
    this.#runId = options.runId ?? options.journal?.runId;
    const journal = options.journal;
    this.#journal = journal;
    const onEvent = options.onEvent ?? (() => {});
    this.emit = journal
      ? (event) => {
        journal.event(event);
        onEvent(event);
      }
      : onEvent;
  }

  /** Runs a step's attempts until one succeeds, retries run out, or it is cancelled. */
  async step(planned: PlannedStep, signal: AbortSignal, runSignal: AbortSignal) {
    const { name, idx, retry } = planned.step;
    const start = performance.now();
    const attempts: AttemptRecord[] = [];
    let cache: StepResult["cache"];
    const end = (a: { status: StepStatus; envelope: Envelope }): StepResult => {
      const envelope = attempts.length > 1 && a.envelope.status === "error"
        ? { ...a.envelope, reason: `${a.envelope.reason} (after ${attempts.length} attempts)` }
        : a.envelope;
      const result = { name, status: a.status, envelope, durationMs: performance.now() - start };
      return { ...result, attempts, ...(cache ? { cache } : {}) };
    };
    // templates read the context as it is now; the cache fingerprints the resolved step
    const resolved = resolveStep(planned, {
      context: this.#context,
      recipe: this.#plan.recipe,
      runId: this.#runId,
    });
    if (!resolved.ok) return end({ status: "failed", envelope: fail(name, resolved.reason) });
    planned = resolved.planned;
    const lookup = await this.#cacheLookup(planned, start);
    if (lookup?.hit) {
      cache = { hit: true, hash: lookup.fp.hash };
      return end({ status: "cached", envelope: lookup.envelope });
    }
    if (lookup) cache = { hit: false, hash: lookup.fp.hash, reasons: lookup.reasons };
    // a shell or python step acts outside orch: what it may depend on must be on disk first
    if (this.#journal && planned.step.type !== "deno") {
      await this.#journal.durable();
      if (signal.aborted) {
        return end({ status: "cancelled", envelope: _cancelled(name, signal, runSignal) });
      }
    }
    for (let n = 1;; n++) {
      this.emit({ kind: "step-start", at: new Date(), step: name, idx, attempt: n });
      const a = await this.#attempt(planned, { signal, runSignal, stepStart: start }, attempts);
      const reason = a.envelope.status === "error" ? a.envelope.reason : undefined;
      attempts.push({ attempt: n, status: a.status, reason, durationMs: a.durationMs });
      const kind = a.status === "timeout" ? "timeout" : "error";
      if (a.status === "ok" && lookup) await this.#cacheStore(planned, lookup.fp, a);
      if (a.status === "ok" || a.status === "cancelled") return end(a);
      if (!a.retryable || n > retry.max || !retry.on.includes(kind)) return end(a);
      const delayMs = retryDelayMs(retry, n);
      this.emit({
        kind: "step-retry",
        at: new Date(),
        step: name,
        attempt: n,
        reason: reason ?? a.status,
        delayMs,
      });
      if (!(await _sleep(delayMs, signal))) {
        return end({ status: "cancelled", envelope: _cancelled(name, signal, runSignal) });
      }
    }
  }

  /**
   * For a step with `cache_key` under a cache: replays the stored result of its fingerprint
   * through the usual commit checks (a hit), or reports why there is none (a miss).
   */
  async #cacheLookup(planned: PlannedStep, stepStart: number): Promise<
    | { hit: true; fp: Fingerprint; envelope: Envelope }
    | { hit: false; fp: Fingerprint; reasons: string[] }
    | undefined
  > {
    if (!this.#cache || planned.step.cacheKey === undefined) return undefined;
    const name = planned.step.name;
    const fp = await fingerprint(planned, {
      snapshot: pickKeys(this.#context, planned.step.inputs?.ctx ?? []),
      sources: this.#sources,
      baseDir: this.#plan.baseDir,
    });
    const stored = await this.#cache.lookup(fp.hash);
    if (stored) {
      const writes = replayedWrites(stored, name);
      const outcome = { status: "ok" as const, envelope: stored.envelope, delta: { writes } };
      const a = this.#commit(planned, { ...outcome, durationMs: 0 }, [], stepStart);
      if (a.status === "ok") {
        await this.#cache.remember(this.#stepId(name), fp.hash, fp.parts);
        this.emit({ kind: "cache-hit", at: new Date(), step: name, hash: fp.hash });
        return { hit: true, fp, envelope: a.envelope };
      }
      const why = a.envelope.status === "error" ? a.envelope.reason : "rejected";
      return this.#cacheMiss(name, fp, [`the stored result could not be replayed: ${why}`]);
    }
    const reasons = await this.#cache.explainMiss(this.#stepId(name), fp.parts);
    return this.#cacheMiss(name, fp, reasons);
  }

  #cacheMiss(step: string, fp: Fingerprint, reasons: string[]) {
    this.emit({ kind: "cache-miss", at: new Date(), step, reasons });
    return { hit: false as const, fp, reasons };
  }

  /** Stores a successful step's result under its fingerprint (taken before it ran). */
  async #cacheStore(planned: PlannedStep, fp: Fingerprint, a: _Attempt): Promise<void> {
    if (a.envelope.status !== "ok") return;
    const step = planned.step.name;
    await this.#cache!.store({
      ...fp,
      stepId: this.#stepId(step),
      step,
      envelope: a.envelope,
      writes: a.delta.writes,
      created: new Date().toISOString(),
    });
  }

  #stepId(step: string): string {
    return planStepId(this.#plan, step);
  }

  /**
   * One attempt: the executor under the step's timeout, then the commit checks. `stepStart`
   * (performance.now() when the step was taken up) times the step's commit record.
   */
  async #attempt(
    planned: PlannedStep,
    { signal, runSignal, stepStart }: {
      signal: AbortSignal;
      runSignal: AbortSignal;
      stepStart: number;
    },
    earlier: AttemptRecord[],
  ) {
    const { name, timeoutMs } = planned.step;
    const controller = new AbortController();
    // a dependent signal costs listeners on the step's signal: only a timeout needs one
    const attemptSignal = timeoutMs === undefined
      ? signal
      : AbortSignal.any([signal, controller.signal]);
    let timedOut = false;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const start = performance.now();
    try {
      const outcome = await _bounded(this.#runExecutor(planned, attemptSignal), attemptSignal);
      const durationMs = outcome?.durationMs ?? performance.now() - start;
      if (timedOut && outcome?.status !== "ok") {
        const reason = `timed out after ${_seconds(timeoutMs!)}; its attempt was stopped`;
        return _failed("timeout", fail(name, reason), durationMs);
      }
      if (!outcome || outcome.status === "cancelled") {
        return _failed("cancelled", _cancelled(name, signal, runSignal), durationMs);
      }
      if (outcome.status !== "ok") return _failed("failed", outcome.envelope, durationMs);
      return this.#commit(planned, { ...outcome, durationMs }, earlier, stepStart);
    } finally {
      clearTimeout(timer);
    }
  }

  async #runExecutor(planned: PlannedStep, signal: AbortSignal): Promise<StepOutcome> {
    const step = planned.step.name;
    const start = performance.now();
    try {
      return await this.executor.run(
        withContext({
          step,
          target: planned.target,
          params: planned.step.args,
          baseDir: this.#plan.baseDir,
          permissions: planned.permissions,
        }, this.#context),
        signal,
        (stream, line) => this.emit({ kind: "step-output", at: new Date(), step, stream, line }),
      );
    } catch (err) {
      const reason = `the executor could not run the step: ${(err as Error)?.message ?? err}`;
      return {
        status: "error",
        envelope: fail(step, reason),
        delta: { writes: [] },
        durationMs: performance.now() - start,
      };
    }
  }

  /**
   * Decides an ok attempt's final status: checks `success.ctx_has_keys` against the context as
   * it would be after the step and, under fail_on_conflict, that no step the graph does not
   * order before this one wrote the same key; then applies the delta only if everything passed.
   * The commit record's duration is the step's (from `stepStart`, earlier attempts and waits
   * included); the attempt's own is its last `attempts` entry.
   */
  #commit(
    planned: PlannedStep,
    outcome: StepOutcome,
    earlier: AttemptRecord[],
    stepStart: number,
  ): _Attempt {
    const name = planned.step.name;
    const { delta, durationMs } = outcome;
    const written = new Set(delta.writes.map((w) => w.key));
    const missing = planned.step.success.ctxHasKeys.filter((k) =>
      !written.has(k) && !this.#context.has(k)
    );
    if (missing.length > 0) {
      const reason = `success assertion failed: ctx_has_keys expected ${
        missing.map((k) => `"${k}"`).join(", ")
      } in the context after the step, but ${missing.length === 1 ? "it is" : "they are"} missing`;
      return _failed("failed", fail(name, reason), durationMs);
    }
    const conflict = this.#conflict(name, written);
    if (conflict) {
      return { ..._failed("failed", fail(name, conflict), durationMs), retryable: false };
    }
    const at = new Date();
    try {
      this.#context.apply(delta, { step: name, at });
    } catch (err) {
      const reason = `step wrote a bad value: ${(err as Error).message}`;
      return _failed("failed", fail(name, reason), durationMs);
    }
    const attempts = [...earlier, {
      attempt: earlier.length + 1,
      status: "ok" as const,
      durationMs,
    }];
    this.#journal?.commit(
      name,
      { at, writes: delta.writes, envelope: outcome.envelope, attempts },
      performance.now() - stepStart,
    );
    for (const key of written) this.#writers.set(key, [...this.#writers.get(key) ?? [], name]);
    return { status: "ok", envelope: outcome.envelope, delta, durationMs, retryable: true };
  }

  /** Under fail_on_conflict: why `step` may not write `keys`, or undefined. */
  #conflict(step: string, keys: Set<string>): string | undefined {
    if (this.#plan.recipe.merge !== "fail_on_conflict") return undefined;
    this.#ancestors ??= ancestry(this.#plan.steps);
    const ancestors = this.#ancestors.get(step) ?? new Set<string>();
    for (const key of keys) {
      const other = this.#writers.get(key)?.find((w) => w !== step && !ancestors.has(w));
      if (other === undefined) continue;
      return `context conflict: steps "${other}" and "${step}" both write "${key}" and neither ` +
        `depends on the other (context.merge is fail_on_conflict); order them with depends_on ` +
        `or write different keys`;
    }
    return undefined;
  }

  record(result: StepResult): void {
    this.#counts[result.status]++;
    this.#steps.push(result);
    const { name: step, status, envelope, durationMs, attempts } = result;
    this.emit({ kind: "step-end", at: new Date(), step, status, envelope, durationMs, attempts });
  }

  skip(planned: PlannedStep, why: string, exitCode: number): void {
    const name = planned.step.name;
    const envelope = fail(name, why, exitCode);
    this.record({ name, status: "skipped", durationMs: 0, envelope, attempts: [] });
  }

  finish(interrupted: boolean): RunResult {
    const first = this.#steps.find((s) => s.status === "failed" || s.status === "timeout");
    const failed = first && first.envelope.status === "error"
      ? { step: first.name, reason: first.envelope.reason, exitCode: 1 }
      : undefined;
    const status = interrupted ? "interrupted" : failed ? "failed" : "ok";
    const durationMs = performance.now() - this.#start;
    const counts = { ...this.#counts };
    this.emit({ kind: "run-end", at: new Date(), status, durationMs, counts });
    return { status, context: this.#context, counts, steps: this.#steps, failed, durationMs };
  }
}

function _failed(status: _Attempt["status"], envelope: Envelope, durationMs: number): _Attempt {
  return { status, envelope, delta: { writes: [] }, durationMs, retryable: true };
}

/** Why a step was cancelled: the run was interrupted, or another step failed (fail-fast). */
function _cancelled(step: string, signal: AbortSignal, runSignal: AbortSignal): Envelope {
  if (runSignal.aborted || typeof signal.reason !== "string") {
    return fail(step, "cancelled: the run was interrupted", 130);
  }
  return fail(step, `cancelled: ${signal.reason}`);
}

/**
 * The executor's outcome, or undefined when it has not returned ABORT_GRACE_MS after `signal`
 * aborted (so an executor that ignores aborts cannot hang the run).
 */
function _bounded(run: Promise<StepOutcome>, signal: AbortSignal) {
  return new Promise<StepOutcome | undefined>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => timer = setTimeout(() => resolve(undefined), ABORT_GRACE_MS);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    run.then((outcome) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    });
  });
}

/** Waits `ms`; resolves false early if `signal` aborts. */
function _sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function _seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(3)} s`;
}
