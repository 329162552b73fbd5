/**
 * @module
 * Renders a RunReport as a GitHub-flavoured Markdown summary, fit for `$GITHUB_STEP_SUMMARY`:
 * a heading with the run's status, a line of counts, a table with one row per step, then each
 * failed or timed-out step's reason and stderr tail. Only formats; reading the run is
 * `model.ts`'s job.
 */
import { formatMs } from "../duration.ts";
import type { ReportStep, RunReport } from "./model.ts";

const ICON: Record<string, string> = {
  ok: "✅",
  cached: "♻️",
  failed: "❌",
  timeout: "⏱️",
  skipped: "⏭️",
  cancelled: "🚫",
  "not-run": "➖",
  running: "⏳",
  interrupted: "⚠️",
};

/** Longest reason shown in a table cell; the full text follows the table. */
const CELL_CHARS = 160;

/** The run as a Markdown summary. */
export function renderMarkdown(report: RunReport): string {
  const counts = Object.entries(report.counts).filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`).join(", ");
  const lines = [
    `## ${ICON[report.status]} ${_inline(report.testId)}: ${report.status}`,
    "",
    ...(report.description ? [_inline(report.description), ""] : []),
    `Run \`${report.runId}\` · tester ${_inline(report.tester || "-")} · ${
      formatMs(report.durationMs)
    } · ${counts || "no step ended"}`,
    "",
    "| # | step | type | status | time | attempts | details |",
    "| -: | --- | --- | --- | --: | --: | --- |",
    ...report.steps.map(_row),
    "",
    ..._failures(report.steps),
  ];
  return lines.join("\n");
}

function _row(s: ReportStep): string {
  const details = [
    s.reason ?? "",
    s.attempts.length > 1 && !s.reason ? `passed on attempt ${s.attempts.length}` : "",
    s.outputs.length ? `wrote ${s.outputs.join(", ")}` : "",
    s.status === "cached" ? "replayed from the cache" : "",
  ].filter(Boolean).join("; ");
  const cells = [
    String(s.idx),
    `\`${s.name}\``,
    s.type,
    `${ICON[s.status] ?? ""} ${s.status}`,
    s.status === "not-run" ? "" : formatMs(s.durationMs),
    String(s.attempts.length),
    _cell(details),
  ];
  return `| ${cells.join(" | ")} |`;
}

/** A section per failed or timed-out step: its whole reason and its stderr tail. */
function _failures(steps: ReportStep[]): string[] {
  const out: string[] = [];
  for (const s of steps.filter((s) => s.status === "failed" || s.status === "timeout")) {
    out.push(`### ${ICON[s.status]} \`${s.name}\` ${s.status}`, "", _inline(s.reason ?? ""), "");
    if (s.stderrTail.length > 0) {
      out.push("<details><summary>stderr (last lines)</summary>", "");
      out.push(..._fence(s.stderrTail.join("\n")), "", "</details>", "");
    }
  }
  return out;
}

/** A fenced code block longer than any backtick run inside `text`. */
function _fence(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return [fence + "text", _printable(text), fence];
}

/** A table cell: one line, pipes escaped, long text cut. */
function _cell(text: string): string {
  const one = _inline(text).replace(/\|/g, "\\|");
  return one.length > CELL_CHARS ? `${one.slice(0, CELL_CHARS - 1)}…` : one;
}

/** One line of text with HTML-ish characters neutralised. */
function _inline(text: string): string {
  return _printable(text).replace(/\s*\n\s*/g, " ").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Control characters (other than newline and tab) dropped. */
function _printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, "").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}
