/**
 * @module
 * The envelope: the one JSON object a step's run ends with, `{"status":"ok","outputs":[...]}` or
 * `{"status":"error","reason":"...","exit_code":1,"step":"..."}`. Builds and checks envelopes.
 */

/** A successful step's result. */
export interface OkEnvelope {
  /** Always `ok`. */
  status: "ok";
  /** Context keys the step wrote. */
  outputs: string[];
}

/** A failed step's result. */
export interface ErrorEnvelope {
  /** Always `error`. */
  status: "error";
  /** Why the step failed. */
  reason: string;
  /** Exit code the failure maps to. */
  exit_code: number;
  /** Name of the step that failed. */
  step: string;
}

/** A step's result, ok or error, told apart by `status`. */
export type Envelope = OkEnvelope | ErrorEnvelope;

/** Builds an ok envelope. */
export function ok(outputs: string[] = []): OkEnvelope {
  return { status: "ok", outputs: [...outputs] };
}

/** Builds an error envelope. */
export function fail(step: string, reason: string, exitCode = 1): ErrorEnvelope {
  return { status: "error", reason, exit_code: exitCode, step };
}

/**
 * Checks that `value` is a well-formed envelope; returns a reason naming the broken rule, or
 * null. Used on whatever a scriptlet's `run` returned.
 */
export function envelopeProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `run() must return an envelope object, got ${_kind(value)}`;
  }
  const env = value as Record<string, unknown>;
  if (env.status === "ok") {
    if (!Array.isArray(env.outputs) || !env.outputs.every((o) => typeof o === "string")) {
      return 'an ok envelope needs "outputs": an array of context keys';
    }
    return null;
  }
  if (env.status === "error") {
    if (typeof env.reason !== "string" || env.reason === "") {
      return 'an error envelope needs a non-empty "reason" string';
    }
    return null;
  }
  return `envelope "status" must be "ok" or "error", got ${JSON.stringify(env.status)}`;
}

function _kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}
