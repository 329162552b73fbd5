/**
 * @module
 * Defines what a JSON-safe value is and checks it: null, booleans, finite numbers, strings,
 * arrays and plain objects of these. Does not store anything; the context calls it on every write.
 */

/** A value that survives `JSON.stringify`/`JSON.parse` unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * Finds the first part of `value` that is not JSON-safe. Returns null when the whole value is
 * safe, or a message naming the path inside the value, e.g. `numbers.stats_v1.mean: NaN is not
 * JSON-safe`. `root` is the name the path starts from (usually the context key).
 */
export function findUnsafe(value: unknown, root: string): string | null {
  return _check(value, root, new Set());
}

/** True when `value` is JSON-safe. */
export function isJsonSafe(value: unknown): value is JsonValue {
  return findUnsafe(value, "value") === null;
}

/** Deep copy of a JSON-safe value (callers check safety first). */
export function copyJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

function _check(value: unknown, path: string, seen: Set<object>): string | null {
  switch (typeof value) {
    case "string":
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(value) ? null : `${path}: ${_numberName(value)} is not JSON-safe` +
        " (store a finite number, or null)";
    case "undefined":
      return `${path}: undefined is not JSON-safe (store null, or leave the key out)`;
    case "bigint":
      return `${path}: BigInt is not JSON-safe (store it as a string or a safe integer)`;
    case "function":
      return `${path}: a function is not JSON-safe`;
    case "symbol":
      return `${path}: a symbol is not JSON-safe`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return `${path}: circular reference is not JSON-safe`;
  if (Array.isArray(obj)) {
    seen.add(obj);
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj)) return `${path}[${i}]: a hole in a sparse array is not JSON-safe`;
      const bad = _check(obj[i], `${path}[${i}]`, seen);
      if (bad) return bad;
    }
    seen.delete(obj);
    return null;
  }
  const kind = _nonPlainKind(obj);
  if (kind) return `${path}: ${kind}`;
  if (Object.getOwnPropertySymbols(obj).length > 0) {
    return `${path}: an object with symbol keys is not JSON-safe`;
  }
  seen.add(obj);
  for (const key of Object.keys(obj)) {
    const bad = _check((obj as Record<string, unknown>)[key], `${path}.${key}`, seen);
    if (bad) return bad;
  }
  seen.delete(obj);
  return null;
}

function _numberName(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  return n > 0 ? "Infinity" : "-Infinity";
}

/** Names why a non-array object is not a plain object, or returns null for a plain object. */
function _nonPlainKind(obj: object): string | null {
  if (obj instanceof Date) return "a Date is not JSON-safe (store date.toISOString())";
  if (obj instanceof Map) return "a Map is not JSON-safe (store Object.fromEntries(map))";
  if (obj instanceof Set) return "a Set is not JSON-safe (store [...set])";
  if (obj instanceof RegExp) return "a RegExp is not JSON-safe (store its source string)";
  if (obj instanceof Error) return "an Error is not JSON-safe (store error.message)";
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
    return "a typed array or ArrayBuffer is not JSON-safe (store Array.from(bytes))";
  }
  const proto = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null) return null;
  const name = proto?.constructor?.name ?? "unknown";
  return `an instance of class ${name} is not JSON-safe (store a plain object)`;
}
