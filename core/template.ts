/**
 * @module
 * The `${{ ... }}` template language of recipe fields: parsing a string into text and
 * expressions, and resolving expressions against a scope (the context, the environment, the
 * test metadata, the run id, the step name). A small path language, never code. Knows nothing
 * about which recipe fields are templated or who may read what (see step_templates.ts).
 *
 * The rules:
 * - An expression is `${{ ROOT.PATH }}` (spaces inside the braces optional). Roots:
 *   `ctx.<key>[.<path>]`, `env.NAME`, `meta.test_id` (also `meta.tester`, `meta.description`),
 *   `run.id`, `step.name`. A path goes on with `.field` (object fields: letters, digits, `_`,
 *   `-`) and `[N]` (list indices, from 0). `.0` is a field named "0", never an index.
 * - Context keys are dotted (`numbers.stats_v1`), so `ctx.numbers.stats_v1.count` is split by
 *   the longest key prefix present in the context when the step starts: with the key
 *   `numbers.stats_v1` present, the rest (`count`) is a path inside its value. A key needs two
 *   segments at least.
 * - A string that is exactly one expression (no other characters, not even spaces) takes the
 *   value with its JSON type: `"${{ ctx.numbers.stats_v1.count }}"` is the number 7. Inside a
 *   longer string a string value is inserted as it is and any other value as its JSON text:
 *   `7`, `true`, `null`, `[1,2]`, `{"a":1}`.
 * - `$${{` stands for a literal `${{` (no expression).
 * - A missing key, field or index is an error naming the expression; nothing is guessed.
 */
import type { JsonValue } from "./json_safe.ts";
import { didYouMean } from "./suggest.ts";

/** The names an expression can start with. */
export const ROOTS = ["ctx", "env", "meta", "run", "step"] as const;
/** One of `ROOTS`. */
export type Root = typeof ROOTS[number];

/** One parsed `${{ ... }}`. */
export interface Expression {
  /** The expression as written, braces included: `${{ ctx.numbers.stats_v1.count }}`. */
  source: string;
  /** What it reads from. */
  root: Root;
  /** The path after the root: field names (strings) and list indices (numbers). */
  path: (string | number)[];
}

/** A parsed string: literal text and expressions, in order. */
export interface Template {
  /** Text pieces and expressions. */
  parts: (string | Expression)[];
  /** True when the string is exactly one expression (it then keeps the value's JSON type). */
  whole: boolean;
}

/** Parsing a string: its template, or what is wrong with it. */
export type ParseResult = { ok: true; template: Template } | { ok: false; message: string };

/** What an expression can read. */
export interface Scope {
  /** The context as it is when the step starts. */
  ctx: {
    has(key: string): boolean;
    get(key: string): JsonValue | undefined;
    keys(): string[];
  };
  /** The environment variable `name` (already checked against the step's env grant). */
  env: (name: string) => string | undefined;
  /** The recipe's `test_meta`. */
  meta: { test_id: string; tester: string; description: string };
  /** The run's id; undefined when the run has none (no run directory). */
  runId?: string;
  /** The step's name. */
  step: string;
  /** Expressions to leave as written (a dry run: their value is known only later). */
  pending?: (expression: Expression) => boolean;
}

/** A resolved string: its value, or the first expression that failed and why. */
export type Resolution =
  | { ok: true; value: JsonValue; pending: string[] }
  | { ok: false; message: string };

const OPEN = "${{";
const META_FIELDS = ["test_id", "tester", "description"];
const FIXED: Record<string, string[]> = { meta: META_FIELDS, run: ["id"], step: ["name"] };

/** True when `text` holds something that looks like an expression (`${{`). */
export function hasTemplate(text: string): boolean {
  return text.includes(OPEN);
}

/** Parses `text` into literal pieces and expressions; a malformed one is an error. */
export function parseTemplate(text: string): ParseResult {
  const parts: (string | Expression)[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$" + OPEN, i)) {
      literal += OPEN;
      i += OPEN.length + 1;
      continue;
    }
    if (!text.startsWith(OPEN, i)) {
      literal += text[i++];
      continue;
    }
    const end = text.indexOf("}}", i + OPEN.length);
    if (end < 0) {
      const shown = text.slice(i, i + 40);
      return _error(`unterminated "${OPEN}" in ${JSON.stringify(shown)}: close it with "}}"`);
    }
    const source = text.slice(i, end + 2);
    const parsed = parseExpression(text.slice(i + OPEN.length, end).trim(), source);
    if (typeof parsed === "string") return _error(parsed);
    if (literal !== "") parts.push(literal);
    literal = "";
    parts.push(parsed);
    i = end + 2;
  }
  if (literal !== "") parts.push(literal);
  const whole = parts.length === 1 && typeof parts[0] !== "string";
  return { ok: true, template: { parts, whole } };
}

/**
 * Parses the inside of one `${{ ... }}` (trimmed); `source` is the whole expression for
 * messages. Returns the expression or a message.
 */
export function parseExpression(inner: string, source: string): Expression | string {
  if (inner === "") return `empty expression ${source}; write e.g. \${{ ctx.numbers.stats_v1 }}`;
  const head = /^[A-Za-z_][A-Za-z0-9_]*/.exec(inner)?.[0];
  if (head === undefined) return `unexpected "${inner[0]}" at the start of ${source}${_NO_CODE}`;
  if (!(ROOTS as readonly string[]).includes(head)) {
    const hint = didYouMean(head, [...ROOTS]);
    return `unknown root "${head}" in ${source}${hint ? ` (did you mean "${hint}"?)` : ""}; ` +
      `use ctx., env., meta., run. or step.`;
  }
  const path: (string | number)[] = [];
  const step = /\.([A-Za-z0-9_-]+)|\[([0-9]+)\]/y;
  step.lastIndex = head.length;
  while (step.lastIndex < inner.length) {
    const at = step.lastIndex;
    const m = step.exec(inner);
    if (!m) return `unexpected "${inner.slice(at, at + 10)}" in ${source}${_NO_CODE}`;
    path.push(m[1] ?? Number(m[2]));
  }
  const expression = { source, root: head as Root, path };
  return _shapeProblem(expression) ?? expression;
}

const _NO_CODE = "; an expression is a path such as ctx.numbers.stats_v1.count or " +
  "ctx.numbers.values_v1[0] (fields with '.', list indices with [N]), not code";

/** What is wrong with a root's path regardless of the context, or undefined. */
function _shapeProblem({ root, path, source }: Expression): string | undefined {
  if (root === "ctx") {
    const names = path.findIndex((p) => typeof p === "number");
    if ((names < 0 ? path.length : names) < 2) {
      return `${source} needs a context key of two or more segments, e.g. ` +
        `\${{ ctx.numbers.stats_v1 }}`;
    }
    return undefined;
  }
  if (root === "env") {
    return path.length === 1 && typeof path[0] === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/
        .test(path[0])
      ? undefined
      : `${source} must name one environment variable, e.g. \${{ env.HOME }}`;
  }
  const allowed = FIXED[root];
  if (path.length === 1 && allowed.includes(String(path[0]))) return undefined;
  const asked = path.length > 0 ? `"${path.join(".")}"` : "nothing";
  return `${source} asks ${root} for ${asked}; ${root} has ${
    allowed.map((f) => `${root}.${f}`).join(", ")
  }`;
}

/**
 * The context keys a `ctx` expression could start with, longest first: for
 * `ctx.a.b.c[0]` that is `a.b.c`, then `a.b`.
 */
export function keyCandidates(expression: Expression): string[] {
  const names: string[] = [];
  for (const p of expression.path) {
    if (typeof p === "number") break;
    names.push(p);
  }
  const out: string[] = [];
  for (let n = names.length; n >= 2; n--) out.push(names.slice(0, n).join("."));
  return out;
}

/** Resolves a parsed string against `scope`. */
export function resolveTemplate(template: Template, scope: Scope): Resolution {
  const values: { value: JsonValue; text: string }[] = [];
  const pending: string[] = [];
  for (const part of template.parts) {
    if (typeof part === "string") {
      values.push({ value: part, text: part });
      continue;
    }
    if (scope.pending?.(part)) {
      pending.push(part.source);
      values.push({ value: part.source, text: part.source });
      continue;
    }
    const found = resolveExpression(part, scope);
    if (!found.ok) return found;
    values.push({ value: found.value, text: renderText(found.value) });
  }
  if (template.whole) return { ok: true, value: values[0].value, pending };
  return { ok: true, value: values.map((v) => v.text).join(""), pending };
}

/** How a value reads inside a longer string: a string as is, anything else as JSON text. */
export function renderText(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The value one expression reads, or why it cannot. */
export function resolveExpression(
  expression: Expression,
  scope: Scope,
): { ok: true; value: JsonValue } | { ok: false; message: string } {
  const { root, path, source } = expression;
  if (root === "ctx") return _fromContext(expression, scope);
  if (root === "env") {
    const value = scope.env(String(path[0]));
    return value === undefined
      ? { ok: false, message: `${source}: environment variable "${path[0]}" is not set` }
      : { ok: true, value };
  }
  if (root === "meta") return { ok: true, value: scope.meta[path[0] as "test_id"] };
  if (root === "step") return { ok: true, value: scope.step };
  return scope.runId === undefined
    ? { ok: false, message: `${source}: this run has no id (orch step takes one with --run-id)` }
    : { ok: true, value: scope.runId };
}

function _fromContext(expression: Expression, scope: Scope) {
  const candidates = keyCandidates(expression);
  const key = candidates.find((k) => scope.ctx.has(k));
  if (key === undefined) {
    const tried = candidates.map((k) => `"${k}"`).join(" or ");
    const keys = scope.ctx.keys();
    const hint = candidates.map((k) => didYouMean(k, keys)).find((h) => h !== undefined);
    return {
      ok: false as const,
      message: `${expression.source}: the context holds no key ${tried} when the step starts` +
        (hint ? ` (did you mean "${hint}"?)` : "") +
        `; keys: ${keys.slice(0, 10).join(", ") || "none"}`,
    };
  }
  const rest = expression.path.slice(key.split(".").length);
  return walkPath(scope.ctx.get(key)!, rest, key, expression.source);
}

/** Follows `path` inside `value` (found at `at`); a missing field or index is an error. */
export function walkPath(
  value: JsonValue,
  path: (string | number)[],
  at: string,
  source: string,
): { ok: true; value: JsonValue } | { ok: false; message: string } {
  let v = value;
  let where = at;
  for (const p of path) {
    const problem = _stepProblem(v, p, where);
    if (problem) return { ok: false, message: `${source}: ${problem}` };
    v = typeof p === "number" ? (v as JsonValue[])[p] : (v as Record<string, JsonValue>)[p];
    where = typeof p === "number" ? `${where}[${p}]` : `${where}.${p}`;
  }
  return { ok: true, value: v };
}

function _stepProblem(v: JsonValue, p: string | number, where: string): string | undefined {
  if (typeof p === "number") {
    if (!Array.isArray(v)) return `${where} is ${_kind(v)}, not a list; [${p}] needs a list`;
    return p < v.length ? undefined : `${where} has ${v.length} item(s); [${p}] is out of range`;
  }
  if (Array.isArray(v)) return `${where} is a list; index it with [N], not .${p}`;
  if (v === null || typeof v !== "object") return `${where} is ${_kind(v)}, it has no field "${p}"`;
  if (Object.hasOwn(v, p)) return undefined;
  const fields = Object.keys(v);
  const hint = didYouMean(p, fields);
  return `${where} has no field "${p}"${hint ? ` (did you mean "${hint}"?)` : ""}; fields: ${
    fields.slice(0, 10).join(", ") || "none"
  }`;
}

function _kind(v: JsonValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "a mapping" : `a ${typeof v}`;
}

function _error(message: string): ParseResult {
  return { ok: false, message };
}
