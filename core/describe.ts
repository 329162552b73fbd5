/**
 * @module
 * How error messages show the value they found: `string "abc"`, `number 12345`, `a mapping`,
 * `an empty list`. Also fetches the value at a field path. Shared by recipe and params checks.
 */

/** The value at `path` inside `root`, or undefined when the path does not exist. */
export function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** A short description of a found value for "expected X, found Y" messages. */
export function describeFound(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length === 0 ? "an empty list" : "a list";
  if (typeof v === "object") return "a mapping";
  const shown = JSON.stringify(v) ?? String(v);
  return `${typeof v} ${shown.length > 40 ? shown.slice(0, 40) + "…" : shown}`;
}
