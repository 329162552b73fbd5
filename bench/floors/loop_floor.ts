/**
 * @module
 * Floor for inline steps: imports the step module and calls each step's `run` in a loop in this
 * process, in the order a layered DAG allows, against a plain map. No orchestrator, no Worker.
 * Usage: `deno run -P=orch bench/floors/loop_floor.ts MODULE_URL N`. Prints
 * `{"run_ms": ..., "steps": N}`.
 */
import type { ContextView } from "../../core/context.ts";

const [moduleUrl, nText] = Deno.args;
const n = Number(nText);
const { Noop } = await import(moduleUrl);
const data = new Map<string, unknown>();
const ctx = {
  get: (k: string) => data.get(k),
  has: (k: string) => data.has(k),
  keys: () => [...data.keys()],
  set: (k: string, v: unknown) => void data.set(k, v),
} as unknown as ContextView;
const start = performance.now();
for (let i = 0; i < n; i++) {
  const envelope = await new Noop().run(ctx, {});
  if (envelope.status !== "ok") throw new Error("step failed");
}
console.log(JSON.stringify({ run_ms: performance.now() - start, steps: n }));
