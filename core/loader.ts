/**
 * @module
 * Resolves a step's `module:` value to a file inside an allowlisted root, or refuses it. Roots
 * come from orch's built-in `steps/` library and from the operator, never from a recipe.
 * Does not import modules; the step Worker does that (see executors/deno_worker.ts).
 */
import { StepLoadError, UsageError, type Where } from "./errors.ts";
import { type ImportChecker, importChecker } from "./import_graph.ts";
import { isInside, realFileSync, realPathSync, shownFrom } from "./paths.ts";

/** orch's install root: the directory holding main.ts, steps/, recipes/ and data/. */
export const ORCH_ROOT: string = _dirOf(new URL("../", import.meta.url));

/** The built-in step library, always allowed. */
export const BUILTIN_STEPS_ROOT: string = `${ORCH_ROOT}/steps`;

/** A module value resolved to a real file. */
export interface ResolvedModule {
  /** What the recipe said. */
  spec: string;
  /** Real (symlink-free) absolute path of the file. */
  path: string;
  /** file: URL to import. */
  url: string;
  /** The allowed root it lies in. */
  root: string;
}

/** Where module lookups happen. */
export interface LoaderOptions {
  /** Directory relative module paths are tried against after the built-in library. */
  baseDir: string;
  /** Extra roots the operator allowed (`--allow-module`, `ORCH_ALLOW_MODULES`). @default [] */
  allowModules?: string[];
}

/** A module resolver with its allowed roots computed once, for resolving many steps. */
export type ModuleResolver = (spec: string, where?: Where) => Promise<ResolvedModule>;

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * The resolution rule for `module:` values:
 * 1. Specifiers with a scheme (`http:`, `npm:`, `file:`, `data:`, ...) are refused; so is any
 *    path with a `..` segment.
 * 2. A relative path is looked up first under orch's install root (so `steps/x.ts` is the
 *    built-in step), then under `baseDir` (the cwd); an absolute path is used as is.
 * 3. The file's real path (symlinks followed) must lie inside an allowed root: the built-in
 *    `steps/` directory or a directory the operator allowed. The first candidate that does is
 *    used; if none does, the first existing one is named in the refusal.
 * 4. Everything the module imports ahead of time (static imports, re-exports, literal
 *    `import()`), and what those import in turn, must lie inside an allowed root or orch's own
 *    `core/`, or be one of orch's dependencies (see import_graph.ts). Checked by lexing, before
 *    the module is ever loaded.
 */
export async function resolveModule(
  spec: string,
  options: LoaderOptions,
  where: Where = {},
): Promise<ResolvedModule> {
  return await (await moduleResolver(options))(spec, where);
}

/**
 * Returns a resolver that applies `resolveModule`'s rule with the allowed roots computed once,
 * and remembers each spec it resolved, so a recipe of many steps sharing a module costs one
 * lookup (roots are checked up front: a missing one is a UsageError here).
 */
export async function moduleResolver(options: LoaderOptions): Promise<ModuleResolver> {
  const roots = await allowedRoots(options.allowModules ?? [], options.baseDir);
  const found = new Map<string, ResolvedModule>();
  const imports = importChecker(roots, realPathSync(`${ORCH_ROOT}/core`));
  return async (spec, where = {}) => {
    const hit = found.get(spec);
    if (hit) return hit;
    const module = _resolve(spec, options.baseDir, roots, where);
    await _checkImports(module, imports, where);
    found.set(spec, module);
    return module;
  };
}

/** Refuses a module whose import graph leaves the allowed roots (import_graph.ts). */
async function _checkImports(module: ResolvedModule, check: ImportChecker, where: Where) {
  const p = await check(module.url);
  if (!p) return;
  const at = `${p.file}:${p.line}:${p.col}`;
  const what = p.specifier !== undefined
    ? `imports "${p.specifier}" at ${at}, which ${p.why}`
    : p.file === module.path
    ? p.why
    : `reaches ${p.file}, which ${p.why}`;
  throw new StepLoadError(
    `cannot load step${_named(where)}: module "${module.spec}" ${what}`,
    where,
    p.specifier === undefined
      ? "fix its syntax; orch lexes every module a step reaches before loading it, and refuses " +
        "one it cannot lex (JSX included)"
      : "move the imported file under steps/ or a directory passed with --allow-module DIR " +
        "(modules may also import orch's core/ and its dependencies by their bare names)",
  );
}

function _resolve(
  spec: string,
  baseDir: string,
  roots: string[],
  where: Where,
): ResolvedModule {
  const rootList = roots.map((r) => shownFrom(r, baseDir)).join(", ");
  const refuse = (why: string, fix: string) =>
    new StepLoadError(`cannot load step${_named(where)}: module "${spec}" ${why}`, where, fix);

  if (SCHEME.test(spec) && !/^[A-Za-z]:[\\/]/.test(spec)) {
    const scheme = spec.slice(0, spec.indexOf(":") + 1);
    throw refuse(
      `uses the ${scheme} scheme; only local files under the allowed roots (${rootList}) load`,
      "copy the module under steps/ or a directory passed with --allow-module DIR",
    );
  }
  if (spec.split(/[\\/]/).includes("..")) {
    throw refuse(
      `contains a ".." segment; module paths may not climb out of a root`,
      `write the path from the root, e.g. "steps/name.ts"`,
    );
  }
  const candidates = spec.startsWith("/") ? [spec] : [`${ORCH_ROOT}/${spec}`, `${baseDir}/${spec}`];
  let outside: string | undefined;
  for (const c of candidates) {
    const real = realFileSync(c);
    if (real === undefined) continue;
    const root = roots.find((r) => real !== r && isInside(real, r));
    if (root) return { spec, path: real, url: _fileUrl(real), root };
    outside ??= real; // keep looking: a later candidate may lie inside a root
  }
  if (outside !== undefined) {
    throw refuse(
      `resolves to ${outside}, outside the allowed roots (${rootList})`,
      "move it under steps/ or pass --allow-module DIR (a recipe cannot widen the allowlist)",
    );
  }
  throw refuse(
    `was not found (looked in ${candidates.map((c) => shownFrom(c, baseDir)).join(", ")})`,
    "check the spelling; built-in steps live in steps/",
  );
}

/**
 * The real paths of the built-in root and the operator's roots. A root that is missing or not a
 * directory is a usage error, reported once rather than against every step.
 */
export async function allowedRoots(extra: string[], baseDir: string): Promise<string[]> {
  const roots = [realPathSync(BUILTIN_STEPS_ROOT)];
  for (const dir of extra) {
    const abs = dir.startsWith("/") ? dir : `${baseDir}/${dir}`;
    let real: string;
    try {
      real = await Deno.realPath(abs);
    } catch {
      throw new UsageError(
        `allowed module root "${dir}" does not exist`,
        "fix the --allow-module DIR / ORCH_ALLOW_MODULES entry",
      );
    }
    if (!(await Deno.stat(real)).isDirectory) {
      throw new UsageError(
        `allowed module root "${dir}" is not a directory`,
        "pass the directory holding the step modules to --allow-module / ORCH_ALLOW_MODULES",
      );
    }
    roots.push(real);
  }
  return roots;
}

function _dirOf(url: URL): string {
  return decodeURIComponent(url.pathname).replace(/\/+$/, "");
}

function _fileUrl(path: string): string {
  return new URL(`file://${path.split("/").map(encodeURIComponent).join("/")}`).href;
}

function _named(where: Where): string {
  return where.step ? ` "${where.step}"` : "";
}
