/**
 * @module
 * Tests of the built-in number steps (steps/*.ts) and their recipes: the float parser, each
 * step's values and failures in-process through invokeScriptlet, and the same steps through the
 * real CLI and as standalone modules (subprocesses, temp dirs).
 */
import assert from "node:assert/strict";
import type { ContextJson, JsonValue } from "../core/context.ts";
import type { InvokeResult } from "../core/invoke.ts";
import type { ScriptletClass } from "../core/scriptlet.ts";
import { parseFloatStrict, readNumbers } from "../steps/_numbers.ts";
import { AggregateSummary } from "../steps/aggregate_summary.ts";
import { ComputeMedian } from "../steps/compute_median.ts";
import { ComputeNumbers } from "../steps/compute_numbers.ts";
import { ComputeRange } from "../steps/compute_range.ts";
import {
  assertFailed,
  invokeStep,
  orch,
  REPO,
  runScript,
  stepCounts,
  tempTree,
} from "./_helpers.ts";

// ---------------------------------------------------------------------------------------------
// Expected values, computed here independently of the steps.

/** The numbers of data/numbers.csv: every line that is not blank or a comment, via Number(). */
async function sampleNumbers(): Promise<number[]> {
  const text = await Deno.readTextFile(`${REPO}/data/numbers.csv`);
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))
    .map(Number);
}

async function expected() {
  const xs = await sampleNumbers();
  const sorted = [...xs].sort((a, b) => a - b);
  let sum = 0;
  for (const x of xs) sum += x;
  const n = xs.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const min = sorted[0];
  const max = sorted[n - 1];
  return {
    stats: { count: n, sum, mean: sum / n, min, max },
    median: { median, count: n },
    range: { min, max, range: max - min },
  };
}

function assertOk(result: InvokeResult, key: string, value: JsonValue, who: string): void {
  assert.deepEqual(result.envelope, { status: "ok", outputs: [key] });
  assert.deepEqual(result.delta.writes, [{ key, value, who }]);
}

// ---------------------------------------------------------------------------------------------
// parseFloatStrict and readNumbers

Deno.test("parseFloatStrict() accepts what Python's float() accepts", () => {
  const accepted: [string, number][] = [
    ["12", 12],
    ["  7.5\t", 7.5],
    ["\n-4\r", -4],
    ["+3", 3],
    ["-0", -0],
    ["007", 7],
    ["1e3", 1000],
    ["1E3", 1000],
    ["1e+3", 1000],
    ["2.5e-3", 0.0025],
    [".5", 0.5],
    ["-.5", -0.5],
    ["5.", 5],
    ["5.e3", 5000],
    ["1_000", 1000],
    ["1_000.000_1", 1000.0001],
    ["1e1_0", 1e10],
    ["1e-999", 0],
    ["\u00a01\u3000", 1],
    ["\u00851", 1],
  ];
  for (const [text, value] of accepted) {
    assert.equal(parseFloatStrict(text), value, JSON.stringify(text));
  }
});

Deno.test("parseFloatStrict() refuses non-finite, non-decimal and malformed text", () => {
  const refused = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "infinity",
    "+Infinity",
    "1e999",
    "-1e999",
    "0x10",
    "0b1",
    "0o7",
    "1,5",
    "",
    "   ",
    "1e",
    "e3",
    "1__0",
    "_1",
    "1_",
    "1_.5",
    "1._5",
    "1e_3",
    ".",
    "-",
    "+-1",
    "1.2.3",
    "1 2",
    "1j",
    "\ufeff1",
  ];
  for (const text of refused) {
    assert.equal(parseFloatStrict(text), undefined, JSON.stringify(text));
  }
});

Deno.test("readNumbers() names the file and line number of the first bad line", async () => {
  const dir = await tempTree({ "bad.csv": "# header\n1\n\n2\n1,5\n3\n" });
  await assert.rejects(readNumbers(`${dir}/bad.csv`), (err: Error) => {
    assert.match(err.message, /bad\.csv:5: not a finite number: "1,5"/);
    return true;
  });
});

// ---------------------------------------------------------------------------------------------
// Each step in-process (invokeScriptlet): values on data/numbers.csv and failures

Deno.test("compute_numbers writes count, sum, mean, min and max of data/numbers.csv", async () => {
  const want = await expected();
  const r = await invokeStep(ComputeNumbers, "compute_numbers", { src: "data/numbers.csv" });
  assertOk(r, "numbers.stats_v1", want.stats, "compute_numbers");
});

Deno.test("compute_median writes the median and count of data/numbers.csv", async () => {
  const want = await expected();
  const r = await invokeStep(ComputeMedian, "compute_median", { src: "data/numbers.csv" });
  assertOk(r, "numbers.median_v1", want.median, "compute_median");
});

Deno.test("compute_median of an even count is the mean of the two middle values", async () => {
  const dir = await tempTree({ "even.csv": "10\n-1\n4\n3\n", "big.csv": "1e308\n1.5e308\n" });
  const even = await invokeStep(ComputeMedian, "m", { src: "even.csv" }, { baseDir: dir });
  assertOk(even, "numbers.median_v1", { median: 3.5, count: 4 }, "compute_median");
  const big = await invokeStep(ComputeMedian, "m", { src: "big.csv" }, { baseDir: dir });
  assertOk(big, "numbers.median_v1", { median: 1.25e308, count: 2 }, "compute_median");
});

Deno.test("compute_range writes min, max and range from numbers.stats_v1", async () => {
  const want = await expected();
  const r = await invokeStep(ComputeRange, "compute_range", {}, {
    snapshot: { "numbers.stats_v1": want.stats },
  });
  assertOk(r, "numbers.range_v1", want.range, "compute_range");
});

Deno.test("aggregate_summary tables every number result in the context", async () => {
  const want = await expected();
  const r = await invokeStep(AggregateSummary, "aggregate_summary", { title: "T" }, {
    snapshot: {
      "numbers.stats_v1": want.stats,
      "numbers.median_v1": want.median,
      "numbers.range_v1": want.range,
    },
  });
  const row = (metric: string, value: number, source: string) => ({ metric, value, source });
  assertOk(r, "numbers.summary_table_v1", {
    title: "T",
    sources: ["numbers.stats_v1", "numbers.median_v1", "numbers.range_v1"],
    rows: [
      row("count", want.stats.count, "numbers.stats_v1"),
      row("sum", want.stats.sum, "numbers.stats_v1"),
      row("mean", want.stats.mean, "numbers.stats_v1"),
      row("min", want.stats.min, "numbers.stats_v1"),
      row("max", want.stats.max, "numbers.stats_v1"),
      row("median", want.median.median, "numbers.median_v1"),
      row("range", want.range.range, "numbers.range_v1"),
    ],
  }, "aggregate_summary");
});

Deno.test("aggregate_summary uses whichever inputs exist and a default title", async () => {
  const r = await invokeStep(AggregateSummary, "aggregate_summary", {}, {
    snapshot: { "numbers.range_v1": { min: 1, max: 5, range: 4 } },
  });
  assertOk(r, "numbers.summary_table_v1", {
    title: "Numbers summary",
    sources: ["numbers.range_v1"],
    rows: [
      { metric: "min", value: 1, source: "numbers.range_v1" },
      { metric: "max", value: 5, source: "numbers.range_v1" },
      { metric: "range", value: 4, source: "numbers.range_v1" },
    ],
  }, "aggregate_summary");
});

Deno.test("compute_numbers and compute_median fail on a missing file with an empty delta", async () => {
  const dir = await tempTree();
  for (const [cls, name] of [[ComputeNumbers, "cn"], [ComputeMedian, "cm"]] as const) {
    const r = await invokeStep(cls, name, { src: "missing.csv" }, { baseDir: dir });
    assertFailed(r, name, "file not found", `${dir}/missing.csv`);
  }
});

Deno.test("compute_numbers and compute_median report a bad line's number", async () => {
  const dir = await tempTree({ "bad.csv": "1\n2\n\n# note\n1e\n" });
  for (const [cls, name] of [[ComputeNumbers, "cn"], [ComputeMedian, "cm"]] as const) {
    const r = await invokeStep(cls, name, { src: "bad.csv" }, { baseDir: dir });
    assertFailed(r, name, `${dir}/bad.csv:5:`, '"1e"');
  }
});

Deno.test("a file with only comments and blank lines fails with 'no numbers'", async () => {
  const dir = await tempTree({ "empty.csv": "# nothing here\n\n   \n# still nothing\n" });
  for (const [cls, name] of [[ComputeNumbers, "cn"], [ComputeMedian, "cm"]] as const) {
    const r = await invokeStep(cls, name, { src: "empty.csv" }, { baseDir: dir });
    assertFailed(r, name, "empty.csv", "no numbers");
  }
});

Deno.test("compute_range without numbers.stats_v1 fails naming the key and its producer", async () => {
  const r = await invokeStep(ComputeRange, "compute_range", {});
  assertFailed(r, "compute_range", '"numbers.stats_v1" is missing', "compute_numbers");
});

Deno.test("compute_range fails on malformed or overflowing stats", async () => {
  const bad = await invokeStep(ComputeRange, "compute_range", {}, {
    snapshot: { "numbers.stats_v1": { min: "1", max: 2 } },
  });
  assertFailed(bad, "compute_range", "numbers.stats_v1", '"min"');
  const huge = await invokeStep(ComputeRange, "compute_range", {}, {
    snapshot: { "numbers.stats_v1": { min: -1e308, max: 1e308 } },
  });
  assertFailed(huge, "compute_range", "overflows");
});

Deno.test("aggregate_summary with no number results fails naming the steps to run", async () => {
  const r = await invokeStep(AggregateSummary, "aggregate_summary", {}, {
    snapshot: { "other.thing_v1": 1 },
  });
  assertFailed(r, "aggregate_summary", "numbers.stats_v1", "compute_numbers", "compute_median");
});

Deno.test("each step's params schema refuses wrong and unknown params", async () => {
  const cases: [ScriptletClass, unknown, string][] = [
    [ComputeNumbers, { src: 12345 }, "src: expected string"],
    [ComputeNumbers, {}, "src: missing required param"],
    [ComputeMedian, { src: "x", extra: 1 }, "unknown key"],
    [ComputeRange, { src: "x" }, "unknown key"],
    [AggregateSummary, { title: 3 }, "title: expected string"],
  ];
  for (const [cls, params, part] of cases) {
    const r = await invokeStep(cls, "s", params);
    assertFailed(r, "s", "invalid params", part);
    assert.equal(r.envelope.status === "error" && r.envelope.exit_code, 2);
  }
});

// ---------------------------------------------------------------------------------------------
// Through the real CLI and as standalone modules

Deno.test("orch step with a missing file exits 1 and writes no --context-out", async () => {
  const input = JSON.stringify({ "seed.value_v1": 1 });
  const dir = await tempTree({ "in.json": input });
  const r = await orch([
    "step",
    "steps/compute_numbers.ts",
    "--params",
    '{"src":"missing.csv"}',
    "--context",
    "in.json",
    "--context-out",
    "out.json",
  ], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.status, "error");
  assert.match(String(r.json.reason), /file not found: .*missing\.csv/);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["in.json"]);
  assert.equal(await Deno.readTextFile(`${dir}/in.json`), input);
});

Deno.test("orch step on success writes --context-out with the old and new keys", async () => {
  const dir = await tempTree({
    "in.json": JSON.stringify({ "seed.value_v1": 1 }),
    "n.csv": "2\n4\n",
  });
  const r = await orch([
    "step",
    "steps/compute_numbers.ts",
    "--params",
    '{"src":"n.csv"}',
    "--context",
    "in.json",
    "--context-out",
    "out.json",
  ], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.ctx_keys, ["seed.value_v1", "numbers.stats_v1"]);
  const out: ContextJson = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  assert.deepEqual(out.data, {
    "seed.value_v1": 1,
    "numbers.stats_v1": { count: 2, sum: 6, mean: 3, min: 2, max: 4 },
  });
});

/** Runs a step module standalone from `cwd`; checks stdout is one envelope line, no trace. */
async function standaloneRun(step: string, args: string[], cwd: string) {
  const r = await runScript(`${REPO}/steps/${step}.ts`, args, { cwd });
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.ok(!r.stdout.includes("    at "), `stack trace on stdout: ${r.stdout}`);
  return r;
}

Deno.test("a standalone step prints one envelope line and exits 0 on success", async () => {
  const dir = await tempTree({ "n.csv": "1\n2\n3\n" });
  const numbers = await standaloneRun("compute_numbers", ["--params", '{"src":"n.csv"}'], dir);
  assert.equal(numbers.code, 0, numbers.stderr);
  assert.deepEqual(numbers.json, { status: "ok", outputs: ["numbers.stats_v1"] });

  const median = await standaloneRun("compute_median", ["--params", '{"src":"n.csv"}'], dir);
  assert.equal(median.code, 0, median.stderr);
  assert.deepEqual(median.json, { status: "ok", outputs: ["numbers.median_v1"] });

  await Deno.writeTextFile(
    `${dir}/in.json`,
    JSON.stringify({ "numbers.stats_v1": { count: 3, sum: 6, mean: 2, min: 1, max: 3 } }),
  );
  const range = await standaloneRun(
    "compute_range",
    ["--context", "in.json", "--context-out", "out.json"],
    dir,
  );
  assert.equal(range.code, 0, range.stderr);
  assert.deepEqual(range.json, { status: "ok", outputs: ["numbers.range_v1"] });
  const out: ContextJson = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  assert.deepEqual(out.data["numbers.range_v1"], { min: 1, max: 3, range: 2 });
  assert.deepEqual(out.history.map((h) => [h.key, h.who]), [["numbers.range_v1", "compute_range"]]);

  const summary = await standaloneRun("aggregate_summary", ["--context", "out.json"], dir);
  assert.equal(summary.code, 0, summary.stderr);
  assert.deepEqual(summary.json, { status: "ok", outputs: ["numbers.summary_table_v1"] });
});

Deno.test("a standalone step prints one error envelope line and exits 1 on failure", async () => {
  const dir = await tempTree({ "bad.csv": "1\nx\n" });
  const cases: [string, string[], RegExp][] = [
    ["compute_numbers", ["--params", '{"src":"missing.csv"}'], /file not found/],
    ["compute_numbers", ["--params", '{"src":"bad.csv"}'], /bad\.csv:2: not a finite number/],
    ["compute_median", ["--params", '{"src":"missing.csv"}'], /file not found/],
    ["compute_range", [], /"numbers\.stats_v1" is missing; run compute_numbers/],
    ["aggregate_summary", [], /no input in the context/],
  ];
  for (const [step, args, reason] of cases) {
    const r = await standaloneRun(step, [...args, "--context-out", "out.json"], dir);
    assert.equal(r.code, 1, `${step}: ${r.stdout}`);
    assert.equal(r.json.status, "error");
    assert.match(String(r.json.reason), reason);
  }
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["bad.csv"]);
});

Deno.test("a standalone step given --params that is not JSON exits 2 with one line", async () => {
  const r = await standaloneRun("compute_numbers", ["--params", "{src:"], await tempTree());
  assert.equal(r.code, 2);
  assert.match(String(r.json.reason), /--params is not valid JSON/);
});

/** Reads a --context-out file and checks every key's history entry names its step. */
async function readContextOut(path: string, steps: Record<string, string>) {
  const out: ContextJson = JSON.parse(await Deno.readTextFile(path));
  assert.deepEqual(
    out.history.map((h) => ({ key: h.key, who: h.who, step: h.step })),
    Object.entries(steps).map(([key, step]) => ({ key, who: step, step })),
  );
  return out.data;
}

Deno.test("orch run recipes/median.yaml writes the median of data/numbers.csv", async () => {
  const want = await expected();
  const dir = await tempTree();
  const r = await orch(["run", "recipes/median.yaml", "--context-out", `${dir}/ctx.json`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, "ok");
  assert.deepEqual(r.json.ctx_keys, ["numbers.median_v1"]);
  const data = await readContextOut(`${dir}/ctx.json`, { "numbers.median_v1": "compute_median" });
  assert.deepEqual(data, { "numbers.median_v1": want.median });
});

Deno.test("orch run recipes/numbers_all.yaml runs the four steps in order", async () => {
  const want = await expected();
  const dir = await tempTree();
  const r = await orch(["run", "recipes/numbers_all.yaml", "--context-out", `${dir}/ctx.json`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, "ok");
  assert.deepEqual(r.json.steps, stepCounts({ ok: 4 }));
  const keys = {
    "numbers.stats_v1": "compute_numbers",
    "numbers.median_v1": "compute_median",
    "numbers.range_v1": "compute_range",
    "numbers.summary_table_v1": "aggregate_summary",
  };
  assert.deepEqual(r.json.ctx_keys, Object.keys(keys));
  const data = await readContextOut(`${dir}/ctx.json`, keys);
  assert.deepEqual(data["numbers.stats_v1"], want.stats);
  assert.deepEqual(data["numbers.median_v1"], want.median);
  assert.deepEqual(data["numbers.range_v1"], want.range);
  const table = data["numbers.summary_table_v1"] as { title: string; rows: JsonValue[] };
  assert.equal(table.title, "Numbers summary (NUM-003)");
  assert.deepEqual(table.rows.map((row) => Object.values(row as object).slice(0, 2)), [
    ["count", want.stats.count],
    ["sum", want.stats.sum],
    ["mean", want.stats.mean],
    ["min", want.stats.min],
    ["max", want.stats.max],
    ["median", want.median.median],
    ["range", want.range.range],
  ]);
});

Deno.test("a recipe outside the repo runs built-in steps on a cwd-relative src", async () => {
  const dir = await tempTree({
    "nums.csv": "5\n1\n3\n9\n",
    "r.yaml": `test_meta: {test_id: T-1, tester: t, description: d}
steps:
  - idx: 1
    name: median
    type: deno
    module: steps/compute_median.ts
    function: ComputeMedian
    args: {src: nums.csv}
    success: {ctx_has_keys: [numbers.median_v1]}
`,
  });
  const r = await orch(["run", "r.yaml", "--context-out", "ctx.json"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const out: ContextJson = JSON.parse(await Deno.readTextFile(`${dir}/ctx.json`));
  assert.deepEqual(out.data, { "numbers.median_v1": { median: 4, count: 4 } });
  assert.equal(out.history[0].step, "median");
  assert.equal(out.history[0].who, "compute_median");
});

Deno.test("orch validate refuses src: 12345 at steps[0].args.src and runs nothing", async () => {
  const dir = await tempTree({
    "r.yaml": `test_meta:
  test_id: T-2
  tester: t
  description: d
steps:
  - idx: 1
    name: compute_numbers
    type: deno
    module: steps/compute_numbers.ts
    function: ComputeNumbers
    args:
      src: 12345
`,
  });
  const v = await orch(["validate", "r.yaml"], { cwd: dir });
  assert.equal(v.code, 2, v.stderr);
  assert.equal(v.json.status, "error");
  const errors = v.json.errors as { path: string; line: number; message: string }[];
  assert.equal(errors.length, 1);
  assert.equal(errors[0].path, "steps[0].args.src");
  assert.equal(errors[0].line, 12);
  assert.match(errors[0].message, /expected string, found number 12345/);
  assert.match(v.stderr, /r\.yaml:12:\d+: steps\[0\]\.args\.src/);

  const r = await orch(["run", "r.yaml", "--context-out", "ctx.json"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.ok(!r.stderr.includes("▶"), `a step started:\n${r.stderr}`);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["r.yaml"]);
});
