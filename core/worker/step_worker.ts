/**
 * @module
 * The code every step Worker runs. The Worker's entry is a generated module that statically
 * imports this file and the step modules, then calls `serve(modules)`: static imports of the
 * entry load without the step's read grant, so a step granted only `read: [data]` still loads.
 *
 * Importing this file (first, before any step module) routes console.* and Deno.stdout/stderr
 * to the runner as log lines, so a step can never write to orch's stdout, and turns
 * `Deno.exit()`/`close()` into step failures and uncaught errors into a `crashed` message.
 *
 * A pooled Worker runs many attempts one after another. Each attempt gets a new scriptlet
 * instance and context; module-level state (top-level variables, globals a step sets, timers it
 * leaves running) survives into later attempts of the same Worker. Output printed before the
 * first attempt (a module's top-level code) belongs to the first attempt; output printed between
 * attempts is dropped, as it was when each attempt had its own Worker.
 *
 * The Worker keeps a replica of the run's context: each request carries only the writes made
 * since the Worker's previous attempt (or the whole data for a new Worker), so what crosses the
 * boundary per step does not grow with the context. Steps read the replica through their
 * StepContext (copies on read), and post back only their own delta.
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { describeThrown, invokeScriptlet, loadScriptlet } from "../invoke.ts";
import { checkParams } from "../params.ts";
import { isScriptletClass, type ScriptletClass } from "../scriptlet.ts";
import type { JsonValue } from "../context.ts";
import type {
  ContextSync,
  FromWorker,
  InspectItem,
  InspectRequest,
  RunRequest,
  ToWorker,
} from "./protocol.ts";

/** The modules a Worker's entry imported, by URL. */
export type StepModules = Record<string, Record<string, unknown>>;

const post = (msg: FromWorker) => self.postMessage(msg);

/** This Worker's copy of the run's context, as of its latest request. */
let replica = new Map<string, JsonValue>();

/** The attempt running now; undefined between attempts. */
let current: number | undefined;
/** Lines printed before the first attempt, given to it; undefined once it started. */
let preamble: { stream: "stdout" | "stderr"; line: string }[] | undefined = [];

const flushStreams = _captureConsole();
_forbidExit();
_reportCrashes();

/** Answers the runner's requests with the given statically imported modules. */
export function serve(modules: StepModules): void {
  self.onmessage = async (event: MessageEvent<ToWorker>) => {
    const msg = event.data;
    if (msg.kind === "inspect") {
      const items = await _inspect(msg, modules);
      flushStreams();
      return post({ kind: "inspected", items });
    }
    Atomics.store(msg.taken, 0, msg.id);
    current = msg.id;
    for (const { stream, line } of preamble ?? []) post({ kind: "log", id: msg.id, stream, line });
    preamble = undefined;
    const result = await _run(msg, modules);
    flushStreams();
    current = undefined;
    post({ kind: "result", id: msg.id, ...result });
  };
}

// Started directly as the Worker script (no generated entry): import step modules dynamically.
if (import.meta.main) serve({});

async function _run(
  msg: RunRequest,
  modules: StepModules,
): Promise<Omit<Extract<FromWorker, { kind: "result" }>, "kind" | "id">> {
  _catchUp(msg.ctx); // first: the runner counts this request as seen, whatever happens next
  const step = { name: msg.step, baseDir: msg.baseDir };
  const cls = await loadScriptlet(msg.moduleUrl, msg.exportName, modules[msg.moduleUrl]);
  if (typeof cls === "string") return _failed(msg.step, cls);
  return await invokeScriptlet(cls, {
    params: msg.params,
    snapshot: replica,
    step,
    onWarning: (m) => _log("stderr", `[warn] ${m}`),
  });
}

/** Brings the replica up to the request's context version. */
function _catchUp(sync: ContextSync): void {
  if (sync.kind === "full") replica = new Map(Object.entries(sync.data));
  else for (const [key, value] of sync.writes) replica.set(key, value);
}

/** Sends one line of the current attempt's output (see the module doc for other times). */
function _log(stream: "stdout" | "stderr", line: string): void {
  if (current !== undefined) post({ kind: "log", id: current, stream, line });
  else if (preamble) preamble.push({ stream, line });
}

async function _inspect(msg: InspectRequest, modules: StepModules): Promise<InspectItem[]> {
  const out: InspectItem[] = [];
  for (const item of msg.items) {
    let mod = modules[item.moduleUrl];
    try {
      mod ??= await import(item.moduleUrl);
    } catch (err) {
      out.push({ ok: false, problem: "import", message: describeThrown(err) });
      continue;
    }
    const exported = Object.keys(mod).filter((k) => isScriptletClass(mod[k]));
    const exportName = item.exportName ?? (exported.length === 1 ? exported[0] : undefined);
    if (exportName === undefined || !(exportName in mod)) {
      out.push({
        ok: false,
        problem: "export",
        scriptletExports: exported,
        message: exportName !== undefined
          ? `has no export "${exportName}"` +
            (exported.length ? ` (scriptlet exports: ${exported.join(", ")})` : "")
          : exported.length === 0
          ? "exports no scriptlet class"
          : `exports several scriptlets (${exported.join(", ")})`,
      });
      continue;
    }
    const cls = mod[exportName];
    if (!isScriptletClass(cls)) {
      out.push({
        ok: false,
        problem: "not-scriptlet",
        message: `export "${exportName}" is a ${typeof cls}, not a class extending ` +
          `BaseScriptlet`,
      });
      continue;
    }
    const checked = checkParams(cls.params, item.params);
    if (!checked.ok) out.push({ ok: false, problem: "params", issues: checked.issues });
    else {
      const paramsSchema = item.schema === false ? undefined : await _schemaOf(cls);
      out.push({
        ok: true,
        exportName,
        description: cls.description,
        paramsSchema,
        parallel: cls.parallel,
      });
    }
  }
  return out;
}

/** The params schema as JSON Schema (for `orch list`), or undefined when there is none. */
async function _schemaOf(cls: ScriptletClass): Promise<unknown> {
  if (!cls.params) return undefined;
  try {
    const { z } = await import("zod"); // the step module loaded zod already; this is cached
    return z.toJSONSchema(cls.params, { io: "input", unrepresentable: "any" });
  } catch {
    return undefined; // a schema JSON Schema cannot express is still checked, just not shown
  }
}

function _failed(step: string, reason: string) {
  return {
    envelope: { status: "error" as const, reason, exit_code: 1, step },
    delta: { writes: [] },
  };
}

/**
 * Routes console.* and writes to Deno.stdout/Deno.stderr to the runner as log lines, so nothing
 * a step prints reaches orch's stdout. Returns a function flushing unfinished lines.
 */
function _captureConsole(): () => void {
  const format = (args: unknown[]) =>
    args.map((a) => typeof a === "string" ? a : Deno.inspect(a, { colors: false })).join(" ");
  const to = (stream: "stdout" | "stderr") => (...args: unknown[]) => {
    for (const line of format(args).split("\n")) _log(stream, line);
  };
  const c = globalThis.console as unknown as Record<string, unknown>;
  for (const name of ["log", "info", "debug", "table", "dir"]) c[name] = to("stdout");
  for (const name of ["warn", "error", "trace"]) c[name] = to("stderr");
  const out = _lineStream("stdout");
  const err = _lineStream("stderr");
  const d = Deno as unknown as Record<string, unknown>;
  d.stdout = out.stream;
  d.stderr = err.stream;
  return () => {
    out.flush();
    err.flush();
  };
}

/** A stand-in for Deno.stdout/Deno.stderr that turns written bytes into log lines. */
function _lineStream(stream: "stdout" | "stderr") {
  const decoder = new TextDecoder();
  let pending = "";
  const take = (bytes: Uint8Array): number => {
    pending += decoder.decode(bytes, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) _log(stream, line);
    return bytes.byteLength;
  };
  const flush = () => {
    pending += decoder.decode();
    if (pending !== "") _log(stream, pending);
    pending = "";
  };
  return {
    flush,
    stream: {
      write: (bytes: Uint8Array) => Promise.resolve(take(bytes)),
      writeSync: take,
      writable: new WritableStream<Uint8Array>({ write: (chunk) => void take(chunk) }),
      isTerminal: () => false,
      close: () => {},
    },
  };
}

/**
 * `Deno.exit` or `close()` in a step would silently end the Worker and leave the runner waiting;
 * make them step failures instead.
 */
function _forbidExit(): void {
  (Deno as unknown as { exit: (code?: number) => never }).exit = (code?: number): never => {
    throw new Error(`step called Deno.exit(${code ?? 0}); return an envelope instead`);
  };
  (globalThis as unknown as { close: () => never }).close = (): never => {
    throw new Error("step called close() on its Worker; return an envelope instead");
  };
}

/**
 * An uncaught error or unhandled rejection (a step's stray timer, a promise nobody awaited) is
 * reported instead of killing the Worker silently; the runner fails the attempt, if one is
 * running, and does not reuse the Worker.
 */
function _reportCrashes(): void {
  self.addEventListener("error", (e: ErrorEvent) => {
    e.preventDefault();
    const message = e.error !== undefined ? describeThrown(e.error) : e.message;
    post({ kind: "crashed", cause: "uncaught error", message });
  });
  self.addEventListener("unhandledrejection", (e: PromiseRejectionEvent) => {
    e.preventDefault();
    post({
      kind: "crashed",
      cause: "unhandled promise rejection",
      message: describeThrown(e.reason),
    });
  });
}
