/**
 * @module
 * Secrets redaction: turns the values of the environment variables a recipe lists under
 * `secrets:` into `***` in everything a step hands back to orch: its output lines, its envelope
 * and its context writes (so the context, its history, the journal, the cache, run.json, reports
 * and the result line only ever hold `***`). It does this by wrapping the run's Executor, the one
 * boundary every step's data crosses. Steps themselves still get the real values (through their
 * `env` permission, or a shell step's inherited environment); nothing here changes what they see.
 * Does not redact what orch was given as input (a `--context` file, the recipe text).
 */
import { issueAt, RecipeValidationError } from "./errors.ts";
import type { Executor, StepOutcome } from "./executors/executor.ts";
import type { Recipe } from "./recipe.ts";

/** What a secret's value is replaced by. */
export const MASK = "***";

/**
 * The shortest secret value orch accepts: a shorter one would turn every occurrence of a few
 * common characters in every log line into `***`.
 */
export const MIN_SECRET_LENGTH = 4;

/** Replaces secret values in text and JSON data. */
export interface Redactor {
  /** True when there is at least one value to redact. */
  readonly active: boolean;
  /** `text` with every form of every secret value replaced by `***`. */
  text(text: string): string;
  /**
   * A copy of `value` with secrets replaced in every string, object key and number (a number
   * whose digits hold a secret becomes the string `***`). Other values are returned as they are.
   */
  json<T>(value: T): T;
}

/** Reads an environment variable; `Deno.env.get` by default. */
export type EnvReader = (name: string) => string | undefined;

/**
 * A redactor for the given secret values. Each value is matched raw and in its JSON-escaped
 * form (how it appears inside JSON text a step prints); longer values are replaced first.
 */
export function redactorFor(values: readonly string[]): Redactor {
  const forms = new Set<string>();
  for (const v of values) {
    if (v === "") continue;
    forms.add(v);
    forms.add(JSON.stringify(v).slice(1, -1));
  }
  const patterns = [...forms].sort((a, b) => b.length - a.length);
  const text = (s: string): string => {
    for (const p of patterns) if (s.includes(p)) s = s.split(p).join(MASK);
    return s;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return text(v);
    if (typeof v === "number") return text(String(v)) === String(v) ? v : MASK;
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) {
      return v;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      Object.defineProperty(out, text(k), { value: walk(x), enumerable: true, writable: true });
    }
    return out;
  };
  const active = patterns.length > 0;
  return {
    active,
    text: active ? text : (s) => s,
    json: <T>(value: T): T => active ? walk(value) as T : value,
  };
}

/**
 * The redactor for a recipe's `secrets:`, reading their values from the environment now.
 * Throws RecipeValidationError (exit 2, at the `secrets[i]` entry) when a listed variable is
 * unset, empty, shorter than MIN_SECRET_LENGTH, or cannot be read (no env permission).
 */
export function secretsRedactor(
  recipe: Recipe,
  env: EnvReader = (name) => Deno.env.get(name),
): Redactor {
  const names = recipe.secrets ?? [];
  const values: string[] = [];
  const issues = names.flatMap((name, i) => {
    const problem = _problem(name, env, values);
    if (problem === undefined) return [];
    return [issueAt(recipe, ["secrets", i], problem)];
  });
  if (issues.length > 0) throw new RecipeValidationError(issues);
  return redactorFor(values);
}

function _problem(name: string, env: EnvReader, values: string[]): string | undefined {
  let value: string | undefined;
  try {
    value = env(name);
  } catch (err) {
    return `secret "${name}" cannot be read from the environment (${(err as Error).message}); ` +
      `run orch with --allow-env`;
  }
  if (value === undefined || value === "") {
    return `secret "${name}" is ${value === undefined ? "not set" : "empty"} in the environment; ` +
      `export ${name} before the run, or remove it from secrets:`;
  }
  if (value.length < MIN_SECRET_LENGTH) {
    return `secret "${name}" is shorter than ${MIN_SECRET_LENGTH} characters, too short to ` +
      `redact without garbling every log line; use a longer value`;
  }
  values.push(value);
  return undefined;
}

/**
 * Wraps `executor` so that whatever a step hands back passes through `redactor`: its output
 * lines, its envelope, its context writes, and the message of an error the executor throws.
 * Returns `executor` itself when there is nothing to redact.
 */
export function redactExecutor(executor: Executor, redactor: Redactor): Executor {
  if (!redactor.active) return executor;
  const wrapped: Executor = {
    async run(attempt, signal, onLog): Promise<StepOutcome> {
      let outcome: StepOutcome;
      try {
        outcome = await executor.run(attempt, signal, (s, line) => onLog(s, redactor.text(line)));
      } catch (err) {
        throw new Error(redactor.text((err as Error)?.message ?? String(err)));
      }
      return {
        ...outcome,
        envelope: redactor.json(outcome.envelope),
        delta: { writes: redactor.json(outcome.delta.writes) },
      };
    },
  };
  if (executor.close) wrapped.close = () => executor.close!();
  return wrapped;
}

/**
 * The executor of a run of `recipe`: `executor` wrapped by the redactor of the recipe's
 * secrets. When a secret cannot be read, closes `executor` and throws (see secretsRedactor).
 */
export function withSecretsRedacted(
  executor: Executor,
  recipe: Recipe,
  env?: EnvReader,
): Executor {
  try {
    return redactExecutor(executor, secretsRedactor(recipe, env));
  } catch (err) {
    executor.close?.();
    throw err;
  }
}
