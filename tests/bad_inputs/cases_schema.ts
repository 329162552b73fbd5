/**
 * @module
 * Bad-input cases for the recipe schema and the rules checked before any step runs: a wrong
 * type in every field, unknown keys, duplicates and the dependency graph. Every one exits 2 and
 * leaves no run directory behind.
 */
import { type BadCase, flowRecipe, META, numbers, stepRecipe } from "./case.ts";

/**
 * [field, bad YAML value, expected fragment, line, path below the field] for the one step of
 * `stepRecipe`.
 */
const STEP_FIELDS: [string, string, string | RegExp, number, string?][] = [
  ["idx", '"one"', /expected (an )?(int|number)/, 6],
  ["idx", "1.5", /int/, 6],
  ["idx", "-1", />=\s*0|too small|nonnegative|non-negative/, 6],
  ["name", "[a, b]", /expected string/, 7],
  ["name", '"has space"', "step names use letters", 7],
  ["type", "bash", 'expected one of "deno", "shell", "python", found string "bash"', 8],
  ["module", "42", /expected string/, 9],
  ["module", '""', "expected a non-empty string", 9],
  ["function", '"not-a-class"', "function must be an exported class name", 10],
  ["args", '"src=data"', "expected a mapping of params", 11],
  ["description", "{a: 1}", /expected string/, 12],
  ["success", "[numbers.stats_v1]", /expected object|mapping/, 12],
  ["success", '{ctx_has_keys: ["Not A Key"]}', "context keys are dotted", 12, ".ctx_has_keys[0]"],
  ["depends_on", "7", /expected array|list/, 12],
  ["retry", "3", /expected object|mapping/, 12],
  ["retry", "{max: -1}", "expected a number >= 0, found number -1", 12, ".max"],
  ["retry", "{max: 1, backoff: 0.5}", "expected a number >= 1, found number 0.5", 12, ".backoff"],
  [
    "retry",
    "{max: 1, on: [crash]}",
    'expected one of "error", "timeout", found string "crash"',
    12,
    ".on[0]",
  ],
  ["timeout", "soon", "expected seconds (a number) or a duration", 12],
  ["timeout", '"0ms"', "a duration must be longer than 0", 12],
  ["timeout", "-5", /seconds|positive|too small|> ?0/, 12],
  ["parallel", '"yes"', /expected boolean/, 12],
  ["cache_key", '""', "expected a non-empty string", 12],
  [
    "inputs",
    "{files: data/numbers.csv}",
    'expected list, found string "data/numbers.csv"',
    12,
    ".files",
  ],
  ["permissions", "all", /expected|permission/, 12],
  [
    "permissions",
    "{read: 7}",
    "expected true, false or a list of strings, found number 7",
    12,
    ".read",
  ],
];

const fieldCases: BadCase[] = STEP_FIELDS.map(([field, value, reason, line, below = ""]) => ({
  name: `steps[0].${field} = ${value} (wrong type or value) → exit 2 at line ${line}`,
  files: { "recipe.yaml": stepRecipe({ [field]: value }) },
  argv: ["run", "recipe.yaml"],
  code: 2,
  reason,
  at: { line, path: `steps[0].${field}${below}` },
  issues: 1,
}));

const recipe = (text: string) => ({ files: { "recipe.yaml": text }, argv: ["run", "recipe.yaml"] });
const TOP = "steps:\n  - {idx: 1, name: a, type: deno, module: steps/compute_numbers.ts, " +
  "function: ComputeNumbers, args: {src: data/numbers.csv}}\n";

const topCases: BadCase[] = [
  {
    name: "test_meta as a string → exit 2 at test_meta",
    ...recipe(`test_meta: NUM-001\n${TOP}`),
    code: 2,
    reason: /expected object|mapping/,
    at: { line: 1, path: "test_meta" },
  },
  {
    name: "test_meta.test_id empty → exit 2, expected a non-empty string",
    ...recipe(META.replace("BAD-1", '""') + TOP),
    code: 2,
    reason: "expected a non-empty string",
    at: { line: 2, path: "test_meta.test_id" },
  },
  {
    name: "test_meta.tester missing → exit 2 naming the field",
    ...recipe(META.replace("  tester: test\n", "") + TOP),
    code: 2,
    reason: /tester/,
  },
  {
    name: "steps as a mapping → exit 2, expected a list",
    ...recipe(`${META}steps: {a: 1}\n`),
    code: 2,
    reason: /expected array|list/,
    at: { line: 5, path: "steps" },
  },
  {
    name: "an empty steps list → exit 2, needs at least one step",
    ...recipe(`${META}steps: []\n`),
    code: 2,
    reason: "a recipe needs at least one step",
  },
  {
    name: "a step that is a string → exit 2 at steps[0]",
    ...recipe(`${META}steps:\n  - compute_numbers\n`),
    code: 2,
    reason: /expected object|mapping/,
    at: { line: 6, path: "steps[0]" },
  },
  {
    name: "context.merge unknown → exit 2, lists the strategies",
    ...recipe(`${META}context: {merge: random}\n${TOP}`),
    code: 2,
    reason: /last_write_wins|fail_on_conflict/,
    at: { line: 5, path: "context.merge" },
  },
  {
    name: "a misspelled step key (modul) → exit 2, did you mean module",
    ...recipe(stepRecipe({ module: null, modul: "steps/compute_numbers.ts" })),
    code: 2,
    reason: 'unknown key "modul" (did you mean "module"?)',
    issues: 2, // and "missing required field module", reported first (at the step)
  },
  {
    name: "an unknown root key → exit 2, unknown key",
    ...recipe(stepRecipe({}, "tests: []\n")),
    code: 2,
    reason: 'unknown key "tests"',
    at: { line: 12, path: "tests" },
  },
  {
    name: "a shell-only key on a deno step (script) → exit 2, not used by deno steps",
    ...recipe(stepRecipe({ script: "x.sh" })),
    code: 2,
    reason: '"script" is not used by deno steps',
  },
  {
    name: "a deno step without module → exit 2, missing required field",
    ...recipe(stepRecipe({ module: null })),
    code: 2,
    reason: 'missing required field "module"',
  },
];

const graphCases: BadCase[] = [
  {
    name: "duplicate step names → exit 2, names the duplicate",
    ...recipe(flowRecipe([numbers(1, "same"), numbers(2, "same")])),
    code: 2,
    reason: /duplicate .*"same"|"same".*duplicate/,
    at: { line: 7 },
  },
  {
    name: "duplicate idx → exit 2, names the duplicate",
    ...recipe(flowRecipe([numbers(1, "a"), numbers(1, "b")])),
    code: 2,
    reason: /duplicate idx|idx 1/,
    at: { line: 7 },
  },
  {
    name: "a two-step cycle → exit 2, spells out a -> b -> a",
    ...recipe(flowRecipe([
      numbers(1, "a", { depends_on: ["b"] }),
      numbers(2, "b", { depends_on: ["a"] }),
    ])),
    code: 2,
    reason: /cycle .*(a -> b -> a|b -> a -> b)/,
  },
  {
    name: "a three-step cycle → exit 2, names every step in it",
    ...recipe(flowRecipe([
      numbers(1, "a", { depends_on: ["c"] }),
      numbers(2, "b", { depends_on: ["a"] }),
      numbers(3, "c", { depends_on: ["b"] }),
    ])),
    code: 2,
    reason: /cycle .*a -> .*b -> .*c|cycle .*c -> .*b -> .*a/,
  },
  {
    name: "a step depending on itself → exit 2",
    ...recipe(flowRecipe([numbers(1, "a", { depends_on: ["a"] })])),
    code: 2,
    reason: /itself/,
  },
  {
    name: "an unknown dependency → exit 2, did you mean",
    ...recipe(flowRecipe([numbers(1, "load"), numbers(2, "b", { depends_on: ["laod"] })])),
    code: 2,
    reason: /"laod".*did you mean "load"/,
    at: { line: 7 },
  },
  {
    name: "a dependency listed twice → exit 2",
    ...recipe(flowRecipe([numbers(1, "a"), numbers(2, "b", { depends_on: ["a", "a"] })])),
    code: 2,
    reason: /twice|more than once|duplicate/,
  },
];

export const SCHEMA_CASES: BadCase[] = [...fieldCases, ...topCases, ...graphCases];
