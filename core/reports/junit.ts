/**
 * @module
 * Renders a RunReport as JUnit XML valid against the Jenkins xUnit `junit-10.xsd`: one
 * `testsuite` per recipe (name = test_id; description, tester, recipe, run id as properties;
 * the recipe path in `file`, the only element that schema lets carry it), one `testcase` per
 * step (classname = test_id, time in seconds). A failed step has `failure`, a timed-out one
 * `error`, earlier failed attempts `rerunFailure`/`rerunError`; a step that passed after retries
 * carries its failed attempts as `flakyFailure`/`flakyError`; skipped, cancelled and not-run
 * steps have `skipped`. The envelope and stdout log lines go to `system-out`, the stderr tail
 * to `system-err`. Only formats; reading the run is `model.ts`'s job.
 */
import type { ReportAttempt, ReportStep, RunReport } from "./model.ts";
import { xmlAttr, xmlText } from "./xml_text.ts";

/** The run as a JUnit XML document. */
export function renderJunit(report: RunReport, baseDir = ""): string {
  const t = _tally(report.steps);
  const time = _seconds(report.durationMs);
  const suiteAttrs = {
    name: report.testId,
    tests: String(report.steps.length),
    failures: String(t.failures),
    errors: String(t.errors),
    skipped: String(t.skipped),
    time,
    timestamp: report.startedAt,
    id: report.runId,
    file: _relative(report.recipe, baseDir),
  };
  const props = [
    ["description", report.description],
    ["tester", report.tester],
    ["recipe", report.recipe],
    ["run_id", report.runId],
    ["status", report.status],
    ["sessions", String(report.sessions)],
  ].map(([name, value]) => `      ${_tag("property", { name, value })}/>`);
  const rootAttrs = {
    name: `orch run ${report.runId}`,
    tests: String(report.steps.length),
    failures: String(t.failures),
    errors: String(t.errors),
    time,
  };
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `${_tag("testsuites", rootAttrs)}>`,
    `  ${_tag("testsuite", suiteAttrs)}>`,
    `    <properties>`,
    ...props,
    `    </properties>`,
    ...report.steps.flatMap((s) => _testcase(report, s)),
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}

function _tally(steps: ReportStep[]) {
  let failures = 0, errors = 0, skipped = 0;
  for (const s of steps) {
    if (s.status === "failed") failures++;
    else if (s.status === "timeout") errors++;
    else if (s.status !== "ok" && s.status !== "cached") skipped++;
  }
  return { failures, errors, skipped };
}

function _testcase(report: RunReport, step: ReportStep): string[] {
  const open = _tag("testcase", {
    name: step.name,
    classname: report.testId,
    time: _seconds(step.durationMs),
  });
  const body = [..._verdict(step), ..._reruns(step), ..._output(step)];
  if (body.length === 0) return [`    ${open}/>`];
  return [`    ${open}>`, ...body.map((l) => `      ${l}`), `    </testcase>`];
}

/** The failure, error or skipped element for a step that did not pass. */
function _verdict(step: ReportStep): string[] {
  const reason = step.reason ?? "";
  switch (step.status) {
    case "failed":
      return [_element("failure", { message: reason, type: "StepFailed" }, reason)];
    case "timeout":
      return [_element("error", { message: reason, type: "Timeout" }, reason)];
    case "skipped":
    case "cancelled":
      return [_element("skipped", { message: reason || step.status }, "")];
    case "not-run":
      return [_element("skipped", { message: "not run in this run" }, "")];
    case "running":
      return [_element("skipped", { message: "still running when the report was made" }, "")];
    default:
      return [];
  }
}

/** Earlier failed attempts: flaky* when the step passed in the end, rerun* when it did not. */
function _reruns(step: ReportStep): string[] {
  const passed = step.status === "ok" || step.status === "cached";
  const earlier = step.attempts.filter((a) => a.status === "failed" || a.status === "timeout");
  const last = step.attempts.at(-1);
  return earlier.filter((a) => passed || a !== last).map((a) => _rerun(a, passed, step));
}

function _rerun(a: ReportAttempt, passed: boolean, step: ReportStep): string {
  const timeout = a.status === "timeout";
  const name = passed
    ? (timeout ? "flakyError" : "flakyFailure")
    : (timeout ? "rerunError" : "rerunFailure");
  const message = a.reason ?? a.status;
  const text = `attempt ${a.attempt}/${step.attempts.length} ${a.status} after ${
    _seconds(a.durationMs)
  } s: ${message}`;
  return _element(name, { message, type: timeout ? "Timeout" : "StepFailed" }, text);
}

/** system-out (envelope, stdout log lines) and system-err (stderr tail). */
function _output(step: ReportStep): string[] {
  const out: string[] = [];
  const lines = [
    ...(step.status === "cached" ? ["replayed from the cache"] : []),
    ...(step.envelope ? [`envelope: ${JSON.stringify(step.envelope)}`] : []),
    ...step.stdoutTail,
  ];
  if (lines.length > 0) out.push(_element("system-out", {}, lines.join("\n")));
  if (step.stderrTail.length > 0) {
    out.push(_element("system-err", {}, step.stderrTail.join("\n")));
  }
  return out;
}

function _tag(name: string, attrs: Record<string, string>): string {
  const list = Object.entries(attrs).map(([k, v]) => ` ${k}="${xmlAttr(v)}"`).join("");
  return `<${name}${list}`;
}

function _element(name: string, attrs: Record<string, string>, text: string): string {
  return text === "" ? `${_tag(name, attrs)}/>` : `${_tag(name, attrs)}>${xmlText(text)}</${name}>`;
}

/** Milliseconds as seconds with 3 decimals (the schema's SUREFIRE_TIME). */
function _seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** The recipe path relative to `baseDir` (the working directory) when inside it, as CI tools want. */
function _relative(path: string, baseDir: string): string {
  return baseDir && path.startsWith(`${baseDir}/`) ? path.slice(baseDir.length + 1) : path;
}
