/**
 * @module
 * Flag parsing shared by the CLI commands: the common and run flags, turning flag values into
 * library options, the console view and the starting context. Knows no command.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { readContextFile } from "../context_file.ts";
import { Context } from "../context.ts";
import { UsageError } from "../errors.ts";
import { parseMaxPermissions } from "../permissions.ts";
import { getLogger, useColor } from "../log.ts";
import { didYouMean } from "../suggest.ts";
import { type ConsoleView, consoleView, OUTPUT_MODES } from "./console_view.ts";

/** What main.ts prints and exits with. */
export interface CliOutcome {
  json: unknown;
  exitCode: number;
}

/** Options every command takes. */
export const COMMON: ParseArgsConfig["options"] = {
  "allow-module": { type: "string", multiple: true },
  "max-recipe-bytes": { type: "string" },
};

/** Options of the commands that plan a whole recipe (run, validate, list). */
export const PLANNING: NonNullable<ParseArgsConfig["options"]> = {
  "max-permissions": { type: "string" },
};

export function parseFlags(args: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  try {
    return parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true });
  } catch (err) {
    const known = Object.keys({ ...COMMON, ...options }).map((k) => `--${k}`);
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
    if (unknown === undefined) {
      throw new UsageError((err as Error).message, `options here: ${known.join(", ")}`);
    }
    const hint = didYouMean(unknown, known);
    throw new UsageError(
      `unknown option "${unknown}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      `options here: ${known.join(", ")}, --help`,
    );
  }
}

/** The context a command starts from: the --context file, or an empty one (warnings go to the
 * view, so they print above the progress line). */
export async function startContext(file: string | undefined, view: ConsoleView): Promise<Context> {
  const warn = getLogger("orch", { sink: view.print }).warn;
  return file ? await readContextFile(file, warn) : new Context({ onWarning: warn });
}

/** The console view for stderr as it is: a terminal or not, NO_COLOR, GitHub Actions. */
export function consoleViewFor(output: string): ConsoleView {
  const mode = oneOf(
    "--output",
    output,
    OUTPUT_MODES,
    `use --output ${OUTPUT_MODES.join(" or --output ")}`,
  );
  const tty = Deno.stderr.isTerminal();
  let columns = Infinity;
  try {
    if (tty) columns = Deno.consoleSize().columns;
  } catch { /* no size (e.g. a pseudo-terminal without one): do not cut the progress line */ }
  return consoleView({
    output: mode,
    tty,
    color: useColor(),
    githubActions: Deno.env.get("GITHUB_ACTIONS") === "true",
    columns,
  });
}

/**
 * `value` when it is one of `allowed`; else a UsageError `unknown LABEL "value" (did you mean
 * "x"?)` with `hint`. `label` is the flag (`--type`) or what the value names (`report format`);
 * `suggest` replaces the did-you-mean lookup (e.g. to know aliases).
 */
export function oneOf<const T extends string>(
  label: string,
  value: string,
  allowed: readonly T[],
  hint: string,
  suggest: (value: string) => string | undefined = (v) => didYouMean(v, allowed),
): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const close = suggest(value);
  throw new UsageError(
    `unknown ${label} "${value}"${close ? ` (did you mean "${close}"?)` : ""}`,
    hint,
  );
}

export function onePositional(
  positionals: string[],
  flag: string | undefined,
  cmd: string,
): string {
  const all = flag ? [flag, ...positionals] : positionals;
  if (all.length !== 1) {
    throw new UsageError(
      all.length === 0
        ? `${cmd} needs one argument`
        : `${cmd} takes one argument, got ${all.length}`,
      `see orch ${cmd} --help`,
    );
  }
  return all[0];
}

/** Scheduling and selection flags of `run`. */
export const RUN_FLAGS: NonNullable<ParseArgsConfig["options"]> = {
  concurrency: { type: "string" },
  "keep-going": { type: "boolean" },
  only: { type: "string", multiple: true },
  skip: { type: "string", multiple: true },
  "resume-from": { type: "string" },
  "no-cache": { type: "boolean" },
  isolation: { type: "string" },
};

/** The run options the `RUN_FLAGS` give (step names are checked by the scheduler). */
export function runOptions(values: Record<string, unknown>) {
  const concurrency = values.concurrency as string | undefined;
  if (concurrency !== undefined && !/^[1-9][0-9]*$/.test(concurrency)) {
    throw new UsageError(`--concurrency must be a positive integer, got "${concurrency}"`);
  }
  const names = (flag: string) =>
    (values[flag] as string[] | undefined)?.flatMap((v) => v.split(",")).map((n) => n.trim())
      .filter(Boolean);
  const isolation = values.isolation as string | undefined;
  if (isolation !== undefined && isolation !== "worker" && isolation !== "inline") {
    throw new UsageError(`--isolation must be worker or inline, got "${isolation}"`);
  }
  return {
    isolation: isolation as "worker" | "inline" | undefined,
    concurrency: concurrency === undefined ? undefined : Number(concurrency),
    keepGoing: values["keep-going"] === true,
    only: names("only"),
    skip: names("skip"),
    resumeFrom: values["resume-from"] as string | undefined,
  };
}

export function recipeOptions(values: Record<string, unknown>) {
  const fromEnv = (Deno.env.get("ORCH_ALLOW_MODULES") ?? "").split(":").filter(Boolean);
  const max = values["max-recipe-bytes"] as string | undefined;
  if (max !== undefined && !/^[1-9][0-9]*$/.test(max)) {
    throw new UsageError(`--max-recipe-bytes must be a positive integer, got "${max}"`);
  }
  const baseDir = Deno.cwd();
  const allowModules = [...((values["allow-module"] as string[] | undefined) ?? []), ...fromEnv]
    // operator paths are relative to the cwd, even when a built-in recipe moves the base dir
    .map((dir) => dir.startsWith("/") ? dir : `${baseDir}/${dir}`);
  const ceiling = values["max-permissions"] as string | undefined;
  return {
    baseDir,
    allowModules,
    maxRecipeBytes: max === undefined ? undefined : Number(max),
    // like --allow-module, relative to the cwd
    maxPermissions: ceiling === undefined ? undefined : parseMaxPermissions(ceiling, baseDir),
  };
}

/** Parses a JSON-valued flag; a parse error is a usage error showing an example. */
export function jsonFlag(text: string, flag: string, example: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `${flag} is not valid JSON: ${(err as Error).message}`,
      `quote it for the shell: ${flag} ${example}`,
    );
  }
}
