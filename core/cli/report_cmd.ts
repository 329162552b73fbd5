/**
 * @module
 * `orch report RUN --format junit|html|md|json [-o PATH]`: renders a past (or running) run's
 * report from its run directory. Like `orch graph` and `orch export`, without `-o` the rendered
 * text is the `report` field of the one JSON result line; with `-o` it is written atomically and
 * the result names the file.
 */
import { ExitCode } from "../errors.ts";
import { getLogger } from "../log.ts";
import { loadRunReport } from "../reports/model.ts";
import { RENDERERS, reportFormat, writeReport } from "../reports/mod.ts";
import { type CliOutcome, onePositional, parseFlags } from "./flags.ts";
import { runDir, stateDir } from "./runs.ts";

/** `orch report RUN --format F [-o PATH] [--state-dir DIR]`. */
export async function cmdReport(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, {
    format: { type: "string" },
    out: { type: "string", short: "o" },
    "state-dir": { type: "string" },
  });
  const id = onePositional(positionals, undefined, "report");
  const format = reportFormat(values.format as string | undefined);
  const baseDir = Deno.cwd();
  const dir = runDir(id, stateDir(values["state-dir"] as string | undefined, baseDir), baseDir);
  const report = await loadRunReport(dir);
  const head = { status: "ok", format, run_id: report.runId, run_status: report.status };
  const out = values.out as string | undefined;
  if (out === undefined) {
    return { json: { ...head, report: RENDERERS[format](report, baseDir) }, exitCode: ExitCode.ok };
  }
  await writeReport(report, { format, path: out }, baseDir);
  getLogger("orch").info(`wrote the ${format} report of run ${report.runId} to ${out}`);
  return { json: { ...head, file: out }, exitCode: ExitCode.ok };
}
