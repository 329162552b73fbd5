/**
 * @module
 * Runs shell steps as subprocesses and holds them to the envelope contract
 * (external_contract.ts). `script:` steps run without a shell (argv = script + args); `run:`
 * steps run under `/bin/sh -c` with the args as `$1...`. The step's `env` is laid over orch's
 * environment, plus `ORCH_CONTEXT` (a read-only temp JSON file holding the context as a plain
 * `{key: value}` object, shared by the steps that start at the same context version; see
 * context_files.ts) and `ORCH_STEP` (the step's name).
 *
 * Each attempt runs in its own process group. Aborting the attempt (timeout, fail-fast, Ctrl-C)
 * sends SIGTERM to the whole group, then SIGKILL after a grace period. A step does not outlive
 * its attempt: when the command exits, whatever it left running in its group gets SIGTERM too,
 * and SIGKILL once its output pipes close or the grace period ends. stderr is streamed line by
 * line to the log; stdout is read up to a limit (1 MiB), past which the group is killed.
 *
 * Not a sandbox: the step's Deno permissions (`read`, `write`, `net`...) bind Workers, not
 * processes. A shell step can do whatever the user running orch can; the `run` grant only
 * decides, at validation, whether the step may start its executable at all.
 */
import { fail } from "../envelope.ts";
import { judgeRun, MAX_STDOUT_BYTES } from "../external_contract.ts";
import { ContextFiles } from "./context_files.ts";
import {
  cancelledOutcome,
  type Executor,
  type StepAttempt,
  type StepLog,
  type StepOutcome,
} from "./executor.ts";

/** Options of the shell executor. */
export interface ShellExecutorOptions {
  /** Most bytes a step may print on stdout. @default MAX_STDOUT_BYTES (1 MiB) */
  maxStdoutBytes?: number;
  /** Wait between SIGTERM and SIGKILL. @default 1500 ms (under the runner's 2 s abort grace) */
  killGraceMs?: number;
}

/** Longest stderr line passed on whole; a longer one is cut into pieces of this size. */
const MAX_LINE_CHARS = 64 * 1024;
const TAIL_LINES = 5;

/** The shell step executor. */
export function shellExecutor(options: ShellExecutorOptions = {}): Executor {
  const limit = options.maxStdoutBytes ?? MAX_STDOUT_BYTES;
  const graceMs = options.killGraceMs ?? 1_500;
  const files = new ContextFiles();
  return {
    async run(attempt: StepAttempt, signal: AbortSignal, onLog: StepLog): Promise<StepOutcome> {
      const start = performance.now();
      const { target, step } = attempt;
      if (target.type !== "shell") {
        throw new Error(`the shell executor runs shell steps, not ${target.type} steps`);
      }
      const done = (o: Omit<StepOutcome, "durationMs">) => ({
        ...o,
        durationMs: performance.now() - start,
      });
      const contextFile = await files.acquire(attempt.context, () => attempt.snapshot);
      try {
        const env = { ...target.env, ORCH_CONTEXT: contextFile.path, ORCH_STEP: step };
        const ran = await _spawn(target.command, {
          env,
          cwd: target.cwd,
          signal,
          onLog,
          limit,
          graceMs,
        });
        if (ran.kind === "aborted") return done(cancelledOutcome(step, signal));
        if (ran.kind === "not-started") {
          return done({
            status: "error",
            envelope: fail(step, ran.reason, ran.code),
            delta: { writes: [] },
          });
        }
        const command = _describe(target.command);
        return done(judgeRun(step, { ...ran, command, stdoutLimit: limit }, {
          snapshot: attempt.snapshot,
          onWarning: (m) => onLog("stderr", `[warn] ${m}`),
        }));
      } finally {
        await contextFile.release();
      }
    },
    close: () => void files.close(),
  };
}

type _Ran =
  | { kind: "aborted" }
  | { kind: "not-started"; reason: string; code: number }
  | {
    kind: "exited";
    code: number;
    signal: Deno.Signal | null;
    stdout: Uint8Array;
    overflow: boolean;
    stderrTail: string[];
  };

interface _SpawnOptions {
  env: Record<string, string>;
  cwd: string;
  signal: AbortSignal;
  onLog: StepLog;
  limit: number;
  graceMs: number;
}

/**
 * setsid(1), when this system has it. Starting a command through it gives the command its own
 * process group as cheaply as a plain spawn; Deno's `detached: true` does the same with a fork of
 * this (large) process, which costs several ms per step (bench/README.md, workloads 2 and 3).
 */
const SETSID = ["/usr/bin/setsid", "/bin/setsid"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

/** Why a path-like argv[0] cannot start (checked first, since setsid would only exit 126/127). */
function _unstartable(cmd: string, cwd: string): Error | undefined {
  if (!cmd.includes("/")) return undefined; // looked up on PATH: setsid reports it by exit code
  try {
    const info = Deno.statSync(cmd.startsWith("/") ? cmd : `${cwd}/${cmd}`);
    if (info.isFile && (info.mode ?? 0o111) & 0o111) return undefined;
    return new Deno.errors.PermissionDenied(`${cmd} is not an executable file`);
  } catch (err) {
    return err instanceof Deno.errors.PermissionDenied ? err : new Deno.errors.NotFound(`${cmd}`);
  }
}

/** Runs `argv` in a new process group until it and its group are gone. */
async function _spawn(argv: string[], o: _SpawnOptions): Promise<_Ran> {
  if (o.signal.aborted) return { kind: "aborted" };
  let child: Deno.ChildProcess;
  try {
    const unstartable = SETSID && _unstartable(argv[0], o.cwd);
    if (unstartable) throw unstartable;
    child = new Deno.Command(SETSID ?? argv[0], {
      args: SETSID ? argv : argv.slice(1),
      cwd: o.cwd,
      env: o.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: SETSID === undefined,
    }).spawn();
  } catch (err) {
    const code = err instanceof Deno.errors.PermissionDenied ? 126 : 127;
    const why = code === 126 ? "found but not executable" : "not found";
    return {
      kind: "not-started",
      code,
      reason: `cannot start ${_describe(argv)} in ${o.cwd} (${why}): ${(err as Error).message}`,
    };
  }
  const group = new _Group(child.pid, o.graceMs);
  let abortedFirst = false;
  const onAbort = () => {
    abortedFirst = true;
    group.terminate();
  };
  o.signal.addEventListener("abort", onAbort, { once: true });
  const stdout = _collect(child.stdout, o.limit, () => group.kill());
  const tail: string[] = [];
  const stderr = _lines(child.stderr, (line) => {
    o.onLog("stderr", line);
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  });
  try {
    const status = await child.status;
    o.signal.removeEventListener("abort", onAbort);
    // the leader is gone: end what it left behind, so the pipes close and nothing outlives it
    if (group.terminate()) await _within(Promise.all([stdout.done, stderr.done]), o.graceMs);
    group.kill();
    if (!await _within(Promise.all([stdout.done, stderr.done]), 200)) {
      // a process that left the group (setsid) still holds a pipe: stop reading it
      await Promise.all([stdout.cancel(), stderr.cancel()]);
    }
    if (abortedFirst) return { kind: "aborted" };
    const out = await stdout.done;
    return {
      kind: "exited",
      code: status.code,
      signal: status.signal,
      stdout: out.bytes,
      overflow: out.overflow,
      stderrTail: tail,
    };
  } finally {
    group.dispose();
  }
}

/** A process group: SIGTERM, then SIGKILL after a grace period. */
class _Group {
  #pid: number;
  #graceMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(pid: number, graceMs: number) {
    this.#pid = pid;
    this.#graceMs = graceMs;
  }

  /** Sends SIGTERM to the group and arms SIGKILL; false when the group is already gone. */
  terminate(): boolean {
    if (!this.#send("SIGTERM")) return false;
    this.#timer ??= setTimeout(() => this.kill(), this.#graceMs);
    return true;
  }

  /** Sends SIGKILL to the group now. */
  kill(): void {
    this.#send("SIGKILL");
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }

  #send(signal: Deno.Signal): boolean {
    try {
      Deno.kill(-this.#pid, signal);
      return true;
    } catch {
      return false; // no process left in the group
    }
  }
}

interface _Reading<T> {
  done: Promise<T>;
  cancel(): Promise<void>;
}

/** Reads up to `limit` bytes; past it calls `onOverflow` and stops reading. */
function _collect(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  onOverflow: () => void,
): _Reading<{ bytes: Uint8Array; overflow: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const done = (async () => {
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) return { bytes: _concat(chunks, size), overflow: false };
        if (size + value.length > limit) {
          chunks.push(value.subarray(0, limit - size));
          onOverflow();
          await reader.cancel();
          return { bytes: _concat(chunks, limit), overflow: true };
        }
        chunks.push(value);
        size += value.length;
      }
    } catch {
      return { bytes: _concat(chunks, size), overflow: false }; // cancelled
    }
  })();
  return { done, cancel: () => reader.cancel().catch(() => {}) };
}

/** Calls `onLine` for each line of `stream` (a very long line arrives in pieces). */
function _lines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): _Reading<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  const emit = (line: string) => onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  const done = (async () => {
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        pending += value;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          emit(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
        while (pending.length > MAX_LINE_CHARS) {
          emit(pending.slice(0, MAX_LINE_CHARS));
          pending = pending.slice(MAX_LINE_CHARS);
        }
      }
    } catch { /* cancelled */ }
    if (pending !== "") emit(pending);
  })();
  return { done, cancel: () => reader.cancel().catch(() => {}) };
}

function _concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** True when `p` settles within `ms`. */
function _within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.then(() => true),
    new Promise<boolean>((r) => timer = setTimeout(() => r(false), ms)),
  ]).finally(() => clearTimeout(timer));
}

/** How a command reads in messages: the script path, or `/bin/sh -c "..."`. */
function _describe(argv: string[]): string {
  if (argv[0] === "/bin/sh" && argv[1] === "-c" && argv.length >= 3) {
    const run = argv[2].length > 80 ? `${argv[2].slice(0, 80)}…` : argv[2];
    return `/bin/sh -c ${JSON.stringify(run)}`;
  }
  return `"${argv[0]}"`;
}
