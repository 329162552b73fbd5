/**
 * @module
 * The run commands: `run` (with the journal, resume, cache and signals), `runs` and `show`.
 */
import { openCache } from "../cache.ts";
import { run } from "../api.ts";
import { writeContextFile } from "../context_file.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { getLogger } from "../log.ts";
import type { RunReports } from "../reports/mod.ts";
import { listRuns, openRun, runDir, showRun, stateDir } from "./runs.ts";
import {
  type CliOutcome,
  consoleViewFor,
  onePositional,
  parseFlags,
  PLANNING,
  recipeOptions,
  RUN_FLAGS,
  runOptions,
  startContext,
} from "./flags.ts";

export async function cmdRun(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, {
    ...PLANNING,
    recipe: { type: "string" },
    context: { type: "string" },
    "context-out": { type: "string" },
    output: { type: "string", default: "prefixed" },
    "state-dir": { type: "string" },
    resume: { type: "string" },
    force: { type: "boolean" },
    report: { type: "string", multiple: true },
    "dry-run": { type: "boolean" },
    json: { type: "boolean" },
    ...RUN_FLAGS,
  });
  if (values["dry-run"] === true) {
    return await (await import("./dry_run_cmd.ts")).cmdDryRun(values, positionals);
  }
  if (values.json === true) {
    throw new UsageError("--json goes with --dry-run", "orch run R --dry-run --json");
  }
  const reportValues = (values.report as string[] | undefined) ?? [];
  // loaded only when asked for: most runs write no report
  const reports = reportValues.length > 0 || Deno.env.get("GITHUB_STEP_SUMMARY")
    ? await import("../reports/mod.ts")
    : undefined;
  const reportSpecs = reports?.parseReportSpecs(reportValues) ?? [];
  const resume = values.resume as string | undefined;
  const given = [values.recipe as string | undefined, ...positionals].filter((f) => f);
  const file = resume !== undefined && given.length === 0
    ? undefined
    : onePositional(positionals, values.recipe as string | undefined, "run");
  if (resume !== undefined && values.context !== undefined) {
    throw new UsageError("--resume rebuilds the context from the journal; drop --context");
  }
  const view = consoleViewFor(values.output as string);
  const context = await startContext(values.context as string | undefined, view);
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
      maxRecipeBytes: recipeOptions(values).maxRecipeBytes,
    });
    const { journal } = opened;
    let result;
    try {
      result = await run(opened.file, {
        ...recipeOptions(values),
        ...runOptions(values),
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
    const reported: RunReports = reports
      ? await reports.reportRun(journal.dir, reportSpecs, baseDir)
      : {};
    for (const why of reported.report_errors ?? []) getLogger("orch").error(why);
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
      ...reported,
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
    if (reported.report_errors) {
      const reason = `the run succeeded but a report failed: ${reported.report_errors[0]}`;
      return {
        json: { status: "error", reason, exit_code: ExitCode.invalid, ...summary },
        exitCode: ExitCode.invalid,
      };
    }
    return { json: { status: "ok", ...summary }, exitCode: ExitCode.ok };
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

export async function cmdRuns(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, {
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

export async function cmdShow(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, { "state-dir": { type: "string" } });
  const id = onePositional(positionals, undefined, "show");
  const baseDir = Deno.cwd();
  const dir = runDir(id, stateDir(values["state-dir"] as string | undefined, baseDir), baseDir);
  const { run, context } = await showRun(dir);
  getLogger("orch").info(`run ${run.run_id}: ${run.status}, ${run.committed} step(s) committed`);
  return { json: { status: "ok", run_dir: dir, run, context }, exitCode: ExitCode.ok };
}
