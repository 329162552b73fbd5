/**
 * @module
 * Merges the contexts of parallel branches that started from one common context (the fan-in of a
 * recipe run node by node, `orch context merge`). Pure: JSON in, JSON out; reads no files.
 *
 * The common base is the longest common prefix of the branches' histories. Each branch's writes
 * after the base are applied in branch order (a key's value is the branch's final value for it).
 * Under `fail_on_conflict`, two branches writing one key after the base is an error naming the key
 * and both writers; under `last_write_wins`, the later branch wins.
 */
import type { ContextJson, HistoryEntry, JsonValue } from "./context.ts";
import { ContextError } from "./errors.ts";
import { copyJson } from "./json_safe.ts";

/** How writes of different branches to one key may be merged (a recipe's `context.merge`). */
export const MERGE_STRATEGIES = ["last_write_wins", "fail_on_conflict"] as const;

/** How writes of different branches to one key are merged (as a recipe's `context.merge`). */
export type MergeStrategy = typeof MERGE_STRATEGIES[number];

/** Options of `mergeContexts`. */
export interface MergeOptions {
  /** The merge strategy. @default "last_write_wins" */
  merge?: MergeStrategy;
  /** A name per branch for messages (e.g. its file). @default "branch 1", "branch 2", ... */
  labels?: string[];
}

/**
 * Merges branch contexts into one: the base, then every branch's later writes in order, with the
 * merged history. Throws ContextError on a conflict (fail_on_conflict) or when the branches
 * disagree on a value none of them recorded writing (they did not start from one context).
 */
export function mergeContexts(branches: ContextJson[], options: MergeOptions = {}): ContextJson {
  if (branches.length === 0) throw new ContextError("nothing to merge: no context given");
  const labels = branches.map((_, i) => options.labels?.[i] ?? `branch ${i + 1}`);
  const base = commonPrefix(branches.map((b) => b.history));
  const data = new Map<string, JsonValue>();
  const history = branches[0].history.slice(0, base).map((h) => ({ ...h }));
  const writers = new Map<string, { entry: HistoryEntry; branch: number }>();
  const laters = branches.map((b) => b.history.slice(base));
  const anyWritten = new Set(laters.flat().map((h) => h.key));
  branches.forEach((branch, i) => {
    for (const [key, value] of Object.entries(branch.data)) {
      if (!anyWritten.has(key)) _unrecorded(data, key, value, labels[i]);
    }
  });
  branches.forEach((branch, i) => {
    const later = laters[i];
    const written = new Set(later.map((h) => h.key));
    for (const entry of later) {
      const earlier = writers.get(entry.key);
      if (options.merge === "fail_on_conflict" && earlier && earlier.branch !== i) {
        throw _conflict(entry.key, [earlier.entry, labels[earlier.branch]], [entry, labels[i]]);
      }
      writers.set(entry.key, { entry, branch: i });
      history.push({ ...entry });
    }
    for (const key of written) {
      if (!Object.hasOwn(branch.data, key)) {
        throw new ContextError(
          `${labels[i]}: its history records a write of "${key}" but its data has no such key`,
        );
      }
      data.set(key, copyJson(branch.data[key]));
    }
  });
  return { data: Object.fromEntries(data), history };
}

/** Length of the longest common prefix of the histories (entries compared field by field). */
export function commonPrefix(histories: HistoryEntry[][]): number {
  const shortest = Math.min(...histories.map((h) => h.length));
  for (let n = 0; n < shortest; n++) {
    const first = _same(histories[0][n]);
    if (histories.some((h) => _same(h[n]) !== first)) return n;
  }
  return shortest;
}

/** A key no branch recorded writing after the base: every branch must hold the same value. */
function _unrecorded(data: Map<string, JsonValue>, key: string, value: JsonValue, label: string) {
  if (!data.has(key)) {
    data.set(key, copyJson(value));
    return;
  }
  if (JSON.stringify(data.get(key)) === JSON.stringify(value)) return;
  throw new ContextError(
    `${label} holds a different "${key}" than the branches before it, and no history after ` +
      `their common base records the write`,
    "merge only contexts that started from one context (each branch's --context-in)",
  );
}

function _same(h: HistoryEntry): string {
  return JSON.stringify([h.key, h.who, h.step ?? null, h.op, h.at]);
}

function _conflict(
  key: string,
  [first, firstIn]: [HistoryEntry, string],
  [second, secondIn]: [HistoryEntry, string],
): ContextError {
  return new ContextError(
    `context conflict: "${key}" is written by ${_writer(first)} in ${firstIn} and by ` +
      `${_writer(second)} in ${secondIn} after their common base (merge is fail_on_conflict)`,
    "make the branches write different keys, or merge with last_write_wins",
  );
}

function _writer(h: HistoryEntry): string {
  return h.step === undefined ? `who "${h.who}"` : `step "${h.step}" (who "${h.who}")`;
}
