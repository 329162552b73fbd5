/**
 * @module
 * Worker half of worker_floor.ts: imports the step module once, runs each requested step
 * against a plain map and posts back its envelope and writes.
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import type { ContextView } from "../../core/context.ts";

const modules = new Map<
  string,
  Record<string, new () => { run(ctx: ContextView, p: unknown): unknown }>
>();

self.onmessage = async (e: MessageEvent) => {
  const { moduleUrl, exportName } = e.data;
  let mod = modules.get(moduleUrl);
  if (!mod) modules.set(moduleUrl, mod = await import(moduleUrl));
  const writes: [string, unknown][] = [];
  const ctx = {
    get: () => undefined,
    has: () => false,
    keys: () => [],
    set: (k: string, v: unknown) => void writes.push([k, v]),
  } as unknown as ContextView;
  const envelope = await new mod![exportName]().run(ctx, {});
  self.postMessage({ envelope, writes });
};
