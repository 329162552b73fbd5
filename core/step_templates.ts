/**
 * @module
 * Templates in recipe steps: which fields are templated (deno and python `args`, walked
 * recursively, strings only; shell `args`, `env` values and `run`; every step's `cache_key`),
 * their checks at validation (syntax, roots, `env.NAME` against the step's env grant), warnings
 * for `ctx.` references no earlier step declares, and the resolved step the runner runs at step
 * start. The language itself is template.ts; this file knows steps, grants and the graph.
 *
 * Argv entries, env values, `run` and `cache_key` are strings, so a whole-string expression
 * whose value is not a string becomes its JSON text there (`7`, `true`, `{"a":1}`). `run` is a
 * shell command line: a value is pasted into it as text, unquoted; pass values through `args`
 * (`$1`, ...) instead when they are not under your control.
 */
import { type Issue, stepIssue } from "./errors.ts";
import type { JsonValue } from "./json_safe.ts";
import type { Plan, PlannedStep } from "./plan.ts";
import { formatPath, type Recipe, type Step } from "./recipe.ts";
import { ancestry } from "./scheduler.ts";
import {
  type Expression,
  hasTemplate,
  keyCandidates,
  parseTemplate,
  renderText,
  resolveTemplate,
  type Scope,
} from "./template.ts";
import { valueAt } from "./describe.ts";

/** A templated string of a step: its path from the step (e.g. `["args", "limit"]`) and text. */
export interface TemplatedField {
  /** Path from the step mapping: `args.limit`, `env.MODE`, `run`, `cache_key`. */
  path: (string | number)[];
  /** The string as written. */
  text: string;
}

/** Every string of `step` that holds `${{`, in the fields that are templated. */
export function templatedFields(step: Step): TemplatedField[] {
  const out: TemplatedField[] = [];
  const add = (path: (string | number)[], v: unknown) => {
    if (typeof v === "string") {
      if (hasTemplate(v)) out.push({ path, text: v });
    } else if (Array.isArray(v)) v.forEach((x, i) => add([...path, i], x));
    else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) add([...path, k], x);
    }
  };
  add(["args"], step.args);
  if (step.type === "shell") {
    add(["env"], step.env);
    add(["run"], step.run);
  }
  add(["cache_key"], step.cacheKey);
  return out;
}

/** True when the value at `path` inside `args` is a templated string (its type is known later). */
export function templatedAt(args: unknown, path: readonly (string | number)[]): boolean {
  const v = valueAt(args, path);
  return typeof v === "string" && hasTemplate(v);
}

/**
 * Problems with the templates of every step, as recipe issues: syntax, unknown roots and
 * fields, and `env.NAME` that the step's env grant (`grants[i]` for `recipe.steps[i]`) does
 * not allow.
 */
export function templateIssues(recipe: Recipe, grants: Deno.PermissionOptionsObject[]): Issue[] {
  const issues: Issue[] = [];
  recipe.steps.forEach((step, i) => {
    for (const field of templatedFields(step)) {
      const report = (message: string) => issues.push(_issue(recipe, step, field, message));
      const parsed = parseTemplate(field.text);
      if (!parsed.ok) {
        report(parsed.message);
        continue;
      }
      for (const e of _expressions(parsed.template.parts)) {
        if (e.root !== "env" || _envAllowed(grants[i]?.env, String(e.path[0]))) continue;
        report(
          `${e.source} reads the environment variable "${e.path[0]}", which step "${step.name}" ` +
            `may not read; add permissions: {env: [${e.path[0]}]} to the step (and to the ` +
            `recipe's permissions, if it has a block)`,
        );
      }
    }
  });
  return issues;
}

/**
 * Warnings for `ctx.` expressions whose key no step before the step (an ancestor in the graph)
 * declares in `success.ctx_has_keys` and that `startKeys` (a starting context) does not hold.
 * Steps may write keys they do not declare, so this is a warning, not an error.
 */
export function referenceWarnings(plan: Plan, startKeys: Iterable<string> = []): Issue[] {
  const start = new Set(startKeys);
  // computed only if some step has a template: it is quadratic in a deep graph's depth
  let ancestors: Map<string, Set<string>> | undefined;
  const declaredBy = new Map<string, string>();
  const declares = new Map<string, ReadonlySet<string>>();
  for (const { step } of plan.steps) {
    declares.set(step.name, new Set(step.success.ctxHasKeys));
    for (const k of step.success.ctxHasKeys) if (!declaredBy.has(k)) declaredBy.set(k, step.name);
  }
  const warnings: Issue[] = [];
  for (const { step } of plan.steps) {
    const before = () => (ancestors ??= ancestry(plan.steps)).get(step.name) ?? new Set<string>();
    const known = (k: string) => start.has(k) || [...before()].some((a) => declares.get(a)?.has(k));
    for (const field of templatedFields(step)) {
      const parsed = parseTemplate(field.text);
      if (!parsed.ok) continue;
      for (const e of _expressions(parsed.template.parts)) {
        if (e.root !== "ctx") continue;
        const candidates = keyCandidates(e);
        if (candidates.some(known)) continue;
        const key = candidates.find((k) => /_v[0-9]+$/.test(k)) ?? candidates.at(-1)!;
        const writer = candidates.map((k) => declaredBy.get(k)).find((w) => w !== undefined);
        const fix = writer !== undefined && writer !== step.name
          ? `step "${writer}" declares it but does not run before "${step.name}"; add ` +
            `depends_on: [${writer}]`
          : "declare it in the writing step's success.ctx_has_keys, or start from a context " +
            "that holds it (--context)";
        warnings.push(_issue(
          plan.recipe,
          step,
          field,
          `${e.source} reads "${key}", which no step that runs before "${step.name}" declares ` +
            `in success.ctx_has_keys; ${fix}`,
        ));
      }
    }
  }
  return warnings;
}

/** What resolving a step's templates gives. */
export type StepResolution =
  | { ok: true; planned: PlannedStep; pending: string[] }
  | { ok: false; reason: string };

/** What a step's templates read besides the step itself. */
export interface TemplateSources {
  /** The context when the step starts. */
  context: Scope["ctx"];
  /** The recipe (for `meta.*`). */
  recipe: Recipe;
  /** The run's id, when it has one. */
  runId?: string;
  /** Reads an environment variable. @default Deno.env.get */
  env?: (name: string) => string | undefined;
  /** Expressions to leave as written (see Scope.pending). */
  pending?: Scope["pending"];
}

/**
 * The step with every templated field resolved (and a shell step's argv, env and `run`
 * rebuilt), or why it cannot run. A step without templates comes back as it is.
 */
export function resolveStep(planned: PlannedStep, sources: TemplateSources): StepResolution {
  const fields = templatedFields(planned.step);
  if (fields.length === 0) return { ok: true, planned, pending: [] };
  const { testId, tester, description } = sources.recipe.testMeta;
  const scope: Scope = {
    ctx: sources.context,
    env: sources.env ?? ((name) => Deno.env.get(name)),
    meta: { test_id: testId, tester, description },
    runId: sources.runId,
    step: planned.step.name,
    pending: sources.pending,
  };
  const step = structuredClone(planned.step) as Step;
  const pending: string[] = [];
  for (const field of fields) {
    const parsed = parseTemplate(field.text);
    const resolved = parsed.ok
      ? resolveTemplate(parsed.template, scope)
      : { ok: false as const, message: parsed.message };
    if (!resolved.ok) {
      return {
        ok: false,
        reason: `cannot resolve ${
          formatPath(field.path)
        }: ${resolved.message}; the step did not run`,
      };
    }
    pending.push(...resolved.pending);
    _setAt(
      step,
      field.path,
      field.path[0] === "args" && step.type !== "shell"
        ? resolved.value
        : renderText(resolved.value),
    );
  }
  return {
    ok: true,
    planned: { ...planned, step, target: _target(planned, step) },
    pending: [...new Set(pending)],
  };
}

/** A shell step's target rebuilt from its resolved fields; other targets are unchanged. */
function _target(planned: PlannedStep, step: Step): PlannedStep["target"] {
  const target = planned.target;
  if (target.type !== "shell" || step.type !== "shell") return target;
  const command = step.script !== undefined
    ? [target.command[0], ...step.args]
    : ["/bin/sh", "-c", step.run!, step.name, ...step.args];
  return { ...target, command, env: step.env };
}

/** Writes `value` at `path` inside a step (the mapping key `cache_key` is the field cacheKey). */
function _setAt(step: Step, path: (string | number)[], value: JsonValue): void {
  const [first, ...rest] = path;
  const field = first === "cache_key" ? "cacheKey" : String(first);
  const holder = step as unknown as Record<string, JsonValue>;
  if (rest.length === 0) {
    holder[field] = value;
    return;
  }
  let v = holder[field] as Record<string | number, JsonValue>;
  for (const p of rest.slice(0, -1)) v = v[p] as Record<string | number, JsonValue>;
  v[rest.at(-1)!] = value;
}

function _expressions(parts: (string | Expression)[]): Expression[] {
  return parts.filter((p): p is Expression => typeof p !== "string");
}

function _envAllowed(env: Deno.PermissionOptionsObject["env"], name: string): boolean {
  if (env === true || env === "inherit") return true;
  return Array.isArray(env) && env.includes(name);
}

function _issue(recipe: Recipe, step: Step, field: TemplatedField, message: string): Issue {
  return stepIssue(recipe, step, field.path, message);
}
