/**
 * @module
 * The events a run emits, as one discriminated union on `kind`. Sinks (console view, later the
 * journal and reports) subscribe to them; the scheduler itself never prints.
 */
import type { Envelope } from "./envelope.ts";
import type { RunMeta } from "./run_meta.ts";

/** Final status of a step. */
export type StepStatus = "ok" | "cached" | "failed" | "skipped" | "timeout" | "cancelled";

/** Step counts by status, all 0: what a run or report starts counting from. */
export function zeroCounts(): Record<StepStatus, number> {
  return { ok: 0, cached: 0, failed: 0, skipped: 0, timeout: 0, cancelled: 0 };
}

/** Whether a step succeeded (ran ok, or replayed from the cache). */
export function succeeded(status: StepStatus): boolean {
  return status === "ok" || status === "cached";
}

/** One attempt of a step, as recorded in the run result and the step-end event. */
export interface AttemptRecord {
  /** 1 for the first attempt. */
  attempt: number;
  /** How the attempt ended. */
  status: "ok" | "failed" | "timeout" | "cancelled";
  /** Why it failed (absent for ok). */
  reason?: string;
  /** Wall time of the attempt in ms. */
  durationMs: number;
}

/** Everything that happens during a run. */
export type RunEvent =
  | {
    kind: "run-start";
    at: Date;
    file: string;
    testId: string;
    /** Steps that will be considered (after --only/--skip/--resume-from). */
    steps: number;
    /** Most steps running at once. */
    concurrency: number;
    /** The recipe's tester, description and steps, recorded for reports. */
    meta?: RunMeta;
  }
  | { kind: "step-start"; at: Date; step: string; idx: number; attempt: number }
  | { kind: "step-output"; at: Date; step: string; stream: "stdout" | "stderr"; line: string }
  | {
    kind: "cache-hit";
    at: Date;
    step: string;
    /** The fingerprint whose stored result was replayed. */
    hash: string;
  }
  | {
    kind: "cache-miss";
    at: Date;
    step: string;
    /** What changed since the step's last stored result (or that there is none). */
    reasons: string[];
  }
  | { kind: "step-warning"; at: Date; step: string; message: string }
  | {
    kind: "step-retry";
    at: Date;
    step: string;
    /** The attempt that just failed. */
    attempt: number;
    reason: string;
    /** Wait before the next attempt. */
    delayMs: number;
  }
  | {
    kind: "step-end";
    at: Date;
    step: string;
    status: StepStatus;
    envelope: Envelope;
    durationMs: number;
    attempts: AttemptRecord[];
  }
  | {
    kind: "run-end";
    at: Date;
    status: "ok" | "failed" | "interrupted";
    durationMs: number;
    counts: Record<StepStatus, number>;
  };

/** Receives events. */
export type EventSink = (event: RunEvent) => void;
