/**
 * @module
 * Path questions several checks share: whether a path lies inside a directory, how to show it
 * from one, and the real path of a file (sync: an async fs call costs about 10x more here).
 */
import { isAbsolute, relative, resolve } from "node:path";

/** Whether absolute `path` is `dir` or lies below it (`/a/..x` is inside `/a`, `/ab` is not). */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || !(rel === ".." || rel.startsWith("../") || isAbsolute(rel));
}

/** `path` relative to `dir` when it lies below it, else `path` as given (for messages, keys). */
export function shownFrom(path: string, dir: string): string {
  return path !== dir && isInside(path, dir) ? relative(dir, path) : path;
}

/** The real path of `p` when it names an existing file, else undefined. */
export function realFileSync(p: string): string | undefined {
  try {
    if (!Deno.statSync(p).isFile) return undefined;
  } catch {
    return undefined;
  }
  return realPathSync(p);
}

/**
 * The real path of absolute `p`, or `p` normalised when it cannot be resolved (embedded files of
 * a compiled binary may not support realPath).
 */
export function realPathSync(p: string): string {
  try {
    return Deno.realPathSync(p);
  } catch {
    return resolve(p);
  }
}
