/**
 * @module
 * Bad-input cases for the file and YAML layer: missing, empty, directory, oversized, binary and
 * non-UTF-8 files, malformed YAML, alias bombs, tags, prototype keys. Every one exits 2 before
 * any step runs.
 */
import { type BadCase, META, stepRecipe } from "./case.ts";

const BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...Array.from({ length: 8 }, (_, i) => {
    const p = String.fromCharCode(97 + i), n = String.fromCharCode(98 + i);
    return `${n}: &${n} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`;
  }),
  "test_meta: *i",
].join("\n") + "\n";

/** 10 MiB: a valid recipe followed by a comment block of 1 KiB lines. */
const TEN_MIB = stepRecipe() + ("# " + "p".repeat(1021) + "\n").repeat(10 * 1024);

const garbage = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 256);

const run = (recipe: string | Uint8Array, file = "recipe.yaml") => ({
  files: { [file]: recipe },
  argv: ["run", file],
});

export const SYNTAX_CASES: BadCase[] = [
  {
    name: "a missing recipe file → exit 2, file not found",
    argv: ["run", "nowhere.yaml"],
    code: 2,
    reason: "file not found",
  },
  {
    name: "an empty (0-byte) recipe → exit 2, the recipe is empty",
    ...run(""),
    code: 2,
    reason: "the recipe is empty",
  },
  {
    name: "a recipe of comments only → exit 2, the recipe is empty",
    ...run("# nothing here\n\n# at all\n"),
    code: 2,
    reason: "the recipe is empty",
  },
  {
    name: "a directory given as the recipe → exit 2, it is a directory",
    files: { "adir/keep.txt": "" },
    argv: ["run", "adir"],
    code: 2,
    reason: "it is a directory",
  },
  {
    name: "a 10 MiB recipe over --max-recipe-bytes 1048576 → exit 2, over the limit",
    files: { "recipe.yaml": TEN_MIB },
    argv: ["validate", "recipe.yaml", "--max-recipe-bytes", "1048576"],
    code: 2,
    reason: "over the limit of 1048576 bytes",
  },
  {
    name: "a 10 MiB recipe under the default 32 MiB limit → validated (exit 0) within 10 s",
    files: { "recipe.yaml": TEN_MIB },
    argv: ["validate", "recipe.yaml"],
    code: 0,
    reason: "",
    withinMs: 10_000,
  },
  {
    name: "a 10 MiB recipe run with --max-recipe-bytes 1048576 → exit 2, no run directory",
    files: { "recipe.yaml": TEN_MIB },
    argv: ["run", "recipe.yaml", "--max-recipe-bytes", "1048576"],
    code: 2,
    reason: "over the limit of 1048576 bytes",
  },
  {
    name: "binary garbage → exit 2, not valid UTF-8 with a byte offset",
    ...run(garbage),
    code: 2,
    reason: /not valid UTF-8: .* at byte offset \d+/,
  },
  {
    name: "invalid UTF-8 after valid text → exit 2, names offset, line and col",
    ...run(new Uint8Array([...new TextEncoder().encode(META + "steps: ca"), 0xc3, 0x28, 0x0a])),
    code: 2,
    reason: "(starting 0xC3) at byte offset 77",
    at: { line: 5, col: 10 },
  },
  {
    name: "a NUL byte in otherwise valid UTF-8 → exit 2, control character",
    ...run(META + "steps: []\u0000\n"),
    code: 2,
    reason: "control character U+0000",
  },
  {
    name: "tab indentation → exit 2, names line:col",
    ...run("test_meta:\n\ttest_id: X\n"),
    code: 2,
    reason: "tab used for indentation",
    at: { line: 2, col: 1 },
  },
  {
    name: "an unclosed double quote → exit 2, points at the opening quote",
    ...run(META + 'steps: "unclosed\n'),
    code: 2,
    reason: "unclosed quote",
    at: { line: 5, col: 8 },
  },
  {
    name: "an unclosed single quote → exit 2, unclosed quote",
    ...run(META.replace("tester: test", "tester: 'test")),
    code: 2,
    reason: "unclosed quote",
    at: { line: 3 },
  },
  {
    name: "bad indentation (a key deeper than its siblings) → exit 2, names the line",
    ...run("test_meta:\n  test_id: X\n    tester: y\n  description: z\nsteps: []\n"),
    code: 2,
    reason: "check the indentation",
    at: { line: 2 },
  },
  {
    name: "an unclosed flow sequence → exit 2, invalid YAML",
    ...run(META + "steps: [1, 2\n"),
    code: 2,
    reason: /invalid YAML|flow|\]/,
  },
  {
    name: "a billion-laughs alias bomb → exit 2 within 5 s, too many alias expansions",
    ...run(BOMB),
    code: 2,
    reason: "too many alias expansions",
    withinMs: 5000,
  },
  {
    name: "an alias without an anchor → exit 2, names the alias",
    ...run(META + "steps: *nowhere\n"),
    code: 2,
    reason: "alias *nowhere has no anchor",
  },
  {
    name: "a custom tag (!foo) → exit 2, custom tags are not allowed",
    ...run(META + "steps: !foo [1]\n"),
    code: 2,
    reason: "custom tags are not allowed: !foo",
    at: { line: 5 },
  },
  {
    name: "a !!binary tag → exit 2, custom tags are not allowed",
    ...run(META + "steps: !!binary aGVsbG8=\n"),
    code: 2,
    reason: "custom tags are not allowed",
  },
  {
    name: "a JS-type tag (!!js/function) → exit 2, custom tags are not allowed",
    ...run(META + "steps: !!js/function 'function () { return 1 }'\n"),
    code: 2,
    reason: "custom tags are not allowed",
  },
  {
    name: "a __proto__ key at the root → exit 2, unknown key, no pollution",
    ...run(stepRecipe({}, "__proto__: {polluted: true}\n")),
    code: 2,
    reason: '"__proto__"',
    at: { line: 12, path: "__proto__" },
  },
  {
    name: "a __proto__ key inside a step → exit 2, unknown key",
    // JSON.parse: in an object literal, "__proto__" would set the prototype, not add a key
    ...run(stepRecipe(JSON.parse('{"__proto__": "{isAdmin: true}"}'))),
    code: 2,
    reason: '"__proto__"',
    at: { line: 12 },
  },
  {
    name: "a constructor key in test_meta → exit 2, unknown key",
    ...run(
      META.replace("tester: test", "tester: test\n  constructor: {prototype: 1}") + "steps: []\n",
    ),
    code: 2,
    reason: '"constructor"',
  },
  {
    name: "a mapping used as a key → exit 2, keys must be plain",
    ...run(META + "steps: []\n? {a: 1}\n: x\n"),
    code: 2,
    reason: "keys must be plain strings or numbers",
  },
  {
    name: "a duplicate YAML key → exit 2, names the first one",
    ...run(META.replace("tester: test", "tester: test\n  tester: again") + "steps: []\n"),
    code: 2,
    reason: 'duplicate key "tester" (first at line 3',
  },
  {
    name: "two YAML documents in one file → exit 2",
    ...run(stepRecipe() + "---\n" + stepRecipe()),
    code: 2,
    reason: /document/i,
  },
  {
    name: "a list at the root → exit 2, expected a mapping",
    ...run("- test_meta: {}\n"),
    code: 2,
    reason: /mapping/,
  },
];
