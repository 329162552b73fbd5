/**
 * @module
 * The report registry: which formats exist (junit, html, md, json) and their renderers,
 * parsing `orch run --report junit=PATH,...`, writing reports of a run directory atomically,
 * and appending the Markdown summary to `$GITHUB_STEP_SUMMARY`. Renderers live in their own
 * files; reading a run is `model.ts`.
 */
import { writeFileAtomic } from "../context_file.ts";
import { UsageError } from "../errors.ts";
import { didYouMean } from "../suggest.ts";
import { oneOf } from "../cli/flags.ts";
import { renderHtml } from "./html.ts";
import { renderJunit } from "./junit.ts";
import { renderMarkdown } from "./markdown.ts";
import { loadRunReport, type RunReport } from "./model.ts";

/** The report formats. */
export const REPORT_FORMATS = ["junit", "html", "md", "json"] as const;
/** One of REPORT_FORMATS. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Each format's renderer. */
export const RENDERERS: Record<ReportFormat, (report: RunReport, baseDir: string) => string> = {
  junit: renderJunit,
  html: renderHtml,
  md: renderMarkdown,
  json: (report) => JSON.stringify(report, null, 2) + "\n",
};

/** A report to write: its format and path. */
export interface ReportSpec {
  format: ReportFormat;
  path: string;
}

/** Names people try for a format, for the hint only (not accepted). */
const ALIASES: Record<string, ReportFormat> = { xml: "junit", markdown: "md", htm: "html" };

const EXAMPLE = "--report junit=out/junit.xml,html=out/report.html,md=out/summary.md";

/** Checks a `--format` value; a usage error with a "did you mean" otherwise. */
export function reportFormat(value: string | undefined, flag = "--format"): ReportFormat {
  const formats = `formats: ${REPORT_FORMATS.join(", ")}`;
  if (value === undefined) throw new UsageError(`${flag} is required`, formats);
  return oneOf(
    "report format",
    value,
    REPORT_FORMATS,
    formats,
    (v) => ALIASES[v.toLowerCase()] ?? didYouMean(v, REPORT_FORMATS),
  );
}

/**
 * Parses `--report` values (`FORMAT=PATH`, comma-separated, the flag repeatable). Throws a usage
 * error for an unknown format, a missing path, or a format or path given twice.
 */
export function parseReportSpecs(values: string[]): ReportSpec[] {
  const specs: ReportSpec[] = [];
  for (const item of values.flatMap((v) => v.split(",")).map((s) => s.trim())) {
    const eq = item.indexOf("=");
    if (item === "" || eq < 0 || eq === item.length - 1) {
      throw new UsageError(
        `--report "${item}" needs FORMAT=PATH`,
        `formats: ${REPORT_FORMATS.join(", ")}; e.g. ${EXAMPLE}`,
      );
    }
    const format = reportFormat(item.slice(0, eq).trim(), "--report");
    const path = item.slice(eq + 1).trim();
    if (specs.some((s) => s.format === format)) {
      throw new UsageError(`--report gives ${format} twice`, "name each format once");
    }
    if (specs.some((s) => s.path === path)) {
      throw new UsageError(`--report writes "${path}" twice`, "give each report its own path");
    }
    specs.push({ format, path });
  }
  return specs;
}

/** Renders a loaded report and writes it atomically (creating the parent directory). */
export async function writeReport(
  report: RunReport,
  spec: ReportSpec,
  baseDir: string,
): Promise<void> {
  const text = RENDERERS[spec.format](report, baseDir);
  await writeFileAtomic(spec.path, text);
}

/** What `reportRun` wrote, and what it could not (as result-line fields). */
export interface RunReports {
  /** Format → path of each report written. */
  reports?: Record<string, string>;
  /** The `$GITHUB_STEP_SUMMARY` file the summary was appended to. */
  step_summary?: string;
  /** Why a report (or the summary) could not be written; the run's result stands. */
  report_errors?: string[];
}

/**
 * At the end of `orch run` (ok or not): writes the requested reports of run directory `dir`
 * and, when `$GITHUB_STEP_SUMMARY` is set, appends the Markdown summary to it. Never throws:
 * what failed is in `report_errors`.
 */
export async function reportRun(
  dir: string,
  specs: ReportSpec[],
  baseDir: string,
): Promise<RunReports> {
  const summaryFile = Deno.env.get("GITHUB_STEP_SUMMARY") || undefined;
  if (specs.length === 0 && !summaryFile) return {};
  const errors: string[] = [];
  const written: Record<string, string> = {};
  const attempt = async (what: () => Promise<void>) => {
    try {
      await what();
      return true;
    } catch (err) {
      errors.push((err as Error).message);
      return false;
    }
  };
  let report: RunReport | undefined;
  await attempt(async () => void (report = await loadRunReport(dir)));
  for (const spec of report ? specs : []) {
    if (await attempt(() => writeReport(report!, spec, baseDir))) written[spec.format] = spec.path;
  }
  const summed = report && summaryFile && await attempt(async () => {
    await Deno.writeTextFile(summaryFile, renderMarkdown(report!) + "\n", { append: true })
      .catch((err) => {
        throw new Error(`cannot append to $GITHUB_STEP_SUMMARY (${summaryFile}): ${err.message}`);
      });
  });
  return {
    ...(specs.length ? { reports: written } : {}),
    ...(summed ? { step_summary: summaryFile } : {}),
    ...(errors.length ? { report_errors: errors } : {}),
  };
}
