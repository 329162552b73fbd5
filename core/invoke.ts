/**
 * @module
 * Runs one attempt of one scriptlet against a context snapshot and returns its envelope and
 * delta. Never throws: every failure becomes an error envelope with an empty delta. Used inside
 * the step Worker and by the standalone runner, so both behave the same.
 */
import { type ContextBase, type ContextDelta, type JsonValue, StepContext } from "./context.ts";
import { type Envelope, envelopeProblem, fail } from "./envelope.ts";
import { checkParams, formatParamIssues } from "./params.ts";
import { isScriptletClass, type ScriptletClass, type StepInfo } from "./scriptlet.ts";

/** Everything one attempt needs. */
export interface InvokeInput {
  params: unknown;
  /** The context the step reads: a snapshot, or a Map (a Worker's replica, a live view). */
  snapshot: Record<string, JsonValue> | ContextBase;
  step: StepInfo;
  onWarning?: (message: string) => void;
}

/** What one attempt produced. The delta is empty unless the envelope is ok. */
export interface InvokeResult {
  envelope: Envelope;
  delta: ContextDelta;
}

/** Runs validate + run, checks the envelope and that every listed output was written. */
export async function invokeScriptlet(
  cls: ScriptletClass,
  input: InvokeInput,
): Promise<InvokeResult> {
  const name = input.step.name;
  const failed = (reason: string, code = 1): InvokeResult => ({
    envelope: fail(name, reason, code),
    delta: { writes: [] },
  });
  const checked = checkParams(cls.params, input.params);
  if (!checked.ok) return failed(`invalid params: ${formatParamIssues(checked.issues)}`, 2);

  const ctx = new StepContext(input.snapshot, { who: name, onWarning: input.onWarning });
  let returned: unknown;
  try {
    const scriptlet = new cls();
    scriptlet.step = { ...input.step };
    await scriptlet.validate(ctx, checked.value as Record<string, unknown>);
    returned = await scriptlet.run(ctx, checked.value as Record<string, unknown>);
  } catch (err) {
    // the reason keeps one line; a longer message is shown whole on the step's stderr
    const message = err instanceof Error ? err.message : String(err);
    if (message.includes("\n")) input.onWarning?.(`${name} threw: ${message}`);
    return failed(describeThrown(err));
  }
  const problem = envelopeProblem(returned);
  if (problem) return failed(problem);
  const envelope = returned as Envelope;
  if (envelope.status === "error") {
    const code = Number.isInteger(envelope.exit_code) && envelope.exit_code !== 0
      ? envelope.exit_code
      : 1;
    return failed(envelope.reason, code);
  }
  const missing = envelope.outputs.filter((k) => !ctx.has(k));
  if (missing.length > 0) {
    return failed(`envelope lists outputs that were never written: ${missing.join(", ")}`);
  }
  return { envelope: { status: "ok", outputs: [...envelope.outputs] }, delta: ctx.delta() };
}

/**
 * The scriptlet class `exportName` of the module at `moduleUrl` (`loaded`: the module, already
 * imported), or the step's failure reason when it cannot be imported or is not one.
 */
export async function loadScriptlet(
  moduleUrl: string,
  exportName: string,
  loaded?: Record<string, unknown>,
): Promise<ScriptletClass | string> {
  let mod = loaded;
  try {
    mod ??= await import(moduleUrl) as Record<string, unknown>;
  } catch (err) {
    return `cannot import step module: ${describeThrown(err)}`;
  }
  const cls = mod[exportName];
  return isScriptletClass(cls) ? cls : `export "${exportName}" is not a scriptlet class`;
}

/** One line describing a thrown value, without a stack trace. Never throws. */
export function describeThrown(err: unknown): string {
  if (err instanceof Error) {
    const name = err.name && err.name !== "Error" ? `${err.name}: ` : "";
    // Deno reports a denied dynamic import as a TypeError with the permission wording
    if (err.name === "NotCapable" || _DENIED.test(err.message)) return _describeDenied(err.message);
    return _firstLine(`${name}${err.message}`);
  }
  if (typeof err === "string") return _firstLine(`threw ${err}`);
  try {
    return `threw ${JSON.stringify(err) ?? String(err)}`;
  } catch {
    return `threw a ${typeof err} that cannot be shown`; // BigInt, circular objects
  }
}

/**
 * Turns Deno's permission error (`Requires read access to "/etc/passwd", run again with the
 * --allow-read flag`) into a reason naming the denied access and the fix:
 * `read access to "/etc/passwd" denied; grant it in the step's permissions (read: [...])`.
 */
function _describeDenied(message: string): string {
  if (/escalate parent thread permissions/.test(message)) {
    return `permission denied: a step cannot start a Worker with more permissions than its own ` +
      `(${message})`;
  }
  const m = /Requires (\w+) access(?: to (.+?))?(?:, (?:run again|specify|which)\b.*)?\.?$/s
    .exec(message);
  if (!m) return `permission denied: ${message}`;
  const [, kind, target] = m;
  const denied = `${kind} access${target ? ` to ${target}` : ""} denied`;
  if (kind === "import") return `${denied}; steps cannot import remote modules`;
  return `${denied}; grant it in the step's permissions (${kind}: [...])`;
}

/** Deno's wording of a permission refusal, whatever the error's class. */
const _DENIED = /^Requires \w+ access\b/;

/** The first line of a thrown message (a reason is one line; no stack text reaches stdout). */
function _firstLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  const more = lines.length - 1;
  return more === 0 ? lines[0] : `${lines[0].trimEnd()} (+${more} line${more > 1 ? "s" : ""})`;
}
