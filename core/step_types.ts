/**
 * @module
 * The three step types (deno, shell, python): which fields each one needs and allows, checked on
 * the raw recipe so the errors name the field, and the normalised typed step built from a
 * schema-valid one. Knows nothing about running steps.
 */
import type { JsonValue } from "./json_safe.ts";
import type { IssueAt, Step, StepCommon } from "./recipe.ts";
import type { PathSegment } from "./yaml_source.ts";

const FIELDS = {
  deno: ["module", "function", "args", "isolation"],
  shell: ["script", "run", "args", "env", "cwd"],
  python: ["module", "function", "args", "python_path", "isolate"],
} as const;

type StepType = keyof typeof FIELDS;
const TYPE_ONLY = new Set<string>(Object.values(FIELDS).flat());

/** Required, forbidden and type-dependent fields of one raw step (a step of unknown type: none). */
export function typeFieldIssues(
  s: Record<string, unknown>,
  at: PathSegment[],
  issue: IssueAt,
): ReturnType<IssueAt>[] {
  const type = s.type as StepType;
  if (!Object.hasOwn(FIELDS, type)) return [];
  const allowed = new Set<string>(FIELDS[type]);
  const out: ReturnType<IssueAt>[] = [];
  for (const key of Object.keys(s)) {
    if (TYPE_ONLY.has(key) && !allowed.has(key)) {
      out.push(issue(
        [...at, key],
        `"${key}" is not used by ${type} steps (they take ${FIELDS[type].join(", ")}); remove it`,
        "key",
      ));
    }
  }
  const missing = (key: string, what: string) =>
    out.push(issue([...at, key], `missing required field "${key}" (string): ${what}`));
  if (type === "deno" || type === "python") {
    if (s.module === undefined) {
      missing(
        "module",
        type === "deno"
          ? "a deno step needs the step module's path"
          : "a python step needs a dotted module path",
      );
    }
    if (s.function === undefined) missing("function", `a ${type} step needs the scriptlet class`);
    if (Array.isArray(s.args) && s.args.every((a) => typeof a === "string")) {
      out.push(issue([...at, "args"], `${type} step args are a mapping of params, found a list`));
    }
  }
  if (type === "shell") {
    if ((s.script === undefined) === (s.run === undefined)) {
      out.push(issue(
        at,
        s.script === undefined
          ? 'a shell step needs "script" (a file run without a shell) or "run" (a /bin/sh command)'
          : 'a shell step takes "script" or "run", not both',
      ));
    }
    if (s.args !== undefined && !Array.isArray(s.args)) {
      out.push(issue([...at, "args"], "shell step args are a list of strings, found a mapping"));
    }
  }
  return out;
}

/** The typed step for a schema-valid raw step whose type fields passed `typeFieldIssues`. */
export function typedStep(common: StepCommon, s: Record<string, unknown>): Step {
  const params = (s.args ?? {}) as Record<string, JsonValue>;
  switch (s.type as StepType) {
    case "deno":
      return {
        ...common,
        type: "deno",
        module: s.module as string,
        function: s.function as string,
        args: params,
        isolation: (s.isolation as "worker" | "inline" | undefined) ?? "worker",
      };
    case "python":
      return {
        ...common,
        type: "python",
        module: s.module as string,
        function: s.function as string,
        args: params,
        pythonPath: (s.python_path as string[] | undefined) ?? [],
        isolate: (s.isolate as boolean | undefined) ?? false,
      };
    case "shell":
      return {
        ...common,
        type: "shell",
        script: s.script as string | undefined,
        run: s.run as string | undefined,
        args: (s.args as string[] | undefined) ?? [],
        env: (s.env as Record<string, string> | undefined) ?? {},
        cwd: s.cwd as string | undefined,
      };
  }
}
