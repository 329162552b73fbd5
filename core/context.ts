/**
 * @module
 * The context: the JSON-safe key/value store steps share, with the history of who wrote what.
 * It changes only through `apply(delta)`; a step writes into a `StepContext` whose delta the
 * runner applies when the step succeeds and drops when it fails (transactional steps).
 */
import { ContextError } from "./errors.ts";
import { copyJson, findUnsafe, type JsonValue } from "./json_safe.ts";

export type { JsonValue } from "./json_safe.ts";

/** One recorded write. */
export interface HistoryEntry {
  /** The key written. */
  key: string;
  /** Who the step said wrote it (`ctx.set(key, value, {who})`). */
  who: string;
  /** The recipe step whose run made the write; absent for writes made outside a run. */
  step?: string;
  /** The kind of write (only `set` for now). */
  op: "set";
  /** ISO 8601 timestamp. */
  at: string;
}

/** A write a step made, waiting to be applied. */
export interface ContextWrite {
  /** The key to write. */
  key: string;
  /** The JSON value to store. */
  value: JsonValue;
  /** Who made the write, recorded in the history. */
  who: string;
}

/** Every write one step attempt made, in order. */
export interface ContextDelta {
  /** The writes, in the order they were made. */
  writes: ContextWrite[];
}

/** Options of a write. */
export interface SetOptions {
  /** Name of the writer, recorded in the history. @default the step's name */
  who?: string;
}

/** What a step sees of the context: reads and writes, never the whole store. */
export interface ContextView {
  /** A copy of the value under `key`, or undefined. */
  get(key: string): JsonValue | undefined;
  /** True when `key` holds a value. */
  has(key: string): boolean;
  /** Every key present. */
  keys(): string[];
  /** Writes `value` under `key`; throws ContextError on a bad key or value. */
  set(key: string, value: unknown, options?: SetOptions): void;
}

/** The read side a step's view is built on: a Map, or a live view of a Context's data. */
export interface ContextBase {
  /** The stored value under `key` (not a copy), or undefined. */
  get(key: string): JsonValue | undefined;
  /** True when `key` holds a value. */
  has(key: string): boolean;
  /** Every key, in the order they were first written. */
  keys(): Iterable<string>;
}

/**
 * Read access to a run's context for executors, without copying it: the whole data, or the
 * writes since an earlier version (what a pooled Worker's replica needs to catch up).
 */
export interface ContextReader {
  /** Grows by one with every committed write; -1 for a reader that has no change log. */
  readonly version: number;
  /** A copy of all data. */
  snapshot(): Record<string, JsonValue>;
  /**
   * The writes (key, stored value; do not mutate) after `version` up to `this.version`, oldest
   * first, or undefined when the log no longer reaches back that far (send a snapshot then).
   */
  changesSince(version: number): [string, JsonValue][] | undefined;
  /** The data itself, read in place (values must not be mutated); for in-process steps. */
  live?(): ContextBase;
}

/** A reader over a fixed snapshot: no change log, so every consumer gets the whole data. */
export function snapshotReader(data: Record<string, JsonValue>): ContextReader {
  return { version: -1, snapshot: () => data, changesSince: () => undefined };
}

/** Serialised form of a context (`toJSON`/`fromJSON`). */
export interface ContextJson {
  /** Every key's value. */
  data: Record<string, JsonValue>;
  /** The write history, oldest first. */
  history: HistoryEntry[];
}

/** Receives warnings such as "key has no _vN suffix"; the CLI prints them on stderr. */
export type WarningSink = (message: string) => void;

const KEY_RE = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;
const VERSION_RE = /_v[0-9]+$/;

/** Checks a key's shape. Throws ContextError when refused; returns a warning text or null. */
export function checkKey(key: unknown): string | null {
  if (typeof key !== "string" || !KEY_RE.test(key)) {
    const shown = typeof key === "string" ? JSON.stringify(key) : `of type ${typeof key}`;
    throw new ContextError(
      `context key ${shown} is invalid: keys are dotted strings, with at least two ` +
        `segments of [a-z0-9_]`,
      'use a namespaced, versioned key such as "numbers.stats_v1"',
    );
  }
  return VERSION_RE.test(key) ? null : `context key "${key}" has no version suffix ` +
    `(_v1, _v2, ...); add one so later changes to its shape can live beside it`;
}

/** Checks a value and returns a private deep copy, or throws ContextError naming the bad path. */
export function admitValue(key: string, value: unknown): JsonValue {
  // strings, booleans, null and finite numbers are immutable: no copy needed (-0 becomes 0)
  if (typeof value === "string" || typeof value === "boolean" || value === null) return value;
  if (typeof value === "number" && Number.isFinite(value)) return value === 0 ? 0 : value;
  const bad = findUnsafe(value, key);
  if (bad) throw new ContextError(bad);
  return copyJson(value as JsonValue);
}

/** Checks the `who` of a write: a string, or absent when there is a `fallback` to take. */
function _who(who: unknown, key: string, fallback?: string): string {
  if (who === undefined && fallback !== undefined) return fallback;
  if (typeof who !== "string") {
    throw new ContextError(`write of "${key}": "who" must be a string, got ${typeof who}`);
  }
  return who;
}

/** The run's shared store. */
export class Context implements ContextView, ContextReader {
  #data = new Map<string, JsonValue>();
  #history: HistoryEntry[] = [];
  #warn: WarningSink;
  /** Recent writes for `changesSince`: entry i is version `#logBase + i + 1`. */
  #log: [string, JsonValue][] = [];
  #logBase = 0;

  /** Creates an empty context; `onWarning` receives key warnings. */
  constructor(options: { onWarning?: WarningSink } = {}) {
    this.#warn = options.onWarning ?? (() => {});
  }

  /** A copy of the value under `key`, or undefined. */
  get(key: string): JsonValue | undefined {
    const value = this.#data.get(key);
    return value === undefined ? undefined : copyJson(value);
  }

  /** True when `key` holds a value. */
  has(key: string): boolean {
    return this.#data.has(key);
  }

  /** Keys in the order they were first written. */
  keys(): string[] {
    return [...this.#data.keys()];
  }

  /** Writes one key directly (outside any step). Use `apply` for a step's writes. */
  set(key: string, value: unknown, options: SetOptions = {}): void {
    const warning = checkKey(key);
    const copy = admitValue(key, value);
    const who = _who(options.who, key, "user");
    if (warning) this.#warn(warning);
    this.#commit([{ key, value: copy, who }], undefined, new Date());
  }

  /**
   * Applies a step's delta: every write is checked first, then all are committed together, so a
   * bad write leaves the context unchanged.
   */
  apply(delta: ContextDelta, meta: { step?: string; at?: Date } = {}): void {
    if (!Array.isArray(delta?.writes)) throw new ContextError('a delta must have a "writes" array');
    const checked = delta.writes.map((w: ContextWrite) => {
      checkKey(w?.key);
      return { key: w.key, value: admitValue(w.key, w.value), who: _who(w.who, w.key) };
    });
    this.#commit(checked, meta.step, meta.at ?? new Date());
  }

  /** Grows by one with every committed write. */
  get version(): number {
    return this.#logBase + this.#log.length;
  }

  /** The writes after `version`, oldest first (see ContextReader). */
  changesSince(version: number): [string, JsonValue][] | undefined {
    if (version < this.#logBase || version > this.version) return undefined;
    return this.#log.slice(version - this.#logBase);
  }

  /** The stored data itself, read-only (for inline steps: values must not be mutated). */
  live(): ContextBase {
    return this.#data;
  }

  /** The write history, oldest first (a copy). */
  history(): HistoryEntry[] {
    return this.#history.map((h) => ({ ...h }));
  }

  /** A copy of all data, for handing a snapshot to a step. */
  snapshot(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of this.#data) out[k] = copyJson(v);
    return out;
  }

  /** The data and history, in the form `fromJSON` reads back. */
  toJSON(): ContextJson {
    return { data: this.snapshot(), history: this.history() };
  }

  /**
   * Restores a context from `toJSON()` output. Also accepts a plain `{key: value}` object (no
   * history), which is what a hand-written `--context` file usually is.
   */
  static fromJSON(json: unknown, options: { onWarning?: WarningSink } = {}): Context {
    const ctx = new Context(options);
    if (!_isPlainObject(json)) {
      throw new ContextError("a context file must hold a JSON object");
    }
    const full = Object.hasOwn(json, "data") || Object.hasOwn(json, "history");
    const extra = Object.keys(json).filter((k) => k !== "data" && k !== "history");
    if (full && extra.length > 0) {
      throw new ContextError(
        `a context in the {"data", "history"} form cannot also hold ${JSON.stringify(extra[0])}`,
        'put every key under "data"',
      );
    }
    const data = full ? json.data : json;
    if (!_isPlainObject(data)) throw new ContextError('context "data" must be an object');
    const warnings: string[] = [];
    for (const [key, value] of Object.entries(data)) {
      const warning = checkKey(key);
      if (warning) warnings.push(warning);
      ctx.#data.set(key, admitValue(key, value));
    }
    const history = full ? json.history ?? [] : [];
    if (!Array.isArray(history)) throw new ContextError('context "history" must be an array');
    ctx.#history = history.map(_historyEntry);
    for (const w of warnings) ctx.#warn(w);
    return ctx;
  }

  #commit(writes: ContextWrite[], step: string | undefined, at: Date): void {
    const iso = _iso(at);
    for (const w of writes) {
      this.#data.set(w.key, w.value);
      this.#log.push([w.key, w.value]);
      const entry: HistoryEntry = { key: w.key, who: w.who, op: "set", at: iso };
      if (step !== undefined) entry.step = step;
      this.#history.push(entry);
    }
    // the log only needs to reach replicas a few steps behind; a replica further back gets a
    // snapshot, so keep it about as long as the data is large
    const keep = Math.max(1024, this.#data.size);
    if (this.#log.length > 2 * keep) {
      const drop = this.#log.length - keep;
      this.#log = this.#log.slice(drop);
      this.#logBase += drop;
    }
  }
}

/**
 * The view one step attempt gets: reads see the snapshot plus the step's own writes; writes are
 * checked immediately (so the step fails where it wrote) and collected into a delta.
 */
export class StepContext implements ContextView {
  #base: ContextBase;
  #writes: ContextWrite[] = [];
  #own = new Map<string, JsonValue>();
  #defaultWho: string;
  #warn: WarningSink;

  /** Creates a step's view over the `base` snapshot; `who` is the default writer name. */
  constructor(
    base: Record<string, JsonValue> | ContextBase,
    options: { who: string; onWarning?: WarningSink },
  ) {
    this.#base = _isBase(base) ? base : new Map(Object.entries(base));
    this.#defaultWho = options.who;
    this.#warn = options.onWarning ?? (() => {});
  }

  /** A copy of the value under `key`: this step's own write if any, else the snapshot's. */
  get(key: string): JsonValue | undefined {
    if (this.#own.has(key)) return copyJson(this.#own.get(key)!);
    const value = this.#base.get(key);
    return value === undefined ? undefined : copyJson(value);
  }

  /** True when `key` is in the snapshot or was written by this step. */
  has(key: string): boolean {
    return this.#own.has(key) || this.#base.has(key);
  }

  /** The snapshot's keys, then the keys this step added. */
  keys(): string[] {
    const keys = [...this.#base.keys()];
    for (const k of this.#own.keys()) if (!this.#base.has(k)) keys.push(k);
    return keys;
  }

  /** Checks a write and records it in the step's delta; the snapshot is never changed. */
  set(key: string, value: unknown, options: SetOptions = {}): void {
    const warning = checkKey(key);
    const copy = admitValue(key, value);
    const who = _who(options.who, key, this.#defaultWho);
    if (warning) this.#warn(warning);
    this.#own.set(key, copy);
    this.#writes.push({ key, value: copy, who });
  }

  /** The writes made so far, in order (a copy). */
  delta(): ContextDelta {
    return { writes: this.#writes.map((w) => ({ ...w, value: copyJson(w.value) })) };
  }
}

let _lastMs = NaN, _lastIso = "";

/** `at.toISOString()`, reusing the last text while the millisecond is the same. */
function _iso(at: Date): string {
  const ms = at.getTime();
  if (ms !== _lastMs) [_lastMs, _lastIso] = [ms, at.toISOString()];
  return _lastIso;
}

function _isBase(v: Record<string, JsonValue> | ContextBase): v is ContextBase {
  return typeof v.get === "function"; // JSON values are never functions
}

function _isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function _historyEntry(raw: unknown, i: number): HistoryEntry {
  const bad = (why: string) => new ContextError(`context history[${i}] ${why}`);
  if (
    !_isPlainObject(raw) || typeof raw.key !== "string" || typeof raw.who !== "string" ||
    typeof raw.at !== "string"
  ) {
    throw bad('must be an object with string "key", "who" and "at"');
  }
  if (!KEY_RE.test(raw.key)) throw bad(`has an invalid key ${JSON.stringify(raw.key)}`);
  if (raw.op !== "set") {
    throw bad(`has op ${JSON.stringify(raw.op) ?? "undefined"}; only "set" exists`);
  }
  if (!ISO_RE.test(raw.at) || Number.isNaN(Date.parse(raw.at))) {
    throw bad(`has "at" ${JSON.stringify(raw.at)}, which is not an ISO 8601 timestamp`);
  }
  if (raw.step !== undefined && typeof raw.step !== "string") throw bad('has a non-string "step"');
  const entry: HistoryEntry = { key: raw.key, who: raw.who, op: "set", at: raw.at };
  if (raw.step !== undefined) entry.step = raw.step;
  return entry;
}
