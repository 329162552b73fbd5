/**
 * @module
 * The executor contract: one attempt of one step, given a context snapshot and an abort signal,
 * yields a StepOutcome. The runner owns ordering and commits; executors own one attempt.
 */
import type { ContextDelta, JsonValue } from "../context.ts";
import type { Envelope } from "../envelope.ts";

/** Everything an executor needs for one attempt. */
export interface StepAttempt {
  step: string;
  moduleUrl: string;
  exportName: string;
  params: unknown;
  snapshot: Record<string, JsonValue>;
  baseDir: string;
  /** Deno permissions the step runs with. */
  permissions: Deno.PermissionOptionsObject;
}

/** The result of one attempt. The delta is empty unless status is ok. */
export interface StepOutcome {
  status: "ok" | "error" | "cancelled";
  envelope: Envelope;
  delta: ContextDelta;
  durationMs: number;
}

/** A line a step printed. */
export type StepLog = (stream: "stdout" | "stderr", line: string) => void;

/** Runs one attempt of one step. */
export interface Executor {
  run(attempt: StepAttempt, signal: AbortSignal, onLog: StepLog): Promise<StepOutcome>;
}
