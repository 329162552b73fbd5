/**
 * @module
 * The dry run: walks a Plan in run order and says, step by step, what a run would do: the
 * resolved module or command, the params with templates resolved as far as the context allows,
 * dependencies, permissions, retry and timeout, and whether the cache would replay the step.
 * Runs no step and writes nothing: no run directory, no journal, no cache entry or index (only
 * the cache's `lookup` and `explainMiss` are called). Rendering is the CLI's job.
 *
 * It does not drive `executePlan` with a recording executor: a step that does not run writes
 * nothing, so the runner would fail its `success` checks and skip its dependents, and a cache
 * hit there updates the cache index. Instead the dry run keeps a copy of the starting context,
 * applies the stored writes of each step the cache would replay, and marks the keys each step
 * that would run declares (`success.ctx_has_keys`) as not known yet. A template reading such a
 * key (or a key missing while an earlier step would still run, or `run.id`) stays as written
 * and is listed in `pending`; a cached step whose templates or `inputs.ctx` depend on one is
 * `would_hit: null` (undecided).
 */
import { pickKeys } from "./attempt_context.ts";
import { type CacheEntry, planStepId, replayedWrites, type StepCache } from "./cache.ts";
import { Context } from "./context.ts";
import type { Issue } from "./errors.ts";
import { fingerprint } from "./fingerprint.ts";
import { buildGraph } from "./graph.ts";
import type { JsonValue } from "./json_safe.ts";
import type { Plan, PlannedStep } from "./plan.ts";
import { type Selection, selectSteps } from "./scheduler.ts";
import { referenceWarnings, resolveStep } from "./step_templates.ts";
import { type Expression, keyCandidates } from "./template.ts";

/** Options of a dry run. */
export interface DryRunOptions extends Selection {
  /** The context a run would start from; it is copied, never changed. @default empty */
  context?: Context;
  /** The cache a run would use; absent: the run would use none. @default none */
  cache?: StepCache;
  /** Reads an environment variable for `env.NAME`. @default Deno.env.get */
  env?: (name: string) => string | undefined;
}

/** Whether the cache would replay a step with `cache_key`. */
export interface DryRunCache {
  /** The step's `cache_key` (resolved when its templates could be). */
  key: string;
  /** true: replayed; false: it would run; null: undecided before earlier steps run. */
  would_hit: boolean | null;
  /** The fingerprint, when it could be computed. */
  hash?: string;
  /** Why it would not hit, or why it is undecided. */
  reasons?: string[];
}

/** One step as the dry run sees it. */
export interface DryRunStep {
  /** The step's idx. */
  idx: number;
  /** The step's name. */
  name: string;
  /** The step type. */
  type: "deno" | "shell" | "python";
  /** deno: the module's real path; python: the dotted module. */
  module?: string;
  /** deno and python: the scriptlet class. */
  function?: string;
  /** shell: the argv it would start, templates resolved. */
  command?: string[];
  /** shell: extra environment variables; templates resolved. */
  env?: Record<string, string>;
  /** Working directory (shell and python). */
  cwd?: string;
  /** The args (deno and python params, shell argv entries), templates resolved where known. */
  params: JsonValue;
  /** Expressions left as written: their value is known only when the run gets there. */
  pending: string[];
  /** Why the step would fail before running (a template that cannot be resolved). */
  problem?: string;
  /** The steps it waits for. */
  depends_on: string[];
  /** The kinds granted, each `true` or a list (kinds not granted are left out). */
  permissions: Record<string, true | string[]>;
  /** The retry policy (delays in ms; `max_delay_ms` null when unbounded), null without retries. */
  retry: {
    max: number;
    delay_ms: number;
    backoff: number;
    max_delay_ms: number | null;
    on: string[];
  } | null;
  /** Deadline of one attempt, null without `timeout`. */
  timeout_ms: number | null;
  /** May run alongside other parallel steps. */
  parallel: boolean;
  /** null when the step has no `cache_key`. */
  cache: DryRunCache | null;
}

/** What a dry run found. */
export interface DryRunReport {
  /** The recipe file. */
  file: string;
  /** Its `test_meta.test_id`. */
  test_id: string;
  /** The selected steps, in run order. */
  steps: DryRunStep[];
  /** `ctx.` references no earlier step declares (see referenceWarnings). */
  warnings: Issue[];
}

/** Walks the plan's selected steps in run order without running any. */
export async function dryRun(plan: Plan, options: DryRunOptions = {}): Promise<DryRunReport> {
  const selected = new Set(selectSteps(plan.steps, options).map((p) => p.step.name));
  const byName = new Map(plan.steps.map((p) => [p.step.name, p]));
  const context = Context.fromJSON(options.context?.toJSON() ?? {});
  const sim = new _Simulation(plan, context, options);
  const steps: DryRunStep[] = [];
  for (const name of buildGraph(plan.recipe).order) {
    if (selected.has(name)) steps.push(await sim.step(byName.get(name)!));
  }
  const warnings = referenceWarnings(plan, options.context?.keys() ?? []);
  return { file: plan.recipe.file, test_id: plan.recipe.testMeta.testId, steps, warnings };
}

/** The context as a run would see it so far, and which keys are not known yet. */
class _Simulation {
  #plan: Plan;
  #context: Context;
  #options: DryRunOptions;
  /** Keys a step that would run declares: their values are known only after it ran. */
  #unknown = new Set<string>();
  /** Module source hashes, computed once per module (as the runner does). */
  #sources = new Map<string, Promise<string>>();
  #someWouldRun = false;

  constructor(plan: Plan, context: Context, options: DryRunOptions) {
    this.#plan = plan;
    this.#context = context;
    this.#options = options;
  }

  async step(planned: PlannedStep): Promise<DryRunStep> {
    const resolved = resolveStep(planned, {
      context: this.#context,
      recipe: this.#plan.recipe,
      env: this.#options.env,
      pending: (e) => this.#pending(e),
    });
    const shown = resolved.ok ? resolved.planned : planned;
    const pending = resolved.ok ? resolved.pending : [];
    const problem = resolved.ok ? undefined : resolved.reason;
    const cache = await this.#cache(shown, pending, problem);
    if (cache?.would_hit !== true) {
      this.#someWouldRun = true;
      for (const k of planned.step.success.ctxHasKeys) this.#unknown.add(k);
    }
    return {
      ..._describe(shown),
      pending,
      ...(problem ? { problem } : {}),
      cache,
    };
  }

  /** True when an expression's value is known only later in a real run. */
  #pending(e: Expression): boolean {
    if (e.root === "run") return true;
    if (e.root !== "ctx") return false;
    const candidates = keyCandidates(e);
    if (candidates.some((k) => this.#unknown.has(k))) return true;
    return this.#someWouldRun && !candidates.some((k) => this.#context.has(k));
  }

  async #cache(p: PlannedStep, pending: string[], problem?: string): Promise<DryRunCache | null> {
    const key = p.step.cacheKey;
    if (key === undefined) return null;
    const undecided = (reasons: string[]) => ({ key, would_hit: null, reasons });
    const cache = this.#options.cache;
    if (!cache) return { key, would_hit: false, reasons: ["the run would use no cache"] };
    if (problem) return undecided(["the step would fail before its cache lookup"]);
    if (pending.length > 0) {
      return undecided([
        `its templates read values known only during the run: ${pending.join(", ")}`,
      ]);
    }
    const unknown = (p.step.inputs?.ctx ?? []).filter((k) => this.#unknown.has(k));
    if (unknown.length > 0) {
      return undecided(unknown.map((k) => `ctx:${k} is written by a step that would run first`));
    }
    const fp = await fingerprint(p, {
      snapshot: pickKeys(this.#context, p.step.inputs?.ctx ?? []), // what the runner gives it
      sources: this.#sources,
      baseDir: this.#plan.baseDir,
    });
    const stored = await cache.lookup(fp.hash);
    const why = stored ? this.#replay(p, stored) : undefined;
    if (stored && why === undefined) return { key, would_hit: true, hash: fp.hash };
    const reasons = why
      ? [why]
      : await cache.explainMiss(planStepId(this.#plan, p.step.name), fp.parts);
    return { key, would_hit: false, hash: fp.hash, reasons };
  }

  /** Applies a stored result's writes as the runner would; returns why it cannot, or undefined. */
  #replay(p: PlannedStep, stored: CacheEntry) {
    const name = p.step.name;
    const writes = replayedWrites(stored, name);
    const missing = p.step.success.ctxHasKeys.filter((k) =>
      !writes.some((w) => w.key === k) && !this.#context.has(k)
    );
    if (missing.length > 0) {
      return `the stored result could not be replayed: it lacks ${missing.join(", ")}`;
    }
    try {
      this.#context.apply({ writes }, { step: name });
    } catch (err) {
      return `the stored result could not be replayed: ${(err as Error).message}`;
    }
    for (const w of writes) this.#unknown.delete(w.key);
    return undefined;
  }
}

/** The parts of a dry-run step that come from the plan alone. */
function _describe(p: PlannedStep): Omit<DryRunStep, "pending" | "problem" | "cache"> {
  const { step, target } = p;
  const retry = step.retry.max === 0 ? null : {
    max: step.retry.max,
    delay_ms: step.retry.delayMs,
    backoff: step.retry.backoff,
    max_delay_ms: Number.isFinite(step.retry.maxDelayMs) ? step.retry.maxDelayMs : null,
    on: step.retry.on,
  };
  const what = target.type === "deno"
    ? { module: p.module?.path ?? step.type, function: target.exportName }
    : target.type === "shell"
    ? { command: target.command, env: target.env, cwd: target.cwd }
    : { module: target.module, function: target.function, cwd: target.cwd };
  return {
    idx: step.idx,
    name: step.name,
    type: step.type,
    ...what,
    params: step.args as JsonValue,
    depends_on: p.deps,
    permissions: _granted(p.permissions),
    retry,
    timeout_ms: step.timeoutMs ?? null,
    parallel: p.parallel,
  };
}

/** The kinds a grant allows: `true` or the list; denied kinds and `import` left out. */
function _granted(grant: Deno.PermissionOptionsObject): Record<string, true | string[]> {
  const out: Record<string, true | string[]> = {};
  for (const [kind, v] of Object.entries(grant)) {
    if (kind === "import" || v === false || v === undefined || v === "inherit") continue;
    if (v === true) out[kind] = true;
    else if (Array.isArray(v) && v.length > 0) out[kind] = v.map(String);
  }
  return out;
}
