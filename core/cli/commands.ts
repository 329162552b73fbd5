/**
 * @module
 * The CLI commands (run, validate, list, graph, step, schema): parse flags, call the library, and
 * shape each outcome as the one JSON object main.ts prints plus an exit code.
 */
import { cacheClear, cacheExplain, cacheList } from "./cache_cmd.ts";
import { exportRecipe } from "./export_cmd.ts";
import { openCache } from "../cache.ts";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { findRecipe, run, validateRecipeFile } from "../api.ts";
import { readContextFile, writeContextFile } from "../context_file.ts";
import { Context } from "../context.ts";
import { mergeContexts, type MergeStrategy } from "../context_merge.ts";
import {
  ExitCode,
  formatIssue,
  type Issue,
  issuesOf,
  OrchError,
  RecipeValidationError,
  UsageError,
} from "../errors.ts";
import { parseMaxPermissions } from "../permissions.ts";
import { executePlan } from "../runner.ts";
import { getLogger, stderrSink, useColor } from "../log.ts";
import { buildGraph, renderGraph } from "../graph.ts";
import { loadRecipe, recipeJsonSchema } from "../recipe.ts";
import { didYouMean } from "../suggest.ts";
import { type ConsoleView, consoleView, OUTPUT_MODES, type OutputMode } from "./console_view.ts";
import { listRuns, openRun, runDir, showRun, stateDir } from "./runs.ts";
import {
  type ExternalStepFields,
  planExternalStep,
  planRecipeStep,
  planSingleStep,
} from "./single_step.ts";

/** What main.ts prints and exits with. */
export interface CliOutcome {
  json: unknown;
  exitCode: number;
}

const COMMON: ParseArgsConfig["options"] = {
  "allow-module": { type: "string", multiple: true },
  "max-recipe-bytes": { type: "string" },
};

/** Options of the commands that plan a whole recipe (run, validate, list). */
const PLANNING: NonNullable<ParseArgsConfig["options"]> = {
  "max-permissions": { type: "string" },
};

const COMMANDS: Record<string, (args: string[]) => Promise<CliOutcome>> = {
  run: cmdRun,
  validate: cmdValidate,
  list: cmdList,
  graph: cmdGraph,
  step: cmdStep,
  schema: cmdSchema,
  runs: cmdRuns,
  show: cmdShow,
  cache: cmdCache,
  export: cmdExport,
  context: cmdContext,
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

async function cmdRun(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = _parse(args, {
    ...PLANNING,
    recipe: { type: "string" },
    context: { type: "string" },
    "context-out": { type: "string" },
    output: { type: "string", default: "prefixed" },
    "state-dir": { type: "string" },
    resume: { type: "string" },
    force: { type: "boolean" },
    ..._RUN_FLAGS,
  });
  const resume = values.resume as string | undefined;
  const given = [values.recipe as string | undefined, ...positionals].filter((f) => f);
  const file = resume !== undefined && given.length === 0
    ? undefined
    : _onePositional(positionals, values.recipe as string | undefined, "run");
  if (resume !== undefined && values.context !== undefined) {
    throw new UsageError("--resume rebuilds the context from the journal; drop --context");
  }
  const view = _consoleView(values.output as string);
  const context = await _startContext(values.context as string | undefined, view);
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    const baseDir = Deno.cwd();
    const state = stateDir(values["state-dir"] as string | undefined, baseDir);
    const opened = await openRun({
      file,
      baseDir,
      state,
      resume,
      force: values.force === true,
      context,
    });
    const { journal } = opened;
    let result;
    try {
      result = await run(opened.file, {
        ..._recipeOptions(values),
        ..._runOptions(values),
        context: opened.resumed?.context ?? context,
        committed: opened.resumed?.committed,
        cache: values["no-cache"] === true ? undefined : openCache(state),
        onEvent: view,
        signal: controller.signal,
        journal,
      });
    } catch (err) {
      await journal.abandon();
      throw err;
    }
    await journal.close(result);
    if (values["context-out"] && result.status !== "interrupted") {
      await writeContextFile(values["context-out"] as string, result.context);
    }
    const misses = Object.fromEntries(
      result.steps.filter((s) => s.cache && !s.cache.hit).map((s) => [s.name, s.cache!.reasons]),
    );
    const summary = {
      ctx_keys: result.context.keys(),
      ...(Object.keys(misses).length > 0 ? { cache_misses: misses } : {}),
      steps: result.counts,
      duration_ms: Math.round(result.durationMs),
      run_id: journal.runId,
      run_dir: journal.dir,
    };
    const again = { resume: `orch run --resume ${journal.runId}` };
    const failedSteps = result.steps.filter((s) => s.status === "failed" || s.status === "timeout")
      .map((s) => s.name);
    if (result.status === "interrupted") {
      const cancelled = result.steps.find((s) => s.status === "cancelled")?.name;
      return {
        json: {
          status: "error",
          reason: "interrupted",
          exit_code: 130,
          ...(cancelled ? { step: cancelled } : {}),
          failed_steps: failedSteps,
          ...summary,
          ...again,
        },
        exitCode: ExitCode.interrupted,
      };
    }
    if (result.failed) {
      return {
        json: {
          status: "error",
          reason: result.failed.reason,
          exit_code: 1,
          step: result.failed.step,
          failed_steps: failedSteps,
          ...summary,
          ...again,
        },
        exitCode: ExitCode.stepFailed,
      };
    }
    return { json: { status: "ok", ...summary }, exitCode: ExitCode.ok };
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

async function cmdRuns(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = _parse(args, {
    "state-dir": { type: "string" },
    limit: { type: "string", default: "20" },
  });
  if (positionals.length > 0) {
    throw new UsageError("runs takes no argument", "see orch runs --help");
  }
  const limit = values.limit as string;
  if (!/^[1-9][0-9]*$/.test(limit)) {
    throw new UsageError(`--limit must be a positive integer, got "${limit}"`);
  }
  const baseDir = Deno.cwd();
  const state = stateDir(values["state-dir"] as string | undefined, baseDir);
  const runs = await listRuns(state, Number(limit));
  return { json: { status: "ok", runs }, exitCode: ExitCode.ok };
}

async function cmdShow(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = _parse(args, { "state-dir": { type: "string" } });
  const id = _onePositional(positionals, undefined, "show");
  const baseDir = Deno.cwd();
  const dir = runDir(id, stateDir(values["state-dir"] as string | undefined, baseDir), baseDir);
  const { run, context } = await showRun(dir);
  getLogger("orch").info(`run ${run.run_id}: ${run.status}, ${run.committed} step(s) committed`);
  return { json: { status: "ok", run_dir: dir, run, context }, exitCode: ExitCode.ok };
}

async function cmdValidate(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = _parse(args, PLANNING);
  if (positionals.length === 0) {
    throw new UsageError("validate needs at least one recipe", "orch validate RECIPE...");
  }
  const errors: Issue[] = [];
  const recipes: { file: string; steps: number }[] = [];
  for (const file of positionals) {
    try {
      const plan = await validateRecipeFile(file, _recipeOptions(values));
      recipes.push({ file, steps: plan.steps.length });
    } catch (err) {
      const issues = issuesOf(err);
      if (!issues) throw err;
      errors.push(...issues.map((i) => ({ ...i, file: i.file ?? file })));
    }
  }
  if (errors.length > 0) throw new RecipeValidationError(errors);
  getLogger("orch").info(`${recipes.length} recipe(s) valid`);
  return { json: { status: "ok", recipes }, exitCode: ExitCode.ok };
}

async function cmdList(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = _parse(args, PLANNING);
  const file = _onePositional(positionals, undefined, "list");
  const plan = await validateRecipeFile(file, _recipeOptions(values));
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
  const { values, positionals } = _parse(args, {
    format: { type: "string", default: "mermaid" },
    out: { type: "string", short: "o" },
  });
  const file = _onePositional(positionals, undefined, "graph");
  const format = values.format as string;
  if (format !== "mermaid" && format !== "dot") {
    const hint = didYouMean(format, ["mermaid", "dot"]);
    throw new UsageError(
      `unknown --format "${format}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      "use --format mermaid or --format dot",
    );
  }
  // The graph needs the recipe and its dependencies only; the modules are `validate`'s job.
  const options = _recipeOptions(values);
  const found = await findRecipe(file, options.baseDir);
  const recipe = await loadRecipe(found.file, { maxBytes: options.maxRecipeBytes });
  const text = renderGraph({ recipe, deps: buildGraph(recipe).deps }, format);
  const out = values.out as string | undefined;
  if (out === undefined) {
    return { json: { status: "ok", format, graph: text }, exitCode: ExitCode.ok };
  }
  try {
    await Deno.writeTextFile(out, text);
  } catch (err) {
    throw new UsageError(`cannot write the graph to "${out}": ${(err as Error).message}`);
  }
  getLogger("orch").info(`wrote the ${format} graph of ${recipe.steps.length} step(s) to ${out}`);
  return { json: { status: "ok", format, file: out }, exitCode: ExitCode.ok };
}

async function cmdStep(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = _parse(args, {
    ...PLANNING,
    recipe: { type: "string" },
    type: { type: "string" },
    params: { type: "string" },
    function: { type: "string" },
    name: { type: "string" },
    context: { type: "string" },
    "context-in": { type: "string" },
    "context-out": { type: "string" },
    output: { type: "string", default: "prefixed" },
    script: { type: "string" },
    run: { type: "string" },
    args: { type: "string" },
    env: { type: "string" },
    cwd: { type: "string" },
    module: { type: "string" },
    "python-path": { type: "string" },
    isolate: { type: "boolean" },
  });
  if (values.recipe !== undefined) return await _recipeStep(values, positionals);
  const type = (values.type as string | undefined) ?? "deno";
  if (type !== "deno" && type !== "shell" && type !== "python") {
    const hint = didYouMean(type, ["deno", "shell", "python"]);
    throw new UsageError(
      `unknown --type "${type}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      "use --type deno, shell or python",
    );
  }
  const params = _jsonFlag(
    (values.params as string | undefined) ?? "{}",
    "--params",
    `'{"src":"data/numbers.csv"}'`,
  );
  const view = _consoleView(values.output as string);
  const context = await _startContext(_contextIn(values), view);
  const options = {
    ..._recipeOptions(values),
    exportName: values.function as string | undefined,
    name: values.name as string | undefined,
  };
  let plan;
  if (type === "deno") {
    const spec = _onePositional(positionals, undefined, "step");
    plan = await planSingleStep(spec, params, options);
  } else {
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
          : _jsonFlag(values.args as string, "--args", `'["a"]'`),
        env: values.env === undefined
          ? undefined
          : _jsonFlag(values.env as string, "--env", `'{"K":"v"}'`),
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
    plan = await planExternalStep(fields, options);
  }
  const result = await executePlan(plan, { context, onEvent: view });
  const step = result.steps[0];
  if (step.status !== "ok") {
    return {
      json: step.envelope,
      exitCode: ExitCode.stepFailed,
    };
  }
  if (values["context-out"]) await writeContextFile(values["context-out"] as string, context);
  return { json: { ...step.envelope, ctx_keys: context.keys() }, exitCode: ExitCode.ok };
}

/** `orch step --recipe R --name S`: runs step S of recipe R alone (see HELP.step). */
async function _recipeStep(
  values: Record<string, unknown>,
  positionals: string[],
): Promise<CliOutcome> {
  const flagForm = ["type", "params", "function", "script", "run", "args", "env", "cwd", "module"]
    .concat("python-path", "isolate").filter((k) => values[k] !== undefined);
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
  const view = _consoleView(values.output as string);
  const context = await _startContext(_contextIn(values), view);
  const plan = await planRecipeStep(values.recipe as string, name, _recipeOptions(values));
  const result = await executePlan(plan, { context, onEvent: view, only: [name] });
  const step = result.steps.find((s) => s.name === name)!;
  if (result.failed || step.status !== "ok") {
    return { json: step.envelope, exitCode: result.failed?.exitCode ?? ExitCode.stepFailed };
  }
  if (values["context-out"]) await writeContextFile(values["context-out"] as string, context);
  return { json: { ...step.envelope, ctx_keys: context.keys() }, exitCode: ExitCode.ok };
}

/** The starting context file of `step`: --context-in or its older name --context. */
function _contextIn(values: Record<string, unknown>): string | undefined {
  if (values.context !== undefined && values["context-in"] !== undefined) {
    throw new UsageError("--context and --context-in name the same file; give one");
  }
  return (values["context-in"] ?? values.context) as string | undefined;
}

/** Parses a JSON-valued flag; a parse error is a usage error showing an example. */
function _jsonFlag(text: string, flag: string, example: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `${flag} is not valid JSON: ${(err as Error).message}`,
      `quote it for the shell: ${flag} ${example}`,
    );
  }
}

/** `orch context merge A.json B.json ... -o OUT.json`: the fan-in of branches run apart. */
async function cmdContext(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = _parse(args, {
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
    const options = _recipeOptions(values);
    const found = await findRecipe(file, options.baseDir);
    return (await loadRecipe(found.file, { maxBytes: options.maxRecipeBytes })).merge;
  }
  const strategies = ["last_write_wins", "fail_on_conflict"];
  if (flag !== undefined && !strategies.includes(flag)) {
    const hint = didYouMean(flag, strategies);
    throw new UsageError(
      `unknown --merge "${flag}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      "use --merge last_write_wins or --merge fail_on_conflict",
    );
  }
  return (flag ?? "last_write_wins") as MergeStrategy;
}

/** `orch export RECIPE --target argo|github-actions [-o FILE]` (see export_cmd.ts). */
async function cmdExport(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = _parse(args, {
    ...PLANNING,
    target: { type: "string" },
    out: { type: "string", short: "o" },
    image: { type: "string" },
    binary: { type: "string" },
    "recipe-path": { type: "string" },
  });
  const file = _onePositional(positionals, undefined, "export");
  const result = await exportRecipe({
    file,
    target: values.target as string | undefined,
    out: values.out as string | undefined,
    image: values.image as string | undefined,
    binary: values.binary as string | undefined,
    recipePath: values["recipe-path"] as string | undefined,
  }, _recipeOptions(values));
  return { json: { status: "ok", ...result }, exitCode: ExitCode.ok };
}

async function cmdCache(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = _parse(args, {
    "state-dir": { type: "string" },
    context: { type: "string" },
  });
  const [action, ...rest] = positionals;
  const baseDir = Deno.cwd();
  const state = stateDir(values["state-dir"] as string | undefined, baseDir);
  let report;
  if (action === "ls" && rest.length === 0) report = await cacheList(state);
  else if (action === "clear" && rest.length === 0) report = await cacheClear(state);
  else if (action === "explain" && rest.length === 2) {
    report = await cacheExplain(state, rest[0], rest[1], {
      ..._recipeOptions(values),
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
  _parse(args, {});
  return Promise.resolve({ json: recipeJsonSchema(), exitCode: ExitCode.ok });
}

function _parse(args: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  try {
    return parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true });
  } catch (err) {
    const known = Object.keys({ ...COMMON, ...options }).map((k) => `--${k}`);
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
    if (unknown === undefined) {
      throw new UsageError((err as Error).message, `options here: ${known.join(", ")}`);
    }
    const hint = didYouMean(unknown, known);
    throw new UsageError(
      `unknown option "${unknown}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      `options here: ${known.join(", ")}, --help`,
    );
  }
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
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
}

/** The context a command starts from: the --context file, or an empty one (warnings go to the
 * view, so they print above the progress line). */
async function _startContext(file: string | undefined, view: ConsoleView): Promise<Context> {
  const warn = getLogger("orch", { sink: view.print }).warn;
  return file ? await readContextFile(file, warn) : new Context({ onWarning: warn });
}

/** The console view for stderr as it is: a terminal or not, NO_COLOR, GitHub Actions. */
function _consoleView(output: string): ConsoleView {
  if (!(OUTPUT_MODES as readonly string[]).includes(output)) {
    const hint = didYouMean(output, [...OUTPUT_MODES]);
    throw new UsageError(
      `unknown --output "${output}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      `use --output ${OUTPUT_MODES.join(" or --output ")}`,
    );
  }
  const tty = Deno.stderr.isTerminal();
  let columns = Infinity;
  try {
    if (tty) columns = Deno.consoleSize().columns;
  } catch { /* no size (e.g. a pseudo-terminal without one): do not cut the progress line */ }
  return consoleView({
    output: output as OutputMode,
    tty,
    color: useColor(),
    githubActions: Deno.env.get("GITHUB_ACTIONS") === "true",
    columns,
  });
}

function _onePositional(positionals: string[], flag: string | undefined, cmd: string): string {
  const all = flag ? [flag, ...positionals] : positionals;
  if (all.length !== 1) {
    throw new UsageError(
      all.length === 0
        ? `${cmd} needs one argument`
        : `${cmd} takes one argument, got ${all.length}`,
      `see orch ${cmd} --help`,
    );
  }
  return all[0];
}

/** Scheduling and selection flags of `run`. */
const _RUN_FLAGS: NonNullable<ParseArgsConfig["options"]> = {
  concurrency: { type: "string" },
  "keep-going": { type: "boolean" },
  only: { type: "string", multiple: true },
  skip: { type: "string", multiple: true },
  "resume-from": { type: "string" },
  "no-cache": { type: "boolean" },
};

/** The run options the `_RUN_FLAGS` give (step names are checked by the scheduler). */
function _runOptions(values: Record<string, unknown>) {
  const concurrency = values.concurrency as string | undefined;
  if (concurrency !== undefined && !/^[1-9][0-9]*$/.test(concurrency)) {
    throw new UsageError(`--concurrency must be a positive integer, got "${concurrency}"`);
  }
  const names = (flag: string) =>
    (values[flag] as string[] | undefined)?.flatMap((v) => v.split(",")).map((n) => n.trim())
      .filter(Boolean);
  return {
    concurrency: concurrency === undefined ? undefined : Number(concurrency),
    keepGoing: values["keep-going"] === true,
    only: names("only"),
    skip: names("skip"),
    resumeFrom: values["resume-from"] as string | undefined,
  };
}

function _recipeOptions(values: Record<string, unknown>) {
  const fromEnv = (Deno.env.get("ORCH_ALLOW_MODULES") ?? "").split(":").filter(Boolean);
  const max = values["max-recipe-bytes"] as string | undefined;
  if (max !== undefined && !/^[1-9][0-9]*$/.test(max)) {
    throw new UsageError(`--max-recipe-bytes must be a positive integer, got "${max}"`);
  }
  const baseDir = Deno.cwd();
  const allowModules = [...((values["allow-module"] as string[] | undefined) ?? []), ...fromEnv]
    // operator paths are relative to the cwd, even when a built-in recipe moves the base dir
    .map((dir) => dir.startsWith("/") ? dir : `${baseDir}/${dir}`);
  const ceiling = values["max-permissions"] as string | undefined;
  return {
    baseDir,
    allowModules,
    maxRecipeBytes: max === undefined ? undefined : Number(max),
    // like --allow-module, relative to the cwd
    maxPermissions: ceiling === undefined ? undefined : parseMaxPermissions(ceiling, baseDir),
  };
}

function _issueJson(i: Issue): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ["file", "line", "col", "path", "step", "message"] as const) {
    if (i[k] !== undefined) out[k] = i[k];
  }
  return out;
}
