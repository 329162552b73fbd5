/**
 * @module
 * The recipe format: its zod schema, and `loadRecipe`/`validateRecipe`, which turn a YAML file
 * into a typed, normalised `Recipe` or a list of issues with file:line:col and field paths.
 */
import { describeFound, valueAt } from "./describe.ts";
import { z } from "zod";
import { byPosition, formatPath, type Issue, RecipeValidationError } from "./errors.ts";

export { formatPath }; // where most modules have always imported it from
import { findUnsafe, type JsonValue } from "./json_safe.ts";
import { decodeUtf8, DEFAULT_MAX_RECIPE_BYTES, readRecipeBytes } from "./recipe_file.ts";
import {
  FAST_READER_MIN_CHARS,
  parseYaml,
  parseYamlCarefully,
  type PathSegment,
  type YamlSource,
} from "./yaml_source.ts";
import { didYouMean } from "./suggest.ts";
import { typedStep, typeFieldIssues } from "./step_types.ts";
import { isolationIssues } from "./isolation.ts";
import { Duration, durationMs } from "./duration.ts";
import { type PermissionSpec, PermissionsSchema } from "./permissions.ts";
import { MERGE_STRATEGIES, type MergeStrategy } from "./context_merge.ts";

const STEP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const CONTEXT_KEY = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const StepName = z.string().regex(STEP_NAME, {
  error: "step names use letters, digits, _ . - and start with a letter, digit or _",
});
const ContextKey = z.string().regex(CONTEXT_KEY, {
  error: 'context keys are dotted, with two or more [a-z0-9_] segments, e.g. "numbers.stats_v1"',
});

const StepSchema = z.strictObject({
  idx: z.int().nonnegative(),
  name: StepName,
  type: z.enum(["deno", "shell", "python"]),
  module: z.string().min(1, { error: "expected a non-empty string" }).optional(),
  function: z.string().regex(IDENTIFIER, { error: "function must be an exported class name" })
    .optional(),
  description: z.string().optional(),
  args: z.union([z.record(z.string(), z.unknown()), z.array(z.string())], {
    error: "expected a mapping of params (deno, python) or a list of strings (shell)",
  }).optional(),
  script: z.string().min(1, { error: "expected a non-empty string" }).optional(),
  run: z.string().min(1, { error: "expected a non-empty string" }).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1, { error: "expected a non-empty string" }).optional(),
  python_path: z.array(z.string()).optional(),
  isolate: z.boolean().optional(),
  isolation: z.enum(["worker", "inline"]).optional(),
  success: z.strictObject({ ctx_has_keys: z.array(ContextKey).optional() }).optional(),
  depends_on: z.array(StepName).optional(),
  retry: z.strictObject({
    max: z.int().nonnegative(),
    delay_sec: z.number().nonnegative().optional(),
    backoff: z.number().min(1).optional(),
    max_delay_sec: z.number().positive().optional(),
    on: z.array(z.enum(["error", "timeout"])).min(1).optional(),
  }).optional(),
  timeout: Duration.optional(),
  parallel: z.boolean().optional(),
  cache_key: z.string().min(1, { error: "expected a non-empty string (or auto)" }).optional(),
  inputs: z.strictObject({
    files: z.array(z.string().min(1, { error: "expected a non-empty string" })).optional(),
    ctx: z.array(ContextKey).optional(),
  }).optional(),
  permissions: PermissionsSchema.optional(),
});

/** The recipe document schema (input shape, before normalisation). */
export const RecipeSchema = z.strictObject({
  test_meta: z.strictObject({
    test_id: z.string().min(1, { error: "expected a non-empty string" }),
    tester: z.string().min(1, { error: "expected a non-empty string" }),
    description: z.string(),
  }),
  steps: z.array(StepSchema).min(1, { error: "a recipe needs at least one step" }),
  context: z.strictObject({ merge: z.enum(MERGE_STRATEGIES) }).optional(),
  permissions: PermissionsSchema.optional(),
  secrets: z.array(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      error: "secrets are environment variable names: letters, digits and _, not starting " +
        "with a digit",
    }),
  ).optional(),
});

/** When and how often a failed step is tried again. */
export interface RetryPolicy {
  /** Retries after the first attempt (0: no retry). */
  max: number;
  /** Wait before the first retry, in ms. */
  delayMs: number;
  /** Each later wait is the previous one times this (>= 1). */
  backoff: number;
  /** Upper bound of a wait, in ms. */
  maxDelayMs: number;
  /** Which failures are retried. */
  on: ("error" | "timeout")[];
}

/** The wait before retry `n` (1 for the first retry) under `retry`, in ms. */
export function retryDelayMs(retry: RetryPolicy, n: number): number {
  return Math.min(retry.delayMs * retry.backoff ** (n - 1), retry.maxDelayMs);
}

/** The policy of a step without `retry:`: one attempt. */
export const NO_RETRY: RetryPolicy = {
  max: 0,
  delayMs: 0,
  backoff: 1,
  maxDelayMs: Infinity,
  on: ["error", "timeout"],
};

/** What every validated step has, whatever its type. */
export interface StepCommon {
  /** Position in the file's `steps` list (for error paths), not the `idx`. */
  index: number;
  /** The step's `idx`; steps without `depends_on` wait for the step before them by idx. */
  idx: number;
  /** The step's name, unique in the recipe. */
  name: string;
  /** Context keys that must exist after the step for it to succeed (`success.ctx_has_keys`). */
  success: { ctxHasKeys: string[] };
  /** Names of the steps this one waits for; undefined means "the step before it by idx". */
  dependsOn?: string[];
  /** Retry policy (NO_RETRY when absent). */
  retry: RetryPolicy;
  /** Deadline of one attempt in ms, when the step has a `timeout`. */
  timeoutMs?: number;
  /** `parallel:` from the recipe; undefined lets the scriptlet class decide. */
  parallel?: boolean;
  /** The step's `permissions:` block as written, when it has one. */
  permissions?: PermissionSpec;
  /**
   * `cache_key:` as written: `auto` (fingerprint the step's inputs, see core/fingerprint.ts) or
   * an explicit key; absent means the step is never cached.
   */
  cacheKey?: string;
  /**
   * What the step declares it reads (`inputs:`): files relative to the base directory and
   * context keys. validateRecipe always sets it; steps built in code may leave it out (= none).
   */
  inputs?: StepInputs;
}

/** The inputs a step declares, besides those found in its args. */
export interface StepInputs {
  /** Files, relative to the base directory, whose bytes the step reads. */
  files: string[];
  /** Context keys whose values the step reads. */
  ctx: string[];
}

/** The inputs of a step that declares none. */
export const NO_INPUTS: StepInputs = { files: [], ctx: [] };

/** A TypeScript scriptlet run in a Worker. */
export interface DenoStep extends StepCommon {
  /** Step kind. */
  type: "deno";
  /** The `module:` value as written; resolved when planning. */
  module: string;
  /** Name of the exported scriptlet class to run. */
  function: string;
  /** The step's args, passed to it as params (empty when absent). */
  args: Record<string, JsonValue>;
  /** Where it runs: a Worker (default) or orch's own process (see isolation.ts). */
  isolation?: "worker" | "inline";
}

/** An external command printing one JSON envelope line. */
export interface ShellStep extends StepCommon {
  /** Step kind. */
  type: "shell";
  /** A script or executable run without a shell (argv = script + args); or `run` is set. */
  script?: string;
  /** A command line run with `/bin/sh -c`; or `script` is set. */
  run?: string;
  /** Extra argv entries (never pasted into a shell string). */
  args: string[];
  /** Extra environment variables. */
  env: Record<string, string>;
  /** Working directory, relative to the base directory. @default the base directory */
  cwd?: string;
}

/** A scriptlet of the original Python framework, run through orch's bridge. */
export interface PythonStep extends StepCommon {
  /** Step kind. */
  type: "python";
  /** Dotted module path, e.g. `orchestrator.scriptlets.python.steps.compute_numbers`. */
  module: string;
  /** The scriptlet class. */
  function: string;
  /** Params passed to `run(ctx, params)`. */
  args: Record<string, JsonValue>;
  /** Extra `sys.path` entries, relative to the base directory. */
  pythonPath: string[];
  /** Run in a fresh Python process instead of the shared bridge. */
  isolate: boolean;
}

/** A validated step, normalised. */
export type Step = DenoStep | ShellStep | PythonStep;

/** A validated recipe. Steps are sorted by `idx`. */
export interface Recipe {
  /** Path of the recipe file. */
  file: string;
  /** The recipe's `test_meta` block. */
  testMeta: { testId: string; tester: string; description: string };
  /** The steps, sorted by `idx`. */
  steps: Step[];
  /** How writes of steps the graph does not order are merged (`context.merge`). */
  merge: MergeStrategy;
  /** The recipe-level `permissions:` block (ceiling for every step), when present. */
  permissions?: PermissionSpec;
  /** Environment variables whose values are redacted from every output (`secrets:`). */
  secrets?: string[];
  /** Finds where a field path sits in the file, for later phases' errors. */
  locate: YamlSource["locate"];
}

/** Options for reading a recipe. */
export interface LoadRecipeOptions {
  /** Refuse files larger than this. @default 32 MiB */
  maxBytes?: number;
}

/** Reads, parses and validates a recipe file. Throws RecipeSyntaxError or RecipeValidationError. */
export async function loadRecipe(file: string, options: LoadRecipeOptions = {}): Promise<Recipe> {
  const bytes = await readRecipeBytes(file, options.maxBytes ?? DEFAULT_MAX_RECIPE_BYTES);
  const text = decodeUtf8(bytes, file);
  const fastReader = text.length >= FAST_READER_MIN_CHARS
    ? (await import("./yaml_fast.ts")).fastYamlValue // loaded only for large files
    : undefined;
  const source = parseYaml(text, file, { fastReader });
  try {
    return validateRecipe(source);
  } catch (err) {
    // The careful reader has the last word on a recipe with problems (yaml_source.ts).
    if (!source.fast || !(err instanceof RecipeValidationError)) throw err;
    return validateRecipe(parseYamlCarefully(text, file));
  }
}

/** Validates a parsed YAML source against the schema and the rules zod cannot express. */
export function validateRecipe(source: YamlSource): Recipe {
  const { file } = source;
  const issue = (path: PathSegment[], message: string, at: "key" | "value" = "value"): Issue => ({
    file,
    ...source.locate(path, at),
    path: formatPath(path),
    message,
  });
  const raw = _stripExtensions(source.value);
  const parsed = RecipeSchema.safeParse(raw);
  // Schema issues and rule issues together, so one run reports every problem.
  const issues = parsed.success
    ? []
    : parsed.error.issues.flatMap((i) => _zodIssues(i, raw, issue));
  issues.push(..._ruleIssues(raw, issue));
  if (issues.length > 0 || !parsed.success) {
    throw new RecipeValidationError(byPosition(issues));
  }
  const doc = parsed.data;
  const steps: Step[] = doc.steps.map((s, index) => {
    const common: StepCommon = {
      index,
      idx: s.idx,
      name: s.name,
      success: { ctxHasKeys: s.success?.ctx_has_keys ?? [] },
      dependsOn: s.depends_on,
      retry: s.retry ? _retryPolicy(s.retry) : NO_RETRY,
      timeoutMs: s.timeout === undefined ? undefined : durationMs(s.timeout),
      parallel: s.parallel,
      permissions: s.permissions,
      cacheKey: s.cache_key,
      inputs: { files: s.inputs?.files ?? [], ctx: s.inputs?.ctx ?? [] },
    };
    return typedStep(common, s);
  });
  steps.sort((a, b) => a.idx - b.idx);
  return {
    file,
    testMeta: {
      testId: doc.test_meta.test_id,
      tester: doc.test_meta.tester,
      description: doc.test_meta.description,
    },
    steps,
    merge: doc.context?.merge ?? "last_write_wins",
    permissions: doc.permissions,
    secrets: doc.secrets ?? [],
    locate: source.locate,
  };
}

function _retryPolicy(r: NonNullable<z.infer<typeof StepSchema>["retry"]>): RetryPolicy {
  return {
    max: r.max,
    delayMs: (r.delay_sec ?? 0) * 1000,
    backoff: r.backoff ?? 1,
    maxDelayMs: r.max_delay_sec === undefined ? Infinity : r.max_delay_sec * 1000,
    on: r.on ?? ["error", "timeout"],
  };
}

/** The recipe JSON Schema (draft-07), generated from the zod schema; `x-` keys are allowed. */
export function recipeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RecipeSchema, {
    target: "draft-07",
    io: "input",
    override: (ctx) => {
      const js = ctx.jsonSchema as Record<string, unknown>;
      if (js.additionalProperties === false) js.patternProperties = { "^x-": {} };
    },
  }) as Record<string, unknown>;
  return { ...schema, title: "orch recipe" };
}

/** Builds an issue at a field path (positions come from the YAML source). */
export type IssueAt = (path: PathSegment[], message: string, at?: "key" | "value") => Issue;

/** Rules zod cannot express, checked on the raw document so they add to the schema's issues. */
function _ruleIssues(raw: unknown, issue: IssueAt): Issue[] {
  const issues: Issue[] = [];
  if (!_isMapping(raw)) return issues;
  const names = new Map<string, number>();
  const idxs = new Map<number, number>();
  const steps = Array.isArray(raw.steps) ? raw.steps : [];
  steps.forEach((s: unknown, i) => {
    if (!_isMapping(s)) return;
    if (typeof s.name === "string") {
      if (names.has(s.name)) {
        issues.push(issue(
          ["steps", i, "name"],
          `duplicate step name "${s.name}" (also steps[${
            names.get(s.name)
          }]); names must be unique`,
        ));
      } else names.set(s.name, i);
    }
    if (typeof s.idx === "number") {
      if (idxs.has(s.idx)) {
        issues.push(issue(
          ["steps", i, "idx"],
          `duplicate idx ${s.idx} (also steps[${idxs.get(s.idx)}]); give each step its own idx`,
        ));
      } else idxs.set(s.idx, i);
    }
    issues.push(...typeFieldIssues(s, ["steps", i], issue));
    issues.push(...isolationIssues(s, ["steps", i], issue, raw.permissions !== undefined));
    if (_isMapping(s.args)) issues.push(..._argIssues(s.args, ["steps", i, "args"], issue));
  });
  return issues;
}

/** args are user data passed on as JSON: no NaN/Infinity, and no "__proto__" keys. */
function _argIssues(value: unknown, path: PathSegment[], issue: IssueAt): Issue[] {
  if (typeof value === "number" && !Number.isFinite(value)) {
    const shown = Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
    return [issue(path, `expected a finite number, found ${shown}; args must be JSON-safe`)];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => _argIssues(v, [...path, i], issue));
  if (!_isMapping(value)) {
    const bad = findUnsafe(value, formatPath(path));
    return bad ? [issue(path, bad)] : [];
  }
  return Object.keys(value).flatMap((k) =>
    k === "__proto__"
      ? [issue([...path, k], 'the key "__proto__" is not allowed in args; rename it', "key")]
      : _argIssues(value[k], [...path, k], issue)
  );
}

function _isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function _zodIssues(i: z.core.$ZodIssue, raw: unknown, issue: IssueAt): Issue[] {
  const path = i.path as PathSegment[];
  const found = valueAt(raw, path);
  const shown = found === undefined ? "" : `, found ${describeFound(found)}`;
  switch (i.code) {
    case "unrecognized_keys": {
      const allowed = _allowedKeys(path);
      return i.keys.map((k) => {
        const hint = didYouMean(k, allowed);
        return issue(
          [...path, k],
          `unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ""}; allowed: ` +
            `${allowed.join(", ")} (keys starting with x- are ignored)`,
          "key",
        );
      });
    }
    case "invalid_type": {
      if (path.length === 0) {
        return [issue(
          path,
          found === null || found === undefined
            ? "the recipe is empty; expected a mapping with test_meta and steps"
            : `expected a mapping with test_meta and steps at the top level${shown}`,
        )];
      }
      const expected = _typeName(i.expected);
      if (found === undefined) {
        return [issue(path, `missing required field "${String(path.at(-1))}" (${expected})`)];
      }
      return [issue(path, `expected ${expected}${shown}`)];
    }
    case "invalid_value": {
      const options = i.values.map((v) => JSON.stringify(v));
      const hint = typeof found === "string" ? didYouMean(found, i.values.map(String)) : undefined;
      return [issue(
        path,
        `expected one of ${options.join(", ")}${shown}` +
          (hint ? ` (did you mean "${hint}"?)` : ""),
      )];
    }
    case "too_small":
    case "too_big": {
      if (i.origin !== "number" && i.origin !== "int") return [issue(path, `${i.message}${shown}`)];
      const limit = Number(i.code === "too_small" ? i.minimum : i.maximum);
      const op = i.code === "too_small" ? (i.inclusive ? ">=" : ">") : (i.inclusive ? "<=" : "<");
      return [issue(path, `expected a number ${op} ${limit}${shown}`)];
    }
    default:
      return [issue(path, `${i.message}${shown}`)];
  }
}

/** zod's type names in the words of a YAML author. */
function _typeName(expected: string): string {
  const names: Record<string, string> = {
    object: "mapping",
    record: "mapping",
    array: "list",
    int: "integer",
  };
  return names[expected] ?? expected;
}

function _allowedKeys(path: PathSegment[]): string[] {
  const shapes: Record<string, z.ZodObject> = {
    "": RecipeSchema,
    "test_meta": RecipeSchema.shape.test_meta,
    "steps.#": StepSchema,
    "steps.#.success": StepSchema.shape.success.unwrap(),
    "steps.#.retry": StepSchema.shape.retry.unwrap(),
    "steps.#.permissions": PermissionsSchema,
    "steps.#.inputs": StepSchema.shape.inputs.unwrap(),
    "permissions": PermissionsSchema,
    "context": RecipeSchema.shape.context.unwrap(),
  };
  const key = path.map((p) => typeof p === "number" ? "#" : p).join(".");
  return Object.keys(shapes[key]?.shape ?? {});
}

/**
 * Drops `x-` keys from the recipe's own mappings (never from `args`, which is user data). Copies
 * only the mappings that have such keys; the parsed document itself is never changed.
 */
function _stripExtensions(value: unknown): unknown {
  const root = _withoutExtensions(value, true);
  if (!_isMapping(root)) return root;
  for (const key of ["test_meta", "context", "permissions"]) {
    if (Object.hasOwn(root, key)) root[key] = _withoutExtensions(root[key]);
  }
  if (Array.isArray(root.steps)) {
    root.steps = root.steps.map((s) => {
      const first = _withoutExtensions(s);
      if (!_isMapping(first)) return first;
      let step = first;
      for (const key of ["success", "retry", "permissions", "inputs"]) {
        if (!Object.hasOwn(step, key)) continue;
        const inner = _withoutExtensions(step[key]);
        if (inner === step[key]) continue;
        if (step === s) step = _withoutExtensions(s, true) as Record<string, unknown>;
        step[key] = inner;
      }
      return step;
    });
  }
  return root;
}

/** `o` without its `x-` keys: `o` itself when it has none (unless `copy`), else a copy. */
function _withoutExtensions(o: unknown, copy = false): unknown {
  if (!_isMapping(o)) return o;
  const keys = Object.keys(o);
  if (!copy && !keys.some((k) => k.startsWith("x-"))) return o;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (k.startsWith("x-")) continue;
    // defineProperty, not assignment: a "__proto__" key stays an own property.
    if (k === "__proto__") {
      Object.defineProperty(out, k, {
        value: o[k],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[k] = o[k];
  }
  return out;
}
