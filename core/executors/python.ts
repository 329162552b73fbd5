/**
 * @module
 * Runs python steps: scriptlets of the original Python framework, unchanged, through orch's
 * bridge (core/python/bridge.py). Keeps one idle bridge per working directory for the run and
 * reuses it step after step (a fresh process for `isolate: true`, after a crash or a timeout),
 * then holds each result to the envelope contract of external steps (external_contract.ts) plus
 * the Python rules: exactly one JSON line among whatever else the scriptlet printed, ok only with
 * return code 0, `outputs` present, and every `ctx.set` JSON-safe under a valid key.
 */
import { admitValue, checkKey, type ContextDelta } from "../context.ts";
import { fail } from "../envelope.ts";
import { judgeEnvelope, readEnvelopeLine, shown } from "../external_contract.ts";
import { type BridgeDone, BridgeProcess, type BridgeReply } from "../python/bridge_process.ts";
import {
  cancelledOutcome,
  type Executor,
  type StepAttempt,
  type StepLog,
  type StepOutcome,
} from "./executor.ts";

/** Options of the python executor. */
export interface PythonExecutorOptions {
  /** The Python interpreter to run the bridge with. @default "python3" */
  python?: string;
}

/** The python executor; `close()` stops its bridges. */
export interface PythonExecutor extends Executor {
  /** Stops every bridge; call when the run ends. */
  close(): void;
}

const BRIDGE_URL = new URL("../python/bridge.py", import.meta.url);
const NONE: ContextDelta = { writes: [] };

/** The python step executor. */
export function pythonExecutor(options: PythonExecutorOptions = {}): PythonExecutor {
  const python = options.python ?? "python3";
  const idle = new Map<string, BridgeProcess[]>();
  const live = new Set<BridgeProcess>();
  let source: Promise<string> | undefined;

  /** An idle bridge for `cwd`, or a new one (or why none could start). */
  async function take(cwd: string, fresh: boolean, log: StepLog, signal: AbortSignal) {
    for (let b = fresh ? undefined : idle.get(cwd)?.pop(); b; b = idle.get(cwd)?.pop()) {
      if (b.alive) return b;
      live.delete(b);
    }
    source ??= Deno.readTextFile(BRIDGE_URL).catch((err) => {
      source = undefined;
      throw new Error(`orch's Python bridge ${BRIDGE_URL.pathname} cannot be read: ${err.message}`);
    });
    const bridge = await BridgeProcess.start({ python, source: await source, cwd }, log, signal);
    if (typeof bridge !== "string") live.add(bridge);
    return bridge;
  }

  function give(cwd: string, bridge: BridgeProcess, keep: boolean): void {
    if (keep && bridge.alive) idle.set(cwd, [...idle.get(cwd) ?? [], bridge]);
    else {
      live.delete(bridge);
      bridge.kill();
    }
  }

  return {
    async run(attempt: StepAttempt, signal: AbortSignal, onLog: StepLog): Promise<StepOutcome> {
      const start = performance.now();
      const { target, step } = attempt;
      if (target.type !== "python") {
        throw new Error(`the python executor runs python steps, not ${target.type} steps`);
      }
      const end = (o: Omit<StepOutcome, "durationMs">) => ({
        ...o,
        durationMs: performance.now() - start,
      });
      if (signal.aborted) return end(_cancelled(step, signal));
      // A line the scriptlet prints that looks like JSON is an envelope candidate; the rest is log.
      const printed: string[] = [];
      const log: StepLog = (stream, line) =>
        stream === "stdout" && line.trimStart().startsWith("{")
          ? printed.push(line)
          : onLog(stream, line);
      const missing = await _missingDir(target.cwd);
      if (missing) return end({ status: "error", envelope: fail(step, missing), delta: NONE });
      const bridge = await take(target.cwd, target.isolate, log, signal);
      if (bridge === "aborted") return end(_cancelled(step, signal));
      if (typeof bridge === "string") {
        return end({ status: "error", envelope: fail(step, bridge), delta: NONE });
      }
      bridge.log = log;
      const reply = await bridge.request({
        step,
        module: target.module,
        function: target.function,
        params: attempt.params,
        snapshot: attempt.snapshot,
        python_path: target.pythonPath,
      }, signal);
      if (reply.kind === "aborted") {
        live.delete(bridge);
        await bridge.stop();
        return end(_cancelled(step, signal));
      }
      give(target.cwd, bridge, reply.kind === "done" && !target.isolate);
      return end(_judge(attempt, reply, printed));
    },
    close() {
      for (const bridge of live) bridge.kill();
      live.clear();
      idle.clear();
    },
  };
}

async function _missingDir(cwd: string): Promise<string | undefined> {
  try {
    if ((await Deno.stat(cwd)).isDirectory) return undefined;
  } catch { /* reported below */ }
  return `the working directory ${cwd} does not exist or is not a directory`;
}

function _cancelled(step: string, signal: AbortSignal): Omit<StepOutcome, "durationMs"> {
  return cancelledOutcome(step, signal, "the step timed out; its Python bridge was stopped");
}

/** The outcome of a finished request: the bridge's verdict, then the envelope contract. */
function _judge(
  attempt: StepAttempt,
  reply: Exclude<BridgeReply, { kind: "aborted" }>,
  printed: string[],
): Omit<StepOutcome, "durationMs"> {
  const { step } = attempt;
  const failed = (reason: string) => ({
    status: "error" as const,
    envelope: fail(step, reason),
    delta: NONE,
  });
  if (reply.kind === "died") {
    return failed(`the Python bridge died while running the step (${reply.reason})`);
  }
  const { done } = reply;
  const module = attempt.target.type === "python" ? attempt.target.module : "";
  if (done.error?.kind === "import") {
    return failed(`cannot import python module "${module}": ${done.error.message}`);
  }
  if (done.refused) return failed(`the scriptlet wrote a value orch refuses: ${done.refused}`);
  if (done.error) return failed(done.error.message);
  try {
    for (const w of done.writes) {
      checkKey(w.key);
      admitValue(w.key, w.value);
    }
  } catch (err) {
    return failed(`the scriptlet wrote a value orch refuses: ${(err as Error).message}`);
  }
  const problem = _lineProblem(done, printed);
  if (problem) return failed(problem);
  const read = readEnvelopeLine(printed[0]);
  if ("problem" in read) {
    return failed(`${read.problem}; printed: ${shown(new TextEncoder().encode(printed[0]))}`);
  }
  return judgeEnvelope(step, read.envelope, {
    snapshot: attempt.snapshot,
    code: done.rc ?? 0,
    writes: done.writes,
  });
}

/**
 * What the Python side of the contract adds to the shared one: one JSON line among whatever
 * else the scriptlet printed, `ok` only with return code 0, and `outputs` always present.
 */
function _lineProblem(done: BridgeDone, lines: string[]): string | undefined {
  const example = '{"status":"ok","outputs":["numbers.stats_v1"]}';
  if (lines.length === 0) {
    return `the scriptlet printed no JSON line on stdout (run() returned ${done.rc}); it must ` +
      `print exactly one, such as ${example}`;
  }
  if (lines.length > 1) {
    return `the scriptlet printed ${lines.length} JSON lines on stdout; exactly one envelope ` +
      `line is allowed (the first: ${shown(new TextEncoder().encode(lines[0]))})`;
  }
  const envelope = readEnvelopeLine(lines[0]);
  if ("problem" in envelope || envelope.envelope.status !== "ok") return undefined;
  if (done.rc !== 0) {
    return `the scriptlet printed status "ok" but run() returned exit code ${done.rc}; ` +
      `a successful run returns 0`;
  }
  if (!Object.hasOwn(envelope.envelope, "outputs")) {
    return `the ok envelope needs "outputs", the context keys the step wrote, e.g. ${example}`;
  }
  return undefined;
}
