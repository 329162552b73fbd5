/**
 * @module
 * The single-step commands: `step` (a module, a shell or python step, or one step of a recipe)
 * and `context merge` (joining the contexts of parallel branches).
 */
import type { ParseArgsConfig } from "node:util";
import { findRecipe } from "../api.ts";
import { readContextFile, writeContextFile } from "../context_file.ts";
import { Context } from "../context.ts";
import { MERGE_STRATEGIES, mergeContexts, type MergeStrategy } from "../context_merge.ts";
import type { Plan } from "../plan.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { executePlan } from "../runner.ts";
import { getLogger } from "../log.ts";
import { loadRecipe } from "../recipe.ts";
import {
  type ExternalStepFields,
  planExternalStep,
  planRecipeStep,
  planSingleStep,
} from "./single_step.ts";
import {
  type CliOutcome,
  consoleViewFor,
  jsonFlag,
  oneOf,
  onePositional,
  parseFlags,
  PLANNING,
  recipeOptions,
  startContext,
} from "./flags.ts";

/** The flags that give a step on the command line (its module form); `--recipe` takes none. */
const STEP_FORM = {
  type: { type: "string" },
  params: { type: "string" },
  function: { type: "string" },
  script: { type: "string" },
  run: { type: "string" },
  args: { type: "string" },
  env: { type: "string" },
  cwd: { type: "string" },
  module: { type: "string" },
  "python-path": { type: "string" },
  isolate: { type: "boolean" },
} satisfies NonNullable<ParseArgsConfig["options"]>;

export async function cmdStep(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, {
    ...PLANNING,
    ...STEP_FORM,
    recipe: { type: "string" },
    name: { type: "string" },
    context: { type: "string" },
    "context-in": { type: "string" },
    "context-out": { type: "string" },
    output: { type: "string", default: "prefixed" },
    "run-id": { type: "string" },
  });
  if (values.recipe !== undefined) return await _recipeStep(values, positionals);
  const type = oneOf(
    "--type",
    (values.type as string | undefined) ?? "deno",
    ["deno", "shell", "python"],
    "use --type deno, shell or python",
  );
  const params = jsonFlag(
    (values.params as string | undefined) ?? "{}",
    "--params",
    `'{"src":"data/numbers.csv"}'`,
  );
  return await _runStep(values, () => {
    const options = {
      ...recipeOptions(values),
      exportName: values.function as string | undefined,
      name: values.name as string | undefined,
    };
    if (type === "deno") {
      const spec = onePositional(positionals, undefined, "step");
      return planSingleStep(spec, params, options);
    }
    if (positionals.length > 0) {
      throw new UsageError(
        `a ${type} step takes no positional argument, got "${positionals[0]}"`,
        type === "shell" ? "use --script FILE or --run CMD" : "use --module M --function F",
      );
    }
    const fields: ExternalStepFields = type === "shell"
      ? {
        type,
        script: values.script,
        run: values.run,
        args: values.args === undefined
          ? undefined
          : jsonFlag(values.args as string, "--args", `'["a"]'`),
        env: values.env === undefined
          ? undefined
          : jsonFlag(values.env as string, "--env", `'{"K":"v"}'`),
        cwd: values.cwd,
      }
      : {
        type,
        module: values.module,
        function: values.function,
        args: params,
        python_path: (values["python-path"] as string | undefined)?.split(":").filter(Boolean),
        isolate: values.isolate,
      };
    for (const k of Object.keys(fields)) if (fields[k] === undefined) delete fields[k];
    return planExternalStep(fields, options);
  });
}

/** `orch step --recipe R --name S`: runs step S of recipe R alone (see HELP.step). */
async function _recipeStep(
  values: Record<string, unknown>,
  positionals: string[],
): Promise<CliOutcome> {
  const flagForm = Object.keys(STEP_FORM).filter((k) => values[k] !== undefined);
  if (positionals.length > 0 || flagForm.length > 0) {
    const extra = positionals.length > 0 ? `"${positionals[0]}"` : `--${flagForm[0]}`;
    throw new UsageError(
      `orch step --recipe takes the step from the recipe, not ${extra}`,
      "drop it, or run a module alone with orch step MODULE",
    );
  }
  const name = values.name as string | undefined;
  if (name === undefined) {
    throw new UsageError("orch step --recipe needs --name STEP", "see orch list RECIPE");
  }
  return await _runStep(
    values,
    () => planRecipeStep(values.recipe as string, name, recipeOptions(values)),
    name,
  );
}

/**
 * Runs one step: sets up --output's view and the starting context, plans (`plan`), runs the plan
 * (only step `only` of it when given). A failed step's envelope exits 1; a step that succeeded
 * writes --context-out and adds the context's keys to its envelope.
 */
async function _runStep(
  values: Record<string, unknown>,
  plan: () => Promise<Plan>,
  only?: string,
): Promise<CliOutcome> {
  const view = consoleViewFor(values.output as string);
  const context = await startContext(_contextIn(values), view);
  const result = await executePlan(await plan(), {
    context,
    onEvent: view,
    ...(only === undefined ? {} : { only: [only] }),
    runId: _runId(values),
  });
  const step = only === undefined ? result.steps[0] : result.steps.find((s) => s.name === only)!;
  if (result.failed || step.status !== "ok") {
    return { json: step.envelope, exitCode: result.failed?.exitCode ?? ExitCode.stepFailed };
  }
  if (values["context-out"]) await writeContextFile(values["context-out"] as string, context);
  return { json: { ...step.envelope, ctx_keys: context.keys() }, exitCode: ExitCode.ok };
}

/**
 * What `${{ run.id }}` resolves to in this step: `--run-id` (an exported workflow passes its
 * run's id, the same in every node); without it the step has no run id.
 */
function _runId(values: Record<string, unknown>): string | undefined {
  const id = values["run-id"] as string | undefined;
  if (id !== undefined && id.trim() === "") {
    throw new UsageError("--run-id is empty", "give the workflow run's id, e.g. --run-id 1234");
  }
  return id;
}

/** The starting context file of `step`: --context-in or its older name --context. */
function _contextIn(values: Record<string, unknown>): string | undefined {
  if (values.context !== undefined && values["context-in"] !== undefined) {
    throw new UsageError("--context and --context-in name the same file; give one");
  }
  return (values["context-in"] ?? values.context) as string | undefined;
}

/** `orch context merge A.json B.json ... -o OUT.json`: the fan-in of branches run apart. */
export async function cmdContext(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, {
    out: { type: "string", short: "o" },
    recipe: { type: "string" },
    merge: { type: "string" },
  });
  const [action, ...files] = positionals;
  if (action !== "merge" || files.length === 0) {
    throw new UsageError(
      `orch context takes merge FILE... -o OUT, got "${positionals.join(" ")}"`,
      "see orch context --help",
    );
  }
  const out = values.out as string | undefined;
  if (out === undefined) throw new UsageError("orch context merge needs -o OUT.json");
  const merge = await _mergeStrategy(values);
  const warn = getLogger("orch").warn;
  const branches = [];
  for (const file of files) branches.push((await readContextFile(file, warn)).toJSON());
  const merged = mergeContexts(branches, { merge, labels: files });
  const context = Context.fromJSON(merged);
  await writeContextFile(out, context);
  getLogger("orch").info(`merged ${files.length} context(s) (${merge}) into ${out}`);
  return { json: { status: "ok", file: out, merge, ctx_keys: context.keys() }, exitCode: 0 };
}

/** The merge strategy of `context merge`: --merge, the --recipe's context.merge, or the default. */
async function _mergeStrategy(values: Record<string, unknown>): Promise<MergeStrategy> {
  const flag = values.merge as string | undefined;
  const file = values.recipe as string | undefined;
  if (flag !== undefined && file !== undefined) {
    throw new UsageError("give --merge or --recipe, not both");
  }
  if (file !== undefined) {
    const options = recipeOptions(values);
    const found = await findRecipe(file, options.baseDir);
    return (await loadRecipe(found.file, { maxBytes: options.maxRecipeBytes })).merge;
  }
  if (flag === undefined) return "last_write_wins";
  return oneOf(
    "--merge",
    flag,
    MERGE_STRATEGIES,
    `use --merge ${MERGE_STRATEGIES.join(" or --merge ")}`,
  );
}
