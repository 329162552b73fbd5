/**
 * @module
 * `orch run RECIPE --dry-run [--json]`: validates and plans the recipe, asks core/dry_run.ts
 * what each step would do, and shapes the answer. Without `--json`: the per-step view on stderr
 * and a summary JSON line (which steps would run, be replayed from the cache, are undecided or
 * would fail); with `--json`: the same line plus every step's full view (`steps`) and the
 * warnings, and nothing on stderr but warnings. Creates no run directory and writes no file.
 */
import { openCache } from "../cache.ts";
import { validateRecipeFile } from "../api.ts";
import { readContextFile } from "../context_file.ts";
import { dryRun, type DryRunReport, type DryRunStep } from "../dry_run.ts";
import { ExitCode, formatIssue, UsageError } from "../errors.ts";
import { getLogger, stderrSink } from "../log.ts";
import { secretsRedactor } from "../redact.ts";
import { stateDir } from "./runs.ts";
import { type CliOutcome, onePositional, recipeOptions, runOptions } from "./flags.ts";

/** Flags of `run` that act on a real run only; a dry run refuses them. */
const REAL_RUN_ONLY = ["resume", "context-out", "report", "force"];

/** Runs `orch run ... --dry-run` with the flags `run` parsed. */
export async function cmdDryRun(
  values: Record<string, unknown>,
  positionals: string[],
): Promise<CliOutcome> {
  const refused = REAL_RUN_ONLY.find((f) => values[f] !== undefined);
  if (refused) {
    throw new UsageError(
      `--dry-run cannot be combined with --${refused}: a dry run runs nothing and writes nothing`,
      `drop --${refused}, or drop --dry-run`,
    );
  }
  const file = onePositional(positionals, values.recipe as string | undefined, "run");
  const log = getLogger("orch");
  const contextFile = values.context as string | undefined;
  const context = contextFile ? await readContextFile(contextFile, log.warn) : undefined;
  const options = recipeOptions(values);
  const plan = await validateRecipeFile(file, options);
  const { only, skip, resumeFrom } = runOptions(values);
  const cache = values["no-cache"] === true
    ? undefined
    : openCache(stateDir(values["state-dir"] as string | undefined, options.baseDir));
  // resolved env.NAME values are shown: the recipe's secrets: never are
  const report = secretsRedactor(plan.recipe).json(
    await dryRun(plan, { context, cache, only, skip, resumeFrom }),
  );
  for (const w of report.warnings) log.warn(formatIssue(w));
  const summary = _summary(report);
  if (values.json === true) {
    const json = { ...summary, steps: report.steps, warnings: report.warnings };
    return { json, exitCode: ExitCode.ok };
  }
  for (const line of renderDryRun(report)) stderrSink(line);
  return { json: summary, exitCode: ExitCode.ok };
}

/** The summary line: which steps fall in which outcome. */
function _summary(report: DryRunReport) {
  const names = (pick: (s: DryRunStep) => boolean) => report.steps.filter(pick).map((s) => s.name);
  return {
    status: "ok",
    dry_run: true,
    file: report.file,
    test_id: report.test_id,
    would_run: names((s) =>
      !s.problem && s.cache?.would_hit !== true && s.cache?.would_hit !== null
    ),
    would_hit: names((s) => s.cache?.would_hit === true),
    undecided: names((s) => !s.problem && s.cache?.would_hit === null),
    would_fail: names((s) => s.problem !== undefined),
  };
}

/** The human view: a header, then a block per step in run order. */
export function renderDryRun(report: DryRunReport): string[] {
  const out = [
    `dry run of ${report.file} (${report.test_id}): ${report.steps.length} step(s) in run ` +
    `order; nothing is run`,
  ];
  for (const s of report.steps) {
    out.push(`${s.idx} ${s.name} (${s.type})`);
    const row = (label: string, text: string) => out.push(`    ${label.padEnd(12)} ${text}`);
    if (s.command) row("command", JSON.stringify(s.command));
    else row("module", `${s.module} ${s.function}`);
    if (s.env && Object.keys(s.env).length > 0) row("env", JSON.stringify(s.env));
    row("params", JSON.stringify(s.params));
    if (s.pending.length > 0) row("pending", `${s.pending.join(", ")} (known during the run)`);
    if (s.problem) row("would fail", s.problem);
    row("depends on", s.depends_on.join(", ") || "-");
    row("permissions", _permissions(s.permissions));
    row("retry", s.retry ? `${s.retry.max} more attempt(s) on ${s.retry.on.join(", ")}` : "none");
    row("timeout", s.timeout_ms === null ? "none" : `${s.timeout_ms} ms`);
    row("cache", _cache(s));
  }
  return out;
}

function _permissions(p: Record<string, true | string[]>): string {
  const kinds = Object.entries(p).map(([k, v]) =>
    v === true ? `${k}: all` : `${k}: ${v.join(", ")}`
  );
  return kinds.join("; ") || "none";
}

function _cache(s: DryRunStep): string {
  if (!s.cache) return "not cached (no cache_key)";
  const why = s.cache.reasons?.length ? `: ${s.cache.reasons.join("; ")}` : "";
  if (s.cache.would_hit === true) return `would hit (${s.cache.hash?.slice(0, 12)})`;
  if (s.cache.would_hit === null) return `undecided${why}`;
  return `would miss${why}`;
}
