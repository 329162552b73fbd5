/**
 * @module
 * A run's journal: the append-only `journal.jsonl` in the run directory, its group-commit
 * fdatasync, the lock that keeps two runs out of one directory, and reading a journal back
 * (a torn last line is ignored). The final `context.json` and `run.json` are written atomically.
 * Does not decide what to run on resume: `replayJournal` only says what the journal holds.
 */
import { Context, type ContextJson, type ContextWrite } from "./context.ts";
import { writeFileAtomic } from "./context_file.ts";
import type { Envelope } from "./envelope.ts";
import { UsageError } from "./errors.ts";
import { type AttemptRecord, type RunEvent, type StepStatus, succeeded } from "./events.ts";
import { takeLock } from "./run_lock.ts";
import { runDirError } from "./run_dir_error.ts";
import type { RunMeta } from "./run_meta.ts";
import { OutputTails } from "./output_tail.ts";

/** One encoder for every record (one is made per call otherwise). */
const ENCODER = new TextEncoder();

/** One line of `journal.jsonl`. */
export type JournalRecord =
  | {
    kind: "run-start";
    at: string;
    run_id: string;
    /** Absolute path of the recipe file. */
    recipe: string;
    recipe_sha256: string;
    test_id: string;
    /** True when this session resumes an earlier one. */
    resumed: boolean;
    /** The context the run started from, when it was not empty (first session only). */
    context?: ContextJson;
    /** The recipe's tester, description and steps, for reports (absent in older journals). */
    meta?: RunMeta;
  }
  | { kind: "step-start"; at: string; step: string; attempt: number }
  | ({
    kind: "step-commit";
    /** This step's writes only, in order. */
    writes: ContextWrite[];
  } & StepFinal)
  | ({ kind: "step-end"; status: StepStatus } & StepFinal)
  | {
    kind: "run-end";
    at: string;
    status: "ok" | "failed" | "interrupted";
    duration_ms: number;
    counts: Record<StepStatus, number>;
  };

/** What a step's last record (its commit, or how it ended otherwise) holds. */
export interface StepFinal {
  /** When it was written (ISO 8601). */
  at: string;
  /** The step's name. */
  step: string;
  /** The step's final envelope. */
  envelope: Envelope;
  /** Every attempt, in order. */
  attempts: AttemptRecord[];
  /** From the step's first attempt to its end, retry waits included. */
  duration_ms: number;
  /** The step's last stderr lines (at most 40 lines / 8 KB; absent in older journals). */
  stderr_tail?: string[];
  /** Its last log lines on stdout (a deno step's console.log), limited the same way. */
  stdout_tail?: string[];
}

/** What a new session writes into its run-start record. */
export interface JournalHeader {
  /** The run's id. */
  runId: string;
  /** Path of the recipe file. */
  recipe: string;
  /** sha256 of the recipe file's bytes (resume refuses a changed recipe). */
  recipeSha256: string;
  /** The starting context (recorded only when it holds keys and the run is new). */
  context?: Context;
}

/** Options of `Journal.open`. */
export interface JournalOptions {
  /** Length of a group-commit window: one fdatasync covers every commit in it. @default 5 */
  syncWindowMs?: number;
}

/** The summary written to `run.json`. */
export interface RunSummary {
  run_id: string;
  recipe: string;
  recipe_sha256: string;
  test_id: string;
  /** ok, failed, interrupted, or running while a session is under way. */
  status: string;
  started_at: string;
  ended_at?: string;
  /** Sum of every session's duration. */
  duration_ms: number;
  /** Steps committed over all sessions. */
  committed: number;
  /** This session's step counts. */
  steps?: Record<StepStatus, number>;
  sessions: number;
}

/** Makes a sortable run id: UTC time to the millisecond, then 6 random hex digits. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace(".", "").replace("T", "-");
  const rand = crypto.getRandomValues(new Uint8Array(3));
  return `${t.slice(0, -1)}-${[...rand].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * An open journal. Commits are written at once (so a killed process loses none) and reach the
 * disk with one fdatasync per window; `durable()` waits for that.
 */
export class Journal {
  /** The run directory. */
  readonly dir: string;
  /** The run's id. */
  readonly runId: string;
  #file: Deno.FsFile;
  #header: JournalHeader;
  #windowMs: number;
  #earlier: JournalRecord[];
  #seq = 0;
  #synced = 0;
  #timer?: ReturnType<typeof setTimeout>;
  /** The fdatasync under way, if any. */
  #flushing?: Promise<void>;
  /** Why the last fdatasync failed; close() reports it. */
  #syncError?: unknown;
  /** Bytes of complete records in the file; a failed write is cut back to this. */
  #size = 0;
  /** Set once a write failed (disk full, read-only): every later append throws it. */
  #broken?: Error;
  #waiters: { seq: number; resolve: () => void }[] = [];
  #committed = 0;
  #testId = "";
  #started = new Date();
  /** Each running step's last output lines, for its step-commit or step-end record. */
  #tails = new OutputTails();

  private constructor(
    dir: string,
    file: Deno.FsFile,
    header: JournalHeader,
    earlier: JournalRecord[],
    options: JournalOptions,
  ) {
    this.dir = dir;
    this.runId = header.runId;
    this.#file = file;
    this.#header = header;
    this.#earlier = earlier;
    this.#windowMs = options.syncWindowMs ?? 5;
    this.#committed = earlier.filter((r) => r.kind === "step-commit").length;
  }

  /**
   * Opens (creating it if needed) the run directory `dir` for writing: takes its lock, drops a
   * torn last line and returns the journal with the records already there. Throws UsageError
   * when another live process holds the lock.
   */
  static async open(
    dir: string,
    header: JournalHeader,
    options: JournalOptions = {},
  ): Promise<Journal> {
    const where = "put runs on a writable disk with --state-dir DIR or ORCH_HOME";
    try {
      await Deno.mkdir(dir, { recursive: true });
      await takeLock(dir);
    } catch (err) {
      throw runDirError(err, "write to the run directory", dir, where);
    }
    try {
      const path = `${dir}/journal.jsonl`;
      const { records, validBytes } = await _read(path);
      await Deno.truncate(path, validBytes).catch(() => {}); // absent: created just below
      const file = await Deno.open(path, { append: true, create: true });
      const journal = new Journal(dir, file, header, records, options);
      journal.#size = validBytes;
      return journal;
    } catch (err) {
      await Deno.remove(`${dir}/lock`).catch(() => {});
      throw runDirError(err, "open the journal in", dir, where);
    }
  }

  /** Records a run event (the kinds the journal keeps; output lines are not kept). */
  event(event: RunEvent): void {
    _RECORD[event.kind](this, event as never);
  }

  /** Appends a step's commit: its own writes, at the time they were applied. */
  commit(
    step: string,
    commit: { at: Date; writes: ContextWrite[]; envelope: Envelope; attempts: AttemptRecord[] },
    durationMs: number,
  ): void {
    this.#committed++;
    const { at, writes, envelope, attempts } = commit;
    this.append({
      kind: "step-commit",
      at: at.toISOString(),
      step,
      writes,
      envelope,
      attempts,
      duration_ms: Math.round(durationMs),
      ...this.#tails.take(step),
    });
  }

  /** Keeps a step's output line for the tail in its final record. */
  output(step: string, stream: "stdout" | "stderr", line: string): void {
    this.#tails.add(step, stream, line);
  }

  /** A step's kept output tails as record fields (absent when empty), forgetting them. */
  takeTails(step: string): { stderr_tail?: string[]; stdout_tail?: string[] } {
    return this.#tails.take(step);
  }

  /** Writes one record now; it reaches the disk by the end of the current window. */
  append(record: JournalRecord): void {
    if (record.kind === "run-start") {
      this.#testId = record.test_id;
      this.#started = new Date(record.at);
    }
    if (this.#broken) throw this.#broken;
    const bytes = ENCODER.encode(JSON.stringify(record) + "\n");
    try {
      for (let n = 0; n < bytes.length;) n += this.#file.writeSync(bytes.subarray(n));
    } catch (err) {
      throw this.#broken = this.#writeFailed(err);
    }
    this.#size += bytes.length;
    this.#seq++;
    this.#timer ??= setTimeout(() => this.#flushing = this.#flush(), this.#windowMs);
  }

  /** Cuts a partly written record off (so the file stays loadable) and describes the failure. */
  #writeFailed(err: unknown): Error {
    try {
      this.#file.truncateSync(this.#size);
    } catch { /* the record stays torn: a torn last line is ignored when read */ }
    return runDirError(
      err,
      "append to",
      `${this.dir}/journal.jsonl`,
      `the run stops here; fix the disk, then continue with orch run --resume ${this.runId}`,
    );
  }

  /** Resolves once every record appended so far is on disk (fdatasync). */
  durable(): Promise<void> {
    if (this.#synced >= this.#seq) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#waiters.push({ seq: this.#seq, resolve }));
    this.#flushNow();
    return done;
  }

  /**
   * Someone waits: sync now instead of at the end of the window (waiting longer groups nothing
   * more, it only delays the step). A sync under way re-syncs when it ends, if still needed.
   */
  #flushNow(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#flushing = this.#flush();
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    const upto = this.#seq;
    try {
      await this.#file.syncData();
    } catch (err) {
      this.#syncError ??= err; // close() reports it; waiting steps are let go to fail there
    }
    this.#synced = Math.max(this.#synced, upto);
    this.#waiters = this.#waiters.filter((w) => w.seq > this.#synced || (w.resolve(), false));
    if (this.#waiters.length > 0) this.#flushNow();
  }

  /** Writes `run.json` saying the session is running (before any step starts). */
  async started(): Promise<void> {
    await this.#writeSummary("running", undefined);
  }

  /**
   * Ends the session: syncs the journal, writes `context.json` and `run.json` atomically and
   * releases the lock.
   */
  async close(result: {
    status: string;
    context: Context;
    counts?: Record<StepStatus, number>;
  }): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    await this.#file.syncData();
    this.#file.close();
    if (this.#syncError) {
      throw new UsageError(
        `cannot sync ${this.dir}/journal.jsonl: ${
          (this.#syncError as Error).message ?? this.#syncError
        }`,
      );
    }
    this.#synced = this.#seq;
    for (const w of this.#waiters) w.resolve();
    await writeFileAtomic(
      `${this.dir}/context.json`,
      JSON.stringify(result.context.toJSON(), null, 2) + "\n",
    );
    await this.#writeSummary(result.status, result.counts);
    await Deno.remove(`${this.dir}/lock`).catch(() => {});
  }

  /** Gives the directory up after a failure before any step ran (planning failed). */
  async abandon(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#flushing;
    this.#file.close();
    if (this.#earlier.length === 0 && this.#seq === 0) {
      await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    } else await Deno.remove(`${this.dir}/lock`).catch(() => {});
  }

  async #writeSummary(status: string, counts?: Record<StepStatus, number>): Promise<void> {
    const { starts, endedMs } = sessionsOf(this.#earlier);
    const first = starts[0];
    const now = new Date();
    const thisSession = status === "running" ? 0 : now.getTime() - this.#started.getTime();
    const summary: RunSummary = {
      run_id: this.runId,
      recipe: this.#header.recipe,
      recipe_sha256: this.#header.recipeSha256,
      test_id: this.#testId || (first?.test_id ?? ""),
      status,
      started_at: first?.at ?? this.#started.toISOString(),
      ...(status === "running" ? {} : { ended_at: now.toISOString() }),
      duration_ms: endedMs + thisSession,
      committed: this.#committed,
      ...(counts ? { steps: counts } : {}),
      sessions: starts.length + 1,
    };
    await writeFileAtomic(`${this.dir}/run.json`, JSON.stringify(summary, null, 2) + "\n");
  }

  /** The header and the first-session flag, for the run-start record. */
  runStart(event: Extract<RunEvent, { kind: "run-start" }>): JournalRecord {
    const resumed = this.#earlier.some((r) => r.kind === "run-start");
    const ctx = this.#header.context;
    return {
      kind: "run-start",
      at: event.at.toISOString(),
      run_id: this.runId,
      recipe: this.#header.recipe,
      recipe_sha256: this.#header.recipeSha256,
      test_id: event.testId,
      resumed,
      ...(event.meta ? { meta: event.meta } : {}),
      ...(!resumed && ctx && ctx.keys().length > 0 ? { context: ctx.toJSON() } : {}),
    };
  }
}

/** How the journal records each event kind (adding a kind fails to compile until handled). */
const _RECORD: {
  [K in RunEvent["kind"]]: (j: Journal, e: Extract<RunEvent, { kind: K }>) => void;
} = {
  "run-start": (j, e) => j.append(j.runStart(e)),
  "step-start": (j, e) =>
    j.append({ kind: "step-start", at: e.at.toISOString(), step: e.step, attempt: e.attempt }),
  "step-output": (j, e) => j.output(e.step, e.stream, e.line),
  "step-warning": () => {},
  "cache-hit": () => {}, // the step's commit record holds the replayed writes
  "cache-miss": () => {},
  "step-retry": () => {},
  "step-end": (j, e) => {
    if (succeeded(e.status)) return; // its step-commit record says it all
    j.append({
      kind: "step-end",
      at: e.at.toISOString(),
      step: e.step,
      status: e.status,
      envelope: e.envelope,
      attempts: e.attempts,
      duration_ms: Math.round(e.durationMs),
      ...j.takeTails(e.step),
    });
  },
  "run-end": (j, e) =>
    j.append({
      kind: "run-end",
      at: e.at.toISOString(),
      status: e.status,
      duration_ms: Math.round(e.durationMs),
      counts: e.counts,
    }),
};

/** What a journal says about a run, for resume and `orch show`. */
export interface Replayed {
  runId: string;
  recipe: string;
  /** The recipe hash of the latest session. */
  recipeSha256: string;
  /** The context rebuilt from the first session's start and every commit, with history. */
  context: Context;
  /** Steps with a step-commit record. */
  committed: Set<string>;
  records: JournalRecord[];
}

/** A journal's run-start records (one per session) and its sessions' run-end records. */
export interface Sessions {
  starts: Extract<JournalRecord, { kind: "run-start" }>[];
  ends: Extract<JournalRecord, { kind: "run-end" }>[];
  /** The ended sessions' durations, summed (ms). */
  endedMs: number;
}

/** The sessions of a journal's records (what run.json, `orch runs` and reports summarise). */
export function sessionsOf(records: readonly JournalRecord[]): Sessions {
  const starts: Sessions["starts"] = [];
  const ends: Sessions["ends"] = [];
  for (const r of records) {
    if (r.kind === "run-start") starts.push(r);
    else if (r.kind === "run-end") ends.push(r);
  }
  return { starts, ends, endedMs: ends.reduce((sum, r) => sum + r.duration_ms, 0) };
}

/** Reads `dir/journal.jsonl` and rebuilds the run's context and committed steps. */
export async function replayJournal(dir: string): Promise<Replayed> {
  const { records } = await _read(`${dir}/journal.jsonl`);
  const starts = records.filter((r) => r.kind === "run-start");
  if (starts.length === 0) {
    throw new UsageError(
      `${dir} holds no run journal (no run-start record in journal.jsonl): the run stopped ` +
        `before it started (killed while its recipe was checked?), so there is nothing to resume`,
      "run the recipe again with orch run RECIPE",
    );
  }
  const first = starts[0], last = starts[starts.length - 1];
  const context = first.context ? Context.fromJSON(first.context) : new Context();
  const committed = new Set<string>();
  for (const r of records) {
    if (r.kind !== "step-commit") continue;
    context.apply({ writes: r.writes }, { step: r.step, at: new Date(r.at) });
    committed.add(r.step);
  }
  return {
    runId: first.run_id,
    recipe: last.recipe,
    recipeSha256: last.recipe_sha256,
    context,
    committed,
    records,
  };
}

/**
 * The complete records of a journal file and the byte length they span. An unfinished or
 * unparsable last line (a torn write) is left out; a bad line before it is an error.
 */
async function _read(path: string): Promise<{ records: JournalRecord[]; validBytes: number }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { records: [], validBytes: 0 };
    throw err;
  }
  const records: JournalRecord[] = [];
  const decoder = new TextDecoder();
  let start = 0, line = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    line++;
    const end = nl < 0 ? bytes.length : nl;
    try {
      if (nl < 0) throw new Error("no newline");
      records.push(JSON.parse(decoder.decode(bytes.subarray(start, end))));
    } catch {
      if (nl < 0 || nl + 1 >= bytes.length) break; // a torn last line: ignored
      throw new UsageError(
        `${path} line ${line} is not a journal record (the file is corrupt before its last line)`,
      );
    }
    start = end + 1;
  }
  return { records, validBytes: start };
}
