/**
 * @module
 * Pinned step modules: `pinModules` hashes (sha256) every step file under the allowed module
 * roots into an `orch.lock.json`; `pinIssues` checks the files a plan will load against the lock
 * (when there is one) and reports each changed or unpinned file as a validation issue. Pinned
 * files: scripts (.ts .tsx .mts .js .jsx .mjs), shell scripts (.sh) and Python modules (.py)
 * under the built-in `steps/` root (keys `steps/...`, relative to orch's install) and under the
 * operator's `--allow-module` roots (keys relative to the lock's directory). Checked files: each
 * deno step's module and the local modules it imports that lie in a root, a shell step's
 * `script`, and a python step's module file when it lies in a root. Does not resolve modules
 * (loader.ts) nor decide what runs (plan.ts).
 */
import { dirname, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Issue, stepIssue } from "./errors.ts";
import { sha256, walkLocalImports } from "./fingerprint.ts";
import { allowedRoots, ORCH_ROOT } from "./loader.ts";
import type { AttemptTarget } from "./executors/executor.ts";
import type { Recipe, Step } from "./recipe.ts";
import { memo } from "./memo.ts";
import { isInside } from "./paths.ts";

/** The lock file's name; `orch pin` writes it to the current directory. */
export const LOCK_FILE = "orch.lock.json";

/** The lock a compiled binary embeds (written by the compile task; see deno.json). */
export const EMBEDDED_LOCK = `${ORCH_ROOT}/dist/${LOCK_FILE}`;

/** The lock file's content. */
export interface Lock {
  /** Format version. */
  version: 1;
  /** Built-in step files, keyed by path relative to orch's install (`steps/x.ts`) → sha256. */
  builtin: Record<string, string>;
  /** Files under the operator's roots, keyed by path relative to the lock's directory. */
  modules: Record<string, string>;
}

const PINNED = /\.(ts|tsx|mts|js|jsx|mjs|sh|py)$/;
const SKIPPED_DIRS = new Set(["node_modules", "__pycache__"]);

/** Hashes every step file under the built-in root and `allowModules`; keys relative to `lockDir`. */
export async function pinModules(allowModules: string[], lockDir: string): Promise<Lock> {
  const roots = await allowedRoots(allowModules, lockDir);
  const lock: Lock = { version: 1, builtin: {}, modules: {} };
  for (const root of roots) {
    for (const path of await _stepFiles(root)) {
      const { section, key } = _keyOf(path, roots[0], lockDir);
      lock[section][key] = await sha256(await Deno.readFile(path));
    }
  }
  return { version: 1, builtin: _sorted(lock.builtin), modules: _sorted(lock.modules) };
}

/** The lock as written to disk: stable key order, two-space indent, final newline. */
export function formatLock(lock: Lock): string {
  return JSON.stringify(lock, null, 2) + "\n";
}

/** What `pinIssues` needs to know about a plan. */
export interface PinCheck {
  /** The recipe (for issue positions). */
  recipe: Recipe;
  /** Each step with its resolved target (undefined when it did not resolve). */
  steps: { step: Step; modulePath?: string; target?: AttemptTarget }[];
  /** Directory of relative paths in the recipe (scripts, python paths). */
  baseDir: string;
  /** Operator roots. */
  allowModules: string[];
  /** Where to look for `orch.lock.json` (the cwd, for the CLI). */
  lockDir: string;
}

/**
 * Issues for every file the plan loads whose sha256 differs from its pin or that has no pin.
 * No lock file: no issues. A compiled binary without a project lock checks its built-in steps
 * against the lock it embeds.
 */
export async function pinIssues(check: PinCheck): Promise<Issue[]> {
  const checker = await _checker(check.allowModules, check.lockDir);
  if (!checker) return [];
  if (typeof checker === "object") return [checker];
  const issues: Issue[] = [];
  const imports = new Map<string, Promise<string[]>>(); // generated recipes share modules
  for (const { step, modulePath, target } of check.steps) {
    const field = step.type === "shell" ? "script" : "module";
    const files = await _loadedFiles(step, modulePath, target, check.baseDir, imports);
    for (const problem of await checker(files)) {
      issues.push(stepIssue(check.recipe, step, [field], problem));
    }
  }
  return issues;
}

/**
 * The pin problems of one deno module and the local modules it imports (`orch step MODULE`);
 * empty when there is no lock or every pin matches.
 */
export async function modulePinProblems(
  modulePath: string,
  options: { allowModules: string[]; lockDir: string },
): Promise<string[]> {
  const checker = await _checker(options.allowModules, options.lockDir);
  if (!checker) return [];
  if (typeof checker === "object") return [checker.message];
  return await checker(await _localImports(modulePath));
}

type _Checker = (files: string[]) => Promise<string[]>;

/** Checks files against the lock that applies; undefined without one, an issue if unreadable. */
async function _checker(
  allowModules: string[],
  lockDir: string,
): Promise<_Checker | Issue | undefined> {
  const found = await readLock(lockDir);
  if (!found) return undefined;
  if ("problem" in found) return { file: found.file, line: 1, col: 1, message: found.problem };
  const roots = await allowedRoots(allowModules, lockDir).catch(() => [] as string[]);
  // Each file is resolved, read and hashed once, however many steps load it.
  const verdicts = new Map<string, Promise<{ real: string; problem?: string } | undefined>>();
  const verdict = (file: string) =>
    memo(verdicts, file, async () => {
      const real = await Deno.realPath(file).catch(() => undefined);
      if (real === undefined || !roots.some((r) => isInside(real, r))) return undefined;
      return { real, problem: await _pinProblem(real, roots[0], found, lockDir) };
    });
  return async (files) => {
    const byReal = new Map<string, string | undefined>();
    for (const v of await Promise.all(files.map(verdict))) if (v) byReal.set(v.real, v.problem);
    return [...byReal.values()].filter((p): p is string => p !== undefined);
  };
}

/** The lock that applies: `<lockDir>/orch.lock.json`, else (compiled binary) the embedded one. */
export async function readLock(
  lockDir: string,
): Promise<
  (Lock & { file: string; embedded: boolean }) | { file: string; problem: string } | undefined
> {
  const candidates = [{ file: `${lockDir}/${LOCK_FILE}`, embedded: false }];
  if (Deno.build.standalone) candidates.push({ file: EMBEDDED_LOCK, embedded: true });
  for (const { file, embedded } of candidates) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      return { file, problem: `cannot read ${file}: ${(err as Error).message}` };
    }
    const lock = _parseLock(text);
    if (!lock) {
      return {
        file,
        problem: `${file} is not a valid lock file (expected {"version":1,"builtin":{...},` +
          `"modules":{...}} with sha256 values); run \`orch pin\` to rewrite it`,
      };
    }
    return { ...lock, file, embedded };
  }
  return undefined;
}

async function _pinProblem(
  path: string,
  builtinRoot: string,
  lock: Lock & { file: string; embedded: boolean },
  lockDir: string,
): Promise<string | undefined> {
  const { section, key } = _keyOf(path, builtinRoot, lockDir);
  if (lock.embedded && section !== "builtin") return undefined; // the binary pins only its own
  const pinned = Object.hasOwn(lock[section], key) ? lock[section][key] : undefined;
  const fix = lock.embedded
    ? "rebuild the binary (make compile) to re-pin"
    : `review the change, then re-pin: run \`orch pin\` in ${lockDir} (with the same ` +
      "--allow-module roots)";
  if (pinned === undefined) {
    return `step module "${key}" has no pin in ${lock.file}; it was added or moved after the ` +
      `last pin: ${fix}`;
  }
  const actual = await sha256(await Deno.readFile(path));
  if (actual === pinned) return undefined;
  return `step module "${key}" changed since it was pinned in ${lock.file} (sha256 ` +
    `${pinned.slice(0, 12)}…, now ${actual.slice(0, 12)}…); ${fix}`;
}

/** Which section and key a file is pinned under. */
function _keyOf(path: string, builtinRoot: string, lockDir: string) {
  return isInside(path, builtinRoot)
    ? { section: "builtin" as const, key: relative(dirname(builtinRoot), path) }
    : { section: "modules" as const, key: relative(lockDir, path) };
}

/**
 * The files a step loads: its module and local imports (walked once per module, kept in
 * `imports`), its script or its python module.
 */
async function _loadedFiles(
  step: Step,
  modulePath: string | undefined,
  target: AttemptTarget | undefined,
  baseDir: string,
  imports: Map<string, Promise<string[]>>,
): Promise<string[]> {
  if (step.type === "deno" && modulePath) {
    return await memo(imports, modulePath, () => _localImports(modulePath));
  }
  if (step.type === "shell" && step.script !== undefined) return [resolve(baseDir, step.script)];
  if (step.type === "python" && target?.type === "python") {
    return await _pythonFile(target.module, [target.cwd, ...target.pythonPath]);
  }
  return [];
}

/** A module and, transitively, the local files it imports (the walk the cache uses). */
async function _localImports(entry: string): Promise<string[]> {
  const files: string[] = [];
  await walkLocalImports(pathToFileURL(entry).href, (path) => void files.push(path));
  return files;
}

async function _pythonFile(module: string, dirs: string[]): Promise<string[]> {
  const rel = module.replaceAll(".", "/");
  for (const dir of dirs) {
    for (const candidate of [`${rel}.py`, `${rel}/__init__.py`]) {
      const path = resolve(dir, candidate);
      if (await Deno.stat(path).then((s) => s.isFile, () => false)) return [path];
    }
  }
  return [];
}

/** Every pinned-kind file under `root`, real paths inside the root only, sorted. */
async function _stepFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.name.startsWith(".") || SKIPPED_DIRS.has(e.name)) continue;
      const real = await Deno.realPath(path).catch(() => path);
      if (!isInside(real, root)) continue;
      const info = await Deno.stat(real);
      if (info.isDirectory) await walk(path);
      else if (info.isFile && PINNED.test(e.name)) out.push(real);
    }
  };
  await walk(root);
  return out.sort();
}

function _parseLock(text: string): Lock | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as Partial<Lock> | null;
  const hashes = (o: unknown) =>
    o !== null && typeof o === "object" && !Array.isArray(o) &&
    Object.values(o).every((h) => typeof h === "string" && /^[0-9a-f]{64}$/.test(h));
  if (v?.version !== 1 || !hashes(v.builtin) || !hashes(v.modules)) return undefined;
  return v as Lock;
}

function _sorted(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
}
