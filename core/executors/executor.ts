/**
 * @module
 * The executor contract: one attempt of one step, given a context snapshot and an abort signal,
 * yields a StepOutcome. The runner owns ordering and commits; executors own one attempt.
 */
import type { ContextDelta, ContextReader, JsonValue } from "../context.ts";
import { type Envelope, fail } from "../envelope.ts";

/** What to run, by step type (resolved when planning). */
export type AttemptTarget =
  | {
    /** A TS scriptlet in a Worker. */
    type: "deno";
    /** file: URL of the step module. */
    moduleUrl: string;
    /** Name of the exported scriptlet class. */
    exportName: string;
    /** `inline`: run in orch's process instead of a Worker (see executors/inline.ts). */
    isolation?: "inline";
  }
  | {
    /** An external command. */
    type: "shell";
    /** argv: `[script, ...args]`, or `["/bin/sh", "-c", run, name, ...args]`. */
    command: string[];
    /** Extra environment variables. */
    env: Record<string, string>;
    /** Absolute working directory. */
    cwd: string;
  }
  | {
    /** A Python scriptlet through orch's bridge. */
    type: "python";
    /** Dotted module path. */
    module: string;
    /** The scriptlet class. */
    function: string;
    /** Absolute extra sys.path entries (the working directory always comes first). */
    pythonPath: string[];
    /** Run in a fresh process instead of the shared bridge. */
    isolate: boolean;
    /** Absolute working directory. */
    cwd: string;
  };

/** Everything an executor needs for one attempt. */
export interface StepAttempt {
  /** The step's name. */
  step: string;
  /** What to run. */
  target: AttemptTarget;
  /** The step's args, passed to it as params. */
  params: unknown;
  /**
   * Copy of the context the step starts from. The runner computes it on first read: executors
   * that can do with less (pooled Workers get deltas, inline steps read in place) use `context`.
   */
  snapshot: Record<string, JsonValue>;
  /** The run's context without copying (absent: executors use `snapshot`). */
  context?: ContextReader;
  /** Directory relative paths in params resolve against. */
  baseDir: string;
  /** Deno permissions the step runs with. */
  permissions: Deno.PermissionOptionsObject;
}

/** The result of one attempt. The delta is empty unless status is ok. */
export interface StepOutcome {
  /** How the attempt ended. */
  status: "ok" | "error" | "cancelled";
  /** The step's result envelope. */
  envelope: Envelope;
  /** The writes the step made. */
  delta: ContextDelta;
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
}

/**
 * The outcome of an attempt stopped by `signal`: exit 124 when its timeout fired (`timedOut`
 * says what that means for this executor), else 130, the run was interrupted.
 */
export function cancelledOutcome(
  step: string,
  signal: AbortSignal,
  timedOut = "the step timed out",
): Omit<StepOutcome, "durationMs"> {
  const timeout = (signal.reason as Error | undefined)?.name === "TimeoutError";
  const envelope = timeout
    ? fail(step, `cancelled: ${timedOut}`, 124)
    : fail(step, "cancelled: the run was interrupted", 130);
  return { status: "cancelled", envelope, delta: { writes: [] } };
}

/** A line a step printed. */
export type StepLog = (stream: "stdout" | "stderr", line: string) => void;

/** Runs one attempt of one step. */
export interface Executor {
  /** Runs one attempt; aborting `signal` cancels it; `onLog` receives the step's output lines. */
  run(attempt: StepAttempt, signal: AbortSignal, onLog: StepLog): Promise<StepOutcome>;
  /** Releases what the executor keeps between attempts (pooled Workers); call when a run ends. */
  close?(): void;
}
