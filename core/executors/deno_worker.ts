/**
 * @module
 * Runs TS steps in Web Workers started with exactly the step's grant, pooled per (grant, module)
 * so a short step does not pay for starting a Worker (see worker_pool.ts). An aborted, crashed
 * or unresponsive Worker is terminated, never reused. Also inspects modules (exports, params)
 * in a Worker, so validation never runs step code with the runner's permissions.
 */
import { snapshotReader } from "../context.ts";
import { fail } from "../envelope.ts";
import type { FromWorker, InspectItem, InspectRequest, ToWorker } from "../worker/protocol.ts";
import {
  cancelledOutcome,
  type Executor,
  type StepAttempt,
  type StepLog,
  type StepOutcome,
} from "./executor.ts";
import { type PoolReply, WorkerPool, type WorkerPoolOptions } from "./worker_pool.ts";

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

/** The Worker executor: an Executor whose pooled Workers `close()` releases. */
export interface DenoWorkerExecutor extends Executor {
  /** Terminates the idle Workers; call when the run ends (an idle Worker keeps Deno alive). */
  close(): void;
  /** How many Workers this executor has started (for tests and benchmarks). */
  readonly workersStarted: number;
  /**
   * Inspects items of one module in the pooled Worker a run with this grant will reuse, so
   * validation and the run share one Worker (and one import of the module).
   */
  inspect(
    permissions: Deno.PermissionOptionsObject,
    moduleUrl: string,
    items: InspectRequest["items"],
    timeoutMs?: number,
  ): Promise<InspectItem[]>;
}

/** Options of the Worker executor. */
export type DenoWorkerOptions = WorkerPoolOptions;

/** An executor running each attempt in a pooled Worker holding exactly the step's grant. */
export function denoWorkerExecutor(options: DenoWorkerOptions = {}): DenoWorkerExecutor {
  const pool = new WorkerPool(WORKER_URL, options);
  return {
    async run(attempt: StepAttempt, signal: AbortSignal, onLog: StepLog): Promise<StepOutcome> {
      const start = performance.now();
      const { target } = attempt;
      if (target.type !== "deno") {
        throw new Error(`the Worker executor runs deno steps, not ${target.type} steps`);
      }
      const reply = await pool.run(
        {
          permissions: attempt.permissions,
          request: {
            kind: "run",
            moduleUrl: target.moduleUrl,
            exportName: target.exportName,
            params: attempt.params,
            step: attempt.step,
            baseDir: attempt.baseDir,
          },
          context: attempt.context ?? snapshotReader(attempt.snapshot),
        },
        signal,
        onLog,
      );
      return { ..._outcome(attempt.step, reply, signal), durationMs: performance.now() - start };
    },
    inspect: (permissions, moduleUrl, items, timeoutMs = DEFAULT_INSPECT_TIMEOUT_MS) =>
      pool.inspect(permissions, moduleUrl, items, timeoutMs),
    close: () => pool.close(),
    get workersStarted() {
      return pool.started;
    },
  };
}

function _outcome(
  step: string,
  reply: PoolReply,
  signal: AbortSignal,
): Omit<StepOutcome, "durationMs"> {
  const none = { writes: [] };
  if (reply.kind === "aborted") return cancelledOutcome(step, signal);
  if (reply.kind === "died") {
    return { status: "error", envelope: fail(step, reply.reason), delta: none };
  }
  const status = reply.envelope.status === "ok" ? "ok" : "error";
  return { status, envelope: reply.envelope, delta: reply.delta };
}

/** Imports each module in one Worker and checks the export and params, running no step. */
export async function inspectModules(
  items: InspectRequest["items"],
  options: InspectOptions = {},
): Promise<InspectItem[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_INSPECT_TIMEOUT_MS;
  const reply = await _ask(
    { kind: "inspect", items },
    options.permissions ?? DEFAULT_STEP_PERMISSIONS,
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
 * Sends one request to a new Worker running step_worker.ts itself (it imports modules
 * dynamically, so it needs read access to them) and waits for the answer. Returns the answer,
 * "timeout", or a string describing how the Worker died. The Worker is always terminated.
 */
function _ask(
  request: ToWorker,
  permissions: Deno.PermissionOptionsObject,
  timeoutMs: number,
): Promise<FromWorker | string> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_URL, { type: "module", deno: { permissions } });
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    const finish = (value: FromWorker | string) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(value);
    };
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      if (e.data?.kind === "crashed") finish(`${e.data.cause}: ${e.data.message}`);
      else if (e.data?.kind !== "log") finish(e.data);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      finish(`step crashed: ${e.message}`);
    };
    worker.onmessageerror = () => finish("step sent a message that could not be read");
    worker.postMessage(request);
  });
}
