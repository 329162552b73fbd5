/**
 * @module
 * The step cache: entries stored by fingerprint hash under `<stateDir>/cache/<hash>.json`, and
 * an index from a step's identity (recipe path + step name) to the parts of its last stored
 * entry, so that a miss can say what changed. Every write is atomic (a temp file in the same
 * directory, then a rename); an entry that cannot be read or parsed is a miss, never an error.
 * Entries are not fsynced: after a power loss one may be lost or torn, which reads as a miss.
 * Does not compute fingerprints (see fingerprint.ts) and does not decide which steps are cached.
 *
 * Layout: `<stateDir>/cache/<hash>.json` (entries), `<stateDir>/cache/index/<sha256 of step
 * id>.json` (`{stepId, hash, parts}` of that step's last store).
 */
import { join } from "node:path";
import type { ContextWrite } from "./context.ts";
import type { OkEnvelope } from "./envelope.ts";
import { ABSENT, type Fingerprint, sha256 } from "./fingerprint.ts";

/** One cached step result. */
export interface CacheEntry extends Fingerprint {
  /** The step's identity when stored (see `stepId`). */
  stepId: string;
  /** The step's name when stored. */
  step: string;
  /** The envelope the step returned. */
  envelope: OkEnvelope;
  /** The context writes the step made (its delta), in order. */
  writes: ContextWrite[];
  /** ISO 8601 time of storing. */
  created: string;
}

/** The cache of one state directory. */
export interface StepCache {
  /** The entry stored under `hash`, or undefined (also when it is unreadable or corrupt). */
  lookup(hash: string): Promise<CacheEntry | undefined>;
  /** Stores `entry` under its hash and records its parts as its step's latest. */
  store(entry: CacheEntry): Promise<void>;
  /** Every readable entry, oldest first. */
  list(): Promise<CacheEntry[]>;
  /** Removes every entry and the index; returns how many entries there were. */
  clear(): Promise<number>;
  /** Why `parts` missed: one line per part that differs from the step's last stored entry. */
  explainMiss(stepId: string, parts: Record<string, string>): Promise<string[]>;
  /**
   * Records `parts` as the step's latest fingerprint without storing a result: a step replayed
   * from an entry another step stored explains its next miss against what it last used.
   */
  remember(stepId: string, hash: string, parts: Record<string, string>): Promise<void>;
}

/** Options of `openCache`. */
export interface CacheOptions {
  /** Creates temp-file suffixes (tests replace it). @default crypto.randomUUID */
  randomId?: () => string;
}

/** The explanation of a step that was never stored. */
export const NO_EARLIER_ENTRY = "no earlier entry";

/** The identity a step's index record is kept under: its recipe's path and its name. */
export function stepId(recipeFile: string, stepName: string): string {
  return `${recipeFile}#${stepName}`;
}

/**
 * The identity of a planned step in the index: `stepId` of its recipe's absolute path (a relative
 * recipe path is taken from the plan's base directory) and its name.
 */
export function planStepId(plan: { recipe: { file: string }; baseDir: string }, step: string) {
  const file = plan.recipe.file;
  return stepId(file.startsWith("/") ? file : `${plan.baseDir}/${file}`, step);
}

/** A stored entry's writes, those it recorded under its step's old name given to `name`. */
export function replayedWrites(
  entry: Pick<CacheEntry, "writes" | "step">,
  name: string,
): ContextWrite[] {
  return entry.writes.map((w) => ({ ...w, who: w.who === entry.step ? name : w.who }));
}

/** Opens the cache under `<stateDir>/cache/`; nothing is created until the first store. */
export function openCache(stateDir: string, options: CacheOptions = {}): StepCache {
  const dir = join(stateDir, "cache");
  const indexDir = join(dir, "index");
  const randomId = options.randomId ?? (() => crypto.randomUUID());
  const indexName = async (id: string) => `${await sha256(id)}.json`;
  const lookup = (hash: string): Promise<CacheEntry | undefined> => {
    if (!HASH.test(hash)) return Promise.resolve(undefined);
    const entry = _asEntry(_readJson(join(dir, `${hash}.json`)));
    return Promise.resolve(entry && entry.hash === hash ? entry : undefined);
  };

  return {
    lookup,
    async store(entry) {
      if (!HASH.test(entry.hash)) throw new TypeError(`not a sha256 hex hash: "${entry.hash}"`);
      await _writeAtomic(dir, `${entry.hash}.json`, entry, randomId);
      await this.remember(entry.stepId, entry.hash, entry.parts);
    },
    async remember(stepId, hash, parts) {
      const name = await indexName(stepId);
      const known = _readJson(join(indexDir, name));
      if (_isRecord(known) && known.stepId === stepId && known.hash === hash) return; // unchanged
      await _writeAtomic(indexDir, name, { stepId, hash, parts }, randomId);
    },
    async list() {
      const entries: CacheEntry[] = [];
      for (const name of await _names(dir)) {
        const entry = await lookup(name.slice(0, -".json".length));
        if (entry) entries.push(entry);
      }
      return entries.sort((a, b) => a.created < b.created ? -1 : a.created > b.created ? 1 : 0);
    },
    async clear() {
      const count = (await _names(dir)).filter((n) => HASH.test(n.slice(0, -".json".length)))
        .length;
      await Deno.remove(dir, { recursive: true }).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
      return count;
    },
    async explainMiss(id, parts) {
      const record = _readJson(join(indexDir, await indexName(id)));
      if (!_isRecord(record) || record.stepId !== id || !_isStringMap(record.parts)) {
        return [NO_EARLIER_ENTRY];
      }
      const changes = explainParts(record.parts, parts);
      return changes.length > 0
        ? changes
        : ["nothing changed since the last stored entry, but that entry is missing or unreadable"];
    },
  };
}

/** One line per part that differs between `before` and `after`, sorted by part name. */
export function explainParts(
  before: Record<string, string>,
  after: Record<string, string>,
): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.flatMap((name) => {
    const [was, now] = [before[name], after[name]];
    if (was === now) return [];
    if (was === undefined) return [`${name} is a new input`];
    if (now === undefined) return [`${name} is no longer an input`];
    if (was === ABSENT) return [`${name} changed (was absent)`];
    if (now === ABSENT) return [`${name} changed (now absent)`];
    return [`${name} changed`];
  });
}

const HASH = /^[0-9a-f]{64}$/;

/** The entry if `value` has an entry's shape, else undefined. */
function _asEntry(value: unknown): CacheEntry | undefined {
  if (!_isRecord(value)) return undefined;
  const { hash, parts, stepId, step, envelope, writes, created } = value;
  const ok = typeof hash === "string" && _isStringMap(parts) && typeof stepId === "string" &&
    typeof step === "string" && typeof created === "string" && _isRecord(envelope) &&
    envelope.status === "ok" && Array.isArray(envelope.outputs) && Array.isArray(writes) &&
    writes.every((w) =>
      _isRecord(w) && typeof w.key === "string" && typeof w.who === "string" && "value" in w
    );
  return ok ? value as unknown as CacheEntry : undefined;
}

function _isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function _isStringMap(v: unknown): v is Record<string, string> {
  return _isRecord(v) && Object.values(v).every((x) => typeof x === "string");
}

/**
 * Parsed JSON of a file, or undefined when it is missing, unreadable or not JSON. Read
 * synchronously: entries are small and an async read costs about 10x a sync one here (80 µs
 * against 9 µs), which was most of a cached step's look-up (bench workload 9).
 */
function _readJson(path: string): unknown {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
}

/** Names of the `.json` files directly in `dir` (none when it does not exist). */
async function _names(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names;
}

/** Writes `value` as JSON to `dir/name` through a temp file in `dir` and a rename. */
async function _writeAtomic(
  dir: string,
  name: string,
  value: unknown,
  randomId: () => string,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const temp = join(dir, `.${name}.${randomId()}.tmp`);
  try {
    await Deno.writeTextFile(temp, JSON.stringify(value));
    await Deno.rename(temp, join(dir, name));
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}
