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
import { isScriptletClass } from "../scriptlet.ts";
import type { FromWorker, InspectItem, InspectRequest, RunRequest, ToWorker } from "./protocol.ts";

const post = (msg: FromWorker) => self.postMessage(msg);

_captureConsole();
_forbidExit();

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  if (msg.kind === "run") post(await _run(msg));
  else if (msg.kind === "inspect") post({ kind: "inspected", items: await _inspect(msg) });
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
    if (!(item.exportName in mod)) {
      const exported = Object.keys(mod).filter((k) => isScriptletClass(mod[k]));
      out.push({
        ok: false,
        problem: "export",
        scriptletExports: exported,
        message: `has no export "${item.exportName}"` +
          (exported.length ? ` (scriptlet exports: ${exported.join(", ")})` : ""),
      });
      continue;
    }
    const cls = mod[item.exportName];
    if (!isScriptletClass(cls)) {
      out.push({
        ok: false,
        problem: "not-scriptlet",
        message: `export "${item.exportName}" is a ${typeof cls}, not a class extending ` +
          `BaseScriptlet`,
      });
      continue;
    }
    const checked = checkParams(cls.params, item.params);
    if (!checked.ok) out.push({ ok: false, problem: "params", issues: checked.issues });
    else out.push({ ok: true, description: cls.description });
  }
  return out;
}

function _failed(step: string, reason: string): FromWorker {
  return {
    kind: "result",
    envelope: { status: "error", reason, exit_code: 1, step },
    delta: { writes: [] },
  };
}

/** Routes console.* to the runner as log lines (stdout-ish calls are marked as such). */
function _captureConsole(): void {
  const format = (args: unknown[]) =>
    args.map((a) => typeof a === "string" ? a : Deno.inspect(a, { colors: false })).join(" ");
  const to = (stream: "stdout" | "stderr") => (...args: unknown[]) => {
    for (const line of format(args).split("\n")) post({ kind: "log", stream, line });
  };
  const c = globalThis.console as unknown as Record<string, unknown>;
  for (const name of ["log", "info", "debug", "table", "dir"]) c[name] = to("stdout");
  for (const name of ["warn", "error", "trace"]) c[name] = to("stderr");
}

/** `Deno.exit` in a step would silently end the Worker; make it a step failure instead. */
function _forbidExit(): void {
  (Deno as unknown as { exit: (code?: number) => never }).exit = (code?: number): never => {
    throw new Error(`step called Deno.exit(${code ?? 0}); return an envelope instead`);
  };
}
