/**
 * @module
 * A step's cache fingerprint: named parts, each a sha256 (hex) of one input of the step, and
 * one hash over all of them. Reads files; never writes, never runs a step, knows nothing about
 * where entries are stored (see cache.ts).
 *
 * With `cache_key: auto` the parts are exactly:
 * - `type`: the step type (`deno`, `shell`, `python`).
 * - `function`: the scriptlet class (deno and python steps only).
 * - `args`: the step's args as canonical JSON (object keys sorted; a shell step's list as is).
 * - `env` (shell steps only): canonical JSON of `{env, cwd}` as written in the recipe.
 * - `module source`:
 *   - deno: the step module and every local module it imports, followed transitively. Imports
 *     are found with a regex over the source (`import … from "x"`, `export … from "x"`,
 *     `import "x"`, `import("x")` with a literal string); relative, absolute and `file:`
 *     specifiers are followed and hashed by their bytes (named by their path relative to the
 *     step module's directory); every other specifier (`zod`, `npm:…`, `jsr:…`, `https:…`)
 *     counts by its specifier string only, so a version change made in an import map is not
 *     seen. A local import that cannot be read counts as missing.
 *   - shell: the bytes of the `script` file, or the `run` string.
 *   - python: the bytes of the module file, found as `a/b/c.py` or `a/b/c/__init__.py` under the
 *     step's working directory, then each `python_path` entry, as the bridge searches them. Its
 *     own imports are not followed. A module not found there (e.g. installed in site-packages)
 *     counts by its dotted name only.
 * - `file:<path>`, one per file: every string in args (at any depth) that names an existing
 *   regular file, relative to the base directory or absolute, and every `inputs.files` entry;
 *   the value hashes the file's bytes. `<path>` is relative to the base directory when the file
 *   lies inside it, else absolute. A declared input file that does not exist has the value
 *   `absent`; an arg string that names no file is not a file part (it is in `args` anyway).
 * - `ctx:<key>`, one per `inputs.ctx` key: the key's value in the snapshot as canonical JSON, or
 *   `absent` when the snapshot has no such key. Keys a step does not declare are not read.
 *
 * With an explicit `cache_key` (any other string) the parts are only `cache_key` (the string),
 * `type`, `function` (deno and python) and `module`: the module's identity, not its source (deno:
 * the resolved module URL; python: the dotted module name; shell: the resolved script path or the
 * `run` string). The author then owns invalidation: change the key when the step should rerun.
 *
 * Not in any fingerprint: the step's name, `idx`, `depends_on`, `retry`, `timeout`, `parallel`,
 * `permissions`, `success`, and the recipe's other steps. Renaming a step keeps its cached
 * result, and two steps with the same inputs share one entry. A `run:` step sees its name as
 * `$0`; one whose output depends on `$0` should not use `auto`.
 *
 * The hash is the sha256 of the canonical JSON of `["orch-fingerprint-1", parts]`.
 */
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { JsonValue } from "./json_safe.ts";
import { NO_INPUTS, type Step } from "./recipe.ts";
import type { AttemptTarget } from "./executors/executor.ts";
import { memo } from "./memo.ts";
import { shownFrom } from "./paths.ts";

/** A step's fingerprint: one hash and the named parts it is made of. */
export interface Fingerprint {
  /** sha256 (hex) over every part; the cache entry's name. */
  hash: string;
  /** Part name (`args`, `module source`, `file:data/x.csv`, `ctx:a.b`, ...) to its hash. */
  parts: Record<string, string>;
}

/** What is fingerprinted: the recipe step and what planning resolved it to (a PlannedStep). */
export interface FingerprintSubject {
  /** The validated step. */
  step: Step;
  /** What the step runs, with paths resolved. */
  target: AttemptTarget;
}

/** Where the step runs. */
export interface FingerprintOptions {
  /** The context the step would start from. */
  snapshot: Record<string, JsonValue>;
  /** Directory relative paths in args and `inputs.files` resolve against. */
  baseDir: string;
  /**
   * Module source hashes already computed, by module URL: pass one map for a whole run so each
   * module's import graph is read once, not once per step. @default none (read every time)
   */
  sources?: Map<string, Promise<string>>;
}

/** The value of a part whose input does not exist (a declared file or a context key). */
export const ABSENT = "absent";

const VERSION = "orch-fingerprint-1";

/** Computes a step's fingerprint; the step must have a `cacheKey` (`auto` or explicit). */
export async function fingerprint(
  subject: FingerprintSubject,
  options: FingerprintOptions,
): Promise<Fingerprint> {
  const { step } = subject;
  const named: Record<string, string> = { type: await _nameHash(step.type) };
  if (step.type !== "shell") named.function = await _nameHash(step.function);
  if (step.cacheKey !== undefined && step.cacheKey !== "auto") {
    named.cache_key = await sha256(step.cacheKey);
    named.module = await sha256(_moduleIdentity(subject, options.baseDir));
  } else {
    Object.assign(named, await _autoParts(subject, options));
  }
  const parts = Object.fromEntries(Object.entries(named).sort(([a], [b]) => a < b ? -1 : 1));
  return { hash: await sha256(canonicalJson([VERSION, parts])), parts };
}

async function _autoParts(
  { step, target }: FingerprintSubject,
  { snapshot, baseDir, sources }: FingerprintOptions,
): Promise<Record<string, string>> {
  const parts: Record<string, string> = {
    args: await sha256(canonicalJson(step.args as JsonValue)),
    "module source": await _memo(sources, target, () => _moduleSource(step, target, baseDir)),
  };
  if (step.type === "shell") {
    parts.env = await sha256(canonicalJson({ env: step.env, cwd: step.cwd ?? null }));
  }
  const inputs = step.inputs ?? NO_INPUTS;
  for (const arg of _strings(step.args as JsonValue)) {
    const path = resolve(baseDir, arg);
    const bytes = await _readFile(path);
    if (bytes) parts[`file:${shownFrom(path, baseDir)}`] = await sha256(bytes);
  }
  for (const file of inputs.files) {
    const path = resolve(baseDir, file);
    const bytes = await _readFile(path);
    parts[`file:${shownFrom(path, baseDir)}`] = bytes ? await sha256(bytes) : ABSENT;
  }
  for (const key of inputs.ctx) {
    parts[`ctx:${key}`] = Object.hasOwn(snapshot, key)
      ? await sha256(canonicalJson(snapshot[key]))
      : ABSENT;
  }
  return parts;
}

/** A deno module's source hash from `sources` when known (computed and kept otherwise). */
function _memo(
  sources: Map<string, Promise<string>> | undefined,
  target: AttemptTarget,
  compute: () => Promise<string>,
): Promise<string> {
  return sources && target.type === "deno" ? memo(sources, target.moduleUrl, compute) : compute();
}

/** What an explicit cache_key is combined with: which module runs, not its source. */
function _moduleIdentity({ step, target }: FingerprintSubject, baseDir: string): string {
  if (target.type === "deno") return target.moduleUrl;
  if (step.type === "python") return step.module;
  if (step.type === "shell" && step.script !== undefined) return resolve(baseDir, step.script);
  return step.type === "shell" ? `run:${step.run}` : "";
}

async function _moduleSource(step: Step, target: AttemptTarget, baseDir: string): Promise<string> {
  if (target.type === "deno") return await sha256(await _importGraph(target.moduleUrl));
  if (step.type === "shell") {
    if (step.script === undefined) return await sha256(`run:${step.run}`);
    const bytes = await _readFile(resolve(baseDir, step.script));
    return bytes ? await sha256(bytes) : await sha256(`missing:${step.script}`);
  }
  if (target.type !== "python") return await sha256("");
  const rel = target.module.replaceAll(".", "/");
  for (const dir of [target.cwd, ...target.pythonPath]) {
    for (const candidate of [`${rel}.py`, `${rel}/__init__.py`]) {
      const bytes = await _readFile(resolve(dir, candidate));
      if (bytes) return await sha256(bytes);
    }
  }
  return await sha256(`unresolved:${target.module}`);
}

const IMPORTS = [
  /\bfrom\s*["']([^"'\n]+)["']/g,
  /\bimport\s*["']([^"'\n]+)["']/g,
  /\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)/g,
];
const SCRIPT = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

/**
 * One line per module of the local import graph of `entryUrl`, sorted: `<path> <sha256>` for a
 * local file (path relative to the entry's directory), `missing <path>` for one that cannot be
 * read, `spec <specifier>` for anything not local.
 */
async function _importGraph(entryUrl: string): Promise<string> {
  const root = dirname(fileURLToPath(entryUrl));
  const lines = new Set<string>();
  await walkLocalImports(entryUrl, async (path, bytes) => {
    lines.add(
      bytes ? `${relative(root, path)} ${await sha256(bytes)}` : `missing ${relative(root, path)}`,
    );
  }, (spec) => lines.add(`spec ${spec}`));
  return [...lines].sort().join("\n");
}

/**
 * Walks the local import graph of `entryUrl` (the module, then every relative, absolute or
 * file: import, found with regexes: an over-approximation, as a cache and a pin check want),
 * calling `file` once per local file with its bytes (undefined when it cannot be read) and
 * `other` for every non-local specifier. The cache (fingerprints) and `orch pin` share it; the
 * import *check* (import_graph.ts) lexes instead, because refusing needs positions.
 */
export async function walkLocalImports(
  entryUrl: string,
  file: (path: string, bytes: Uint8Array | undefined) => void | Promise<void>,
  other: (specifier: string) => void = () => {},
): Promise<void> {
  const seen = new Set<string>();
  const queue = [entryUrl];
  while (queue.length > 0) {
    const url = queue.pop()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const path = fileURLToPath(url);
    const bytes = await _readFile(path);
    await file(path, bytes);
    if (!bytes || !SCRIPT.test(path)) continue;
    const source = new TextDecoder().decode(bytes);
    for (const re of IMPORTS) {
      for (const [, spec] of source.matchAll(re)) {
        if (/^(\.{1,2}\/|\/|file:)/.test(spec)) queue.push(new URL(spec, url).href);
        else other(spec);
      }
    }
  }
}

/** Every string in a JSON value, at any depth (object keys excluded). */
function _strings(value: JsonValue): string[] {
  if (typeof value === "string") return value === "" || value.includes("\n") ? [] : [value];
  if (Array.isArray(value)) return value.flatMap(_strings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(_strings);
  return [];
}

/** The bytes of a regular file, or undefined when `path` is not one or cannot be read. */
async function _readFile(path: string): Promise<Uint8Array | undefined> {
  try {
    if (!(await Deno.stat(path)).isFile) return undefined;
    return await Deno.readFile(path);
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted at every depth: equal values give equal text. */
export function canonicalJson(value: JsonValue): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
        : v,
  );
}

/** sha256 of a string (UTF-8) or bytes, as lowercase hex. */
export async function sha256(data: string | Uint8Array): Promise<string> {
  // node:crypto hashes synchronously (a few µs; WebCrypto's digest costs a task switch each),
  // but loading it takes ~20 ms: only runs that fingerprint a step pay for it
  const { createHash } = await (_nodeCrypto ??= import("node:crypto"));
  return createHash("sha256").update(data).digest("hex");
}

let _nodeCrypto: Promise<typeof import("node:crypto")> | undefined;

/**
 * sha256 of bytes, as lowercase hex, for a process that hashes once (the recipe of `orch run`):
 * WebCrypto's digest, which costs a task switch but not node:crypto's ~20 ms load.
 */
export async function sha256Once(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** sha256 of a step type or function name: few distinct values, hashed once each per process. */
function _nameHash(name: string): Promise<string> {
  return memo(_nameHashes, name, () => sha256(name));
}
const _nameHashes = new Map<string, Promise<string>>();
