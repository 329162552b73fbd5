/**
 * @module
 * Test helpers: run the real CLI (or a step module) as a subprocess with orch's permission set,
 * make temp fixture directories and generated recipes, watch processes, and draw seeded random
 * numbers. Paths come from import.meta.url, never from the cwd.
 */

import type { JsonValue } from "../core/context.ts";
import { type InvokeResult, invokeScriptlet } from "../core/invoke.ts";
import type { ScriptletClass } from "../core/scriptlet.ts";

import assert from "node:assert/strict";

/** The repository root. */
export const REPO = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** Result of a subprocess run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON line (throws if stdout is not exactly one JSON line). */
  json: Record<string, unknown>;
}

/** Options of `runScript` and `orch`. */
interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Deno's permission flags, `-P=orch` unless given (e.g. `["-A"]`). */
  denoFlags?: string[];
}

/** Runs `deno run -P=orch <script> ...args` with a clean env; cwd defaults to the repo. */
export async function runScript(
  script: string,
  args: string[],
  options: RunOptions = {},
): Promise<CliRun> {
  const flags = options.denoFlags ?? ["-P=orch"];
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--config", `${REPO}/deno.json`, ...flags, script, ...args],
    cwd: options.cwd ?? REPO,
    env: {
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      // run directories go to a temp dir, not into the fixture or the repository
      ORCH_HOME: `${_tempRoot()}/orch_home`,
      ...coverageEnv(),
      ...options.env,
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
  const out = await cmd.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  return {
    code: out.code,
    stdout,
    stderr,
    get json() {
      const lines = stdout.split("\n").filter((l) => l !== "");
      if (lines.length !== 1) {
        throw new Error(`expected one stdout line, got ${lines.length}:\n${stdout}\n${stderr}`);
      }
      return JSON.parse(lines[0]);
    },
  };
}

/**
 * `DENO_COVERAGE_DIR` when the tests run with `--coverage` (deno test sets it) and
 * `ORCH_SUBPROCESS_COVERAGE=1`, so CLI subprocesses add their coverage to the suite's (slower:
 * each subprocess writes its own profile); empty otherwise.
 */
export function coverageEnv(): Record<string, string> {
  const dir = Deno.env.get("DENO_COVERAGE_DIR");
  const wanted = Deno.env.get("ORCH_SUBPROCESS_COVERAGE") === "1";
  return dir && wanted ? { DENO_COVERAGE_DIR: dir } : {};
}

/** Runs the orch CLI (`main.ts`) with `args`. */
export function orch(args: string[], options: RunOptions = {}): Promise<CliRun> {
  return runScript(`${REPO}/main.ts`, args, options);
}

/** Where a spawned orch's stdout or stderr goes. */
type Stdio = "piped" | "null" | "inherit";

/**
 * The orch CLI (`main.ts`) as a command to spawn, for tests that act on it while it runs (signals,
 * reading its output as it comes): orch's permission set, a clean env of NO_COLOR, PATH and HOME
 * plus `env`, stdin closed. Unlike `orch()`, ORCH_HOME and coverage are the caller's choice.
 * `prefix` runs deno through another command (`prefix` then deno's argv), e.g. a limiting shell.
 */
export function orchCommand(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    stdout?: Stdio;
    stderr?: Stdio;
    prefix?: string[];
  },
): Deno.Command {
  const deno = [Deno.execPath(), "run", "-q", "--config", `${REPO}/deno.json`, "-P=orch"];
  const argv = [...(options.prefix ?? []), ...deno, `${REPO}/main.ts`, ...args];
  return new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: options.cwd,
    env: {
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      ...options.env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: options.stdout ?? "piped",
    stderr: options.stderr ?? "piped",
  });
}

let tempRoot: string | undefined;

/** One parent for this test module's temp dirs, removed when the module's tests finish. */
function _tempRoot(): string {
  if (!tempRoot) {
    tempRoot = Deno.makeTempDirSync({ prefix: "orch_test_" });
    const root = tempRoot;
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(root, { recursive: true });
      } catch { /* already gone */ }
    });
  }
  return tempRoot;
}

/** Makes a temp dir holding the given files (path → contents); returns its path. */
export async function tempTree(files: Record<string, string | Uint8Array> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: _tempRoot(), prefix: "t_" });
  for (const [path, content] of Object.entries(files)) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(full, content);
    else await Deno.writeFile(full, content);
  }
  return dir;
}

/** Runs one attempt of a scriptlet in-process (as the step Worker does) with an optional snapshot. */
export function invokeStep(
  cls: ScriptletClass,
  name: string,
  params: unknown,
  options: { baseDir?: string; snapshot?: Record<string, JsonValue> } = {},
): Promise<InvokeResult> {
  return invokeScriptlet(cls, {
    params,
    snapshot: options.snapshot ?? {},
    step: { name, baseDir: options.baseDir ?? REPO },
  });
}

/** Asserts a failed attempt: an error envelope for `step` whose reason holds each part, no stack
 * trace, and no writes. */
export function assertFailed(result: InvokeResult, step: string, ...reasonParts: string[]): void {
  assert.equal(result.envelope.status, "error", JSON.stringify(result.envelope));
  if (result.envelope.status !== "error") return;
  assert.equal(result.envelope.step, step);
  for (const part of reasonParts) {
    assert.ok(result.envelope.reason.includes(part), `"${part}" not in: ${result.envelope.reason}`);
  }
  assert.ok(!result.envelope.reason.includes("\n    at "), "reason holds a stack trace");
  assert.deepEqual(result.delta, { writes: [] });
}

/**
 * The per-status step counts of a run result (`json.steps`, `counts`) with every status not given
 * at 0. Written out here, not taken from core, so a status core forgets to count still fails.
 */
export function stepCounts(counts: Partial<Record<StepCountKey, number>>) {
  return { ok: 0, cached: 0, failed: 0, skipped: 0, timeout: 0, cancelled: 0, ...counts };
}
type StepCountKey = "ok" | "cached" | "failed" | "skipped" | "timeout" | "cancelled";

/** The test_meta line's fields of a generated recipe (defaults: T-1, test, fixture). */
export interface RecipeMeta {
  testId?: string;
  tester?: string;
  description?: string;
  /** Keys every step gets after `idx` and `type: "deno"`, before its own (which win). */
  defaults?: Record<string, unknown>;
}

/**
 * A recipe as YAML text: a test_meta line, then each step as one JSON flow mapping
 * `{idx: i + 1, type: "deno", ...defaults, ...step}`, so steps[i] sits on line 3 + i.
 */
export function recipeOf(steps: Record<string, unknown>[], meta: RecipeMeta = {}): string {
  const { testId = "T-1", tester = "test", description = "fixture", defaults } = meta;
  return [
    `test_meta: {test_id: ${testId}, tester: ${tester}, description: ${description}}`,
    "steps:",
    ...steps.map((s, i) =>
      `  - ${JSON.stringify({ idx: i + 1, type: "deno", ...defaults, ...s })}`
    ),
  ].join("\n") + "\n";
}

/** True while `pid` runs (a zombie has exited: only its parent has not collected it yet). */
export async function running(pid: number): Promise<boolean> {
  // `ps`, not /proc: Deno refuses /proc/<pid> paths without --allow-all
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  return out.success && !new TextDecoder().decode(out.stdout).trim().startsWith("Z");
}

/** Waits up to `ms` for every pid to stop running; returns those still running. */
export async function survivors(pids: number[], ms = 2_000): Promise<number[]> {
  const until = Date.now() + ms;
  while (true) {
    const left = [];
    for (const pid of pids) if (await running(pid)) left.push(pid);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** mulberry32: a small seeded generator of floats in [0, 1), so a failure reproduces. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
