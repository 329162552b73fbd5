/**
 * @module
 * Workload 9b (in-process): the cost of the cache look-ups of a fully cached rerun. Plans a
 * recipe whose steps all have `cache_key` (after a run filled the cache), then for each step
 * computes its fingerprint and looks it up, as the runner does before replaying a step; the two
 * are timed apart (every fingerprint, then every look-up). Usage: `deno run -P=orch bench/cache_lookups.ts RECIPE STATE_DIR ALLOW_DIR`. Run from the
 * recipe's directory. Prints `{"fingerprint_us", "lookup_us", "us_per_step", "hits", "steps"}`.
 */
import { openCache } from "../core/cache.ts";
import { fingerprint } from "../core/fingerprint.ts";
import { planRun } from "../core/plan.ts";
import { loadRecipe } from "../core/recipe.ts";

const [recipeFile, stateDir, allow] = Deno.args;
const recipe = await loadRecipe(recipeFile);
const plan = await planRun(recipe, { baseDir: Deno.cwd(), allowModules: [allow] });
const cache = openCache(stateDir);
const sources = new Map<string, Promise<string>>();
const t0 = performance.now();
const prints = [];
for (const planned of plan.steps) {
  prints.push(await fingerprint(planned, { snapshot: {}, baseDir: plan.baseDir, sources }));
}
const t1 = performance.now();
let hits = 0;
for (const fp of prints) if (await cache.lookup(fp.hash)) hits++;
const t2 = performance.now();
const per = (ms: number) => ms / plan.steps.length * 1000;
console.log(JSON.stringify({
  fingerprint_us: per(t1 - t0),
  lookup_us: per(t2 - t1),
  us_per_step: per(t2 - t0),
  hits,
  steps: plan.steps.length,
}));
