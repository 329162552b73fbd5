/**
 * @module
 * `orch new step NAME [--dir DIR]`: writes `steps/<name>.ts` and `tests/<name>_test.ts` under
 * DIR (default: the current directory, the project being worked on), prints the recipe snippet
 * on stderr and the written files as the JSON line. Never overwrites: it writes both files or
 * neither. The file texts come from core/scaffold.ts.
 */
import { dirname, relative } from "node:path";
import { pathExists } from "../api.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { ORCH_ROOT } from "../loader.ts";
import { getLogger, stderrSink } from "../log.ts";
import { scaffoldStep, STEP_NAME_RE } from "../scaffold.ts";
import { type CliOutcome, parseFlags } from "./flags.ts";

export async function cmdNew(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, { dir: { type: "string" } });
  const name = _stepName(positionals);
  const dir = await _projectDir(values.dir as string | undefined);
  await _refuseBuiltinShadow(name, dir);
  const core = _coreImport(dir);
  const scaffold = scaffoldStep(name, core);
  const files = [
    { path: `${dir}/steps/${name}.ts`, text: scaffold.step },
    { path: `${dir}/tests/${name}_test.ts`, text: scaffold.test },
  ];
  await _writeAllOrNone(files);
  const log = getLogger("orch");
  log.info(`wrote ${files.map((f) => f.path).join(" and ")}`);
  log.info(`add this to a recipe's steps: (a module outside orch's steps/ needs --allow-module)`);
  stderrSink(scaffold.recipeSnippet.trimEnd());
  const baseDir = Deno.cwd(); // only to show the user a short path
  log.info(`test it: deno test -P=orch ${relative(baseDir, files[1].path)}`);
  return {
    json: {
      status: "ok",
      step: name,
      class: scaffold.className,
      output_key: scaffold.outputKey,
      files: files.map((f) => f.path),
      recipe_snippet: scaffold.recipeSnippet,
    },
    exitCode: ExitCode.ok,
  };
}

/** NAME of `new step NAME`, checked to be snake_case. */
function _stepName(positionals: string[]): string {
  const [kind, name, ...extra] = positionals;
  if (kind !== "step") {
    throw new UsageError(
      kind === undefined ? "new needs what to create" : `cannot create "${kind}"`,
      "usage: orch new step NAME [--dir DIR]",
    );
  }
  if (name === undefined || extra.length > 0) {
    throw new UsageError("new step takes exactly one NAME", "usage: orch new step NAME");
  }
  if (!STEP_NAME_RE.test(name)) {
    throw new UsageError(
      `step name "${name}" is not snake_case`,
      "use lower-case letters, digits and single underscores, starting with a letter, " +
        "e.g. word_count",
    );
  }
  return name;
}

/** The project directory, absolute and with symlinks resolved; it must exist. */
async function _projectDir(dir: string | undefined): Promise<string> {
  const given = dir ?? ".";
  try {
    const real = await Deno.realPath(given);
    if (!(await Deno.stat(real)).isDirectory) throw new Error("not a directory");
    return real;
  } catch (err) {
    throw new UsageError(
      `--dir "${given}" is not a directory (${(err as Error).message})`,
      "pass an existing project directory, or run orch new from it",
    );
  }
}

/**
 * How the new files import orch's `core/`: relative to the project's `steps/` (and `tests/`,
 * at the same depth) to the core of this orch install, so the step extends the same
 * BaseScriptlet class orch loads it with (`../core` in a clone of orch).
 */
function _coreImport(dir: string): string {
  let root = ORCH_ROOT;
  try {
    root = Deno.realPathSync(ORCH_ROOT);
  } catch { /* inside a compiled binary: keep the embedded path */ }
  const rel = relative(`${dir}/steps`, `${root}/core`);
  return rel.startsWith(".") || rel.startsWith("/") ? rel : `./${rel}`;
}

/** A relative `module: steps/<name>.ts` finds orch's built-in step first: refuse that name. */
async function _refuseBuiltinShadow(name: string, dir: string): Promise<void> {
  const builtin = `${ORCH_ROOT}/steps/${name}.ts`;
  if (!(await pathExists(builtin)) || (await pathExists(`${dir}/steps/${name}.ts`))) return;
  throw new UsageError(
    `orch has a built-in step steps/${name}.ts; a recipe's module: steps/${name}.ts would ` +
      `load it instead of the new one`,
    "choose another name",
  );
}

/**
 * Writes every file (refusing existing ones); after a failure removes those it wrote and the
 * directories it made for them.
 */
async function _writeAllOrNone(files: { path: string; text: string }[]): Promise<void> {
  const written: string[] = [];
  const made: string[] = []; // the outermost directory each mkdir created
  try {
    for (const f of files) {
      let top = dirname(f.path);
      if (await pathExists(top)) top = "";
      else while (!(await pathExists(dirname(top)))) top = dirname(top);
      await Deno.mkdir(dirname(f.path), { recursive: true });
      if (top) made.push(top);
      await Deno.writeTextFile(f.path, f.text, { createNew: true });
      written.push(f.path);
    }
  } catch (err) {
    for (const path of written) await Deno.remove(path).catch(() => {});
    for (const dir of made.reverse()) await Deno.remove(dir, { recursive: true }).catch(() => {});
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new UsageError(
        `${files[written.length].path} already exists; orch new never overwrites a file`,
        "choose another name, or remove the file first",
      );
    }
    throw new UsageError(`cannot write ${files[written.length].path}: ${(err as Error).message}`);
  }
}
