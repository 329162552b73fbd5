/**
 * @module
 * Builds a one-step Plan for `orch step MODULE --params ...`: the module goes through the same
 * allowlist and Worker inspection as a recipe step.
 */
import { StepLoadError, UsageError } from "../errors.ts";
import { DEFAULT_STEP_PERMISSIONS, inspectModules } from "../executors/deno_worker.ts";
import { resolveModule } from "../loader.ts";
import type { Plan } from "../plan.ts";
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
  const exportName = options.exportName ?? await _onlyScriptletExport(module.url, spec, name);
  const [found] = await inspectModules([{ moduleUrl: module.url, exportName, params }]);
  if (!found.ok) {
    if (found.problem === "params") {
      throw new UsageError(`invalid params for ${spec}: ${formatParamIssues(found.issues)}`);
    }
    throw new StepLoadError(`cannot load ${spec}: ${found.message}`, { step: name });
  }
  const locate = () => ({ line: 1, col: 1 });
  return {
    baseDir: options.baseDir,
    recipe: {
      file: spec,
      testMeta: { testId: `step:${name}`, tester: "", description: "" },
      steps: [],
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
      },
      module,
      permissions: DEFAULT_STEP_PERMISSIONS,
      description: found.description,
    }],
  };
}

/** Finds the module's single scriptlet export (inspection of an absent name lists them). */
async function _onlyScriptletExport(url: string, spec: string, name: string): Promise<string> {
  const [probe] = await inspectModules([{
    moduleUrl: url,
    exportName: "\u0000none",
    params: {},
  }]);
  const names = !probe.ok && probe.problem === "export" ? probe.scriptletExports : [];
  if (names.length === 1) return names[0];
  if (!probe.ok && probe.problem === "import") {
    throw new StepLoadError(`cannot import ${spec}: ${probe.message}`, { step: name });
  }
  throw new UsageError(
    names.length === 0
      ? `${spec} exports no scriptlet class`
      : `${spec} exports several scriptlets (${names.join(", ")})`,
    "name one with --function NAME",
  );
}
