/**
 * @module
 * Checks a step's params against the zod schema its scriptlet declares and describes each
 * problem as a path inside the params plus a message saying what was expected and found.
 */
import type { ZodType } from "zod";

/** One params problem: where inside `args` and what is wrong. */
export interface ParamIssue {
  path: (string | number)[];
  message: string;
}

/** Result of checking params: the parsed value (defaults applied) or the issues. */
export type ParamCheck =
  | { ok: true; value: unknown }
  | { ok: false; issues: ParamIssue[] };

/** Parses `params` with `schema`; without a schema the params pass unchanged. */
export function checkParams(schema: ZodType | undefined, params: unknown): ParamCheck {
  if (!schema) return { ok: true, value: params };
  const result = schema.safeParse(params);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => {
      const path = i.path.filter((p) => typeof p !== "symbol") as (string | number)[];
      return { path, message: _message(i, _valueAt(params, path)) };
    }),
  };
}

/** Formats issues as one line: `src: expected string, found number 12345; ...`. */
export function formatParamIssues(issues: ParamIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`)
    .join("; ");
}

function _message(i: { code: string; message: string; expected?: string }, found: unknown) {
  if (i.code === "invalid_type") {
    return found === undefined
      ? `missing required param (expected ${i.expected})`
      : `expected ${i.expected}, found ${_describe(found)}`;
  }
  if (i.code === "unrecognized_keys") return i.message.replace(/^Unrecognized key/, "unknown key");
  return found === undefined ? i.message : `${i.message}, found ${_describe(found)}`;
}

function _valueAt(v: unknown, path: (string | number)[]): unknown {
  for (const seg of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function _describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  const shown = JSON.stringify(v) ?? String(v);
  return `${typeof v} ${shown.length > 40 ? shown.slice(0, 40) + "…" : shown}`;
}
