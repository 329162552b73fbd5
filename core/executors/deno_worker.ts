/**
 * @module
 * Runs TS steps in Web Workers whose Deno permissions are narrowed to the step's grant. One
 * Worker per attempt; a crash or an abort terminates it. Also inspects modules (exports,
 * params) in a Worker, so validation never runs step code with the runner's permissions.
 */
import { fail } from "../envelope.ts";
import type { FromWorker, InspectItem, InspectRequest, ToWorker } from "../worker/protocol.ts";
import type { Executor, StepAttempt, StepLog, StepOutcome } from "./executor.ts";

/** What a step may do when the recipe grants nothing more: read files, nothing else. */
export const DEFAULT_STEP_PERMISSIONS: Deno.PermissionOptionsObject = {
  read: true,
  write: false,
  net: false,
  env: false,
  run: false,
  ffi: false,
  sys: false,
  import: false,
};

const WORKER_URL = new URL("../worker/step_worker.ts", import.meta.url);

/** An executor running each attempt in a fresh, permission-narrowed Worker. */
export function denoWorkerExecutor(): Executor {
  return {
    async run(attempt: StepAttempt, signal: AbortSignal, onLog: StepLog): Promise<StepOutcome> {
      const start = performance.now();
      const done = (o: Omit<StepOutcome, "durationMs">): StepOutcome => ({
        ...o,
        durationMs: performance.now() - start,
      });
      const request: ToWorker = {
        kind: "run",
        moduleUrl: attempt.moduleUrl,
        exportName: attempt.exportName,
        params: attempt.params,
        snapshot: attempt.snapshot,
        step: attempt.step,
        baseDir: attempt.baseDir,
      };
      const reply = await _exchange(request, attempt.permissions, signal, onLog);
      if (reply === "aborted") {
        return done({
          status: "cancelled",
          envelope: fail(attempt.step, "cancelled: the run was interrupted", 130),
          delta: { writes: [] },
        });
      }
      if (typeof reply === "string") {
        return done({
          status: "error",
          envelope: fail(attempt.step, reply),
          delta: { writes: [] },
        });
      }
      if (reply.kind !== "result") {
        return done({
          status: "error",
          envelope: fail(attempt.step, `step Worker sent an unexpected "${reply.kind}" message`),
          delta: { writes: [] },
        });
      }
      const status = reply.envelope.status === "ok" ? "ok" : "error";
      return done({ status, envelope: reply.envelope, delta: reply.delta });
    },
  };
}

/** Imports each module in one Worker and checks the export and params, running no step. */
export async function inspectModules(
  items: InspectRequest["items"],
  options: InspectOptions = {},
): Promise<InspectItem[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_INSPECT_TIMEOUT_MS;
  const ignore: StepLog = () => {};
  const reply = await _exchange(
    { kind: "inspect", items },
    options.permissions ?? DEFAULT_STEP_PERMISSIONS,
    new AbortController().signal,
    ignore,
    timeoutMs,
  );
  if (typeof reply === "string" || reply.kind !== "inspected") {
    const why = reply === "timeout"
      ? `did not finish importing within ${timeoutMs / 1000} s (does its top-level code wait ` +
        `forever?)`
      : typeof reply === "string"
      ? reply
      : `unexpected "${reply.kind}" message`;
    return items.map(() => ({ ok: false, problem: "import", message: why }));
  }
  return reply.items;
}

/** Default limit for importing and inspecting a recipe's modules: 30 s. */
export const DEFAULT_INSPECT_TIMEOUT_MS = 30_000;

/** Options of module inspection. */
export interface InspectOptions {
  /** Permissions of the inspecting Worker. @default DEFAULT_STEP_PERMISSIONS */
  permissions?: Deno.PermissionOptionsObject;
  /** Give up (every item fails as an import problem) after this long. @default 30 s */
  timeoutMs?: number;
}

/**
 * Sends one request to a new Worker and waits for its answer. Returns the answer, "aborted",
 * "timeout", or a string describing how the Worker died.
 */
function _exchange(
  request: ToWorker,
  permissions: Deno.PermissionOptionsObject,
  signal: AbortSignal,
  onLog: StepLog,
  timeoutMs?: number,
): Promise<FromWorker | string> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve("aborted");
    const worker = new Worker(WORKER_URL, { type: "module", deno: { permissions } });
    const timer = timeoutMs === undefined
      ? undefined
      : setTimeout(() => finish("timeout"), timeoutMs);
    const finish = (value: FromWorker | string) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      worker.terminate();
      resolve(value);
    };
    const onAbort = () => finish("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      if (e.data?.kind === "log") onLog(e.data.stream, e.data.line);
      else finish(e.data);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      finish(`step crashed: ${e.message}`);
    };
    worker.onmessageerror = () => finish("step sent a message that could not be read");
    worker.postMessage(request);
  });
}
