/**
 * @module
 * Refuses symlinks that would lead a TS step out of its grant. Deno checks a Worker's read and
 * write grants against a path as written and then follows links, so a link inside a granted
 * directory that points outside every granted path opens its target to the step. Before a run,
 * each directory a TS step may read or write is scanned for such links; each one found is a
 * validation problem of that step. Owns the scan and the rule; computes no grants
 * (permissions.ts) and cannot stop links made while the run goes on (see README "Safety and
 * limits").
 *
 * The rule: a symlink found under a directory granted for `read` (`write`) is fine when its real
 * target (or, for a dangling link, the path it names) lies within a path the same step may read
 * (write), compared both as granted and with links resolved; otherwise it is refused.
 * Bounds: directories named in SKIPPED_DIRS are not entered (links in them are not checked);
 * links to directories are not followed (their target is checked instead); directories orch
 * cannot list are skipped (the step cannot list them either); a granted directory holding more
 * than MAX_SCAN_ENTRIES entries is refused as too big to check.
 */
import { dirname, resolve } from "node:path";
import type { Recipe } from "./recipe.ts";
import { type Issue, stepIssue } from "./errors.ts";
import { memo } from "./memo.ts";
import { isInside } from "./paths.ts";

/** How many entries one granted directory may hold before it is refused as too big to check. */
export const MAX_SCAN_ENTRIES = 50_000;

/**
 * Directory names not entered by the scan: links inside them are not checked. `.orch` is orch's
 * own run directory (it grows with every run); `.git` and `node_modules` are big and hold links
 * of their own (package managers link within them); `.coverage` is where `deno test --coverage`
 * (orch's own `make test`) writes one profile per process, 100,000 files after a CI run.
 */
export const SKIPPED_DIRS: readonly string[] = [".git", "node_modules", ".orch", ".coverage"];

/** One link that leads a grant out, or a directory too big to check. */
export interface LinkProblem {
  /** The grant kind whose directory holds the link. */
  kind: "read" | "write";
  /** What is wrong (without who is granted). */
  message: string;
  /** How to fix it. */
  hint: string;
}

type Scan = { links: { path: string; target: string }[] } | { tooBig: true };

/**
 * Returns a checker of grants that scans each directory once, however many steps share it, and
 * remembers each grant's verdict.
 */
export function grantLinkChecker(
  maxEntries = MAX_SCAN_ENTRIES,
): (grant: Deno.PermissionOptionsObject) => Promise<LinkProblem[]> {
  const scans = new Map<string, Promise<Scan>>();
  const verdicts = new Map<string, Promise<LinkProblem[]>>();
  const scan = (dir: string) => memo(scans, dir, () => _scan(dir, maxEntries));
  const check = async (grant: Deno.PermissionOptionsObject) => {
    const out: LinkProblem[] = [];
    for (const kind of ["read", "write"] as const) {
      const paths = grant[kind];
      if (!Array.isArray(paths)) continue; // true: everything is granted anyway; false: nothing
      const abs = paths.map((p) => String(p));
      const within = [...abs, ...(await Promise.all(abs.map(_realOrSelf)))];
      for (const granted of abs) {
        const dir = await _realDir(granted);
        if (dir === undefined) continue;
        out.push(..._problems(kind, granted, await scan(dir), within, maxEntries));
      }
    }
    return out;
  };
  // steps with the same permissions block share one grant object (permissions.ts)
  const byGrant = new Map<Deno.PermissionOptionsObject, Promise<LinkProblem[]>>();
  return (grant) =>
    memo(
      byGrant,
      grant,
      () => memo(verdicts, JSON.stringify([grant.read, grant.write]), () => check(grant)),
    );
}

/**
 * The link problems of every TS step of a recipe (`grants[i]` is `recipe.steps[i]`'s grant), as
 * issues placed at the step's permissions block (or the step, when it has none); one per granted
 * directory. Steps named in `refused` (their grant is refused already) are not scanned.
 */
export async function grantLinkIssues(
  recipe: Recipe,
  grants: Deno.PermissionOptionsObject[],
  refused: Issue[] = [],
): Promise<Issue[]> {
  const check = grantLinkChecker();
  const skip = new Set(refused.map((i) => i.step));
  const issues: Issue[] = [];
  const verdicts = recipe.steps.map((step) =>
    step.type !== "deno" || skip.has(step.name) ? [] : check(grants[step.index])
  );
  for (const step of recipe.steps) {
    const problems = verdicts[step.index];
    for (const p of Array.isArray(problems) ? problems : await problems) {
      const path = step.permissions ? ["permissions", p.kind] : [];
      issues.push(stepIssue(recipe, step, path, `step "${step.name}" ${p.message}; ${p.hint}`));
    }
  }
  return issues;
}

function _problems(
  kind: "read" | "write",
  granted: string,
  scan: Scan,
  within: string[],
  maxEntries: number,
): LinkProblem[] {
  if ("tooBig" in scan) {
    return [{
      kind,
      message: `is granted ${kind} access to "${granted}", which holds more than ${maxEntries} ` +
        `entries: too many to check for symlinks leading out of the grant`,
      hint: `grant narrower directories (permissions: ${kind}: [data]) instead`,
    }];
  }
  const out = scan.links.filter((l) => !within.some((w) => isInside(l.target, w)));
  if (out.length === 0) return [];
  const [first] = out;
  const more = out.length > 1 ? ` (and ${out.length - 1} more such links)` : "";
  return [{
    kind,
    message: `is granted ${kind} access to "${granted}", which holds the symlink "${first.path}" ` +
      `pointing to ${first.target}${more}, outside every path the step may ${kind}; Deno ` +
      `follows links, so the step could ${kind} ${first.target}`,
    hint: `remove the link, or grant its target explicitly (permissions: ${kind}: [..., ` +
      `"${first.target}"]), or grant a narrower directory that does not hold it`,
  }];
}

/** Every symlink under `dir` (not entering SKIPPED_DIRS nor linked directories). */
async function _scan(dir: string, maxEntries: number): Promise<Scan> {
  const links: { path: string; target: string }[] = [];
  const todo = [dir];
  let seen = 0;
  while (todo.length > 0) {
    const d = todo.pop()!;
    let entries: Deno.DirEntry[];
    try {
      // sync: one async op per directory cost 5x more (a repository of 60 directories: 5 ms)
      entries = Array.from(Deno.readDirSync(d));
    } catch {
      continue; // orch cannot list it, so neither can the step
    }
    seen += entries.length;
    if (seen > maxEntries) return { tooBig: true };
    for (const e of entries) {
      const path = `${d}/${e.name}`;
      if (e.isSymlink) links.push({ path, target: await _target(path) });
      else if (e.isDirectory && !SKIPPED_DIRS.includes(e.name)) todo.push(path);
    }
  }
  return { links };
}

/** Where a link leads: its real path, or for a dangling link the path it names. */
async function _target(link: string): Promise<string> {
  try {
    return await Deno.realPath(link);
  } catch {
    try {
      return resolve(dirname(link), await Deno.readLink(link));
    } catch {
      return link;
    }
  }
}

async function _realDir(path: string): Promise<string | undefined> {
  try {
    const real = await Deno.realPath(path);
    return (await Deno.stat(real)).isDirectory ? real : undefined;
  } catch {
    return undefined; // missing: nothing to scan
  }
}

async function _realOrSelf(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return path;
  }
}
