/**
 * @module
 * Turns a validated recipe into a Plan: each step's module resolved inside the allowlist, its
 * export and params checked in a Worker, its permissions fixed. Decides what runs, in which
 * order; does not run anything. Collects every problem before failing.
 */
import {
  byPosition,
  type Issue,
  RecipeValidationError,
  stepIssue,
  StepLoadError,
} from "./errors.ts";
import {
  DEFAULT_INSPECT_TIMEOUT_MS,
  type DenoWorkerExecutor,
  denoWorkerExecutor,
  inspectModules,
} from "./executors/deno_worker.ts";
import { exactGrant } from "./executors/worker_pool.ts";
import type { InspectItem, InspectRequest } from "./worker/protocol.ts";
import type { AttemptTarget } from "./executors/executor.ts";
import { type LoaderOptions, moduleResolver, type ResolvedModule } from "./loader.ts";
import type { Recipe, Step } from "./recipe.ts";
import { checkGrants, type PermissionSpec } from "./permissions.ts";
import { buildGraph } from "./graph.ts";
import { pinIssues } from "./pin.ts";
import { grantLinkIssues } from "./grant_links.ts";
import { templatedAt, templateIssues } from "./step_templates.ts";
import { memo } from "./memo.ts";

/** A step ready to run. */
export interface PlannedStep {
  /** The validated recipe step. */
  step: Step;
  /** A deno step's module, resolved inside the allowlist (absent for shell and python). */
  module?: ResolvedModule;
  /** What the executor runs, with paths resolved. */
  target: AttemptTarget;
  /** Deno permissions the step runs with. */
  permissions: Deno.PermissionOptionsObject;
  /** The scriptlet class's description, when it has one. */
  description?: string;
  /** The scriptlet's params as JSON Schema, when it declares a zod schema. */
  paramsSchema?: unknown;
  /** Names of the steps this one waits for (resolved: implicit "previous by idx" included). */
  deps: string[];
  /** May run alongside other steps: recipe `parallel:` or the class's `static parallel`. */
  parallel: boolean;
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
  /**
   * The operator's permission ceiling (`--max-permissions`); recipe and step grants must lie
   * within it. @default what this process was started with
   */
  maxPermissions?: PermissionSpec;
  /**
   * Inspects modules in the Workers the run will reuse. @default a Worker executor of its own,
   * closed when planning ends
   */
  inspector?: Pick<DenoWorkerExecutor, "inspect" | "close">;
  /** Where `orch.lock.json` (pinned step modules, see pin.ts) is looked for. @default baseDir */
  lockDir?: string;
  /**
   * Describe each step's params as JSON Schema (`PlannedStep.paramsSchema`, shown by `orch
   * list`); a run passes false, as it never shows them. @default true
   */
  paramsSchemas?: boolean;
}

/** Resolves and inspects every step; throws RecipeValidationError listing all problems. */
export async function planRun(recipe: Recipe, options: PlanOptions): Promise<Plan> {
  const issues: Issue[] = [];
  const deps = _dependencies(recipe, issues);
  const { grants, issues: grantIssues } = checkGrants(recipe, {
    baseDir: options.baseDir,
    maxPermissions: options.maxPermissions,
  });
  issues.push(...grantIssues);
  issues.push(...templateIssues(recipe, grants));
  issues.push(...await grantLinkIssues(recipe, grants, grantIssues)); // links out of a grant
  const resolved: (ResolvedModule | undefined)[] = [];
  const targets: (AttemptTarget | undefined)[] = [];
  const resolve = await moduleResolver(options);
  let external: typeof import("./external_target.ts") | undefined; // loaded by shell/python
  for (const [i, step] of recipe.steps.entries()) {
    if (step.type !== "deno") {
      resolved.push(undefined);
      const { externalTarget } = external ??= await import("./external_target.ts");
      targets.push(await externalTarget(step, grants[i], recipe, options.baseDir, issues));
      continue;
    }
    try {
      // Line and column only on failure: they cost a careful YAML parse (see yaml_source.ts).
      const module = await resolve(step.module, { file: recipe.file, step: step.name });
      resolved.push(module);
      targets.push({
        type: "deno",
        moduleUrl: module.url,
        exportName: step.function,
        ...(step.isolation === "inline" ? { isolation: "inline" as const } : {}),
      });
    } catch (err) {
      if (!(err instanceof StepLoadError)) throw err;
      issues.push(stepIssue(recipe, step, ["module"], `${err.message}; ${err.hint}`));
      resolved.push(undefined);
      targets.push(undefined);
    }
  }
  const pinned = await pinIssues({
    recipe,
    steps: recipe.steps.map((step, i) => ({
      step,
      modulePath: resolved[i]?.path,
      target: targets[i],
    })),
    baseDir: options.baseDir,
    allowModules: options.allowModules ?? [],
    lockDir: options.lockDir ?? options.baseDir,
  });
  if (pinned.length > 0) { // never import a module that fails its pin, not even to inspect it
    issues.push(...pinned);
    throw new RecipeValidationError(byPosition(issues));
  }
  const toInspect = recipe.steps.flatMap((step, i) =>
    resolved[i] && step.type === "deno" ? [{ step, module: resolved[i]!, grant: grants[i] }] : []
  );
  const found = await _inspect(
    toInspect.map(({ step, module, grant }) => ({
      grant: grantIssues.some((i) => i.step === step.name) ? undefined : grant,
      moduleUrl: module.url,
      item: {
        moduleUrl: module.url,
        exportName: step.function,
        params: step.args,
        ...(options.paramsSchemas === false ? { schema: false as const } : {}),
      },
    })),
    options,
  );
  const described = new Map<
    string,
    { description?: string; paramsSchema?: unknown; parallel?: boolean }
  >();
  found.forEach((item, i) => {
    const { step, module } = toInspect[i];
    if (item.ok) return described.set(step.name, item);
    if (item.problem === "params") {
      for (const p of item.issues) {
        if (templatedAt(step.args, p.path)) continue; // its type is known when the step starts
        issues.push(
          stepIssue(
            recipe,
            step,
            ["args", ...p.path],
            `invalid param for step "${step.name}": ${p.message}`,
          ),
        );
      }
      return;
    }
    const field = item.problem === "import" ? "module" : "function";
    const fix = item.problem === "import"
      ? "fix the module so it imports cleanly (run it standalone to see the error)"
      : `export a class extending BaseScriptlet named "${step.function}" from ${module.spec}`;
    issues.push(stepIssue(
      recipe,
      step,
      [field],
      `cannot load step "${step.name}": module "${module.spec}" ${
        item.problem === "import" ? `failed to import: ${item.message}` : item.message
      }; ${fix}`,
    ));
  });
  if (issues.length > 0) {
    // report in file order, not in the order the phases found them
    throw new RecipeValidationError(byPosition(issues));
  }
  return {
    recipe,
    baseDir: options.baseDir,
    steps: recipe.steps.map((step, i) => ({
      step,
      module: resolved[i],
      target: targets[i]!,
      permissions: grants[i],
      description: described.get(step.name)?.description,
      paramsSchema: described.get(step.name)?.paramsSchema,
      deps: deps.get(step.name) ?? [],
      parallel: step.parallel ?? described.get(step.name)?.parallel ?? false,
    })),
  };
}

/** The graph's resolved dependencies; its problems join the other phases' issues. */
function _dependencies(recipe: Recipe, issues: Issue[]): Map<string, string[]> {
  try {
    return buildGraph(recipe).deps;
  } catch (err) {
    if (!(err instanceof RecipeValidationError)) throw err;
    issues.push(...err.issues);
    return new Map();
  }
}

/**
 * Inspects each step's module in a Worker holding the step's grant, one request per (grant,
 * module), through the inspector whose pooled Workers the run reuses. A step whose grant was
 * refused is inspected read-only instead (its plan fails anyway; this still finds its other
 * problems).
 */
async function _inspect(
  jobs: {
    grant?: Deno.PermissionOptionsObject;
    moduleUrl: string;
    item: InspectRequest["items"][0];
  }[],
  options: PlanOptions,
): Promise<InspectItem[]> {
  const inspector = options.inspector ?? denoWorkerExecutor();
  const timeoutMs = options.inspectTimeoutMs ?? DEFAULT_INSPECT_TIMEOUT_MS;
  try {
    const groups = new Map<string, number[]>();
    const grantKeys = new Map<Deno.PermissionOptionsObject, string>(); // steps share grants
    jobs.forEach((job, i) => {
      const grant = job.grant;
      const key = grant
        ? `${memo(grantKeys, grant, () => JSON.stringify(exactGrant(grant)))}\n${job.moduleUrl}`
        : "";
      memo(groups, key, () => [] as number[]).push(i);
    });
    const out: InspectItem[] = new Array(jobs.length);
    await Promise.all([...groups].map(async ([key, indices]) => {
      // steps with the same export and args are inspected once (generated recipes repeat them)
      const unique = new Map<string, number>();
      const items: InspectRequest["items"] = [];
      const slot = indices.map((i) =>
        memo(unique, JSON.stringify([jobs[i].item.exportName, jobs[i].item.params]), () => {
          items.push(jobs[i].item);
          return items.length - 1;
        })
      );
      const first = jobs[indices[0]];
      const found = key === ""
        ? await inspectModules(items, { timeoutMs })
        : await inspector.inspect(first.grant!, first.moduleUrl, items, timeoutMs);
      indices.forEach((i, n) => out[i] = found[slot[n]]);
    }));
    return out;
  } finally {
    if (!options.inspector) inspector.close();
  }
}
