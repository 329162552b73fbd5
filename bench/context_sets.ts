/**
 * @module
 * Workload 8 (in-process): 1,000,000 `Context.set` calls of small values (1,000 keys written
 * over and over, so the history grows to 1M entries), against the same loop over a plain Map.
 * Usage: `deno run -P=orch bench/context_sets.ts [N]`. Prints `{"orch_sets_per_s", "map_sets_per_s"}`.
 */
import { Context } from "../core/context.ts";

const n = Number(Deno.args[0] ?? 1_000_000);
const keys = Array.from({ length: 1000 }, (_, i) => `bench.key${i}_v1`);

const ctx = new Context();
let start = performance.now();
for (let i = 0; i < n; i++) ctx.set(keys[i % 1000], i, { who: "bench" });
const orchMs = performance.now() - start;
if (ctx.history().length !== n) throw new Error("history is missing writes");

const map = new Map<string, number>();
const history: { key: string; who: string }[] = [];
start = performance.now();
for (let i = 0; i < n; i++) {
  map.set(keys[i % 1000], i);
  history.push({ key: keys[i % 1000], who: "bench" });
}
const mapMs = performance.now() - start;
console.log(JSON.stringify({
  orch_sets_per_s: n / orchMs * 1000,
  map_sets_per_s: n / mapMs * 1000,
}));
