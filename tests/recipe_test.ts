import assert from "node:assert/strict";
import { stringify } from "yaml";
import { type Issue, RecipeSyntaxError, RecipeValidationError } from "../core/errors.ts";
import { formatPath, loadRecipe, type Recipe, validateRecipe } from "../core/recipe.ts";
import { parseYaml } from "../core/yaml_source.ts";
import { orch, tempTree } from "./_helpers.ts";

const FIXTURES = new URL("./fixtures/recipes/", import.meta.url).pathname;

type Doc = Record<string, unknown>;

/** A valid recipe document with `n` steps; change it before turning it into YAML. */
function doc(n = 1): Doc & { steps: Doc[] } {
  return {
    test_meta: { test_id: "T-1", tester: "me", description: "d" },
    steps: Array.from({ length: n }, (_, i) => ({
      idx: i + 1,
      name: `step_${i + 1}`,
      type: "deno",
      module: "steps/x.ts",
      function: "X",
    })),
  };
}

const validate = (text: string): Recipe => validateRecipe(parseYaml(text, "r.yaml"));

/** The issues validating `text` fails with (fails the test if it validates). */
function issuesOf(text: string | Doc): Issue[] {
  try {
    validate(typeof text === "string" ? text : stringify(text));
  } catch (err) {
    assert.ok(err instanceof RecipeValidationError, `expected RecipeValidationError: ${err}`);
    return err.issues;
  }
  assert.fail("expected the recipe to be invalid");
}

/** The one issue at `path`. */
function issueAt(issues: Issue[], path: string, pattern?: RegExp): Issue {
  const found = issues.filter((i) => i.path === path && (!pattern || pattern.test(i.message)));
  assert.equal(
    found.length,
    1,
    `one issue at ${path} ${pattern ?? ""}; got ${JSON.stringify(issues)}`,
  );
  return found[0];
}

Deno.test("a valid recipe is normalised and its steps are sorted by idx", async () => {
  const recipe = await loadRecipe(`${FIXTURES}valid.yaml`);
  assert.deepEqual(recipe.testMeta, {
    testId: "NUM-001",
    tester: "user",
    description: "two steps",
  });
  assert.deepEqual(recipe.steps.map((s) => [s.idx, s.name, s.index]), [[1, "first", 1], [
    2,
    "second",
    0,
  ]]);
  assert.deepEqual(recipe.steps[0].args, { "x-kept": 1, n: 3 });
  assert.deepEqual(recipe.steps[0].success, { ctxHasKeys: ["numbers.stats_v1"] });
  assert.deepEqual(recipe.steps[1].args, {});
});

Deno.test("x- keys are ignored at the root, test_meta, each step and success, not in args", () => {
  const text = `x-root: 1
test_meta:
  x-meta: {a: 1}
  test_id: T
  tester: u
  description: d
steps:
  - idx: 1
    x-step: [1]
    name: a
    type: deno
    module: m.ts
    function: F
    args: {x-arg: 2}
    success:
      x-note: hi
      ctx_has_keys: [a.b]
`;
  const recipe = validate(text);
  assert.deepEqual(recipe.steps[0].args, { "x-arg": 2 });
  assert.deepEqual(recipe.steps[0].success.ctxHasKeys, ["a.b"]);
});

Deno.test("a wrong type names file, line, col, path, expectation and the value found", () => {
  const text = `test_meta:
  test_id: T
  tester: u
  description: d
steps:
  - idx: 1
    name: a
    type: deno
    module: steps/a.ts
    function: A
  - idx: 2
    name: b
    type: deno
    module: steps/b.ts
    function: B
  - idx: 3
    name: c
    type: deno
    module: 12345
    function: C
`;
  const [i] = issuesOf(text);
  assert.deepEqual(i, {
    file: "r.yaml",
    line: 19,
    col: 13,
    path: "steps[2].module",
    message: "expected string, found number 12345",
  });
});

Deno.test("an unknown key is an error at the key, with a did-you-mean", () => {
  const text = stringify(doc()).replace("module:", "modul:");
  const i = issueAt(issuesOf(text), "steps[0].modul");
  assert.match(i.message, /unknown key "modul" \(did you mean "module"\?\)/);
  assert.deepEqual([i.line, i.col], [9, 5]);
  issueAt(issuesOf(text), "steps[0].module", /missing required field "module" \(string\)/);
});

Deno.test("unknown keys are reported at every level, root included", () => {
  const d = doc();
  d.test_meta = { ...(d.test_meta as Doc), testr: "x" };
  d.stepz = [];
  d.steps[0].success = { ctx_has_key: ["a.b"] };
  const issues = issuesOf(d);
  assert.match(issueAt(issues, "test_meta.testr").message, /did you mean "tester"/);
  assert.match(issueAt(issues, "stepz").message, /did you mean "steps"/);
  assert.match(issueAt(issues, "steps[0].success.ctx_has_key").message, /"ctx_has_keys"/);
});

Deno.test("__proto__ at the step level is an unknown key and pollutes nothing", () => {
  const text = stringify(doc()) + "    __proto__: {polluted: true}\n";
  issueAt(issuesOf(text), "steps[0].__proto__", /unknown key "__proto__"/);
  assert.equal(({} as Doc).polluted, undefined);
});

Deno.test("__proto__ inside args is refused instead of being silently dropped", () => {
  const text = stringify(doc()) + "    args:\n      __proto__: {polluted: true}\n      a: 1\n";
  const i = issueAt(issuesOf(text), "steps[0].args.__proto__");
  assert.deepEqual([i.line, i.col], [12, 7]);
  assert.equal(({} as Doc).polluted, undefined);
});

Deno.test("constructor keys are data, not a way to reach a prototype", () => {
  const d = doc();
  d.steps[0].args = { constructor: { prototype: { polluted: true } } };
  const recipe = validate(stringify(d));
  assert.deepEqual(recipe.steps[0].args, { constructor: { prototype: { polluted: true } } });
  assert.equal(({} as Doc).polluted, undefined);
});

// Every field with a value of the wrong type: [path, value, expected message].
const WRONG_TYPES: [string, unknown, RegExp][] = [
  ["test_meta", 5, /^expected mapping, found number 5$/],
  ["test_meta.test_id", 5, /^expected string, found number 5$/],
  ["test_meta.tester", [1], /^expected string, found a list$/],
  ["test_meta.description", { a: 1 }, /^expected string, found a mapping$/],
  ["steps", "x", /^expected list, found string "x"$/],
  ["steps[0]", "x", /^expected mapping, found string "x"$/],
  ["steps[0].idx", "1", /^expected number, found string "1"$/],
  ["steps[0].idx", 1.5, /^expected integer, found number 1.5$/],
  ["steps[0].idx", -1, /^expected a number >= 0, found number -1$/],
  ["steps[0].idx", null, /^expected number, found null$/],
  ["steps[0].name", 7, /^expected string, found number 7$/],
  ["steps[0].name", "a b", /^step names use .*, found string "a b"$/],
  ["steps[0].type", true, /^expected one of "deno", "shell", "python", found boolean true$/],
  ["steps[0].module", 12345, /^expected string, found number 12345$/],
  ["steps[0].module", "", /^expected a non-empty string, found string ""$/],
  ["steps[0].function", false, /^expected string, found boolean false$/],
  ["steps[0].function", "1abc", /^function must be an exported class name, found string "1abc"$/],
  ["steps[0].description", 5, /^expected string, found number 5$/],
  ["steps[0].args", [1], /^expected a mapping of params \(deno, python\) or a list of strings/],
  ["steps[0].success", "a.b", /^expected mapping, found string "a.b"$/],
  ["steps[0].success.ctx_has_keys", "a.b", /^expected list, found string "a.b"$/],
  ["steps[0].success.ctx_has_keys[0]", "Bad", /^context keys are dotted.*found string "Bad"$/],
  ["steps[0].depends_on", "a", /^expected list, found string "a"$/],
  ["steps[0].depends_on[0]", 5, /^expected string, found number 5$/],
  ["steps[0].retry", 3, /^expected mapping, found number 3$/],
  ["steps[0].retry.max", 1.5, /^expected integer, found number 1.5$/],
  ["steps[0].retry.delay_sec", "1s", /^expected number, found string "1s"$/],
  ["steps[0].timeout", "5 minutes", /^expected seconds \(a number\) or a duration such as/],
  ["steps[0].timeout", 0, /^expected a number > 0, found number 0$/],
  ["steps[0].parallel", "yes", /^expected boolean, found string "yes"$/],
  ["steps[0].cache_key", 5, /^expected string, found number 5$/],
  ["steps[0].permissions", true, /^expected mapping, found boolean true$/],
  ["steps[0].permissions.read", 5, /^expected true, false or a list of strings, found number 5$/],
  ["context", "merge", /^expected mapping, found string "merge"$/],
  ["context.merge", "lol", /^expected one of "last_write_wins", "fail_on_conflict", found/],
  ["permissions", [], /^expected mapping, found an empty list$/],
  ["permissions.net", "yes", /^expected true, false or a list of strings, found string/],
];

/** Sets `value` at a path like `steps[0].retry.max`, creating mappings and lists on the way. */
function setPath(d: Doc, path: string, value: unknown) {
  const segs = path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "").map((s) =>
    /^\d+$/.test(s) ? Number(s) : s
  );
  let node = d as Record<PropertyKey, unknown>;
  segs.forEach((seg, i) => {
    if (i === segs.length - 1) node[seg] = value;
    else {
      node[seg] ??= typeof segs[i + 1] === "number" ? [] : {};
      node = node[seg] as Record<PropertyKey, unknown>;
    }
  });
}

for (const [path, value, pattern] of WRONG_TYPES) {
  Deno.test(`${path}: ${JSON.stringify(value)} is rejected with line:col and what was found`, () => {
    const d = doc();
    if (path.startsWith("steps[0].retry.")) setPath(d, "steps[0].retry", { max: 1, delay_sec: 1 });
    setPath(d, path, value);
    const issue = issueAt(issuesOf(d), path, pattern);
    assert.equal(issue.file, "r.yaml");
    assert.ok(issue.line! >= 1 && issue.col! >= 1);
  });
}

Deno.test("a bad type gets a did-you-mean", () => {
  const d = doc();
  d.steps[0].type = "denoo";
  const i = issueAt(issuesOf(d), "steps[0].type");
  assert.match(i.message, /found string "denoo" \(did you mean "deno"\?\)/);
});

Deno.test("missing test_meta fields are each reported", () => {
  const d = doc();
  d.test_meta = {};
  const issues = issuesOf(d);
  for (const f of ["test_id", "tester", "description"]) {
    issueAt(issues, `test_meta.${f}`, new RegExp(`missing required field "${f}" \\(string\\)`));
  }
  issueAt(issuesOf({ steps: doc().steps }), "test_meta", /missing required field "test_meta"/);
});

Deno.test("an empty steps list is an error", () => {
  const d = doc();
  d.steps = [];
  issueAt(issuesOf(d), "steps", /needs at least one step, found an empty list/);
});

Deno.test("duplicate step names and duplicate idx are errors naming both steps", () => {
  const d = doc(3);
  d.steps[2].name = "step_1";
  d.steps[2].idx = 2;
  const issues = issuesOf(d);
  const name = issueAt(issues, "steps[2].name", /duplicate step name "step_1" \(also steps\[0\]\)/);
  const idx = issueAt(issues, "steps[2].idx", /duplicate idx 2 \(also steps\[1\]\)/);
  assert.equal(name.line, idx.line! + 1);
});

Deno.test("a shell step needs script or run, and module/function are not its fields", () => {
  const d = doc();
  d.steps[0].type = "shell";
  const issues = issuesOf(d);
  issueAt(issues, "steps[0]", /a shell step needs "script" .* or "run"/);
  issueAt(issues, "steps[0].module", /"module" is not used by shell steps/);
  issueAt(issues, "steps[0].function", /"function" is not used by shell steps/);
});

Deno.test("a shell step with both script and run, or mapping args, is refused", () => {
  const d = doc();
  Object.assign(d.steps[0], { type: "shell", script: "a.sh", run: "echo", args: { a: 1 } });
  delete d.steps[0].module;
  delete d.steps[0].function;
  const issues = issuesOf(d);
  issueAt(issues, "steps[0]", /takes "script" or "run", not both/);
  issueAt(issues, "steps[0].args", /shell step args are a list of strings, found a mapping/);
});

Deno.test("shell and python steps are normalised with their own fields", () => {
  const d = doc(2);
  Object.assign(d.steps[0], { type: "shell", run: "echo hi", args: ["a"], env: { M: "1" } });
  delete d.steps[0].module;
  delete d.steps[0].function;
  Object.assign(d.steps[1], { type: "python", python_path: ["lib"], isolate: true });
  const [shell, python] = validate(stringify(d)).steps;
  assert.equal(shell.type, "shell");
  assert.deepEqual(shell.args, ["a"]);
  assert.equal(python.type, "python");
  assert.deepEqual((python as { pythonPath: string[] }).pythonPath, ["lib"]);
});

Deno.test("a deno step without module names the missing field", () => {
  const d = doc();
  delete d.steps[0].module;
  issueAt(issuesOf(d), "steps[0].module", /missing required field "module"/);
});

Deno.test("cache_key and inputs are accepted and normalised", () => {
  const d = doc(2);
  d.steps[0].cache_key = "auto";
  d.steps[0].inputs = { files: ["data/numbers.csv"], ctx: ["numbers.values_v1"] };
  d.steps[1].inputs = { files: ["a.txt"] };
  const [first, second] = validate(stringify(d)).steps;
  assert.equal(first.cacheKey, "auto");
  assert.deepEqual(first.inputs, { files: ["data/numbers.csv"], ctx: ["numbers.values_v1"] });
  assert.equal(second.cacheKey, undefined, "no cache_key: never cached");
  assert.deepEqual(second.inputs, { files: ["a.txt"], ctx: [] });
});

Deno.test("inputs.ctx keys follow the context key rule and inputs takes no other keys", () => {
  const d = doc();
  d.steps[0].inputs = { ctx: ["Bad"], file: ["x"] };
  const issues = issuesOf(d);
  issueAt(issues, "steps[0].inputs.ctx[0]", /^context keys are dotted.*found string "Bad"$/);
  issueAt(issues, "steps[0].inputs.file", /unknown key "file" \(did you mean "files"\?\)/);
});

Deno.test("depends_on, retry, timeout, parallel and permissions are normalised", () => {
  const d = doc(2);
  Object.assign(d.steps[1], {
    depends_on: ["step_0"],
    retry: { max: 2, delay_sec: 0.5, backoff: 2, max_delay_sec: 3, on: ["timeout"] },
    timeout: "1.5s",
    parallel: true,
    permissions: { read: ["data"], net: false },
  });
  const r = validate(stringify({ context: { merge: "fail_on_conflict" }, ...d }));
  const [first, second] = r.steps;
  assert.equal(r.merge, "fail_on_conflict");
  assert.equal(first.dependsOn, undefined, "no depends_on: the step before it (decided later)");
  assert.deepEqual(first.retry.max, 0, "no retry: one attempt");
  assert.equal(first.timeoutMs, undefined);
  assert.deepEqual(second.dependsOn, ["step_0"]);
  assert.deepEqual(second.retry, {
    max: 2,
    delayMs: 500,
    backoff: 2,
    maxDelayMs: 3000,
    on: ["timeout"],
  });
  assert.equal(second.timeoutMs, 1500);
  assert.equal(second.parallel, true);
  assert.deepEqual(second.permissions, { read: ["data"], net: false });
});

for (
  const [given, ms] of [[30, 30_000], [0.25, 250], ["500ms", 500], ["2m", 120_000], [
    "1h",
    3_600_000,
  ]] as const
) {
  Deno.test(`timeout ${JSON.stringify(given)} is ${ms} ms`, () => {
    const d = doc();
    d.steps[0].timeout = given;
    assert.equal(validate(stringify(d)).steps[0].timeoutMs, ms);
  });
}

Deno.test("a well-formed top-level context.merge and permissions are accepted", () => {
  const r = validate(
    stringify({ context: { merge: "last_write_wins" }, permissions: {}, ...doc() }),
  );
  assert.equal(r.merge, "last_write_wins");
  assert.deepEqual(r.permissions, {});
});

for (const bad of [".nan", ".inf", "-.inf", "[1, .NaN]", "{deep: {x: .Inf}}"]) {
  Deno.test(`args with ${bad} are refused as not JSON-safe`, () => {
    const text = stringify(doc()) + `    args:\n      a: ${bad}\n`;
    const issues = issuesOf(text);
    assert.equal(issues.length, 1);
    assert.match(issues[0].path!, /^steps\[0\]\.args\.a/);
    assert.match(issues[0].message, /expected a finite number, found -?\.(nan|inf)/);
    assert.ok(issues[0].line! >= 11);
  });
}

Deno.test("validateRecipe() collects every issue, schema and rules alike", () => {
  const d = doc(2);
  d.steps[0].modul = d.steps[0].module; // unknown key (+ missing module)
  delete d.steps[0].module;
  d.steps[1].type = "denoo"; // bad enum
  d.steps[1].idx = 1; // duplicate idx: a rule, found even though the schema failed
  d.steps[1].inputs = { ctx: ["Bad"] }; // a bad context key
  const issues = issuesOf(d);
  assert.deepEqual(issues.map((i) => i.path), [
    "steps[0].module",
    "steps[0].modul",
    "steps[1].idx",
    "steps[1].type",
    "steps[1].inputs.ctx[0]",
  ]);
});

Deno.test("three different errors give three issues", async () => {
  const err = await loadRecipe(`${FIXTURES}three_errors.yaml`).catch((e) => e);
  assert.ok(err instanceof RecipeValidationError);
  assert.deepEqual(
    err.issues.map((i: Issue) => `${i.line}:${i.col} ${i.path}`),
    ["9:11 steps[0].type", "11:15 steps[0].function", "12:5 steps[0].descripton"],
  );
  assert.match(err.message, /\(and 2 more\)/);
});

Deno.test("formatPath() quotes keys that are not plain names", () => {
  assert.equal(formatPath(["steps", 2, "module"]), "steps[2].module");
  assert.equal(formatPath(["steps", 0, "args", "a.b", "x-y"]), 'steps[0].args["a.b"].x-y');
  assert.equal(formatPath([]), "(root)");
});

Deno.test("errors are RecipeSyntaxError for YAML and RecipeValidationError for the schema", () => {
  assert.throws(() => validate("a: [1\n"), RecipeSyntaxError);
  assert.throws(() => validate("a: 1\n"), RecipeValidationError);
});

// --- large recipes ---

function bigRecipe(n: number): string {
  const parts = ["test_meta:\n  test_id: BIG\n  tester: gen\n  description: generated\nsteps:\n"];
  for (let i = 0; i < n; i++) {
    parts.push(
      `  - idx: ${i}\n    name: s${i}\n    type: deno\n    module: steps/x.ts\n` +
        `    function: X\n    args: {n: ${i}, tags: [a, b]}\n`,
    );
  }
  return parts.join("");
}

Deno.test("100,000 steps parse and validate, and validation stays linear", () => {
  const time = (n: number) => {
    const text = bigRecipe(n);
    let t = performance.now();
    const source = parseYaml(text, "big.yaml");
    const parseMs = performance.now() - t;
    t = performance.now();
    const recipe = validateRecipe(source);
    const validateMs = performance.now() - t;
    assert.equal(recipe.steps.length, n);
    assert.equal(recipe.steps[n - 1].name, `s${n - 1}`);
    return { parseMs, validateMs };
  };
  time(1000); // warm up the JIT
  const small = time(10_000);
  const big = time(100_000);
  console.log(
    `10k steps: parse ${small.parseMs.toFixed(0)} ms, validate ${
      small.validateMs.toFixed(0)
    } ms; ` +
      `100k steps: parse ${big.parseMs.toFixed(0)} ms, validate ${big.validateMs.toFixed(0)} ms`,
  );
  const ratio = big.validateMs / Math.max(small.validateMs, 1);
  assert.ok(ratio < 25, `validate 100k/10k = ${ratio.toFixed(1)} (want < 25)`);
  const parseRatio = big.parseMs / Math.max(small.parseMs, 1);
  assert.ok(parseRatio < 25, `parse 100k/10k = ${parseRatio.toFixed(1)} (want < 25)`);
});

Deno.test("a large recipe full of errors reports them all in linear time", () => {
  const time = (n: number) => {
    const source = parseYaml(bigRecipe(n).replaceAll("    function: X\n", "    functon: X\n"), "b");
    const t = performance.now();
    const err = (() => {
      try {
        validateRecipe(source);
      } catch (e) {
        return e as RecipeValidationError;
      }
    })();
    assert.equal(err?.issues.length, 2 * n);
    return performance.now() - t;
  };
  time(1000);
  const small = time(2_000);
  const big = time(20_000);
  console.log(`2k bad steps: ${small.toFixed(0)} ms, 20k bad steps: ${big.toFixed(0)} ms`);
  assert.ok(big / Math.max(small, 1) < 25, `${big} vs ${small}`);
});

// --- through the CLI ---

Deno.test("orch validate a.yaml b.yaml reports every error of both files and exits 2", async () => {
  const a = stringify(doc()).replace("module: steps/x.ts", "module: 12345");
  const b = stringify(doc(2)).replace("type: deno", "type: denoo").replace("idx: 2", "idx: 1");
  const dir = await tempTree({ "a.yaml": a, "b.yaml": b });
  const r = await orch(["validate", "a.yaml", "b.yaml"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.json.status, "error");
  assert.equal(r.json.exit_code, 2);
  const errors = r.json.errors as Issue[];
  assert.deepEqual(errors, [
    {
      file: "a.yaml",
      line: 9,
      col: 13,
      path: "steps[0].module",
      message: "expected string, found number 12345",
    },
    {
      file: "b.yaml",
      line: 8,
      col: 11,
      path: "steps[0].type",
      message:
        'expected one of "deno", "shell", "python", found string "denoo" (did you mean "deno"?)',
    },
    {
      file: "b.yaml",
      line: 11,
      col: 10,
      path: "steps[1].idx",
      message: "duplicate idx 1 (also steps[0]); give each step its own idx",
    },
  ]);
  for (const e of errors) {
    assert.ok(r.stderr.includes(`${e.file}:${e.line}:${e.col}: ${e.path}: ${e.message}`), r.stderr);
  }
});

Deno.test("orch validate reports unreadable and broken files among good ones", async () => {
  const dir = await tempTree({
    "bad_utf8.yaml": new Uint8Array([0x61, 0x3a, 0x20, 0xff]),
    "tabs.yaml": "test_meta:\n\ttest_id: x\n",
  });
  const r = await orch(["validate", "missing.yaml", "bad_utf8.yaml", "tabs.yaml"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  const errors = r.json.errors as Issue[];
  assert.deepEqual(errors.map((e) => [e.file, e.line, e.col]), [
    ["missing.yaml", undefined, undefined],
    ["bad_utf8.yaml", 1, 4],
    ["tabs.yaml", 2, 1],
  ]);
  assert.match(errors[0].message, /file not found/);
  assert.match(errors[1].message, /not valid UTF-8.*byte offset 3/);
  assert.match(r.stderr, /tabs\.yaml:2:1: tab used for indentation/);
});
