/**
 * @module
 * The stdout contract of external steps (shell commands, Python scriptlets): stdout holds exactly
 * one non-empty line, a JSON object whose `status` is `ok` or `error`. Turns what a process
 * printed, and how it exited, into a step outcome: the envelope, and the writes an ok envelope
 * carries in `ctx`, checked with the same key and JSON-safety rules as a TS step's writes.
 * Runs nothing; the executors feed it.
 *
 * | printed on stdout                       | exit 0                  | exit ≠ 0                    |
 * | --------------------------------------- | ----------------------- | --------------------------- |
 * | `{"status":"ok", ...}`                  | ok                      | fails: ok with a bad exit   |
 * | `{"status":"error","reason":"..."}`     | fails with that reason  | fails with that reason      |
 * | nothing, several lines, not JSON, not   | fails, naming the rule  | fails, naming the exit code |
 * | an object, no or unknown `status`       | and what was printed    | and its meaning, stderr tail|
 *
 * Blank lines (only whitespace) do not count as lines. An ok envelope may hold `outputs` (keys
 * that must exist after the step; defaults to the keys of `ctx`) and `ctx` (an object of key →
 * JSON value, written attributed to the step). Other fields are ignored.
 */
import { admitValue, checkKey, type ContextWrite, type JsonValue } from "./context.ts";
import { type Envelope, fail, ok } from "./envelope.ts";
import { ContextError } from "./errors.ts";

/** Most bytes an external step may print on stdout: 1 MiB. */
export const MAX_STDOUT_BYTES = 1024 * 1024;

/** How many bytes of stdout a contract failure shows. */
const SHOWN_BYTES = 200;
/** How many stderr lines, and characters per line, a failure quotes. */
const TAIL_LINES = 5;
const TAIL_LINE_CHARS = 200;

/** What an external process did, as the contract sees it. */
export interface ExternalRun {
  /** The command, for messages: a script path or `/bin/sh -c "..."`. */
  command: string;
  /** Exit code (128 + n when killed by signal n). */
  code: number;
  /** The signal that killed the process, if one did. */
  signal?: Deno.Signal | null;
  /** Everything printed on stdout (at most the limit). */
  stdout: Uint8Array;
  /** True when stdout went past `stdoutLimit` and reading stopped. */
  overflow?: boolean;
  /** The stdout limit in force. @default MAX_STDOUT_BYTES */
  stdoutLimit?: number;
  /** The last lines printed on stderr. */
  stderrTail: string[];
}

/** The contract's verdict on one attempt (the executor adds the duration). */
export interface ContractOutcome {
  /** ok or error. */
  status: "ok" | "error";
  /** The step's envelope. */
  envelope: Envelope;
  /** The writes an ok envelope carried; empty otherwise. */
  delta: { writes: ContextWrite[] };
}

/** Options of `judgeEnvelope`. */
export interface JudgeOptions {
  /** The context the step started from (for checking `outputs`). */
  snapshot: Record<string, JsonValue>;
  /** Exit code of the process. @default 0 */
  code?: number;
  /** Writes the step made by other means (a Python bridge's `ctx.set`), before `ctx`'s. */
  writes?: ContextWrite[];
  /** Receives key warnings (no `_vN` suffix). */
  onWarning?: (message: string) => void;
}

/** The one envelope line of `stdout`, or the rule it breaks. */
export function readEnvelopeLine(
  stdout: string,
): { envelope: Record<string, unknown> } | { problem: string } {
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) {
    return { problem: 'stdout must hold one JSON envelope line (e.g. {"status":"ok"}), got none' };
  }
  if (lines.length > 1) {
    return {
      problem: `stdout must hold exactly one non-empty line, got ${lines.length} lines ` +
        "(print logs on stderr)",
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(lines[0]);
  } catch (err) {
    return { problem: `the stdout line is not JSON (${(err as Error).message})` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    return { problem: `the stdout line must be a JSON object (the envelope), got ${kind}` };
  }
  const envelope = value as Record<string, unknown>;
  if (!Object.hasOwn(envelope, "status")) {
    return { problem: 'the envelope has no "status"; it must be "ok" or "error"' };
  }
  if (envelope.status !== "ok" && envelope.status !== "error") {
    return {
      problem: `the envelope "status" must be "ok" or "error", got ${
        JSON.stringify(envelope.status)
      }`,
    };
  }
  return { envelope };
}

/** Judges a finished external process: its exit, then its one stdout line. */
export function judgeRun(
  step: string,
  run: ExternalRun,
  options: Omit<JudgeOptions, "code">,
): ContractOutcome {
  const error = (reason: string, exitCode = 1): ContractOutcome => ({
    status: "error",
    envelope: fail(step, reason, exitCode),
    delta: { writes: [] },
  });
  if (run.overflow) {
    return error(
      `${run.command} printed more than ${
        _size(run.stdoutLimit ?? MAX_STDOUT_BYTES)
      } on stdout, so it was stopped ` +
        `(a step prints one JSON line; write bulk data to a file); it began with: ` +
        shown(run.stdout.subarray(0, SHOWN_BYTES)),
    );
  }
  const read = readEnvelopeLine(new TextDecoder().decode(run.stdout));
  if ("problem" in read) {
    if (run.code === 0) return error(`${read.problem}; printed: ${shown(run.stdout)}`);
    const printed = run.stdout.length > 0 ? `; stdout: ${shown(run.stdout)}` : "";
    return error(
      `${run.command} exited with ${exitMeaning(run.code, run.signal)} and no JSON envelope` +
        `${printed}${_tail(run.stderrTail)}`,
      run.code,
    );
  }
  const verdict = judgeEnvelope(step, read.envelope, { ...options, code: run.code });
  if (verdict.status === "error" && read.envelope.status === "ok") {
    const reason = (verdict.envelope as { reason: string }).reason;
    return error(`${reason}; printed: ${shown(run.stdout)}`);
  }
  return verdict;
}

/**
 * Judges a parsed envelope: an error envelope's reason becomes the step's; an ok one needs exit
 * code 0, a valid `ctx` and `outputs` that exist after the step.
 */
export function judgeEnvelope(
  step: string,
  envelope: Record<string, unknown>,
  options: JudgeOptions,
): ContractOutcome {
  const error = (reason: string, exitCode = 1): ContractOutcome => ({
    status: "error",
    envelope: fail(step, reason, exitCode),
    delta: { writes: [] },
  });
  const code = options.code ?? 0;
  if (envelope.status === "error") {
    if (typeof envelope.reason !== "string" || envelope.reason.trim() === "") {
      return error('the error envelope needs a non-empty "reason" string');
    }
    const given = envelope.exit_code;
    const exitCode = Number.isInteger(given) && (given as number) > 0
      ? given as number
      : code > 0
      ? code
      : 1;
    return error(envelope.reason, exitCode);
  }
  if (code !== 0) {
    return error(`the envelope says "ok" but the process exited with ${exitMeaning(code)}`);
  }
  const writes = [...options.writes ?? []];
  const ctx = envelope.ctx ?? {};
  if (typeof ctx !== "object" || ctx === null || Array.isArray(ctx)) {
    return error('the envelope "ctx" must be an object of context key → JSON value');
  }
  for (const [key, value] of Object.entries(ctx)) {
    try {
      const warning = checkKey(key);
      if (warning) options.onWarning?.(warning);
      writes.push({ key, value: admitValue(key, value), who: step });
    } catch (err) {
      if (!(err instanceof ContextError)) throw err;
      return error(`the envelope "ctx" entry ${JSON.stringify(key)} was refused: ${err.message}`);
    }
  }
  const outputs = envelope.outputs ?? Object.keys(ctx);
  if (!Array.isArray(outputs) || !outputs.every((o) => typeof o === "string")) {
    return error('the envelope "outputs" must be an array of context keys');
  }
  const written = new Set(writes.map((w) => w.key));
  const missing = outputs.filter((k) => !written.has(k) && !Object.hasOwn(options.snapshot, k));
  if (missing.length > 0) {
    return error(
      `the envelope lists outputs ${missing.map((k) => JSON.stringify(k)).join(", ")} that ` +
        `are not in the context after the step; write them in "ctx" or drop them from "outputs"`,
    );
  }
  return { status: "ok", envelope: ok(outputs), delta: { writes } };
}

/** An exit code and what it usually means: `code 127 (command not found)`. */
export function exitMeaning(code: number, signal?: Deno.Signal | null): string {
  const sig = signal ?? (code > 128 && code < 160 ? SIGNALS[code - 128] : undefined);
  if (code === 127) return "code 127 (command not found)";
  if (code === 126) return "code 126 (found but not executable)";
  if (code === 124) return "code 124 (timed out)";
  if (sig === "SIGKILL") return `code ${code} (killed by SIGKILL; out of memory?)`;
  if (sig) return `code ${code} (killed by signal ${sig})`;
  return `code ${code}`;
}

const SIGNALS: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  6: "SIGABRT",
  8: "SIGFPE",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

/** The first 200 bytes of `bytes`, JSON-quoted so line breaks show; `(nothing)` when empty. */
export function shown(bytes: Uint8Array): string {
  if (bytes.length === 0) return "(nothing)";
  const head = new TextDecoder().decode(bytes.subarray(0, SHOWN_BYTES)).replace(/\uFFFD$/, "");
  const more = bytes.length > SHOWN_BYTES ? ` (first ${SHOWN_BYTES} of ${bytes.length} bytes)` : "";
  return JSON.stringify(head) + more;
}

function _tail(lines: string[]): string {
  const last = lines.slice(-TAIL_LINES).map((l) =>
    l.length > TAIL_LINE_CHARS ? `${l.slice(0, TAIL_LINE_CHARS)}…` : l
  );
  return last.length > 0 ? `; stderr tail: ${last.join(" | ")}` : "";
}

function _size(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : `${bytes} bytes`;
}
