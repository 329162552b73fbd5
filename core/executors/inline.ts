/**
 * @module
 * Runs TS steps in orch's own process (`isolation: inline`, or `orch run --isolation inline`):
 * no Worker, no message, no copy of the context. For trusted steps that need neither a timeout
 * nor narrowed permissions: an inline step has orch's permissions, shares its globals, prints
 * straight to orch's console, and cannot be stopped mid-run. The module is imported once per
 * run. Steps read the live context (copies of values, as always); writes still go to the step's
 * own delta, which the runner commits only when the step succeeded. Does not pick which steps
 * run inline: `isolation.ts` and the recipe do.
 */
import type { ContextBase } from "../context.ts";
import { fail } from "../envelope.ts";
import { invokeScriptlet, loadScriptlet } from "../invoke.ts";
import type { ScriptletClass } from "../scriptlet.ts";
import {
  cancelledOutcome,
  type Executor,
  type StepAttempt,
  type StepLog,
  type StepOutcome,
} from "./executor.ts";
import { memo } from "../memo.ts";

/** An executor running deno steps in this process. */
export function inlineExecutor(): Executor {
  const classes = new Map<string, Promise<ScriptletClass | string>>();
  const load = (moduleUrl: string, exportName: string) =>
    memo(classes, `${moduleUrl}#${exportName}`, () => loadScriptlet(moduleUrl, exportName));
  return {
    async run(attempt: StepAttempt, signal: AbortSignal, onLog: StepLog): Promise<StepOutcome> {
      const start = performance.now();
      const { target, step } = attempt;
      if (target.type !== "deno") {
        throw new Error(`the inline executor runs deno steps, not ${target.type} steps`);
      }
      const none = { writes: [] };
      if (signal.aborted) return { ...cancelledOutcome(step, signal), durationMs: 0 };
      const cls = await load(target.moduleUrl, target.exportName);
      const result = typeof cls === "string"
        ? { envelope: fail(step, cls), delta: none }
        : await invokeScriptlet(cls, {
          params: attempt.params,
          snapshot: _base(attempt),
          step: { name: step, baseDir: attempt.baseDir },
          onWarning: (m) => onLog("stderr", `[warn] ${m}`),
        });
      const status = result.envelope.status === "ok" ? "ok" : "error";
      return { status, ...result, durationMs: performance.now() - start };
    },
  };
}

/** What the step reads: the live context when the runner offers it, else the snapshot. */
function _base(attempt: StepAttempt): ContextBase | StepAttempt["snapshot"] {
  return attempt.context?.live?.() ?? attempt.snapshot;
}
