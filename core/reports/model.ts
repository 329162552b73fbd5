/**
 * @module
 * The report model: one run directory (its journal, `run.json` and lock) read back into a
 * `RunReport` that every renderer (JUnit, Markdown, HTML, JSON) formats. Reports are renderings
 * of the journal, never of live runner state, so any past run (ended, interrupted, crashed or
 * still running) can be rendered again. Does not format anything itself.
 */
import type { ContextJson } from "../context.ts";
import type { Envelope } from "../envelope.ts";
import { type StepStatus, zeroCounts } from "../events.ts";
import { type JournalRecord, replayJournal, sessionsOf } from "../journal.ts";
import { lockHolder } from "../run_lock.ts";
import type { RunMetaStep } from "../run_meta.ts";

/** One attempt of a step. */
export interface ReportAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  status: "ok" | "failed" | "timeout" | "cancelled";
  /** Why it failed (absent for ok). */
  reason?: string;
  durationMs: number;
}

/** One step of the recipe, as the run left it. */
export interface ReportStep {
  name: string;
  idx: number;
  type: "deno" | "shell" | "python";
  /** deno/python: the module; shell: the script or the `run` command line. */
  module?: string;
  /** deno/python: the scriptlet class. */
  function?: string;
  /**
   * Final status; `not-run` for a step the run never reached (or left out by --only/--skip),
   * `running` for a step under way in a run that is still running.
   */
  status: StepStatus | "not-run" | "running";
  /** ISO time its (last run's) first attempt started; absent when it never started. */
  startedAt?: string;
  /** ISO time it ended; absent when it has not ended. */
  endedAt?: string;
  durationMs: number;
  /** Every attempt, in order (empty when skipped or replayed from the cache). */
  attempts: ReportAttempt[];
  /** Why it failed, was skipped or cancelled. */
  reason?: string;
  /** Context keys an ok step reported. */
  outputs: string[];
  /** The final envelope, when the step ended. */
  envelope?: Envelope;
  /** The last lines the step printed on stderr (at most ~40 lines / 8 KB). */
  stderrTail: string[];
  /** The last log lines it printed on stdout (a deno step's console.log), limited the same way. */
  stdoutTail: string[];
  /** Names of the steps it waited for. */
  dependsOn: string[];
}

/** A run, ready to render. */
export interface RunReport {
  runId: string;
  /** Absolute path of the recipe file (of the latest session). */
  recipe: string;
  testId: string;
  tester: string;
  description: string;
  /** `interrupted` also covers a run whose process died (crashed). */
  status: "ok" | "failed" | "interrupted" | "running";
  startedAt: string;
  endedAt?: string;
  /** Sum of every session's duration (a running session counts up to now). */
  durationMs: number;
  /** Final statuses of the steps that ended. */
  counts: Record<StepStatus, number>;
  /** In recipe order. */
  steps: ReportStep[];
  /** The final context with its history. */
  context: ContextJson;
  /** The run directory it was read from. */
  dir: string;
  /** How many sessions (the first run and each resume) wrote the journal. */
  sessions: number;
}

/** Reads run directory `dir` into a report. Throws UsageError when it holds no journal. */
export async function loadRunReport(dir: string): Promise<RunReport> {
  const replayed = await replayJournal(dir);
  const records = replayed.records;
  const { starts, ends, endedMs } = sessionsOf(records);
  const first = starts[0], last = starts[starts.length - 1];
  const status = await _status(records, dir);
  const steps = _steps(records, status !== "running");
  const running = status === "running" ? Math.max(0, Date.now() - new Date(last.at).getTime()) : 0;
  return {
    runId: replayed.runId,
    recipe: replayed.recipe,
    testId: last.test_id,
    tester: last.meta?.tester ?? "",
    description: last.meta?.description ?? "",
    status,
    startedAt: first.at,
    ...(status === "running" ? {} : { endedAt: ends.at(-1)?.at ?? last.at }),
    durationMs: endedMs + running,
    counts: _counts(steps),
    steps,
    context: replayed.context.toJSON(),
    dir,
    sessions: starts.length,
  };
}

/** ok, failed, interrupted from the last session's run-end; running or crashed without one. */
async function _status(records: JournalRecord[], dir: string): Promise<RunReport["status"]> {
  const lastStart = records.findLastIndex((r) => r.kind === "run-start");
  const end = records.slice(lastStart).find((r) => r.kind === "run-end");
  if (end?.kind === "run-end") return end.status;
  return (await lockHolder(dir)) !== undefined ? "running" : "interrupted";
}

/** Each step's final state: the recipe's steps (from run-start meta) updated record by record. */
function _steps(records: JournalRecord[], over: boolean): ReportStep[] {
  const byName = new Map<string, ReportStep>();
  const starts = records.filter((r) => r.kind === "run-start");
  const meta = starts.at(-1)?.meta?.steps;
  for (const s of meta ?? []) byName.set(s.name, _notRun(s));
  let startedThisSession = new Set<string>();
  for (const r of records) {
    if (r.kind === "run-start") {
      startedThisSession = new Set();
      for (const s of byName.values()) if (s.status === "running") s.status = "cancelled";
    }
    if (r.kind !== "step-start" && r.kind !== "step-commit" && r.kind !== "step-end") continue;
    let step = byName.get(r.step);
    if (!step) byName.set(r.step, step = _notRun({ name: r.step, idx: byName.size }));
    if (r.kind === "step-start") {
      startedThisSession.add(r.step);
      if (r.attempt === 1 || step.startedAt === undefined) {
        Object.assign(step, { startedAt: r.at, endedAt: undefined, status: "running" });
      }
      continue;
    }
    const cached = r.kind === "step-commit" && !startedThisSession.has(r.step);
    _end(step, r, cached);
  }
  const out = [...byName.values()];
  // a step left "running" by a session that ended (or died) did not finish: cancelled
  for (const s of out) if (s.status === "running" && over) s.status = "cancelled";
  return meta ? out : out.sort((a, b) => a.idx - b.idx);
}

function _notRun(s: Partial<RunMetaStep> & { name: string; idx: number }): ReportStep {
  return {
    name: s.name,
    idx: s.idx,
    type: s.type ?? "deno",
    ...(s.module !== undefined ? { module: s.module } : {}),
    ...(s.function !== undefined ? { function: s.function } : {}),
    status: "not-run",
    durationMs: 0,
    attempts: [],
    outputs: [],
    stderrTail: [],
    stdoutTail: [],
    dependsOn: s.depends_on ?? [],
  };
}

function _end(
  step: ReportStep,
  r: Extract<JournalRecord, { kind: "step-commit" | "step-end" }>,
  cached: boolean,
): void {
  const status: StepStatus = r.kind === "step-end" ? r.status : cached ? "cached" : "ok";
  step.status = status;
  step.endedAt = r.at;
  if (cached) step.startedAt = r.at;
  if (status === "skipped") delete step.startedAt; // it did not start in this session
  step.durationMs = r.duration_ms;
  step.attempts = cached
    ? []
    : r.attempts.map((a) => ({ ...a, durationMs: Math.round(a.durationMs) }));
  step.envelope = r.envelope;
  step.outputs = r.envelope.status === "ok" ? [...r.envelope.outputs] : [];
  step.reason = r.envelope.status === "error" ? r.envelope.reason : undefined;
  if (step.reason === undefined) delete step.reason;
  step.stderrTail = r.stderr_tail ?? [];
  step.stdoutTail = r.stdout_tail ?? [];
}

function _counts(steps: ReportStep[]): Record<StepStatus, number> {
  const counts = zeroCounts();
  for (const s of steps) if (s.status !== "not-run" && s.status !== "running") counts[s.status]++;
  return counts;
}
