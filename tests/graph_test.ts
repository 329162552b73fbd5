import assert from "node:assert/strict";
import { buildGraph, renderGraph } from "../core/graph.ts";
import { RecipeValidationError } from "../core/errors.ts";
import { loadRecipe, NO_RETRY, type Recipe, type Step } from "../core/recipe.ts";
import { orch, REPO, tempTree } from "./_helpers.ts";

/** A recipe file with one flow-style line per step: [name, depends_on (undefined: none)]. */
function recipeText(steps: [string, string[]?][]): string {
  const lines = steps.map(([name, deps], i) =>
    `  - {idx: ${
      i + 1
    }, name: ${name}, type: deno, module: ${REPO}/tests/fixtures/steps/append.ts,` +
    ` function: Append, args: {tag: ${name}}` +
    (deps ? `, depends_on: [${deps.join(", ")}]` : "") + "}"
  );
  return `test_meta: {test_id: G-1, tester: t, description: d}\nsteps:\n${lines.join("\n")}\n`;
}

async function load(steps: [string, string[]?][]): Promise<{ recipe: Recipe; text: string }> {
  const text = recipeText(steps);
  const dir = await tempTree({ "r.yaml": text });
  return { recipe: await loadRecipe(`${dir}/r.yaml`), text };
}

/** Line and column (1-based) of the first `needle` in `text` at or after line `fromLine`. */
function at(text: string, needle: string, fromLine = 1): { line: number; col: number } {
  const lines = text.split("\n");
  for (let i = fromLine - 1; i < lines.length; i++) {
    const col = lines[i].indexOf(needle);
    if (col >= 0) return { line: i + 1, col: col + 1 };
  }
  throw new Error(`"${needle}" not in the text`);
}

/** The issues buildGraph refuses `recipe` with. */
function refusal(recipe: Recipe) {
  try {
    buildGraph(recipe);
  } catch (err) {
    assert.ok(err instanceof RecipeValidationError, String(err));
    return err.issues;
  }
  assert.fail("buildGraph accepted the recipe");
}

/** An in-memory step (no YAML), for the big graphs. */
function step(i: number, dependsOn?: string[]): Step {
  return {
    index: i,
    idx: i,
    name: `s${i}`,
    type: "deno",
    module: "m.ts",
    function: "F",
    args: {},
    success: { ctxHasKeys: [] },
    dependsOn,
    retry: NO_RETRY,
  };
}

function memoryRecipe(steps: Step[]): Recipe {
  return {
    file: "big.yaml",
    testMeta: { testId: "BIG", tester: "t", description: "d" },
    steps,
    merge: "last_write_wins",
    locate: (path) => ({ line: Number(path[1]) + 3, col: 5 }),
  };
}

Deno.test("a step without depends_on depends on the step before it by idx", async () => {
  const { recipe } = await load([["a"], ["b"], ["c"]]);
  const g = buildGraph(recipe);
  assert.deepEqual(Object.fromEntries(g.deps), { a: [], b: ["a"], c: ["b"] });
  assert.deepEqual(g.order, ["a", "b", "c"]);
});

Deno.test("depends_on: [] makes a root even when steps come before it", async () => {
  const { recipe } = await load([["a"], ["b", []], ["c"]]);
  const g = buildGraph(recipe);
  assert.deepEqual(Object.fromEntries(g.deps), { a: [], b: [], c: ["b"] });
  assert.deepEqual(g.order, ["a", "b", "c"]);
});

Deno.test("fan-out and fan-in resolve to the written deps, ordered stably by idx", async () => {
  const { recipe } = await load([
    ["agg", ["mean", "std", "median"]],
    ["load", []],
    ["mean", ["load"]],
    ["median", ["load"]],
    ["std", ["load"]],
  ]);
  const g = buildGraph(recipe);
  assert.deepEqual(g.deps.get("agg"), ["mean", "std", "median"], "written order kept");
  assert.deepEqual(g.deps.get("median"), ["load"]);
  // agg has the lowest idx but must wait: the order is topological first, idx second
  assert.deepEqual(g.order, ["load", "mean", "median", "std", "agg"]);
});

Deno.test("the order prefers the lowest idx among ready steps, not the first released", async () => {
  const { recipe } = await load([["a", []], ["b", ["a"]], ["c", []]]);
  assert.deepEqual(buildGraph(recipe).order, ["a", "b", "c"]);
});

Deno.test("an unknown dependency is refused at its list entry with a suggestion", async () => {
  const { recipe, text } = await load([["load"], ["norm", ["lod"]]]);
  const [issue, ...rest] = refusal(recipe);
  assert.equal(rest.length, 0);
  assert.equal(issue.path, "steps[1].depends_on[0]");
  assert.equal(issue.step, "norm");
  assert.deepEqual({ line: issue.line, col: issue.col }, at(text, "lod]"));
  assert.equal(issue.file, recipe.file);
  assert.equal(
    issue.message,
    'step "norm" depends on unknown step "lod" (did you mean "load"?); ' +
      "depends_on takes names of steps in this recipe",
  );
});

Deno.test("a step never suggests itself for a misspelled dependency", async () => {
  const { recipe } = await load([["load1", ["load2"]]]);
  const [issue] = refusal(recipe);
  assert.doesNotMatch(issue.message, /did you mean/);
});

Deno.test("a self-dependency is refused naming the step", async () => {
  const { recipe, text } = await load([["a"], ["b", ["a", "b"]]]);
  const [issue, ...rest] = refusal(recipe);
  assert.equal(rest.length, 0);
  assert.equal(issue.path, "steps[1].depends_on[1]");
  assert.deepEqual({ line: issue.line, col: issue.col }, at(text, "b]"));
  assert.equal(issue.message, 'step "b" depends on itself; remove "b" from its depends_on');
});

Deno.test("a dependency listed twice is refused at the second entry", async () => {
  const { recipe, text } = await load([["a"], ["b", []], ["c", ["a", "b", "a"]]]);
  const [issue, ...rest] = refusal(recipe);
  assert.equal(rest.length, 0);
  assert.equal(issue.path, "steps[2].depends_on[2]");
  assert.deepEqual({ line: issue.line, col: issue.col }, at(text, "a]"));
  assert.equal(
    issue.message,
    'step "c" lists "a" twice in depends_on (also depends_on[0]); list each dependency once',
  );
});

Deno.test("a cycle is refused with the cycle spelled out from its lowest-idx step", async () => {
  const { recipe, text } = await load([["a", ["c"]], ["b", ["a"]], ["c", ["b"]]]);
  const [issue, ...rest] = refusal(recipe);
  assert.equal(rest.length, 0);
  assert.equal(issue.path, "steps[0].depends_on[0]");
  assert.equal(issue.step, "a");
  assert.deepEqual({ line: issue.line, col: issue.col }, at(text, "c]"));
  assert.equal(
    issue.message,
    'dependency cycle a -> c -> b -> a ("->" reads "depends on"); ' +
      "remove one of these dependencies",
  );
});

Deno.test("a cycle through an implicit dependency says which step has no depends_on", async () => {
  const { recipe } = await load([["a", ["b"]], ["b"]]);
  const [issue] = refusal(recipe);
  assert.equal(issue.path, "steps[0].depends_on[0]");
  assert.equal(
    issue.message,
    'dependency cycle a -> b -> a ("->" reads "depends on"; "b" has no depends_on, so it ' +
      "depends on the step before it by idx); remove one of these dependencies",
  );
});

Deno.test("every separate cycle and every bad name is reported in one refusal", async () => {
  const { recipe, text } = await load([
    ["a", ["b"]],
    ["b", ["a"]],
    ["c", []],
    ["d", ["e", "zzz"]],
    ["e", ["d"]],
  ]);
  const issues = refusal(recipe);
  assert.deepEqual(issues.map((i) => i.message.split(" (")[0].split(";")[0]), [
    "dependency cycle a -> b -> a",
    "dependency cycle d -> e -> d",
    'step "d" depends on unknown step "zzz"',
  ]);
  assert.equal(issues[2].line, at(text, "zzz").line, "file order");
});

Deno.test("a cycle reached through a long tail is still found and only the cycle shown", () => {
  // s0 <- s1 <- ... <- s9 (implicit chain), and s5 depends_on [s7]: the cycle is s5 s7 s6
  const steps = Array.from({ length: 10 }, (_, i) => step(i));
  steps[5] = step(5, ["s7"]);
  const [issue, ...rest] = refusal(memoryRecipe(steps));
  assert.equal(rest.length, 0);
  assert.match(issue.message, /^dependency cycle s5 -> s7 -> s6 -> s5 \(/);
  assert.equal(issue.path, "steps[5].depends_on[0]");
});

Deno.test("a 100k-step chain and a 100k-step fan-out/fan-in build in linear time", () => {
  const n = 100_000;
  const chain = memoryRecipe(Array.from({ length: n }, (_, i) => step(i)));
  let start = performance.now();
  const g1 = buildGraph(chain);
  const chainMs = performance.now() - start;
  assert.equal(g1.order.length, n);
  assert.equal(g1.order[n - 1], `s${n - 1}`);

  const wide = memoryRecipe(
    Array.from({ length: n }, (_, i) =>
      i === 0 ? step(0, []) : i === n - 1
        ? step(
          i,
          Array.from({ length: n - 2 }, (_, k) => `s${k + 1}`),
        )
        : step(i, ["s0"])),
  );
  start = performance.now();
  const g2 = buildGraph(wide);
  const wideMs = performance.now() - start;
  assert.equal(g2.deps.get(`s${n - 1}`)!.length, n - 2);
  assert.deepEqual(g2.order.slice(0, 3), ["s0", "s1", "s2"]);
  assert.equal(g2.order[n - 1], `s${n - 1}`);
  console.error(
    `buildGraph: 100k chain ${chainMs.toFixed(0)} ms, 100k wide ${wideMs.toFixed(0)} ms`,
  );
  assert.ok(chainMs < 5000 && wideMs < 5000, `${chainMs} ms, ${wideMs} ms`);
});

Deno.test("a 100k-step cycle is found without recursion and shown elided", () => {
  const n = 100_000;
  const steps = Array.from({ length: n }, (_, i) => step(i));
  steps[0] = step(0, [`s${n - 1}`]);
  const start = performance.now();
  const [issue] = refusal(memoryRecipe(steps));
  const ms = performance.now() - start;
  console.error(`buildGraph: 100k cycle found in ${ms.toFixed(0)} ms`);
  assert.ok(ms < 5000, `${ms} ms`);
  assert.match(
    issue.message,
    new RegExp(
      `^dependency cycle s0 -> s${n - 1} -> .* -> s${n - 9} -> \\.\\.\\. ` +
        `\\(${n - 15} more\\) -> s5 -> .* -> s1 -> s0 \\(`,
    ),
  );
  assert.ok(issue.message.length < 500, "elided");
});

const FAN_IN: [string, string[]?][] = [
  ["load", []],
  ["mean", ["load"]],
  ["std", ["load"]],
  ["end", ["mean", "std"]],
];

Deno.test("renderGraph draws a fan-in as Mermaid with safe node ids", async () => {
  const { recipe } = await load(FAN_IN);
  assert.equal(
    renderGraph({ recipe, deps: buildGraph(recipe).deps }, "mermaid"),
    `flowchart TD
  s0["load"]
  s1["mean"]
  s2["std"]
  s3["end"]
  s0 --> s1
  s0 --> s2
  s1 --> s3
  s2 --> s3
`,
  );
});

Deno.test("renderGraph draws a fan-in as DOT", async () => {
  const { recipe } = await load(FAN_IN);
  assert.equal(
    renderGraph({ recipe, deps: buildGraph(recipe).deps }, "dot"),
    `digraph recipe {
  "load";
  "mean";
  "std";
  "end";
  "load" -> "mean";
  "load" -> "std";
  "mean" -> "end";
  "std" -> "end";
}
`,
  );
});

Deno.test("orch graph prints the graph in the JSON line and writes raw text with -o", async () => {
  const dir = await tempTree({ "r.yaml": recipeText(FAN_IN) });
  const r = await orch(["graph", "r.yaml"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, "ok");
  assert.equal(r.json.format, "mermaid");
  assert.match(r.json.graph as string, /^flowchart TD\n(.*\n)* {2}s1 --> s3\n/);

  const d = await orch(["graph", "r.yaml", "--format", "dot", "-o", "g.dot"], { cwd: dir });
  assert.equal(d.code, 0, d.stderr);
  assert.deepEqual(d.json, { status: "ok", format: "dot", file: "g.dot" });
  const text = await Deno.readTextFile(`${dir}/g.dot`);
  assert.ok(text.startsWith("digraph recipe {\n") && text.includes(`"std" -> "end";`), text);
  const nested = await orch(["graph", "r.yaml", "-o", "out/graph/g.mmd"], { cwd: dir });
  assert.equal(nested.code, 0, nested.stderr); // -o creates the missing directories
  assert.match(await Deno.readTextFile(`${dir}/out/graph/g.mmd`), /^flowchart TD\n/);
  await Deno.writeTextFile(`${dir}/blocker`, "a file, not a directory");
  const blocked = await orch(["graph", "r.yaml", "-o", "blocker/g.mmd"], { cwd: dir });
  assert.equal(blocked.code, 2);
  assert.match(blocked.json.reason as string, /^cannot write the graph to "blocker\/g\.mmd": /);
});

Deno.test("orch graph refuses an unknown format and a cycle with exit 2", async () => {
  const dir = await tempTree({ "r.yaml": recipeText([["a", ["b"]], ["b"]]) });
  const f = await orch(["graph", "r.yaml", "--format", "dto"], { cwd: dir });
  assert.equal(f.code, 2);
  assert.match(f.json.reason as string, /unknown --format "dto" \(did you mean "dot"\?\)/);

  const c = await orch(["graph", "r.yaml"], { cwd: dir });
  assert.equal(c.code, 2);
  const [err] = c.json.errors as Record<string, unknown>[];
  assert.equal(err.path, "steps[0].depends_on[0]");
  assert.match(err.message as string, /^dependency cycle a -> b -> a /);
  assert.match(
    c.stderr,
    /r\.yaml:3:\d+: steps\[0\]\.depends_on\[0\]: dependency cycle a -> b -> a/,
  );
});

Deno.test("orch validate refuses an unknown dependency with its position (exit 2)", async () => {
  const text = recipeText([["load"], ["norm", ["lod"]]]);
  const dir = await tempTree({ "r.yaml": text });
  const r = await orch(["validate", "r.yaml", "--allow-module", `${REPO}/tests/fixtures/steps`], {
    cwd: dir,
  });
  assert.equal(r.code, 2, r.stderr);
  const [err] = r.json.errors as Record<string, unknown>[];
  const pos = at(text, "lod]");
  assert.deepEqual(
    [err.line, err.col, err.path, err.step],
    [pos.line, pos.col, "steps[1].depends_on[0]", "norm"],
  );
  assert.match(err.message as string, /unknown step "lod" \(did you mean "load"\?\)/);
});

Deno.test("orch list shows each step's resolved dependencies in JSON and a DEPENDS column", async () => {
  const dir = await tempTree({ "r.yaml": recipeText([...FAN_IN, ["after"]]) });
  const r = await orch(["list", "r.yaml", "--allow-module", `${REPO}/tests/fixtures/steps`], {
    cwd: dir,
  });
  assert.equal(r.code, 0, r.stderr);
  const steps = r.json.steps as { name: string; depends_on: string[] }[];
  assert.deepEqual(steps.map((s) => [s.name, s.depends_on]), [
    ["load", []],
    ["mean", ["load"]],
    ["std", ["load"]],
    ["end", ["mean", "std"]],
    ["after", ["end"]],
  ]);
  const table = r.stderr.trimEnd().split("\n");
  assert.match(table[0], /^IDX\s+NAME\s+DEPENDS\s+TYPE/);
  assert.match(table[1], /^1\s+load\s+-\s+deno/);
  assert.match(table[4], /^4\s+end\s+mean,std\s+deno/);
  assert.match(table[5], /^5\s+after\s+end\s+deno/);
});

Deno.test("orch graph --help documents the format, -o and the JSON line", async () => {
  const r = await orch(["graph", "--help"]);
  assert.equal(r.code, 0);
  assert.ok(r.stdout.startsWith("Usage: orch graph RECIPE"), r.stdout);
  assert.match(r.stdout, /--format mermaid\|dot/);
  assert.match(r.stdout, /-o, --out FILE/);
  const top = await orch(["--help"]);
  assert.match(top.stdout, /^ {2}graph RECIPE/m);
});
