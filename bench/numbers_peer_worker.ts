/**
 * @module
 * Worker half of numbers_peer.ts: imports the step module, runs the step against a plain map
 * and posts back the status and the writes.
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import type { ContextView } from "../core/context.ts";
import type { ScriptletClass } from "../core/scriptlet.ts";

self.onmessage = async (e: MessageEvent) => {
  const { moduleUrl, exportName, params, baseDir } = e.data;
  const cls: ScriptletClass = (await import(moduleUrl))[exportName];
  const step = new cls();
  step.step = { name: exportName, baseDir };
  const writes: Record<string, unknown> = {};
  const ctx = {
    get: (k: string) => writes[k],
    has: (k: string) => k in writes,
    keys: () => Object.keys(writes),
    set: (k: string, v: unknown) => void (writes[k] = v),
  } as ContextView;
  const envelope = await step.run(ctx, cls.params ? cls.params.parse(params) : params);
  self.postMessage({ status: envelope.status, writes });
};
