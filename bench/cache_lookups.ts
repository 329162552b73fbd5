/**
 * @module
 * Workload 9b (in-process): the cost of the cache look-ups of a fully cached rerun. Plans a
 * recipe whose steps all have `cache_key` (after a run filled the cache), then for each step
 * computes its fingerprint and looks it up, as the runner does before replaying a step.
 * Usage: `deno run -P=orch bench/cache_lookups.ts RECIPE STATE_DIR ALLOW_DIR`. Run from the
 * recipe's directory. Prints `{"us_per_step", "hits", "steps"}`.
 */
import { openCache } from "../core/cache.ts";
import { fingerprint } from "../core/fingerprint.ts";
import { planRun } from "../core/plan.ts";
import { loadRecipe } from "../core/recipe.ts";

const [recipeFile, stateDir, allow] = Deno.args;
const recipe = await loadRecipe(recipeFile);
const plan = await planRun(recipe, { baseDir: Deno.cwd(), allowModules: [allow] });
const cache = openCache(stateDir);
let hits = 0;
const sources = new Map<string, Promise<string>>();
const start = performance.now();
for (const planned of plan.steps) {
  const fp = await fingerprint(planned, { snapshot: {}, baseDir: plan.baseDir, sources });
  if (await cache.lookup(fp.hash)) hits++;
}
const ms = performance.now() - start;
console.log(
  JSON.stringify({ us_per_step: ms / plan.steps.length * 1000, hits, steps: plan.steps.length }),
);
