/**
 * @module
 * Reads a numbers file the way the original framework's steps did: one number per line, blank
 * lines and `#` comments skipped, each line parsed like Python's `float()` (finite values only).
 * Shared by the built-in number steps; not a step itself.
 */

const FLOAT =
  /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;

/**
 * The whitespace Python's float() ignores around a number. Unlike JS's trim(), it
 * includes U+0085 and excludes U+FEFF.
 */
const EDGE_SPACE =
  /^[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

function _strip(text: string): string {
  return text.replace(EDGE_SPACE, "");
}

/**
 * Parses one line like Python's float(); returns undefined for anything else (nan, inf, values
 * that overflow to infinity). Only ASCII digits are accepted, where Python also takes other
 * Unicode decimal digits.
 */
export function parseFloatStrict(text: string): number | undefined {
  const s = _strip(text);
  if (!FLOAT.test(s)) return undefined;
  const n = Number(s.replaceAll("_", ""));
  return Number.isFinite(n) ? n : undefined;
}

/** Reads the numbers in `path`; throws an Error naming the first bad line. */
export async function readNumbers(path: string): Promise<number[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(`file not found: ${path}`);
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  const numbers: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = _strip(lines[i]);
    if (line === "" || line.startsWith("#")) continue;
    const n = parseFloatStrict(line);
    if (n === undefined) {
      throw new Error(
        `${path}:${i + 1}: not a finite number: ${JSON.stringify(line.slice(0, 40))}`,
      );
    }
    numbers.push(n);
  }
  if (numbers.length === 0) throw new Error(`${path} contains no numbers`);
  return numbers;
}

/** Reads `value[field]` as a finite number; throws an Error naming `key` and the field if not. */
export function finiteField(value: unknown, field: string, key: string): number {
  const v = typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[field]
    : undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new Error(
      `context key "${key}" has no finite number "${field}" (found ${JSON.stringify(v) ?? "none"})`,
    );
  }
  return v;
}

/**
 * Reads `value` as a non-empty list of finite numbers; throws an Error naming `key` and the
 * first bad item if it is not one. Used by the steps that read numbers from the context.
 */
export function finiteList(value: unknown, key: string): number[] {
  if (!Array.isArray(value)) {
    throw new Error(
      `context key "${key}" is not a list of numbers (found ${_shown(value)})`,
    );
  }
  if (value.length === 0) throw new Error(`context key "${key}" is an empty list`);
  const bad = value.findIndex((v) => typeof v !== "number" || !Number.isFinite(v));
  if (bad >= 0) {
    throw new Error(
      `context key "${key}" item ${bad} is not a finite number (found ${_shown(value[bad])})`,
    );
  }
  return value as number[];
}

function _shown(value: unknown): string {
  const text = JSON.stringify(value) ?? "none";
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * The power of two at or just below the largest magnitude in `numbers` (0 when all are 0).
 * Dividing by it is exact, so sums of the scaled values cannot overflow yet round exactly as
 * the unscaled sums would wherever those stay finite.
 */
function _scale(numbers: number[]): number {
  const largest = numbers.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  return largest === 0 ? 0 : 2 ** Math.floor(Math.log2(largest));
}

/** The arithmetic mean of a non-empty list of finite numbers; finite even where the sum is not. */
export function meanOf(numbers: number[]): number {
  const k = _scale(numbers);
  if (k === 0) return 0;
  let sum = 0;
  for (const x of numbers) sum += x / k;
  return (sum / numbers.length) * k;
}

/**
 * The population standard deviation (divides by n, like Python's `statistics.pstdev` and numpy's
 * default) of a non-empty list of finite numbers, computed in two passes on scaled values.
 */
export function populationStd(numbers: number[]): number {
  const k = _scale(numbers);
  if (k === 0) return 0;
  const scaled = numbers.map((x) => x / k);
  const mean = meanOf(scaled);
  let squares = 0;
  for (const y of scaled) squares += (y - mean) ** 2;
  return Math.sqrt(squares / numbers.length) * k;
}

/** The median of a non-empty list sorted ascending; halves before adding so it cannot overflow. */
export function medianOfSorted(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : sorted[mid - 1] / 2 + sorted[mid] / 2;
}

/** Reads `value[field]` as a non-empty list of finite numbers; throws naming `key` if not. */
export function listField(value: unknown, field: string, key: string): number[] {
  const v = typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[field]
    : undefined;
  if (v === undefined) {
    throw new Error(`context key "${key}" has no list "${field}"`);
  }
  return finiteList(v, `${key}.${field}`);
}

/** Throws an Error naming `key` and the step that writes it when the context lacks `key`. */
export function requireKey(
  ctx: { has(key: string): boolean },
  key: string,
  producer: string,
  consumer: string,
): void {
  if (!ctx.has(key)) {
    throw new Error(
      `context key "${key}" is missing; run ${producer} (steps/${producer}.ts) before ${consumer}`,
    );
  }
}
