/**
 * @module
 * Executes a Plan: runs the steps in order through an executor, checks each step's `success`
 * assertions, commits a step's writes only when it succeeded, and stops at the first failure.
 * Emits events; never prints.
 */
import { Context } from "./context.ts";
import { type Envelope, fail } from "./envelope.ts";
import type { EventSink, StepStatus } from "./events.ts";
import { denoWorkerExecutor } from "./executors/deno_worker.ts";
import type { Executor, StepOutcome } from "./executors/executor.ts";
import type { Plan, PlannedStep } from "./plan.ts";

/** Options of a run. */
export interface ExecuteOptions {
  /** The context to start from; it is updated in place. @default a new empty Context */
  context?: Context;
  /** Receives every event. @default ignores them */
  onEvent?: EventSink;
  /** Aborting stops the run: the running step is cancelled, no new step starts. */
  signal?: AbortSignal;
  /** Runs one attempt. @default Worker executor */
  executor?: Executor;
}

/** Outcome of a whole run. */
export interface RunResult {
  /** How the run ended. */
  status: "ok" | "failed" | "interrupted";
  /** The final context. */
  context: Context;
  /** How many steps ended in each status. */
  counts: Record<StepStatus, number>;
  /** Each step's status, duration and envelope, in run order. */
  steps: { name: string; status: StepStatus; durationMs: number; envelope: Envelope }[];
  /** The first failed step and why, when status is not ok. */
  failed?: { step: string; reason: string; exitCode: number };
  /** Duration of the whole run, in milliseconds. */
  durationMs: number;
}

/** Runs the plan's steps in order and returns the result (failures are results, not throws). */
export async function executePlan(plan: Plan, options: ExecuteOptions = {}): Promise<RunResult> {
  const emit = options.onEvent ?? (() => {});
  const context = options.context ?? new Context();
  const executor = options.executor ?? denoWorkerExecutor();
  const signal = options.signal ?? new AbortController().signal;
  const start = performance.now();
  const counts: Record<StepStatus, number> = { ok: 0, failed: 0, skipped: 0, cancelled: 0 };
  const steps: RunResult["steps"] = [];
  let failed: RunResult["failed"];
  let interrupted = false;

  emit({
    kind: "run-start",
    at: new Date(),
    file: plan.recipe.file,
    testId: plan.recipe.testMeta.testId,
    steps: plan.steps.length,
  });
  const record = (step: string, status: StepStatus, envelope: Envelope, durationMs: number) => {
    counts[status]++;
    steps.push({ name: step, status, durationMs, envelope });
    emit({ kind: "step-end", at: new Date(), step, status, envelope, durationMs });
  };
  for (const planned of plan.steps) {
    const name = planned.step.name;
    if (failed || interrupted || signal.aborted) {
      const why = failed ? `skipped: step "${failed.step}" failed` : "skipped: run interrupted";
      record(name, "skipped", fail(name, why, failed ? 1 : 130), 0);
      continue;
    }
    emit({ kind: "step-start", at: new Date(), step: name, idx: planned.step.idx });
    const outcome = await _attempt(planned, plan, context, executor, signal, emit);
    const { status, envelope } = _commit(planned, outcome, context);
    record(name, status, envelope, outcome.durationMs);
    if (status === "cancelled") interrupted = true;
    else if (envelope.status === "error") {
      failed = { step: name, reason: envelope.reason, exitCode: 1 };
    }
  }
  if (signal.aborted) interrupted = true;
  const runStatus = interrupted ? "interrupted" : failed ? "failed" : "ok";
  const durationMs = performance.now() - start;
  emit({ kind: "run-end", at: new Date(), status: runStatus, durationMs });
  return { status: runStatus, context, counts, steps, failed, durationMs };
}

function _attempt(
  planned: PlannedStep,
  plan: Plan,
  context: Context,
  executor: Executor,
  signal: AbortSignal,
  emit: EventSink,
): Promise<StepOutcome> {
  const step = planned.step.name;
  return executor.run(
    {
      step,
      moduleUrl: planned.module.url,
      exportName: planned.step.function,
      params: planned.step.args,
      snapshot: context.snapshot(),
      baseDir: plan.baseDir,
      permissions: planned.permissions,
    },
    signal,
    (stream, line) => emit({ kind: "step-output", at: new Date(), step, stream, line }),
  );
}

/**
 * Decides the step's final status: checks `success.ctx_has_keys` against the context as it
 * would be after the step, then applies the delta only if everything passed.
 */
function _commit(
  planned: PlannedStep,
  outcome: StepOutcome,
  context: Context,
): { status: StepStatus; envelope: Envelope } {
  const name = planned.step.name;
  if (outcome.status === "cancelled") return { status: "cancelled", envelope: outcome.envelope };
  if (outcome.status !== "ok") return { status: "failed", envelope: outcome.envelope };
  const written = new Set(outcome.delta.writes.map((w) => w.key));
  const missing = planned.step.success.ctxHasKeys.filter((k) => !written.has(k) && !context.has(k));
  if (missing.length > 0) {
    const reason = `success assertion failed: ctx_has_keys expected ${
      missing.map((k) => `"${k}"`).join(", ")
    } in the context after the step, but ${missing.length === 1 ? "it is" : "they are"} missing`;
    return { status: "failed", envelope: fail(name, reason) };
  }
  try {
    context.apply(outcome.delta, { step: name });
  } catch (err) {
    return {
      status: "failed",
      envelope: fail(name, `step wrote a bad value: ${(err as Error).message}`),
    };
  }
  return { status: "ok", envelope: outcome.envelope };
}
