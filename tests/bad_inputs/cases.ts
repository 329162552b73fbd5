/**
 * @module
 * The bad-input catalogue: every case bad_inputs_test.ts runs through the CLI, gathered from the
 * per-area tables, plus the bad `${{ ... }}` templating cases defined here.
 */
import { type BadCase, misbehave, RUN, runtimeCase, runtimeRecipe, stepRecipe } from "./case.ts";
import { CLI_CASES } from "./cases_cli.ts";
import { EXTERNAL_CASES } from "./cases_external.ts";
import { MODULE_CASES } from "./cases_modules.ts";
import { RUNTIME_CASES } from "./cases_runtime.ts";
import { SCHEMA_CASES } from "./cases_schema.ts";
import { SYNTAX_CASES } from "./cases_syntax.ts";

export type { BadCase } from "./case.ts";

/** The `bad` step: a step that ignores its args, so only templating can make it fail. */
const templated = (args: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  misbehave("ok", { ...extra, function: "Writes", args });

/**
 * Bad `${{ ... }}` expressions (issue 6, core/template.ts: a small path language over `ctx`,
 * `env`, `meta`, `run`, `step`; no code evaluation).
 */
export const TEMPLATING_CASES: BadCase[] = [
  runtimeCase(
    "a template naming an unknown context key → exit 1 before the step runs, names it",
    templated({ x: "${{ ctx.bad.nope_v1 }}" }),
    "ctx.bad.nope_v1",
  ),
  runtimeCase(
    "a template path into a value that lacks it → exit 1, names the expression",
    templated({ x: "${{ ctx.good.before_v1.deeper }}" }),
    "ctx.good.before_v1.deeper",
  ),
  {
    name: "an env template without an env grant → exit 2 before anything runs, names the fix",
    files: { "recipe.yaml": runtimeRecipe(templated({ x: "${{ env.HOME }}" })) },
    argv: RUN,
    code: 2,
    reason: 'reads the environment variable "HOME", which step "bad" may not read',
    at: { line: 7, path: "steps[1].args.x" },
  },
  {
    name: "an unclosed template → exit 2 at the args field",
    files: { "recipe.yaml": stepRecipe({ args: '{src: "${{ ctx.numbers.stats_v1"}' }) },
    argv: ["run", "recipe.yaml"],
    code: 2,
    reason: "${{",
    at: { line: 11 },
  },
  {
    name: "a template that tries to call code → exit 2, not a path",
    files: { "recipe.yaml": stepRecipe({ args: '{src: "${{ Deno.exit(1) }}"}' }) },
    argv: ["run", "recipe.yaml"],
    code: 2,
    reason: "Deno.exit(1)",
    at: { line: 11 },
  },
  {
    name: "a template with an unknown root → exit 2, lists the roots",
    files: { "recipe.yaml": stepRecipe({ args: '{src: "${{ secrets.TOKEN }}"}' }) },
    argv: ["run", "recipe.yaml"],
    code: 2,
    reason: /secrets\.TOKEN.*ctx/,
    at: { line: 11 },
  },
  {
    name: "an empty template → exit 2",
    files: { "recipe.yaml": stepRecipe({ args: '{src: "${{ }}"}' }) },
    argv: ["run", "recipe.yaml"],
    code: 2,
    reason: "${{ }}",
    at: { line: 11 },
  },
];

/** Every case, in the order they run. */
export const CASES: BadCase[] = [
  ...SYNTAX_CASES,
  ...SCHEMA_CASES,
  ...MODULE_CASES,
  ...CLI_CASES,
  ...RUNTIME_CASES,
  ...EXTERNAL_CASES,
  ...TEMPLATING_CASES,
];
