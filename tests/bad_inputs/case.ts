/**
 * @module
 * The shape of one bad-input case and the builders the case tables share: recipe text around a
 * bad field, and runtime recipes around a misbehaving step. Runs nothing (bad_inputs_test.ts
 * does).
 */

/** What the run directory of an `orch run` must show after the case. */
export interface RunExpect {
  /** `run.json` status, also the journal's `run-end` status. */
  status: "ok" | "failed" | "interrupted";
  /** Context keys that must be in the final context (context.json and the replayed journal). */
  has?: string[];
  /** Context keys that must not be there (writes of the failed step). */
  lacks?: string[];
}

/** One bad input: files in a fresh temp dir (the cwd), an orch command line, what must happen. */
export interface BadCase {
  /** Test name: the input and what orch must do with it. */
  name: string;
  /** Files to create, relative to the temp dir. */
  files?: Record<string, string | Uint8Array>;
  /** Symlinks to create: path → target (both relative to the temp dir's layout). */
  links?: Record<string, string>;
  /** orch's arguments (cwd: the temp dir). */
  argv: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** The documented exit code. */
  code: 0 | 1 | 2 | 130;
  /** A fragment (or pattern) of the JSON line's `reason` (the `errors[0].message` too for 2). */
  reason: string | RegExp;
  /** A fragment (or pattern) stderr must hold. */
  stderr?: string | RegExp;
  /** Where the first reported issue must point (exit 2 cases). */
  at?: { line?: number; col?: number; path?: string };
  /** How many issues `errors` must list (one mistake should not be reported twice). */
  issues?: number;
  /** The JSON line's `step`. */
  step?: string;
  /**
   * For `orch run`: what the run directory must hold. Absent on an exit-2 `run`: no run
   * directory may be left behind.
   */
  run?: RunExpect;
  /** Send `signal` once stderr matches `when` (to stop a run that would never end). */
  stop?: { when: RegExp; signal: "SIGINT" | "SIGTERM" };
  /** The case must be over within this many ms (bombs, loops). */
  withinMs?: number;
}

/** Absolute path of the fixture step modules. */
export const FIX = new URL("../fixtures/bad_inputs", import.meta.url).pathname;
/** Absolute path of the repository root. */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** The test_meta block every recipe here starts with (lines 1-4). */
export const META = "test_meta:\n  test_id: BAD-1\n  tester: test\n  description: bad input\n";

/**
 * The lines of a valid deno step (lines 6-11 of `stepRecipe`'s output), as `key: yaml` pairs.
 * Overriding a field keeps its line; `null` drops it; new keys come after `args` (line 12 on).
 */
const STEP: [string, string][] = [
  ["idx", "1"],
  ["name", "first"],
  ["type", "deno"],
  ["module", "steps/compute_numbers.ts"],
  ["function", "ComputeNumbers"],
  ["args", "{src: data/numbers.csv}"],
];

/** A one-step recipe in block style with some fields of the step replaced (raw YAML values). */
export function stepRecipe(fields: Record<string, string | null> = {}, tail = ""): string {
  const lines = STEP.filter(([k]) => fields[k] !== null).map(([k, v]) =>
    `${k}: ${Object.hasOwn(fields, k) ? fields[k] : v}`
  );
  for (const [k, v] of Object.entries(fields)) {
    if (v !== null && !STEP.some(([s]) => s === k)) lines.push(`${k}: ${v}`);
  }
  return `${META}steps:\n  - ${lines.join("\n    ")}\n${tail}`;
}

/** One flow-style step line for `flowRecipe`. */
export function flowStep(step: Record<string, unknown>): string {
  return `  - ${JSON.stringify({ type: "deno", ...step })}`;
}

/** A recipe whose steps are flow mappings (one a line, from line 6). */
export function flowRecipe(steps: Record<string, unknown>[], head = ""): string {
  return `${META}${head}steps:\n${steps.map(flowStep).join("\n")}\n`;
}

/** A step running the built-in ComputeNumbers (valid, for graph and duplicate cases). */
export function numbers(idx: number, name: string, extra: Record<string, unknown> = {}) {
  return {
    idx,
    name,
    module: "steps/compute_numbers.ts",
    function: "ComputeNumbers",
    args: { src: "data/numbers.csv" },
    ...extra,
  };
}

/** The keys a misbehaving step writes before it fails; none may reach the context. */
export const BAD_KEYS = ["bad.partial_v1", "bad.value_v1", "bad.huge_v1", "bad.never_written_v1"];

/**
 * A three-step runtime recipe: `before` writes good.before_v1, `bad` is the given step (idx 2),
 * `after` would write again but must be skipped.
 */
export function runtimeRecipe(bad: Record<string, unknown>, head = ""): string {
  const good = (idx: number, name: string) => ({
    idx,
    name,
    module: `${FIX}/misbehave.ts`,
    function: "Writes",
  });
  return flowRecipe([good(1, "before"), { idx: 2, name: "bad", ...bad }, good(3, "after")], head);
}

/** The `bad` step running Misbehave with `how`. */
export function misbehave(how: string, extra: Record<string, unknown> = {}) {
  return { module: `${FIX}/misbehave.ts`, function: "Misbehave", args: { how }, ...extra };
}

/** argv of a runtime case: run recipe.yaml with the fixture directory allowed. */
export const RUN = ["run", "recipe.yaml", "--allow-module", FIX];

/** A failed run: the step before kept its write, the failed step left none. */
export const FAILED_RUN: RunExpect = { status: "failed", has: ["good.before_v1"], lacks: BAD_KEYS };

/** A runtime case: the three-step recipe around `bad`, exit 1 naming step "bad". */
export function runtimeCase(
  name: string,
  bad: Record<string, unknown>,
  reason: string | RegExp,
  extra: Partial<BadCase> = {},
): BadCase {
  return {
    name,
    files: { "recipe.yaml": runtimeRecipe(bad) },
    argv: RUN,
    code: 1,
    reason,
    step: "bad",
    run: FAILED_RUN,
    ...extra,
  };
}

/** A shell `bad` step running `run` with /bin/sh (granted run: [sh]). */
export function shell(run: string, extra: Record<string, unknown> = {}) {
  return { type: "shell", run, permissions: { run: ["sh", "/bin/sh"] }, ...extra };
}
