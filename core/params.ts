/**
 * @module
 * Checks a step's params against the zod schema its scriptlet declares and describes each
 * problem as a path inside the params plus a message saying what was expected and found.
 */
import { describeFound, valueAt } from "./describe.ts";
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
      return { path, message: _message(i, valueAt(params, path)) };
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
      : `expected ${i.expected}, found ${describeFound(found)}`;
  }
  if (i.code === "unrecognized_keys") return i.message.replace(/^Unrecognized key/, "unknown key");
  return found === undefined ? i.message : `${i.message}, found ${describeFound(found)}`;
}
