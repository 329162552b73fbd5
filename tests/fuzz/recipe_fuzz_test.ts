/**
 * @module
 * Property tests for the validation phases (core/recipe_file.ts decodeUtf8, core/yaml_source.ts
 * parseYaml, core/recipe.ts validateRecipe, core/plan.ts planRun) on generated recipe texts: valid
 * recipes always plan; valid recipes mutated (keys deleted, renamed or added, values of the wrong
 * type, lines duplicated or swapped, text truncated, random characters and bytes inserted) never
 * throw anything but RecipeSyntaxError / RecipeValidationError, and every issue they carry has a
 * position inside the file (and, past the YAML syntax, a field path). Module inspection in a
 * Worker is replaced by an inspector that accepts every export, so a case costs no Worker.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "yaml";
import { type Issue, RecipeSyntaxError, RecipeValidationError } from "../../core/errors.ts";
import { type Plan, type PlanOptions, planRun } from "../../core/plan.ts";
import { validateRecipe } from "../../core/recipe.ts";
import { decodeUtf8 } from "../../core/recipe_file.ts";
import { parseYaml } from "../../core/yaml_source.ts";
import { REPO } from "../_helpers.ts";
import { fuzzParams } from "./_fuzz.ts";

const FILE = "fuzz.yaml";

const inspector: PlanOptions["inspector"] = {
  inspect: (_grant, _url, items) =>
    Promise.resolve(items.map((i) => ({ ok: true as const, exportName: i.exportName ?? "" }))),
  close: () => {},
};

/** Runs every validation phase on a recipe's text or bytes. */
async function validateText(text: string | Uint8Array): Promise<Plan> {
  const str = typeof text === "string" ? text : decodeUtf8(text, FILE);
  const recipe = validateRecipe(parseYaml(str, FILE));
  return await planRun(recipe, { baseDir: REPO, inspector });
}

/** The outcome of validating: a plan, or the issues of a structured error (anything else throws). */
async function outcome(text: string | Uint8Array): Promise<Plan | Issue[]> {
  try {
    return await validateText(text);
  } catch (err) {
    if (err instanceof RecipeSyntaxError || err instanceof RecipeValidationError) {
      assert.ok(err.issues.length > 0, "a structured error has at least one issue");
      for (const issue of err.issues) checkIssue(issue, text, err instanceof RecipeValidationError);
      return err.issues;
    }
    throw err;
  }
}

function checkIssue(issue: Issue, text: string | Uint8Array, validation: boolean): void {
  const lines = (typeof text === "string" ? text : new TextDecoder().decode(text)).split("\n");
  const shown = JSON.stringify(issue);
  assert.equal(issue.file, FILE, shown);
  assert.ok(Number.isInteger(issue.line) && issue.line! >= 1, `line: ${shown}`);
  assert.ok(issue.line! <= lines.length, `line inside the file: ${shown}`);
  assert.ok(Number.isInteger(issue.col) && issue.col! >= 1, `col: ${shown}`);
  assert.ok(typeof issue.message === "string" && issue.message.length > 0, shown);
  if (validation) assert.ok(typeof issue.path === "string" && issue.path !== "", `path: ${shown}`);
}

// --- valid recipes ------------------------------------------------------------------------

type Doc = Record<string, unknown>;

const KINDS: Doc[] = [
  {
    type: "deno",
    module: "steps/compute_numbers.ts",
    function: "ComputeNumbers",
    args: { src: "data/numbers.csv" },
  },
  { type: "shell", run: 'echo \'{"status":"ok"}\'', permissions: { run: ["sh"] } },
  {
    type: "shell",
    script: "steps/shell/sanitize_csv.sh",
    args: ["data/numbers.csv"],
    permissions: { read: ["data"], run: ["sanitize_csv.sh"] },
  },
  { type: "python", module: "steps.python.load_values", function: "LoadValues" },
];

const text = fc.string({ minLength: 1, maxLength: 12 });
const contextKey = fc.stringMatching(/^[a-z][a-z0-9_]{0,5}\.[a-z0-9_]{1,6}$/);

const extras: fc.Arbitrary<Doc> = fc.record({
  description: text,
  parallel: fc.boolean(),
  timeout: fc.constantFrom<string | number>("500ms", "30s", "2m", 5),
  retry: fc.record({ max: fc.nat(3), delay_sec: fc.nat(2) }, { requiredKeys: ["max"] }),
  success: fc.record({ ctx_has_keys: fc.array(contextKey, { maxLength: 2 }) }),
  "x-note": text,
}, { requiredKeys: [] });

/** Steps in idx order, each depending on earlier ones (or implicitly on the one before). */
const stepsArb: fc.Arbitrary<Doc[]> = fc
  .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/), { minLength: 1, maxLength: 6 })
  .chain((names) =>
    fc.tuple(
      fc.uniqueArray(fc.nat(1000), { minLength: names.length, maxLength: names.length }),
      ...names.map((_, i) =>
        fc.tuple(
          fc.constantFrom(...KINDS),
          extras,
          fc.option(fc.subarray(names.slice(0, i)), { nil: undefined }),
        )
      ),
    ).map(([idxs, ...parts]) => {
      const sorted = [...idxs].sort((a, b) => a - b);
      return parts.map(([kind, extra, deps], i) => ({
        idx: sorted[i],
        name: names[i],
        ...kind,
        ...extra,
        ...(deps === undefined ? {} : { depends_on: deps }),
      }));
    })
  );

const recipeDoc: fc.Arbitrary<Doc> = fc.record({
  test_meta: fc.record({ test_id: text, tester: text, description: fc.string() }),
  steps: stepsArb.chain((steps) => fc.shuffledSubarray(steps, { minLength: steps.length })),
  context: fc.record({ merge: fc.constantFrom("last_write_wins", "fail_on_conflict") }),
  "x-owner": text,
}, { requiredKeys: ["test_meta", "steps"] });

Deno.test("a random valid recipe validates and plans every step", async () => {
  await fc.assert(
    fc.asyncProperty(recipeDoc, async (doc) => {
      const result = await outcome(stringify(doc));
      assert.ok(!Array.isArray(result), `expected a plan, got ${JSON.stringify(result)}`);
      const names = (doc.steps as Doc[]).map((s) => s.name).sort();
      assert.deepEqual(result.steps.map((p) => p.step.name).sort(), names);
      for (const p of result.steps) for (const d of p.deps) assert.ok(names.includes(d));
    }),
    fuzzParams(4),
  );
});

// --- mutations ----------------------------------------------------------------------------

/** Every path to a value inside a document. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [at];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => pathsOf((value as Doc)[k], [...at, k]))];
}

type DocEdit = { op: "delete" | "replace" | "add" | "rename"; pick: number; value: unknown };

/** Applies an edit at the `pick`-th path of a deep copy of `doc`. */
function editDoc(doc: Doc, edit: DocEdit): unknown {
  const root = structuredClone(doc);
  const paths = pathsOf(root).filter((p) => p.length > 0);
  if (paths.length === 0) return edit.value;
  const path = paths[edit.pick % paths.length];
  const parent = path.slice(0, -1).reduce<Doc>((o, k) => o[k] as Doc, root);
  const key = path.at(-1)!;
  const old = parent[key];
  if (edit.op === "delete") {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (edit.op === "replace") parent[key] = edit.value;
  else if (Array.isArray(parent)) parent.push(edit.value);
  else if (edit.op === "add") parent[`${String(key)}x`] = edit.value;
  else {
    delete parent[key];
    parent[String(edit.value).slice(0, 12)] = old;
  }
  return root;
}

const docEdit: fc.Arbitrary<DocEdit> = fc.record({
  op: fc.constantFrom("delete", "replace", "add", "rename"),
  pick: fc.nat(),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom("", "x-a", "__proto__", "constructor", "idx", "name", "../x.ts", "npm:x"),
    fc.double(),
  ),
});

/** Snippets that tend to break YAML or the schema when dropped into a recipe. */
const NASTY = [
  ":",
  "- ",
  "-",
  "? ",
  "&a ",
  "*a",
  "*b ",
  "!!binary ",
  "!foo ",
  "{",
  "}",
  "[",
  "]",
  "\t",
  '"',
  "'",
  "\n---\n",
  "\n...\n",
  "\uFEFF",
  "\u0000",
  "\u0085",
  "\r",
  "#",
  "|",
  ">",
  "%YAML 1.1\n",
  "<<: *a\n",
  "~",
  ".nan",
  "-.inf",
  "0x1F",
  "1e400",
  "__proto__: 1\n",
  "\n  - idx: 1\n",
  "\ud800",
  "\u{1F600}",
  "  ",
  "\n",
];

type TextEdit =
  | { op: "truncate" | "dupLine" | "dropLine" | "swapLines"; at: number; at2: number }
  | { op: "insert"; at: number; text: string };

function editText(text: string, edit: TextEdit): string {
  const at = edit.at % (text.length + 1);
  if (edit.op === "insert") return text.slice(0, at) + edit.text + text.slice(at);
  if (edit.op === "truncate") return text.slice(0, at);
  const lines = text.split("\n");
  const i = edit.at % lines.length;
  const j = edit.at2 % lines.length;
  if (edit.op === "dupLine") lines.splice(i, 0, lines[i]);
  else if (edit.op === "dropLine") lines.splice(i, 1);
  else [lines[i], lines[j]] = [lines[j], lines[i]];
  return lines.join("\n");
}

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({
    op: fc.constantFrom("truncate", "dupLine", "dropLine", "swapLines"),
    at: fc.nat(),
    at2: fc.nat(),
  }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: "binary", maxLength: 6 })),
  }),
);

Deno.test("a mutated recipe document yields a plan or issues with positions and paths", async () => {
  await fc.assert(
    fc.asyncProperty(
      recipeDoc,
      fc.array(docEdit, { minLength: 1, maxLength: 3 }),
      async (doc, edits) => {
        const mutated = edits.reduce<unknown>((d, e) => editDoc(d as Doc, e), doc);
        await outcome(stringify(mutated));
      },
    ),
    fuzzParams(2),
  );
});

Deno.test("a mutated recipe text yields a plan or issues with positions", async () => {
  await fc.assert(
    fc.asyncProperty(
      recipeDoc,
      fc.array(textEdit, { minLength: 1, maxLength: 4 }),
      async (doc, edits) => {
        await outcome(edits.reduce(editText, stringify(doc)));
      },
    ),
    fuzzParams(2),
  );
});

Deno.test("random bytes inside a recipe are refused with a position, never a crash", async () => {
  await fc.assert(
    fc.asyncProperty(
      recipeDoc,
      fc.nat(),
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      async (doc, at, bytes) => {
        const text = new TextEncoder().encode(stringify(doc));
        const i = at % (text.length + 1);
        await outcome(new Uint8Array([...text.subarray(0, i), ...bytes, ...text.subarray(i)]));
      },
    ),
    fuzzParams(2),
  );
});

Deno.test("arbitrary text is refused with positions, never a crash", async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 200 }), async (text) => {
      await outcome(text);
    }),
    fuzzParams(2),
  );
});
