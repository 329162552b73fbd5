/**
 * @module
 * The CLI side of run directories: where they live (`--state-dir`, `ORCH_HOME`, `.orch/`),
 * opening a new or resumed run's journal for `orch run`, and the `runs` and `show` commands.
 */
import { findRecipe } from "../api.ts";
import type { Context } from "../context.ts";
import { UsageError } from "../errors.ts";
import { sha256Once } from "../fingerprint.ts";
import {
  Journal,
  newRunId,
  type Replayed,
  replayJournal,
  type RunSummary,
  sessionsOf,
} from "../journal.ts";
import { stderrSink } from "../log.ts";
import { DEFAULT_MAX_RECIPE_BYTES, readRecipeBytes } from "../recipe_file.ts";
import { lockHolder } from "../run_lock.ts";
import { alignColumns } from "./table.ts";

/** The state directory: `--state-dir`, else `ORCH_HOME`, else `.orch`, relative to baseDir. */
export function stateDir(flag: string | undefined, baseDir: string): string {
  const dir = flag ?? Deno.env.get("ORCH_HOME") ?? ".orch";
  return dir.startsWith("/") ? dir : `${baseDir}/${dir}`;
}

/** A run's directory from its id (under the state dir) or a path to the directory itself. */
export function runDir(idOrDir: string, state: string, baseDir: string): string {
  const dir = idOrDir.includes("/") ? idOrDir : `${state}/runs/${idOrDir}`;
  try {
    Deno.statSync(`${dir}/journal.jsonl`);
  } catch {
    throw new UsageError(
      `no run "${idOrDir}": ${dir}/journal.jsonl does not exist`,
      `orch runs${state.endsWith("/.orch") ? "" : ` --state-dir ${state}`} lists the runs`,
    );
  }
  return dir.startsWith("/") ? dir : `${baseDir}/${dir}`;
}

/** What `orch run` needs to journal a run: the journal, the recipe, the resumed state. */
export interface OpenedRun {
  journal: Journal;
  /** The recipe to run (as given, or the journal's when resuming without one). */
  file: string;
  /** When resuming: the rebuilt context and the committed steps. */
  resumed?: Replayed;
}

/**
 * Opens a new run directory, or the one `resume` names: takes its lock, reads its journal and
 * refuses a changed recipe unless `force`.
 */
export async function openRun(options: {
  file?: string;
  state: string;
  resume?: string;
  force: boolean;
  context: Context;
  /** Where a relative recipe or run directory is found. */
  baseDir: string;
  /** Size limit of the recipe file (`--max-recipe-bytes`). @default DEFAULT_MAX_RECIPE_BYTES */
  maxRecipeBytes?: number;
}): Promise<OpenedRun> {
  const maxBytes = options.maxRecipeBytes ?? DEFAULT_MAX_RECIPE_BYTES;
  if (options.resume === undefined) {
    const file = options.file!;
    const { path, sha256 } = await _recipeHash(file, options.baseDir, maxBytes);
    const runId = newRunId();
    const journal = await Journal.open(`${options.state}/runs/${runId}`, {
      runId,
      recipe: path,
      recipeSha256: sha256,
      context: options.context,
    });
    await journal.started();
    return { journal, file };
  }
  const dir = runDir(options.resume, options.state, options.baseDir);
  const before = await replayJournal(dir);
  const file = options.file ?? before.recipe;
  const { path, sha256 } = await _recipeHash(file, options.baseDir, maxBytes);
  if (sha256 !== before.recipeSha256 && !options.force) {
    throw new UsageError(
      `recipe ${path} changed since run ${before.runId} (sha256 ${
        before.recipeSha256.slice(0, 12)
      }... in the journal, ${sha256.slice(0, 12)}... now)`,
      "restore the recipe, or pass --force to resume with the changed recipe",
    );
  }
  const journal = await Journal.open(dir, {
    runId: before.runId,
    recipe: path,
    recipeSha256: sha256,
  });
  await journal.started();
  // read again under the lock: another session may have ended between the first read and now
  return { journal, file, resumed: await replayJournal(dir) };
}

/** The recipe's path and sha256, read with the same checks (size, directory) as loading it. */
async function _recipeHash(file: string, baseDir: string, maxBytes: number) {
  const found = await findRecipe(file, baseDir);
  const path = found.file.startsWith("/") ? found.file : `${baseDir}/${found.file}`;
  const bytes = await readRecipeBytes(path, maxBytes);
  return { path, sha256: await sha256Once(bytes) };
}

/**
 * A run's summary as `runs` and `show` report it; a run whose process died says "crashed".
 * `run.json` is trusted only once a session ended cleanly (it is final then); while it says
 * `running` (or is missing) the counts come from the journal, the source of truth: a session that
 * died mid-run (killed, or its disk failed) never rewrote `run.json`. `replayed` saves reading the
 * journal again when the caller already did.
 */
export async function readSummary(dir: string, replayed?: Replayed): Promise<RunSummary> {
  const written = await _runJson(dir);
  if (written && written.status !== "running") return written;
  const summary = _fromJournal(replayed ?? await replayJournal(dir), written);
  if ((await lockHolder(dir)) === undefined) summary.status = "crashed";
  return summary;
}

/** `run.json`, or undefined when it is missing or unreadable. */
async function _runJson(dir: string): Promise<RunSummary | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
  } catch {
    return undefined;
  }
}

/**
 * The summary of a run that has not ended cleanly, from its journal: commits and sessions
 * counted, duration = the ended sessions' plus the last one's up to its last record.
 */
function _fromJournal(replayed: Replayed, written?: RunSummary): RunSummary {
  const { records } = replayed;
  const { starts, endedMs } = sessionsOf(records);
  const last = starts.at(-1), lastAt = records.at(-1)?.at;
  const open = records.at(-1)?.kind !== "run-end" && last !== undefined && lastAt !== undefined;
  return {
    ...written,
    run_id: replayed.runId,
    recipe: replayed.recipe,
    recipe_sha256: replayed.recipeSha256,
    test_id: last?.test_id ?? written?.test_id ?? "",
    status: "running",
    started_at: starts[0]?.at ?? written?.started_at ?? "",
    duration_ms: endedMs + (open ? Math.max(0, Date.parse(lastAt) - Date.parse(last.at)) : 0),
    committed: replayed.committed.size,
    sessions: starts.length,
  };
}

/** `orch runs`: the recent runs, newest first. */
export async function listRuns(
  state: string,
  limit: number,
  options: { quiet?: boolean } = {},
): Promise<RunSummary[]> {
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(`${state}/runs`)) if (e.isDirectory) ids.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  ids.sort().reverse();
  const out: RunSummary[] = [];
  for (const id of ids.slice(0, limit)) {
    try {
      out.push(await readSummary(`${state}/runs/${id}`));
    } catch { /* not a run directory (no journal yet): not listed */ }
  }
  if (!options.quiet) { for (const line of _table(out)) stderrSink(line); }
  return out;
}

/** `orch show`: one run's summary and its final context (rebuilt from the journal if needed). */
export async function showRun(dir: string): Promise<{ run: RunSummary; context: unknown }> {
  const written = await _runJson(dir);
  if (written && written.status !== "running") {
    try {
      return { run: written, context: JSON.parse(await Deno.readTextFile(`${dir}/context.json`)) };
    } catch { /* no final context after all: rebuilt from the journal below */ }
  }
  const replayed = await replayJournal(dir); // read once, for the summary and the context
  return { run: await readSummary(dir, replayed), context: replayed.context.toJSON() };
}

function _table(runs: RunSummary[]): string[] {
  const rows = [
    ["RUN", "STATUS", "STARTED", "DURATION", "RECIPE"],
    ...runs.map((r) => [
      r.run_id,
      r.status,
      r.started_at,
      `${(r.duration_ms / 1000).toFixed(1)} s`,
      r.recipe,
    ]),
  ];
  return alignColumns(rows);
}
