/**
 * @module
 * `orch cache ls|clear|explain`: lists and clears the step cache of a state directory, and
 * explains whether a step would be replayed from it now and, if not, what changed.
 */
import { openCache, planStepId } from "../cache.ts";
import { readContextFile } from "../context_file.ts";
import { fingerprint } from "../fingerprint.ts";
import type { JsonValue } from "../json_safe.ts";
import { listRuns } from "./runs.ts";
import { planRecipeStep } from "./single_step.ts";

/** What `orch cache` prints. */
export type CacheReport = Record<string, unknown>;

/** Lists the stored entries (newest last). */
export async function cacheList(state: string): Promise<CacheReport> {
  const entries = await openCache(state).list();
  return {
    entries: entries.map((e) => ({
      hash: e.hash,
      step: e.step,
      recipe_step: e.stepId,
      created: e.created,
      keys: e.writes.map((w) => w.key),
    })),
  };
}

/** Removes every stored entry. */
export async function cacheClear(state: string): Promise<CacheReport> {
  return { removed: await openCache(state).clear() };
}

/**
 * Computes the step's fingerprint against a context (`--context FILE`, else the final context of
 * the latest run of this recipe in the state directory, else empty) and says whether the cache
 * holds it, or what changed since the step's last stored result.
 */
export async function cacheExplain(
  state: string,
  file: string,
  step: string,
  options: { baseDir: string; allowModules: string[]; contextFile?: string },
): Promise<CacheReport> {
  const plan = await planRecipeStep(file, step, options, `no step "${step}" in ${file}`);
  const planned = plan.steps.find((p) => p.step.name === step)!;
  if (planned.step.cacheKey === undefined) {
    return { step, cached: false, reasons: ["the step has no cache_key, so it is never cached"] };
  }
  const { snapshot, from } = await _snapshot(state, plan.recipe.file, options);
  const fp = await fingerprint(planned, { snapshot, baseDir: plan.baseDir });
  const cache = openCache(state);
  if (await cache.lookup(fp.hash)) {
    return { step, hash: fp.hash, hit: true, context_from: from };
  }
  const reasons = await cache.explainMiss(planStepId(plan, step), fp.parts);
  return { step, hash: fp.hash, hit: false, reasons, context_from: from };
}

async function _snapshot(
  state: string,
  recipe: string,
  options: { contextFile?: string },
): Promise<{ snapshot: Record<string, JsonValue>; from: string }> {
  if (options.contextFile) {
    return {
      snapshot: (await readContextFile(options.contextFile)).snapshot(),
      from: options.contextFile,
    };
  }
  const latest = (await listRuns(state, 50, { quiet: true })).find((r) =>
    r.recipe === recipe || r.recipe.endsWith(`/${recipe}`)
  );
  if (latest) {
    try {
      const file = `${state}/runs/${latest.run_id}/context.json`;
      return { snapshot: (await readContextFile(file)).snapshot(), from: file };
    } catch { /* no final context: fall through to empty */ }
  }
  return { snapshot: {}, from: "(empty context)" };
}
