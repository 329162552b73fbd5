/**
 * @module
 * The error taxonomy: every failure orch reports is one of these values, carrying an exit code,
 * where it happened (file:line:col, field path, step) and a hint. Only main.ts turns them into
 * exit codes and the stdout JSON line; library code throws or returns them, never prints.
 */

/** Exit codes of the CLI, one per error family. */
export const ExitCode = {
  ok: 0,
  stepFailed: 1,
  invalid: 2,
  interrupted: 130,
} as const;
/** One of the `ExitCode` values. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** Where an error happened. Every field is optional; fill what is known. */
export interface Where {
  /** Path of the file. */
  file?: string;
  /** Line number (1-based). */
  line?: number;
  /** Column number (1-based). */
  col?: number;
  /** Field path inside the recipe, e.g. `steps[2].module`. */
  path?: string;
  /** Name of the recipe step. */
  step?: string;
}

/** One problem found while validating; a validation error carries a list of them. */
export interface Issue extends Where {
  /** What is wrong. */
  message: string;
}

/** Formats a path as `steps[2].module`; keys that are not plain names are quoted: `args["a.b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (!/^[A-Za-z_$][\w$-]*$/.test(String(seg))) out += `[${JSON.stringify(String(seg))}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out || "(root)";
}

/** A recipe file as issues need it: its path and where a field path sits in it. */
export interface Located {
  /** Path of the recipe file. */
  file: string;
  /** Line and column (1-based) of the field at `path`, or of its closest existing ancestor. */
  locate(path: readonly (string | number)[], at?: "key" | "value"): { line: number; col: number };
}

/** An issue at a field path of a recipe: file:line:col, the path as text, and the step if any. */
export function issueAt(
  recipe: Located,
  path: readonly (string | number)[],
  message: string,
  step?: string,
): Issue {
  return {
    file: recipe.file,
    ...recipe.locate(path),
    path: formatPath(path),
    ...(step === undefined ? {} : { step }),
    message,
  };
}

/** An issue at `path` inside a step (`["args", "src"]`; `[]` for the step itself). */
export function stepIssue(
  recipe: Located,
  step: { index: number; name: string },
  path: readonly (string | number)[],
  message: string,
): Issue {
  return issueAt(recipe, ["steps", step.index, ...path], message, step.name);
}

/** Issues in file order, by line then column (a stable sort: one place keeps its order). */
export function byPosition(issues: Issue[]): Issue[] {
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

/** Base class of every orch error. */
export class OrchError extends Error {
  /** Exit code the CLI ends with for this error. */
  readonly exitCode: ExitCode;
  /** Where the error happened (empty when unknown). */
  readonly where: Where;
  /** A suggestion for fixing the problem. */
  readonly hint?: string;

  /** Creates an error with its exit code and, optionally, where it happened and a hint. */
  constructor(message: string, options: { exitCode: ExitCode; where?: Where; hint?: string }) {
    super(message);
    this.name = new.target.name;
    this.exitCode = options.exitCode;
    this.where = options.where ?? {};
    this.hint = options.hint;
  }
}

/** Bad command-line usage: unknown flag, missing argument, malformed --params. */
export class UsageError extends OrchError {
  /** Creates a usage error (exit code 2). */
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.invalid, hint });
  }
}

/** A file could not be read or decoded as a recipe (missing, directory, too big, bad UTF-8, YAML). */
export class RecipeSyntaxError extends OrchError {
  /** Every problem found, in file order. */
  readonly issues: Issue[];
  /** Creates the error from its issues; the message summarises them, `where` is the first. */
  constructor(issues: Issue[]) {
    super(_summary(issues), { exitCode: ExitCode.invalid, where: issues[0] });
    this.issues = issues;
  }
}

/** The recipe parsed but breaks the schema or a rule (duplicates, unsupported keys, params). */
export class RecipeValidationError extends OrchError {
  /** Every problem found, in file order. */
  readonly issues: Issue[];
  /** Creates the error from its issues; the message summarises them, `where` is the first. */
  constructor(issues: Issue[]) {
    super(_summary(issues), { exitCode: ExitCode.invalid, where: issues[0] });
    this.issues = issues;
  }
}

/** A step module could not be resolved or loaded (allowlist, missing file, missing export). */
export class StepLoadError extends OrchError {
  /** Creates the error for the module at `where` (exit code 2). */
  constructor(message: string, where: Where, hint?: string) {
    super(message, { exitCode: ExitCode.invalid, where, hint });
  }
}

/** A step ran and failed: error envelope, thrown error, crash, or failed `success` assertion. */
export class StepFailedError extends OrchError {
  /** Creates the error for the failed `step` (exit code 1). */
  constructor(message: string, step: string) {
    super(message, { exitCode: ExitCode.stepFailed, where: { step } });
  }
}

/** A value cannot enter the context (not JSON-safe, bad key). */
export class ContextError extends OrchError {
  /** Creates the error (exit code 1). */
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.stepFailed, hint });
  }
}

/** The run was interrupted by SIGINT/SIGTERM. */
export class InterruptedError extends OrchError {
  /** Creates the error naming the `signal` received (exit code 130). */
  constructor(signal: string) {
    super(`interrupted by ${signal}; running step was told to stop`, {
      exitCode: ExitCode.interrupted,
    });
  }
}

/** Collects issues from several phases so `validate` reports all of them, not just the first. */
export function issuesOf(error: unknown): Issue[] | undefined {
  if (error instanceof RecipeSyntaxError || error instanceof RecipeValidationError) {
    return error.issues;
  }
  if (error instanceof StepLoadError) {
    return [{
      ...error.where,
      message: error.hint ? `${error.message}; ${error.hint}` : error.message,
    }];
  }
  return undefined;
}

/** Formats an issue as `file:line:col: path: message` for humans. */
export function formatIssue(issue: Issue): string {
  const at = [issue.file, issue.line, issue.col].filter((p) => p !== undefined).join(":");
  const path = issue.path ? `${issue.path}: ` : "";
  return `${at ? at + ": " : ""}${path}${issue.message}`;
}

function _summary(issues: Issue[]): string {
  if (issues.length === 0) return "invalid recipe";
  const first = formatIssue(issues[0]);
  return issues.length === 1 ? first : `${first} (and ${issues.length - 1} more)`;
}
