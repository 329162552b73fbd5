/**
 * @module
 * A pool of step Workers, reused per (permission set, module set). Owns each Worker's life: it
 * starts one with exactly a step's grant from a generated entry that statically imports the
 * step modules, hands idle ones to the next attempt with the same key, and terminates any
 * Worker whose attempt was aborted, crashed, or left it unresponsive. Knows nothing of
 * envelopes or steps beyond the worker protocol; executors/deno_worker.ts builds on it.
 */
import type { ContextReader } from "../context.ts";
import type {
  ContextSync,
  FromWorker,
  InspectItem,
  InspectRequest,
  RunRequest,
} from "../worker/protocol.ts";

/** Starts a Worker from an entry module URL with a grant (a seam for tests). */
export type SpawnWorker = (entryUrl: string, permissions: Deno.PermissionOptionsObject) => Worker;

/** Options of a WorkerPool. */
export interface WorkerPoolOptions {
  /** Starts a Worker. @default `new Worker(url, { type: "module", deno: { permissions } })` */
  spawn?: SpawnWorker;
  /** Most idle Workers kept; the least recently used beyond it are terminated. @default 8 */
  maxIdle?: number;
  /**
   * A reused Worker that has not taken a request after this long (busy with work a previous
   * attempt left behind, or gone) is terminated and the attempt moves to a new Worker.
   * @default 1000
   */
  staleMs?: number;
}

/** One attempt to run in a pooled Worker. */
export interface PoolJob {
  /** The grant; kinds left out are denied. */
  permissions: Deno.PermissionOptionsObject;
  /** The request, without its attempt id and context sync (the pool adds them). */
  request: Omit<RunRequest, "id" | "ctx" | "taken">;
  /** The run's context; the Worker gets the writes its replica has not seen yet. */
  context: ContextReader;
}

/** How a pooled attempt ended. */
export type PoolReply =
  | Extract<FromWorker, { kind: "result" }>
  | { kind: "aborted" }
  | { kind: "died"; reason: string };

type Handler = { message(msg: FromWorker): void; death(reason: string): void };

interface Slot {
  worker: Worker;
  key: string;
  lastId: number;
  /** The context the Worker's replica copies (a pool may serve several runs), and its version. */
  ctxOwner?: ContextReader;
  ctxVersion: number;
  /** Set while an attempt runs. */
  handler?: Handler;
  /** The Worker writes the id of the attempt it took here (see RunRequest.taken). */
  taken: Int32Array;
}

const DEFAULTS = {
  spawn: (entryUrl, permissions) => new Worker(entryUrl, { type: "module", deno: { permissions } }),
  maxIdle: 8,
  staleMs: 1000,
} satisfies Required<WorkerPoolOptions>;

/** Step Workers reused per (permission set, module set). Call `close()` when done. */
export class WorkerPool {
  #options: Required<WorkerPoolOptions>;
  #workerUrl: URL;
  #idle: Slot[] = []; // least recently used first
  #closed = false;
  #started = 0;

  /** `workerUrl` is core/worker/step_worker.ts, which every Worker's entry imports. */
  constructor(workerUrl: URL, options: WorkerPoolOptions = {}) {
    this.#workerUrl = workerUrl;
    this.#options = { ...DEFAULTS, ...options };
  }

  /** How many Workers this pool has started. */
  get started(): number {
    return this.#started;
  }

  /** How many Workers wait idle. */
  get idle(): number {
    return this.#idle.length;
  }

  /** Runs one attempt in an idle Worker with the same key, or in a new one. */
  async run(
    job: PoolJob,
    signal: AbortSignal,
    onLog: (stream: "stdout" | "stderr", line: string) => void,
  ): Promise<PoolReply> {
    if (signal.aborted) return { kind: "aborted" };
    const permissions = exactGrant(job.permissions);
    const key = JSON.stringify([permissions, [job.request.moduleUrl]]);
    const reused = this.#takeIdle(key);
    if (reused) {
      const reply = await this.#attempt(reused, job, signal, onLog, this.#options.staleMs);
      if (reply !== "stale") return reply;
    }
    if (signal.aborted) return { kind: "aborted" };
    let slot: Slot;
    try {
      slot = this.#spawn(key, permissions, [job.request.moduleUrl]);
    } catch (err) {
      // e.g. a grant wider than this process's own permissions
      return { kind: "died", reason: `cannot start the step's Worker: ${(err as Error).message}` };
    }
    return await this.#attempt(slot, job, signal, onLog) as PoolReply;
  }

  /**
   * Inspects `items` of one module in a Worker holding `permissions` (the Worker a run of that
   * module with that grant will reuse). A module that fails to load, or does not answer within
   * `timeoutMs`, makes every item an import problem.
   */
  inspect(
    permissions: Deno.PermissionOptionsObject,
    moduleUrl: string,
    items: InspectRequest["items"],
    timeoutMs: number,
  ): Promise<InspectItem[]> {
    const grant = exactGrant(permissions);
    const key = JSON.stringify([grant, [moduleUrl]]);
    const problem = (message: string): InspectItem[] =>
      items.map(() => ({ ok: false, problem: "import", message }));
    let slot: Slot;
    try {
      slot = this.#takeIdle(key) ?? this.#spawn(key, grant, [moduleUrl]);
    } catch (err) {
      return Promise.resolve(problem(`cannot start a Worker: ${(err as Error).message}`));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(
        () =>
          end(
            problem(
              `did not finish importing within ${timeoutMs / 1000} s (does its top-level code ` +
                `wait forever?)`,
            ),
            false,
          ),
        timeoutMs,
      );
      const end = (result: InspectItem[], reusable: boolean) => {
        clearTimeout(timer);
        slot.handler = undefined;
        if (reusable) this.#release(slot);
        else this.#discard(slot);
        resolve(result);
      };
      slot.handler = {
        message: (msg) => {
          if (msg.kind === "inspected") end(msg.items, true);
          else if (msg.kind === "crashed") end(problem(msg.message), false);
        },
        death: (reason) => end(problem(reason), false),
      };
      slot.worker.postMessage({ kind: "inspect", items } satisfies InspectRequest);
    });
  }

  /** Terminates every idle Worker; Workers still running an attempt end with it. */
  close(): void {
    this.#closed = true;
    for (const slot of this.#idle.splice(0)) slot.worker.terminate();
  }

  #takeIdle(key: string): Slot | undefined {
    const i = this.#idle.findLastIndex((s) => s.key === key);
    return i < 0 ? undefined : this.#idle.splice(i, 1)[0];
  }

  #spawn(key: string, permissions: Deno.PermissionOptionsObject, modules: string[]): Slot {
    const worker = this.#options.spawn(workerEntry(this.#workerUrl, modules), permissions);
    this.#started++;
    const taken = new Int32Array(new SharedArrayBuffer(4));
    const slot: Slot = { worker, key, lastId: 0, ctxVersion: -1, taken };
    const died = (reason: string) => {
      if (slot.handler) slot.handler.death(reason);
      else this.#discard(slot);
    };
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      if (slot.handler) slot.handler.message(e.data);
      else if (e.data?.kind === "crashed") this.#discard(slot); // a stray error while idle
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      died(_oneLineError(e.message));
    };
    worker.onmessageerror = () => died("it sent a message that could not be read");
    return slot;
  }

  /** Sends one request; with `staleMs`, gives up ("stale") if the Worker does not take it. */
  #attempt(
    slot: Slot,
    job: PoolJob,
    signal: AbortSignal,
    onLog: (stream: "stdout" | "stderr", line: string) => void,
    staleMs?: number,
  ): Promise<PoolReply | "stale"> {
    return new Promise((resolve) => {
      const id = ++slot.lastId;
      const started = () => Atomics.load(slot.taken, 0) === id;
      const staleTimer = staleMs === undefined ? undefined : setTimeout(
        () => started() || end("stale", false),
        staleMs,
      );
      const end = (reply: PoolReply | "stale", reusable: boolean) => {
        clearTimeout(staleTimer);
        signal.removeEventListener("abort", onAbort);
        slot.handler = undefined;
        if (reusable) this.#release(slot);
        else this.#discard(slot);
        resolve(reply);
      };
      const onAbort = () => end({ kind: "aborted" }, false);
      signal.addEventListener("abort", onAbort, { once: true });
      slot.handler = {
        message: (msg) => {
          if (msg.kind === "crashed") {
            if (!started() && staleMs !== undefined) return end("stale", false); // leftovers
            const reason = started()
              ? `step crashed: ${msg.cause}: ${msg.message}`
              : `cannot load step module: ${msg.message}`;
            end({ kind: "died", reason }, false);
          } else if (!("id" in msg) || msg.id !== id) return; // late output of an earlier attempt
          else if (msg.kind === "log") onLog(msg.stream, msg.line);
          else if (msg.kind === "result") end(msg, true);
        },
        death: (reason) =>
          !started() && staleMs !== undefined ? end("stale", false) : end({
            kind: "died",
            reason: started()
              ? `step Worker stopped without posting a result: ${reason}`
              : `cannot load step module: ${reason}`,
          }, false),
      };
      const ctx = _sync(slot, job.context);
      slot.worker.postMessage({ ...job.request, id, ctx, taken: slot.taken } satisfies RunRequest);
    });
  }

  #release(slot: Slot): void {
    if (this.#closed) return slot.worker.terminate();
    this.#idle.push(slot);
    while (this.#idle.length > this.#options.maxIdle) this.#idle.shift()!.worker.terminate();
  }

  #discard(slot: Slot): void {
    const i = this.#idle.indexOf(slot);
    if (i >= 0) this.#idle.splice(i, 1);
    slot.worker.terminate();
  }
}

/** What the slot's replica needs to reach the context's current version; records it as sent. */
function _sync(slot: Slot, context: ContextReader): ContextSync {
  const version = context.version;
  const writes = slot.ctxOwner !== context || slot.ctxVersion < 0 || version < 0
    ? undefined
    : context.changesSince(slot.ctxVersion);
  slot.ctxOwner = context;
  slot.ctxVersion = version;
  return writes
    ? { kind: "changes", version, writes }
    : { kind: "full", version, data: context.snapshot() };
}

/**
 * The grant as given, with every kind it leaves out denied and lists sorted, so equal grants
 * share Workers and a Worker never inherits more than its step was granted.
 */
export function exactGrant(p: Deno.PermissionOptionsObject): Deno.PermissionOptionsObject {
  const out: Record<string, unknown> = {};
  for (const kind of ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const) {
    const v = p[kind] ?? false;
    out[kind] = Array.isArray(v) ? [...v].sort((a, b) => String(a).localeCompare(String(b))) : v;
  }
  return out as Deno.PermissionOptionsObject;
}

/**
 * The source of a Worker's entry as a data: URL: it statically imports the step Worker script
 * first (so console capture and the exit guard are in place before any step code runs), then the
 * step modules, and serves them. Static imports of a Worker's entry load without the Worker's
 * read grant; a dynamic import() would need it.
 */
export function workerEntry(workerUrl: URL, modules: string[]): string {
  const lines = [`import { serve } from ${JSON.stringify(workerUrl.href)};`];
  modules.forEach((url, i) => lines.push(`import * as m${i} from ${JSON.stringify(url)};`));
  const table = modules.map((url, i) => `${JSON.stringify(url)}: m${i}`).join(", ");
  lines.push(`serve({ ${table} });`);
  return `data:application/javascript,${encodeURIComponent(lines.join("\n"))}`;
}

/**
 * A Worker error's message on one line: Deno reports a module that fails to load with a code
 * frame and an `at file:line:col` line; keep the first line and that location.
 */
function _oneLineError(message: string): string {
  const lines = message.split("\n");
  const at = lines.map((l) => /^\s+at (?:.*\()?(\S+?:\d+:\d+)\)?$/.exec(l)?.[1]).find((a) => a);
  return at && !lines[0].includes(at) ? `${lines[0]} (at ${at})` : lines[0];
}
