/**
 * @module
 * Builds a one-step Plan for `orch step`: a deno module goes through the same allowlist and
 * Worker inspection as a recipe step; a shell or python step is a one-step recipe built from the
 * flags and planned like any recipe (same schema, contract and target checks); a recipe's step
 * (`--recipe R --name S`) is planned with its whole recipe, then run alone with `only`.
 */
import { type RecipeOptions, validateRecipeFile } from "../api.ts";
import { StepLoadError, UsageError } from "../errors.ts";
import { didYouMean } from "../suggest.ts";
import { inspectModules } from "../executors/deno_worker.ts";
import { computeGrant } from "../permissions.ts";
import { resolveModule } from "../loader.ts";
import { grantLinkChecker } from "../grant_links.ts";
import { modulePinProblems } from "../pin.ts";
import type { Plan } from "../plan.ts";
import { NO_RETRY, validateRecipe } from "../recipe.ts";
import { planRun } from "../plan.ts";
import type { JsonValue } from "../json_safe.ts";
import { formatParamIssues } from "../params.ts";

/** Options of a single-step plan. */
export interface SingleStepOptions {
  baseDir: string;
  allowModules: string[];
  exportName?: string;
  name?: string;
}

/** Resolves and inspects one module; throws StepLoadError or UsageError. */
export async function planSingleStep(
  spec: string,
  params: unknown,
  options: SingleStepOptions,
): Promise<Plan> {
  if (params === null || typeof params !== "object" || Array.isArray(params)) {
    throw new UsageError("--params must be a JSON object", `e.g. --params '{"src":"data/x.csv"}'`);
  }
  const fileName = spec.split("/").pop()!.replace(/\.[a-z]+$/, "");
  const name = options.name ?? fileName;
  const module = await resolveModule(spec, options, { step: name });
  const pinned = await modulePinProblems(module.path, { ...options, lockDir: options.baseDir });
  if (pinned.length > 0) throw new StepLoadError(pinned.join("; "), { step: name });
  const grant = computeGrant(undefined, { baseDir: options.baseDir }).grant;
  const [link] = await grantLinkChecker()(grant); // links leading out of the default grant
  if (link) throw new StepLoadError(`step "${name}" ${link.message}`, { step: name }, link.hint);
  const [found] = await inspectModules([{
    moduleUrl: module.url,
    exportName: options.exportName,
    params,
  }]);
  if (!found.ok) {
    if (found.problem === "params") {
      throw new UsageError(`invalid params for ${spec}: ${formatParamIssues(found.issues)}`);
    }
    if (found.problem === "export" && options.exportName === undefined) {
      throw new UsageError(`${spec} ${found.message}`, "name one with --function NAME");
    }
    throw new StepLoadError(`cannot load ${spec}: ${found.message}`, { step: name });
  }
  const exportName = found.exportName;
  const locate = () => ({ line: 1, col: 1 });
  return {
    baseDir: options.baseDir,
    recipe: {
      file: spec,
      testMeta: { testId: `step:${name}`, tester: "", description: "" },
      steps: [],
      merge: "last_write_wins",
      locate,
    },
    steps: [{
      step: {
        index: 0,
        idx: 1,
        name,
        type: "deno",
        module: spec,
        function: exportName,
        args: params as Record<string, JsonValue>,
        success: { ctxHasKeys: [] },
        retry: NO_RETRY,
      },
      module,
      target: { type: "deno", moduleUrl: module.url, exportName },
      permissions: grant,
      description: found.description,
      deps: [],
      parallel: false,
    }],
  };
}

/** The fields of an external step given on the command line (as in a recipe). */
export type ExternalStepFields = Record<string, unknown> & { type: "shell" | "python" };

/**
 * Plans one shell or python step given by flags, as a one-step recipe. A shell step's executable
 * is granted `run` (the operator named it on the command line) besides the default read grant.
 */
export async function planExternalStep(
  fields: ExternalStepFields,
  options: SingleStepOptions,
): Promise<Plan> {
  const name = options.name ?? (fields.type === "shell" ? "shell_step" : "python_step");
  const step: Record<string, unknown> = { idx: 1, name, ...fields };
  if (fields.type === "shell") {
    const executable = typeof fields.script === "string" ? fields.script : "/bin/sh";
    step.permissions = { read: [options.baseDir], run: [executable] };
  }
  const value = {
    test_meta: { test_id: `step:${name}`, tester: "orch step", description: "one step" },
    steps: [step],
  };
  const recipe = validateRecipe({
    file: "(command line)",
    value,
    locate: () => ({ line: 1, col: 1 }),
  });
  return await planRun(recipe, { baseDir: options.baseDir, allowModules: options.allowModules });
}

/**
 * Plans a whole recipe (schema, modules, params, permissions) and checks that it has a step
 * `name`; run the plan with `only: [name]` to run that step alone (hermetic single-step runs).
 * `unknown` words the usage error of a missing step (a did-you-mean and the step list follow).
 */
export async function planRecipeStep(
  file: string,
  name: string,
  options: RecipeOptions,
  unknown = `--name "${name}" is not a step of ${file}`,
): Promise<Plan> {
  const plan = await validateRecipeFile(file, options);
  const names = plan.steps.map((p) => p.step.name);
  if (!names.includes(name)) {
    const hint = didYouMean(name, names);
    throw new UsageError(
      `${unknown}${hint ? ` (did you mean "${hint}"?)` : ""}`,
      `steps: ${names.join(", ")}`,
    );
  }
  return plan;
}
