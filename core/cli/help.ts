/**
 * @module
 * The CLI's help texts and version. Deliberately imports nothing, so `orch --help` and
 * `orch --version` start fast.
 */

/** orch's version (kept equal to deno.json's). */
export const VERSION = "0.1.0";

const COMMON = `
Common options:
  --allow-module DIR      also allow step modules under DIR (repeatable; also ORCH_ALLOW_MODULES,
                          a ':'-separated list). Recipes can never widen the allowlist.
  --max-recipe-bytes N    refuse recipe files larger than N bytes (default 33554432 = 32 MiB)
  -h, --help              show help for the command`;

/** Help per command; "" is the top level. */
export const HELP: Record<string, string> = {
  "": `orch ${VERSION} - run test-automation recipes

Usage: orch <command> [options]

Commands:
  run RECIPE         validate a recipe, then run its steps in idx order
  validate RECIPE... check recipes (schema, modules, params) without running anything
  list RECIPE        show the steps in run order with type, module and args
  step MODULE        run one scriptlet alone with --params (debugging)
  schema             print the recipe JSON Schema

Options:
  -h, --help         show help (also: orch <command> --help)
  -V, --version      print the version

stdout carries exactly one JSON line (the result); logs go to stderr.
Exit codes: 0 ok, 1 a step or assertion failed, 2 invalid usage/recipe/module, 130 interrupted.`,
  run: `Usage: orch run RECIPE [options]     (or: orch run --recipe RECIPE)

Validates the whole recipe first (schema, modules, params), then runs the steps in idx order,
checks each step's success.ctx_has_keys, and stops at the first failure.

Options:
  --recipe RECIPE         the recipe file (instead of the positional argument)
  --context FILE          start from this context file instead of an empty context
  --context-out FILE      write the final context (data + history) to FILE (atomically)
${COMMON}`,
  validate: `Usage: orch validate RECIPE... [options]

Checks each recipe (YAML, schema, duplicate names and idx, module allowlist, exports, params)
and reports every problem of every file with file:line:col. Runs no step.
${COMMON}`,
  list: `Usage: orch list RECIPE [options]

Validates the recipe and lists its steps in run order with type, module, function and args.
The JSON list goes to stdout; a readable table goes to stderr.
${COMMON}`,
  step: `Usage: orch step MODULE --params JSON [options]

Runs one scriptlet alone, in a Worker, through the same allowlist as recipes.

Options:
  --params JSON           the step's params (default {})
  --function NAME         the exported class (default: the module's only scriptlet export)
  --name NAME             the step name used in the envelope and history (default: file name)
  --context FILE          read the starting context from FILE
  --context-out FILE      write the resulting context to FILE (only if the step succeeded)
${COMMON}`,
  schema: `Usage: orch schema

Prints the recipe JSON Schema (draft-07), generated from orch's zod schema. Editors use it
through a '# yaml-language-server: $schema=recipe.schema.json' line at the top of a recipe.`,
};
