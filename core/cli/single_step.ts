/**
 * @module
 * Builds a one-step Plan for `orch step MODULE --params ...`: the module goes through the same
 * allowlist and Worker inspection as a recipe step.
 */
import { StepLoadError, UsageError } from "../errors.ts";
import { inspectModules } from "../executors/deno_worker.ts";
import { computeGrant } from "../permissions.ts";
import { resolveModule } from "../loader.ts";
import type { Plan } from "../plan.ts";
import { NO_RETRY } from "../recipe.ts";
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
      permissions: computeGrant(undefined, { baseDir: options.baseDir }).grant,
      description: found.description,
      deps: [],
      parallel: false,
    }],
  };
}
