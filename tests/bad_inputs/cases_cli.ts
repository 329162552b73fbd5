/**
 * @module
 * Bad-input cases for the command line itself: unknown commands and flags, malformed flag
 * values, bad context files, unknown runs and step names, and `orch step` on a failing module.
 */
import { type BadCase, FIX, stepRecipe } from "./case.ts";

const ok = { "recipe.yaml": stepRecipe() };

export const CLI_CASES: BadCase[] = [
  {
    name: "an unknown command (runn) → exit 2, did you mean run",
    argv: ["runn", "recipe.yaml"],
    code: 2,
    reason: 'unknown command "runn" (did you mean "run"?)',
  },
  {
    name: "a misspelled flag (--concurency) → exit 2, did you mean --concurrency",
    files: ok,
    argv: ["run", "recipe.yaml", "--concurency", "2"],
    code: 2,
    reason: '(did you mean "--concurrency"?)',
  },
  {
    name: "run without a recipe → exit 2, needs one argument",
    argv: ["run"],
    code: 2,
    reason: "run needs one argument",
  },
  {
    name: "run with two recipes → exit 2, takes one argument",
    files: ok,
    argv: ["run", "recipe.yaml", "recipe.yaml"],
    code: 2,
    reason: "run takes one argument, got 2",
  },
  {
    name: "--concurrency 0 → exit 2, must be a positive integer",
    files: ok,
    argv: ["run", "recipe.yaml", "--concurrency", "0"],
    code: 2,
    reason: '--concurrency must be a positive integer, got "0"',
  },
  {
    name: "--max-recipe-bytes abc → exit 2, must be a positive integer",
    files: ok,
    argv: ["validate", "recipe.yaml", "--max-recipe-bytes", "abc"],
    code: 2,
    reason: '--max-recipe-bytes must be a positive integer, got "abc"',
  },
  {
    name: "--max-permissions that is not JSON → exit 2",
    files: ok,
    argv: ["run", "recipe.yaml", "--max-permissions", "{read: yes"],
    code: 2,
    reason: /--max-permissions/,
  },
  {
    name: "--output loud → exit 2, lists the modes",
    files: ok,
    argv: ["run", "recipe.yaml", "--output", "loud"],
    code: 2,
    reason: 'unknown --output "loud"',
  },
  {
    name: "--context pointing at malformed JSON → exit 2, names the file",
    files: { ...ok, "ctx.json": "{not json" },
    argv: ["run", "recipe.yaml", "--context", "ctx.json"],
    code: 2,
    reason: "ctx.json",
  },
  {
    name: "--context with a key that is not dotted → exit 2, names the key",
    files: { ...ok, "ctx.json": '{"NotDotted": 1}' },
    argv: ["run", "recipe.yaml", "--context", "ctx.json"],
    code: 2,
    reason: "NotDotted",
  },
  {
    name: "--context that is missing → exit 2, names the file",
    files: ok,
    argv: ["run", "recipe.yaml", "--context", "nope.json"],
    code: 2,
    reason: "nope.json",
  },
  {
    name: "--only naming an unknown step → exit 2, did you mean",
    files: ok,
    argv: ["run", "recipe.yaml", "--only", "frist"],
    code: 2,
    reason: /"frist".*did you mean "first"/,
  },
  {
    name: "--resume of an unknown run → exit 2, no run",
    argv: ["run", "--resume", "20200101-000000000-abcdef"],
    code: 2,
    reason: 'no run "20200101-000000000-abcdef"',
  },
  {
    name: "--resume combined with --context → exit 2",
    argv: ["run", "--resume", "x", "--context", "c.json"],
    code: 2,
    reason: "drop --context",
  },
  {
    name: "show of an unknown run → exit 2, no run",
    argv: ["show", "nope"],
    code: 2,
    reason: 'no run "nope"',
  },
  {
    name: "--allow-module naming a missing directory → exit 2",
    files: ok,
    argv: ["run", "recipe.yaml", "--allow-module", "no_such_dir"],
    code: 2,
    reason: /allowed module root "\S*no_such_dir" does not exist/,
  },
  {
    name: "ORCH_ALLOW_MODULES naming a file → exit 2, not a directory",
    files: { ...ok, "afile.txt": "" },
    argv: ["run", "recipe.yaml"],
    env: { ORCH_ALLOW_MODULES: "afile.txt" },
    code: 2,
    reason: "is not a directory",
  },
  {
    name: "step --params that is not JSON → exit 2, shows an example",
    argv: ["step", "steps/compute_numbers.ts", "--params", "{src: x"],
    code: 2,
    reason: "--params is not valid JSON",
  },
  {
    name: "step on a module that throws → exit 1, one line, no stack",
    argv: [
      "step",
      `${FIX}/misbehave.ts`,
      "--function",
      "Misbehave",
      "--params",
      '{"how":"throw"}',
      "--allow-module",
      FIX,
    ],
    code: 1,
    reason: "RangeError: thrown on purpose",
  },
  {
    name: "step --type bash → exit 2, did you mean",
    argv: ["step", "--type", "bash", "--run", "true"],
    code: 2,
    reason: 'unknown --type "bash"',
  },
];
