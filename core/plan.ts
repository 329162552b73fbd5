/**
 * @module
 * Turns a validated recipe into a Plan: each step's module resolved inside the allowlist, its
 * export and params checked in a Worker, its permissions fixed. Decides what runs, in which
 * order; does not run anything. Collects every problem before failing.
 */
import { type Issue, RecipeValidationError, StepLoadError } from "./errors.ts";
import { DEFAULT_STEP_PERMISSIONS, inspectModules } from "./executors/deno_worker.ts";
import { type LoaderOptions, moduleResolver, type ResolvedModule } from "./loader.ts";
import { formatPath, type Recipe, type Step } from "./recipe.ts";

/** A step ready to run. */
export interface PlannedStep {
  /** The validated recipe step. */
  step: Step;
  /** The step's module, resolved inside the allowlist. */
  module: ResolvedModule;
  /** Deno permissions the step runs with. */
  permissions: Deno.PermissionOptionsObject;
  /** The scriptlet class's description, when it has one. */
  description?: string;
  /** The scriptlet's params as JSON Schema, when it declares a zod schema. */
  paramsSchema?: unknown;
}

/** What `executePlan` runs. */
export interface Plan {
  /** The validated recipe being planned. */
  recipe: Recipe;
  /** Steps in run order (by idx). */
  steps: PlannedStep[];
  /** Directory relative paths in params resolve against. */
  baseDir: string;
}

/** Options of planning. */
export interface PlanOptions extends LoaderOptions {
  /** Limit for importing and inspecting the step modules. @default 30 s */
  inspectTimeoutMs?: number;
}

/** Resolves and inspects every step; throws RecipeValidationError listing all problems. */
export async function planRun(recipe: Recipe, options: PlanOptions): Promise<Plan> {
  const issues: Issue[] = [];
  const resolved: (ResolvedModule | undefined)[] = [];
  const resolve = await moduleResolver(options);
  for (const step of recipe.steps) {
    const where = _where(recipe, step, "module");
    try {
      resolved.push(await resolve(step.module, where));
    } catch (err) {
      if (!(err instanceof StepLoadError)) throw err;
      issues.push({ ...where, message: `${err.message}; ${err.hint}` });
      resolved.push(undefined);
    }
  }
  const toInspect = recipe.steps.flatMap((step, i) =>
    resolved[i] ? [{ step, module: resolved[i]! }] : []
  );
  const found = await inspectModules(
    toInspect.map(({ step, module }) => ({
      moduleUrl: module.url,
      exportName: step.function,
      params: step.args,
    })),
    { timeoutMs: options.inspectTimeoutMs },
  );
  const described = new Map<string, { description?: string; paramsSchema?: unknown }>();
  found.forEach((item, i) => {
    const { step, module } = toInspect[i];
    if (item.ok) return described.set(step.name, item);
    if (item.problem === "params") {
      for (const p of item.issues) {
        const path = ["steps", step.index, "args", ...p.path];
        issues.push({
          file: recipe.file,
          ...recipe.locate(path),
          path: formatPath(path),
          step: step.name,
          message: `invalid param for step "${step.name}": ${p.message}`,
        });
      }
      return;
    }
    const field = item.problem === "import" ? "module" : "function";
    const fix = item.problem === "import"
      ? "fix the module so it imports cleanly (run it standalone to see the error)"
      : `export a class extending BaseScriptlet named "${step.function}" from ${module.spec}`;
    issues.push({
      ..._where(recipe, step, field),
      message: `cannot load step "${step.name}": module "${module.spec}" ${
        item.problem === "import" ? `failed to import: ${item.message}` : item.message
      }; ${fix}`,
    });
  });
  if (issues.length > 0) {
    // report in file order, not in the order the phases found them
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
    throw new RecipeValidationError(issues);
  }
  return {
    recipe,
    baseDir: options.baseDir,
    steps: recipe.steps.map((step, i) => ({
      step,
      module: resolved[i]!,
      permissions: DEFAULT_STEP_PERMISSIONS,
      description: described.get(step.name)?.description,
      paramsSchema: described.get(step.name)?.paramsSchema,
    })),
  };
}

function _where(recipe: Recipe, step: Step, field: string) {
  const path = ["steps", step.index, field];
  return { file: recipe.file, ...recipe.locate(path), path: formatPath(path), step: step.name };
}
