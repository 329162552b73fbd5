/**
 * @module
 * Journal helpers of the tests that run orch: a run directory's records and commits, the only run
 * directory under a state dir, and waiting for a live run's journal to show something.
 */
import type { JournalRecord } from "../core/journal.ts";

/** The records of a run directory's journal; none while it has no journal yet. */
export async function records(runDir: string): Promise<JournalRecord[]> {
  const text = await Deno.readTextFile(`${runDir}/journal.jsonl`).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  });
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

/** The steps with a step-commit record, in journal order. */
export function commitsOf(recs: JournalRecord[]): string[] {
  return recs.filter((r) => r.kind === "step-commit").map((r) => r.step);
}

/** The only run directory under `state`, or undefined before orch made one. */
export async function onlyRun(state: string): Promise<string | undefined> {
  const ids = await Array.fromAsync(Deno.readDir(`${state}/runs`)).catch(() => []);
  return ids.length === 1 ? `${state}/runs/${ids[0].name}` : undefined;
}

/**
 * Polls the only run directory under `state` every `everyMs` until its journal's records pass
 * `until` or `child` exits; returns that run directory (undefined if the child exited before
 * making one). Throws after `timeoutMs`. A record being written (a torn last line) reads as not
 * yet.
 */
export async function untilJournal(
  state: string,
  until: (recs: JournalRecord[]) => boolean,
  options: { child?: Deno.ChildProcess; timeoutMs?: number; everyMs?: number } = {},
): Promise<string | undefined> {
  const { child, timeoutMs = 30_000, everyMs = 2 } = options;
  let exited = false;
  child?.status.then(() => exited = true);
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    const done = exited; // read before the journal: what an exited child wrote is all there is
    const runDir = await onlyRun(state);
    if (runDir && until(await records(runDir).catch(() => []))) return runDir;
    if (done) return runDir;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`no journal under ${state} passed ${until} within ${timeoutMs} ms`);
}
