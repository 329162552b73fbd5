/**
 * @module
 * The library's entry points, wiring the phases together: find the recipe, load and validate
 * it, plan it, execute it. The CLI and `mod.ts` both go through here.
 */
import { Context } from "./context.ts";
import { StepFailedError, UsageError } from "./errors.ts";
import { ORCH_ROOT } from "./loader.ts";
import { type Plan, type PlanOptions, planRun } from "./plan.ts";
import type { DenoWorkerExecutor } from "./executors/deno_worker.ts";
import { stepExecutor } from "./executors/by_type.ts";
import { loadRecipe } from "./recipe.ts";
import type { PermissionSpec } from "./permissions.ts";
import { type ExecuteOptions, executePlan, type RunResult } from "./runner.ts";
import { type Isolation, withIsolation } from "./isolation.ts";

/** Options shared by validate and run. */
export interface RecipeOptions {
  /** Directory relative paths (recipe, modules, params) resolve against. @default Deno.cwd() */
  baseDir?: string;
  /** Extra allowed module roots (operator only). @default [] */
  allowModules?: string[];
  /** Refuse larger recipe files. @default 32 MiB */
  maxRecipeBytes?: number;
  /** The operator's permission ceiling. @default what this process was started with */
  maxPermissions?: PermissionSpec;
}

/**
 * Options of a run: the recipe's, the runner's (ExecuteOptions: context, events, signal, executor,
 * concurrency, selection, journal, cache, committed steps, run id), and two of its own.
 */
export interface RunOptions extends RecipeOptions, ExecuteOptions {
  /** Receives context warnings (e.g. unversioned keys) of the new context. @default ignored */
  onWarning?: (message: string) => void;
  /** `inline`: run deno steps in this process where they may (see isolation.ts). @default worker */
  isolation?: Isolation;
}

/**
 * Finds a recipe file: relative to `baseDir` first; failing that, a relative path is looked up
 * in orch's own install (the built-in recipes, also inside a compiled binary), and then that
 * install is the base directory for the recipe's relative paths. The returned `file` can be read
 * as it is: resolved against `baseDir`, kept as given only when `baseDir` is the process's current
 * directory (so messages name the file as the user wrote it).
 */
export async function findRecipe(
  path: string,
  baseDir: string,
): Promise<{ file: string; baseDir: string }> {
  const local = path.startsWith("/") ? path : `${baseDir}/${path}`;
  const file = baseDir === Deno.cwd() ? path : local; // as given only if that names local (baseDir)
  if (path.startsWith("/") || await pathExists(local)) return { file, baseDir };
  const builtin = `${ORCH_ROOT}/${path}`;
  if (await pathExists(builtin)) return { file: builtin, baseDir: ORCH_ROOT };
  return { file, baseDir }; // let loadRecipe report "file not found" on the baseDir's path
}

/** Loads, validates and plans a recipe; throws on any problem, runs nothing. */
export async function validateRecipeFile(path: string, options: RecipeOptions = {}): Promise<Plan> {
  return await _plan(path, options);
}

async function _plan(
  path: string,
  options: RecipeOptions,
  run?: { inspector?: PlanOptions["inspector"] }, // planning a run: it shows no params schemas
): Promise<Plan> {
  const found = await findRecipe(path, options.baseDir ?? Deno.cwd());
  const recipe = await loadRecipe(found.file, { maxBytes: options.maxRecipeBytes });
  return await planRun(recipe, {
    baseDir: found.baseDir,
    allowModules: options.allowModules ?? [],
    maxPermissions: options.maxPermissions,
    lockDir: options.baseDir ?? Deno.cwd(), // the project's orch.lock.json, not the recipe's dir
    inspector: run?.inspector,
    paramsSchemas: run === undefined,
  });
}

/** Validates then runs a recipe, returning the full result (a failed step is a result). */
export async function run(path: string, options: RunOptions = {}): Promise<RunResult> {
  // One Worker executor for both phases: the Workers that inspected the modules run the steps.
  const executor = options.executor ?? stepExecutor();
  let plan: Plan;
  try {
    // A Worker executor inspects too; any other executor (a test's fake) leaves it to planning.
    const inspector = "inspect" in executor ? executor as DenoWorkerExecutor : undefined;
    plan = await _plan(path, options, { inspector });
  } catch (err) {
    executor.close?.();
    throw err;
  }
  plan = withIsolation(plan, options.isolation);
  return await executePlan(plan, {
    ...options,
    context: options.context ?? new Context({ onWarning: options.onWarning }),
    executor,
  });
}

/**
 * Runs a recipe and returns its final context; throws StepFailedError when a step fails.
 * `const ctx = await runRecipe("recipes/example_numbers.yaml"); ctx.get("numbers.stats_v1")`
 */
export async function runRecipe(path: string, options: RunOptions = {}): Promise<Context> {
  const result = await run(path, options);
  if (result.status === "interrupted") throw new UsageError("run was interrupted");
  if (result.failed) {
    throw new StepFailedError(
      `step "${result.failed.step}" failed: ${result.failed.reason}`,
      result.failed.step,
    );
  }
  return result.context;
}

/** True when `p` exists (following symlinks). */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}
