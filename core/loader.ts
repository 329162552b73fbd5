/**
 * @module
 * Resolves a step's `module:` value to a file inside an allowlisted root, or refuses it. Roots
 * come from orch's built-in `steps/` library and from the operator, never from a recipe.
 * Does not import modules; the step Worker does that (see executors/deno_worker.ts).
 */
import { StepLoadError, type Where } from "./errors.ts";

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

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * The resolution rule for `module:` values:
 * 1. Specifiers with a scheme (`http:`, `npm:`, `file:`, `data:`, ...) are refused; so is any
 *    path with a `..` segment.
 * 2. A relative path is looked up first under orch's install root (so `steps/x.ts` is the
 *    built-in step), then under `baseDir` (the cwd); an absolute path is used as is.
 * 3. The file's real path (symlinks followed) must lie inside an allowed root: the built-in
 *    `steps/` directory or a directory the operator allowed.
 */
export async function resolveModule(
  spec: string,
  options: LoaderOptions,
  where: Where = {},
): Promise<ResolvedModule> {
  const roots = await allowedRoots(options.allowModules ?? [], options.baseDir);
  const rootList = roots.map((r) => _shown(r, options.baseDir)).join(", ");
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
  const candidates = spec.startsWith("/")
    ? [spec]
    : [`${ORCH_ROOT}/${spec}`, `${options.baseDir}/${spec}`];
  let real: string | undefined;
  for (const c of candidates) {
    try {
      const info = await Deno.stat(c);
      if (info.isFile) {
        real = await _realPath(c);
        break;
      }
    } catch { /* try the next candidate */ }
  }
  if (real === undefined) {
    throw refuse(
      `was not found (looked in ${candidates.map((c) => _shown(c, options.baseDir)).join(", ")})`,
      "check the spelling; built-in steps live in steps/",
    );
  }
  const root = roots.find((r) => real === r || real!.startsWith(r + "/"));
  if (!root) {
    throw refuse(
      `resolves to ${real}, outside the allowed roots (${rootList})`,
      "move it under steps/ or pass --allow-module DIR (a recipe cannot widen the allowlist)",
    );
  }
  return { spec, path: real, url: _fileUrl(real), root };
}

/** The real paths of the built-in root and the operator's roots (missing ones are refused). */
export async function allowedRoots(extra: string[], baseDir: string): Promise<string[]> {
  const roots = [await _realPath(BUILTIN_STEPS_ROOT)];
  for (const dir of extra) {
    const abs = dir.startsWith("/") ? dir : `${baseDir}/${dir}`;
    try {
      roots.push(await Deno.realPath(abs));
    } catch {
      throw new StepLoadError(
        `allowed module root "${dir}" does not exist`,
        {},
        "fix --allow-module / ORCH_ALLOW_MODULES",
      );
    }
  }
  return roots;
}

async function _realPath(p: string): Promise<string> {
  try {
    return await Deno.realPath(p);
  } catch {
    return _normalize(p); // embedded files in a compiled binary may not support realPath
  }
}

function _normalize(p: string): string {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

function _dirOf(url: URL): string {
  return decodeURIComponent(url.pathname).replace(/\/+$/, "");
}

function _fileUrl(path: string): string {
  return new URL(`file://${path.split("/").map(encodeURIComponent).join("/")}`).href;
}

function _shown(p: string, baseDir: string): string {
  return p.startsWith(baseDir + "/") ? p.slice(baseDir.length + 1) : p;
}

function _named(where: Where): string {
  return where.step ? ` "${where.step}"` : "";
}
