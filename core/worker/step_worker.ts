/**
 * @module
 * The script every step Worker runs. It imports the step module, runs one attempt through
 * `invokeScriptlet` and posts back the envelope and delta. Console output becomes log messages,
 * so a step can never write to orch's stdout.
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { describeThrown, invokeScriptlet } from "../invoke.ts";
import { checkParams } from "../params.ts";
import { isScriptletClass, type ScriptletClass } from "../scriptlet.ts";
import type { FromWorker, InspectItem, InspectRequest, RunRequest, ToWorker } from "./protocol.ts";

const post = (msg: FromWorker) => self.postMessage(msg);

const flushStreams = _captureConsole();
_forbidExit();

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  const reply = msg.kind === "run"
    ? await _run(msg)
    : { kind: "inspected" as const, items: await _inspect(msg) };
  flushStreams();
  post(reply);
};

async function _run(msg: RunRequest): Promise<FromWorker> {
  const step = { name: msg.step, baseDir: msg.baseDir };
  let mod: Record<string, unknown>;
  try {
    mod = await import(msg.moduleUrl);
  } catch (err) {
    return _failed(msg.step, `cannot import step module: ${describeThrown(err)}`);
  }
  const cls = mod[msg.exportName];
  if (!isScriptletClass(cls)) {
    return _failed(msg.step, `export "${msg.exportName}" is not a scriptlet class`);
  }
  const result = await invokeScriptlet(cls, {
    params: msg.params,
    snapshot: msg.snapshot,
    step,
    onWarning: (m) => post({ kind: "log", stream: "stderr", line: `[warn] ${m}` }),
  });
  return { kind: "result", ...result };
}

async function _inspect(msg: InspectRequest): Promise<InspectItem[]> {
  const out: InspectItem[] = [];
  for (const item of msg.items) {
    let mod: Record<string, unknown>;
    try {
      mod = await import(item.moduleUrl);
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
      const paramsSchema = await _schemaOf(cls);
      out.push({ ok: true, exportName, description: cls.description, paramsSchema });
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

function _failed(step: string, reason: string): FromWorker {
  return {
    kind: "result",
    envelope: { status: "error", reason, exit_code: 1, step },
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
    for (const line of format(args).split("\n")) post({ kind: "log", stream, line });
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
    for (const line of lines) post({ kind: "log", stream, line });
    return bytes.byteLength;
  };
  const flush = () => {
    pending += decoder.decode();
    if (pending !== "") post({ kind: "log", stream, line: pending });
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
