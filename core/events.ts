/**
 * @module
 * The events a run emits, as one discriminated union on `kind`. Sinks (console view, later the
 * journal and reports) subscribe to them; the runner itself never prints.
 */
import type { Envelope } from "./envelope.ts";

/** Final status of a step. */
export type StepStatus = "ok" | "failed" | "skipped" | "cancelled";

/** Everything that happens during a run. */
export type RunEvent =
  | { kind: "run-start"; at: Date; file: string; testId: string; steps: number }
  | { kind: "step-start"; at: Date; step: string; idx: number }
  | { kind: "step-output"; at: Date; step: string; stream: "stdout" | "stderr"; line: string }
  | { kind: "step-warning"; at: Date; step: string; message: string }
  | {
    kind: "step-end";
    at: Date;
    step: string;
    status: StepStatus;
    envelope: Envelope;
    durationMs: number;
  }
  | { kind: "run-end"; at: Date; status: "ok" | "failed" | "interrupted"; durationMs: number };

/** Receives events. */
export type EventSink = (event: RunEvent) => void;
