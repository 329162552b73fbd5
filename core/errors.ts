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
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** Where an error happened. Every field is optional; fill what is known. */
export interface Where {
  file?: string;
  line?: number;
  col?: number;
  /** Field path inside the recipe, e.g. `steps[2].module`. */
  path?: string;
  step?: string;
}

/** One problem found while validating; a validation error carries a list of them. */
export interface Issue extends Where {
  message: string;
}

/** Base class of every orch error. */
export class OrchError extends Error {
  readonly exitCode: ExitCode;
  readonly where: Where;
  readonly hint?: string;

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
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.invalid, hint });
  }
}

/** A file could not be read or decoded as a recipe (missing, directory, too big, bad UTF-8, YAML). */
export class RecipeSyntaxError extends OrchError {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(_summary(issues), { exitCode: ExitCode.invalid, where: issues[0] });
    this.issues = issues;
  }
}

/** The recipe parsed but breaks the schema or a rule (duplicates, unsupported keys, params). */
export class RecipeValidationError extends OrchError {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(_summary(issues), { exitCode: ExitCode.invalid, where: issues[0] });
    this.issues = issues;
  }
}

/** A step module could not be resolved or loaded (allowlist, missing file, missing export). */
export class StepLoadError extends OrchError {
  constructor(message: string, where: Where, hint?: string) {
    super(message, { exitCode: ExitCode.invalid, where, hint });
  }
}

/** A step ran and failed: error envelope, thrown error, crash, or failed `success` assertion. */
export class StepFailedError extends OrchError {
  constructor(message: string, step: string) {
    super(message, { exitCode: ExitCode.stepFailed, where: { step } });
  }
}

/** A value cannot enter the context (not JSON-safe, bad key). */
export class ContextError extends OrchError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.stepFailed, hint });
  }
}

/** The run was interrupted by SIGINT/SIGTERM. */
export class InterruptedError extends OrchError {
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
