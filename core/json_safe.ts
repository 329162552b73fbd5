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

/** Deepest nesting a value may have; deeper values are refused instead of overflowing the stack. */
const MAX_DEPTH = 1000;

/**
 * Finds the first part of `value` that is not JSON-safe. Returns null when the whole value is
 * safe, or a message naming the path inside the value, e.g. `numbers.stats_v1.mean: NaN is not
 * JSON-safe`. `root` is the name the path starts from (usually the context key).
 */
export function findUnsafe(value: unknown, root: string): string | null {
  return _check(value, root, new Set(), 0);
}

/** True when `value` is JSON-safe. */
export function isJsonSafe(value: unknown): value is JsonValue {
  return findUnsafe(value, "value") === null;
}

/**
 * Deep copy of a JSON-safe value (callers check safety first). The copy is what a JSON round trip
 * gives, so a value stored now equals the same value read back from a saved file (`-0` becomes 0,
 * an own `__proto__` key stays an own key).
 */
export function copyJson<T extends JsonValue>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

function _check(value: unknown, path: string, seen: Set<object>, depth: number): string | null {
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
  if (depth >= MAX_DEPTH) {
    const shown = path.length > 80 ? `${path.slice(0, 60)}...` : path; // not 1000 segments
    return `${shown}: nesting deeper than ${MAX_DEPTH} levels is not JSON-safe`;
  }
  const kind = Array.isArray(obj) ? _nonPlainArrayKind(obj) : _nonPlainKind(obj);
  if (kind) return `${path}: ${kind}`;
  if (Object.getOwnPropertySymbols(obj).length > 0) {
    return `${path}: an object with symbol keys is not JSON-safe`;
  }
  seen.add(obj);
  const bad = Array.isArray(obj)
    ? _checkItems(obj, path, seen, depth)
    : _checkFields(obj as Record<string, unknown>, path, seen, depth);
  seen.delete(obj);
  return bad;
}

function _checkItems(arr: unknown[], path: string, seen: Set<object>, depth: number) {
  for (let i = 0; i < arr.length; i++) {
    if (!Object.hasOwn(arr, i)) return `${path}[${i}]: a hole in a sparse array is not JSON-safe`;
    const bad = _check(arr[i], `${path}[${i}]`, seen, depth + 1);
    if (bad) return bad;
  }
  const named = Object.keys(arr).find((k) => !_isIndex(k));
  return named === undefined
    ? null
    : `${_fieldPath(path, named)}: a named property on an array is not JSON-safe ` +
      "(JSON keeps only the items; use an object)";
}

function _checkFields(
  obj: Record<string, unknown>,
  path: string,
  seen: Set<object>,
  depth: number,
) {
  for (const key of Object.keys(obj)) {
    const bad = _check(obj[key], _fieldPath(path, key), seen, depth + 1);
    if (bad) return bad;
  }
  return null;
}

/** `path.key` for identifier-like keys, `path["odd key"]` otherwise, so the path is unambiguous. */
function _fieldPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function _isIndex(key: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}

function _numberName(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  return n > 0 ? "Infinity" : "-Infinity";
}

/** Names why an array is not a plain array (a subclass instance), or returns null. */
function _nonPlainArrayKind(arr: unknown[]): string | null {
  if (Object.getPrototypeOf(arr) === Array.prototype) return null;
  const name = Object.getPrototypeOf(arr)?.constructor?.name ?? "unknown";
  return `an instance of array class ${name} is not JSON-safe (store a plain array: [...items])`;
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
