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
