/**
 * @module
 * The CLI's command table and error shaping, and the planning commands (validate, list, graph,
 * export, cache, schema). Each command parses its flags, calls the library and shapes its
 * outcome as the one JSON object main.ts prints plus an exit code.
 */
import { findRecipe, validateRecipeFile } from "../api.ts";
import {
  ExitCode,
  formatIssue,
  type Issue,
  issuesOf,
  OrchError,
  RecipeValidationError,
  UsageError,
} from "../errors.ts";
import { getLogger, stderrSink } from "../log.ts";
import { buildGraph, renderGraph } from "../graph.ts";
import { loadRecipe, recipeJsonSchema } from "../recipe.ts";
import { didYouMean } from "../suggest.ts";
import { stateDir } from "./runs.ts";
import { alignColumns } from "./table.ts";
import {
  type CliOutcome,
  oneOf,
  onePositional,
  parseFlags,
  PLANNING,
  recipeOptions,
} from "./flags.ts";
import { cmdRun, cmdRuns, cmdShow } from "./run_cmd.ts";
import { readContextFile, writeFileAtomic } from "../context_file.ts";

// Commands other than run load their modules when called: `orch run` starts faster without them
// (literal specifiers, so `deno compile` still embeds them).
const COMMANDS: Record<string, (args: string[]) => Promise<CliOutcome>> = {
  run: cmdRun,
  validate: cmdValidate,
  list: cmdList,
  graph: cmdGraph,
  step: async (args) => (await import("./step_cmd.ts")).cmdStep(args),
  schema: cmdSchema,
  runs: cmdRuns,
  show: cmdShow,
  report: async (args) => (await import("./report_cmd.ts")).cmdReport(args),
  cache: cmdCache,
  export: cmdExport,
  context: async (args) => (await import("./step_cmd.ts")).cmdContext(args),
  pin: async (args) => (await import("./pin_cmd.ts")).cmdPin(args),
  new: async (args) => (await import("./new_cmd.ts")).cmdNew(args),
};

/** Dispatches `args` to a command. */
export function runCli(args: string[]): Promise<CliOutcome> {
  const [name, ...rest] = args;
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (name.startsWith("-")) {
    throw new UsageError(
      `unknown option "${name}"; a command comes first`,
      `commands: ${Object.keys(COMMANDS).join(", ")}; see orch --help`,
    );
  }
  if (!cmd) {
    const hint = didYouMean(name, Object.keys(COMMANDS));
    throw new UsageError(
      `unknown command "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      `commands: ${Object.keys(COMMANDS).join(", ")}; see orch --help`,
    );
  }
  return cmd(rest);
}

/** Turns any thrown value into the error JSON line and exit code. */
export function errorResult(err: unknown): CliOutcome {
  if (err instanceof OrchError) {
    const issues = issuesOf(err);
    const log = getLogger("orch");
    for (const issue of issues ?? []) log.error(formatIssue(issue));
    if (!issues) log.error(err.message + (err.hint ? ` (${err.hint})` : ""));
    const json: Record<string, unknown> = {
      status: "error",
      reason: err.hint ? `${err.message}; ${err.hint}` : err.message,
      exit_code: err.exitCode,
    };
    if (err.where.step) json.step = err.where.step;
    if (issues) json.errors = issues.map(_issueJson);
    return { json, exitCode: err.exitCode };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  getLogger("orch").error(`internal error: ${message}`);
  return {
    json: { status: "error", reason: `internal error: ${message}`, exit_code: ExitCode.invalid },
    exitCode: ExitCode.invalid,
  };
}

async function cmdValidate(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, { ...PLANNING, context: { type: "string" } });
  if (positionals.length === 0) {
    throw new UsageError("validate needs at least one recipe", "orch validate RECIPE...");
  }
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const startKeys = values.context ? (await readContextFile(values.context as string)).keys() : [];
  const recipes: { file: string; steps: number }[] = [];
  const { referenceWarnings } = await import("../step_templates.ts");
  for (const file of positionals) {
    try {
      const plan = await validateRecipeFile(file, recipeOptions(values));
      recipes.push({ file, steps: plan.steps.length });
      warnings.push(...referenceWarnings(plan, startKeys));
    } catch (err) {
      const issues = issuesOf(err);
      if (!issues) throw err;
      errors.push(...issues.map((i) => ({ ...i, file: i.file ?? file })));
    }
  }
  for (const w of warnings) getLogger("orch").warn(formatIssue(w));
  if (errors.length > 0) throw new RecipeValidationError(errors);
  getLogger("orch").info(`${recipes.length} recipe(s) valid`);
  const warned = warnings.length > 0 ? { warnings: warnings.map(_issueJson) } : {};
  return { json: { status: "ok", recipes, ...warned }, exitCode: ExitCode.ok };
}

async function cmdList(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, PLANNING);
  const file = onePositional(positionals, undefined, "list");
  const plan = await validateRecipeFile(file, recipeOptions(values));
  const steps = plan.steps.map((p) => ({
    idx: p.step.idx,
    name: p.step.name,
    type: p.step.type,
    ...(p.step.type === "shell"
      ? { [p.step.script !== undefined ? "script" : "run"]: p.step.script ?? p.step.run }
      : { module: p.step.module, function: p.step.function }),
    args: p.step.args,
    depends_on: p.deps,
    ...(p.description ? { description: p.description } : {}),
    ...(p.paramsSchema ? { params: p.paramsSchema } : {}),
  }));
  for (const line of _table(steps)) stderrSink(line);
  return {
    json: { status: "ok", test_id: plan.recipe.testMeta.testId, steps },
    exitCode: ExitCode.ok,
  };
}

async function cmdGraph(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, {
    format: { type: "string", default: "mermaid" },
    out: { type: "string", short: "o" },
  });
  const file = onePositional(positionals, undefined, "graph");
  const format = oneOf(
    "--format",
    values.format as string,
    ["mermaid", "dot"],
    "use --format mermaid or --format dot",
  );
  // The graph needs the recipe and its dependencies only; the modules are `validate`'s job.
  const options = recipeOptions(values);
  const found = await findRecipe(file, options.baseDir);
  const recipe = await loadRecipe(found.file, { maxBytes: options.maxRecipeBytes });
  const text = renderGraph({ recipe, deps: buildGraph(recipe).deps }, format);
  const out = values.out as string | undefined;
  if (out === undefined) {
    return { json: { status: "ok", format, graph: text }, exitCode: ExitCode.ok };
  }
  await writeFileAtomic(out, text, `the graph to "${out}"`);
  getLogger("orch").info(`wrote the ${format} graph of ${recipe.steps.length} step(s) to ${out}`);
  return { json: { status: "ok", format, file: out }, exitCode: ExitCode.ok };
}

/** `orch export RECIPE --target argo|github-actions [-o FILE]` (see export_cmd.ts). */
async function cmdExport(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, {
    ...PLANNING,
    target: { type: "string" },
    out: { type: "string", short: "o" },
    image: { type: "string" },
    binary: { type: "string" },
    "recipe-path": { type: "string" },
  });
  const file = onePositional(positionals, undefined, "export");
  const { exportRecipe } = await import("./export_cmd.ts");
  const result = await exportRecipe({
    file,
    target: values.target as string | undefined,
    out: values.out as string | undefined,
    image: values.image as string | undefined,
    binary: values.binary as string | undefined,
    recipePath: values["recipe-path"] as string | undefined,
  }, recipeOptions(values));
  return { json: { status: "ok", ...result }, exitCode: ExitCode.ok };
}

async function cmdCache(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, {
    "state-dir": { type: "string" },
    context: { type: "string" },
  });
  const [action, ...rest] = positionals;
  const baseDir = Deno.cwd();
  const state = stateDir(values["state-dir"] as string | undefined, baseDir);
  const { cacheClear, cacheExplain, cacheList } = await import("./cache_cmd.ts");
  let report;
  if (action === "ls" && rest.length === 0) report = await cacheList(state);
  else if (action === "clear" && rest.length === 0) report = await cacheClear(state);
  else if (action === "explain" && rest.length === 2) {
    report = await cacheExplain(state, rest[0], rest[1], {
      ...recipeOptions(values),
      contextFile: values.context as string | undefined,
    });
  } else {
    throw new UsageError(
      `orch cache takes ls, clear or explain RECIPE STEP, got "${positionals.join(" ")}"`,
      "see orch cache --help",
    );
  }
  return { json: { status: "ok", ...report }, exitCode: ExitCode.ok };
}

function cmdSchema(args: string[]): Promise<CliOutcome> {
  parseFlags(args, {});
  return Promise.resolve({ json: recipeJsonSchema(), exitCode: ExitCode.ok });
}

/** One step as `orch list` shows it. */
interface ListedStep {
  idx: number;
  name: string;
  type: string;
  module?: string;
  function?: string;
  script?: string;
  run?: string;
  args: unknown;
  depends_on: string[];
}

/** The `list` table: a header and one aligned row per step. */
function _table(steps: ListedStep[]): string[] {
  const rows = [
    ["IDX", "NAME", "DEPENDS", "TYPE", "MODULE", "FUNCTION", "ARGS"],
    ...steps.map((s) => [
      String(s.idx),
      s.name,
      s.depends_on.join(",") || "-",
      s.type,
      s.module ?? s.script ?? s.run ?? "-",
      s.function ?? "-",
      JSON.stringify(s.args),
    ]),
  ];
  return alignColumns(rows);
}

function _issueJson(i: Issue): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ["file", "line", "col", "path", "step", "message"] as const) {
    if (i[k] !== undefined) out[k] = i[k];
  }
  return out;
}
