/**
 * @module
 * Tests of the fan-in example (recipes/fan_in.yaml): load_numbers → normalize_numbers →
 * compute_mean / median_of / compute_std → aggregate_stats. Each step's values and failures
 * in-process through invokeScriptlet, the steps chained as standalone modules, and the recipe
 * through the real CLI.
 */
import assert from "node:assert/strict";
import { run } from "../core/api.ts";
import type { RunEvent } from "../core/events.ts";
import type { ContextJson, JsonValue } from "../core/context.ts";
import type { InvokeResult } from "../core/invoke.ts";
import type { ScriptletClass } from "../core/scriptlet.ts";
import { AggregateStats } from "../steps/aggregate_stats.ts";
import { ComputeMean } from "../steps/compute_mean.ts";
import { ComputeStd } from "../steps/compute_std.ts";
import { LoadNumbers } from "../steps/load_numbers.ts";
import { MedianOf } from "../steps/median_of.ts";
import { NormalizeNumbers } from "../steps/normalize_numbers.ts";
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
// Expected values, computed here independently of the steps (plain textbook formulas).

/** The numbers of data/numbers.csv in file order: lines not blank or a comment, via Number(). */
async function sampleNumbers(): Promise<number[]> {
  const text = await Deno.readTextFile(`${REPO}/data/numbers.csv`);
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))
    .map(Number);
}

function expectedFor(xs: number[]) {
  const n = xs.length;
  const sorted = [...xs].sort((a, b) => a - b);
  const min = sorted[0];
  const max = sorted[n - 1];
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / n;
  let squares = 0;
  for (const x of xs) squares += (x - mean) * (x - mean);
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {
    values: xs,
    normalized: {
      count: n,
      min,
      max,
      sorted,
      scaled: sorted.map((x) => max === min ? 0 : (x - min) / (max - min)),
    },
    mean: { mean, count: n },
    median: { median, count: n },
    std: { std: Math.sqrt(squares / n), count: n },
    summary: { count: n, mean, median, std: Math.sqrt(squares / n) },
  };
}

/** The one value the step wrote under `key`, after checking the envelope and the writer. */
function written(result: InvokeResult, key: string, who: string): JsonValue {
  assert.deepEqual(result.envelope, { status: "ok", outputs: [key] });
  assert.equal(result.delta.writes.length, 1);
  assert.equal(result.delta.writes[0].key, key);
  assert.equal(result.delta.writes[0].who, who);
  return result.delta.writes[0].value;
}

/** Normalized input for the middle steps, built by the test (not by normalize_numbers). */
function normalizedOf(xs: number[]): Record<string, JsonValue> {
  return { "numbers.normalized_v1": expectedFor(xs).normalized };
}

/** Runs the three middle steps on `xs` and returns their values. */
async function middle(xs: number[]) {
  const snapshot = normalizedOf(xs);
  return {
    mean: written(
      await invokeStep(ComputeMean, "m", {}, { snapshot }),
      "numbers.mean_v1",
      "compute_mean",
    ),
    median: written(
      await invokeStep(MedianOf, "m", {}, { snapshot }),
      "numbers.fan_median_v1",
      "median_of",
    ),
    std: written(
      await invokeStep(ComputeStd, "m", {}, { snapshot }),
      "numbers.std_v1",
      "compute_std",
    ),
  };
}

function assertClose(actual: unknown, expected: number, what: string): void {
  assert.equal(typeof actual, "number", what);
  const err = Math.abs((actual as number) - expected) / Math.abs(expected);
  assert.ok(err < 1e-15, `${what}: ${actual} is not close to ${expected}`);
}

// ---------------------------------------------------------------------------------------------
// load_numbers

Deno.test("load_numbers writes the numbers of data/numbers.csv in file order", async () => {
  const xs = await sampleNumbers();
  const r = await invokeStep(LoadNumbers, "load", { src: "data/numbers.csv" });
  assert.deepEqual(written(r, "numbers.values_v1", "load_numbers"), xs);
});

Deno.test("load_numbers parses like float() and keeps duplicates and order", async () => {
  const dir = await tempTree({ "n.csv": "# c\n 3 \n1_000\n.5\n3\n-2e1\n\n" });
  const r = await invokeStep(LoadNumbers, "load", { src: "n.csv" }, { baseDir: dir });
  assert.deepEqual(written(r, "numbers.values_v1", "load_numbers"), [3, 1000, 0.5, 3, -20]);
});

Deno.test("load_numbers fails on a missing file, a bad line or no numbers, writing nothing", async () => {
  const dir = await tempTree({ "bad.csv": "1\nnan\n", "empty.csv": "# none\n\n" });
  const cases: [string, string[]][] = [
    ["missing.csv", ["file not found", `${dir}/missing.csv`]],
    ["bad.csv", [`${dir}/bad.csv:2:`, '"nan"']],
    ["empty.csv", ["empty.csv", "no numbers"]],
  ];
  for (const [src, parts] of cases) {
    const r = await invokeStep(LoadNumbers, "load", { src }, { baseDir: dir });
    assertFailed(r, "load", ...parts);
  }
});

// ---------------------------------------------------------------------------------------------
// normalize_numbers

Deno.test("normalize_numbers writes count, min, max, sorted and min-max scaled values", async () => {
  const xs = await sampleNumbers();
  const r = await invokeStep(NormalizeNumbers, "norm", {}, {
    snapshot: { "numbers.values_v1": xs },
  });
  const value = written(r, "numbers.normalized_v1", "normalize_numbers");
  assert.deepEqual(value, expectedFor(xs).normalized);
  const scaled = (value as { scaled: number[] }).scaled;
  assert.equal(scaled[0], 0);
  assert.equal(scaled[scaled.length - 1], 1);
});

Deno.test("normalize_numbers scales equal values to 0 and a huge range without overflow", async () => {
  const same = await invokeStep(NormalizeNumbers, "norm", {}, {
    snapshot: { "numbers.values_v1": [7, 7, 7] },
  });
  assert.deepEqual(written(same, "numbers.normalized_v1", "normalize_numbers"), {
    count: 3,
    min: 7,
    max: 7,
    sorted: [7, 7, 7],
    scaled: [0, 0, 0],
  });
  const huge = await invokeStep(NormalizeNumbers, "norm", {}, {
    snapshot: { "numbers.values_v1": [1e308, 0, -1e308] },
  });
  const value = written(huge, "numbers.normalized_v1", "normalize_numbers") as {
    scaled: number[];
  };
  assert.deepEqual(value.scaled, [0, 0.5, 1]);
});

Deno.test("normalize_numbers without numbers.values_v1 fails naming the key and load_numbers", async () => {
  const r = await invokeStep(NormalizeNumbers, "norm", {}, { snapshot: { "other.key_v1": 1 } });
  assertFailed(r, "norm", '"numbers.values_v1" is missing', "load_numbers");
});

Deno.test("normalize_numbers refuses numbers.values_v1 that is not a non-empty number list", async () => {
  const cases: [JsonValue, string][] = [
    [{ values: [1] }, "is not a list of numbers"],
    [[], "is an empty list"],
    [[1, "2", 3], 'item 1 is not a finite number (found "2")'],
    [[1, null], "item 1 is not a finite number (found null)"],
  ];
  for (const [value, part] of cases) {
    const r = await invokeStep(NormalizeNumbers, "norm", {}, {
      snapshot: { "numbers.values_v1": value },
    });
    assertFailed(r, "norm", "numbers.values_v1", part);
  }
});

// ---------------------------------------------------------------------------------------------
// compute_mean, median_of, compute_std

Deno.test("the middle steps write mean, median and population std of data/numbers.csv", async () => {
  const want = expectedFor(await sampleNumbers());
  const got = await middle(await sampleNumbers());
  assert.deepEqual(got.mean, want.mean);
  assert.deepEqual(got.median, want.median);
  assert.deepEqual(got.std, want.std);
  // The population std as Python's statistics.pstdev computes it, exactly, for this file.
  assert.equal((got.std as { std: number }).std, 13.476831971943554);
});

Deno.test("the middle steps give the textbook values of 2 4 4 4 5 5 7 9", async () => {
  const got = await middle([9, 2, 5, 4, 4, 7, 5, 4]);
  assert.deepEqual(got, {
    mean: { mean: 5, count: 8 },
    median: { median: 4.5, count: 8 },
    std: { std: 2, count: 8 },
  });
});

Deno.test("the middle steps on one number give it as mean and median and 0 as std", async () => {
  assert.deepEqual(await middle([-3.5]), {
    mean: { mean: -3.5, count: 1 },
    median: { median: -3.5, count: 1 },
    std: { std: 0, count: 1 },
  });
});

Deno.test("the middle steps stay finite where a plain sum of the values overflows", async () => {
  const xs = [1e308, 1.5e308, -1e308, 1.7e308];
  assert.equal(xs.reduce((a, b) => a + b), Infinity); // the naive formula would fail here
  const got = await middle(xs);
  const mean = (got.mean as { mean: number }).mean;
  assertClose(mean, 0.8e308, "mean");
  assertClose((got.median as { median: number }).median, 1.25e308, "median");
  // Python: statistics.pstdev([1e308, 1.5e308, -1e308, 1.7e308]), computed with exact fractions.
  assertClose((got.std as { std: number }).std, 1.070046727951635e308, "std");
});

Deno.test("each middle step without numbers.normalized_v1 fails naming normalize_numbers", async () => {
  const steps: [ScriptletClass, string][] = [
    [ComputeMean, "compute_mean"],
    [MedianOf, "median_of"],
    [ComputeStd, "compute_std"],
  ];
  for (const [cls, name] of steps) {
    const r = await invokeStep(cls, name, {}, { snapshot: { "numbers.values_v1": [1, 2] } });
    assertFailed(
      r,
      name,
      '"numbers.normalized_v1" is missing',
      "run normalize_numbers",
      `before ${name}`,
    );
  }
});

Deno.test("each middle step refuses a numbers.normalized_v1 without a usable sorted list", async () => {
  const cases: [JsonValue, string][] = [
    [{ count: 2 }, 'has no list "sorted"'],
    [[1, 2], 'has no list "sorted"'],
    [{ sorted: [] }, 'numbers.normalized_v1.sorted" is an empty list'],
    [{ sorted: [1, true] }, "item 1 is not a finite number (found true)"],
  ];
  for (const cls of [ComputeMean, MedianOf, ComputeStd]) {
    for (const [value, part] of cases) {
      const r = await invokeStep(cls, "s", {}, { snapshot: { "numbers.normalized_v1": value } });
      assertFailed(r, "s", "numbers.normalized_v1", part);
    }
  }
});

Deno.test("median_of refuses a sorted list that is out of order", async () => {
  const r = await invokeStep(MedianOf, "median_of", {}, {
    snapshot: { "numbers.normalized_v1": { sorted: [1, 3, 2] } },
  });
  assertFailed(r, "median_of", "not in ascending order at item 2");
});

// ---------------------------------------------------------------------------------------------
// aggregate_stats

const THREE: Record<string, JsonValue> = {
  "numbers.mean_v1": { mean: 5, count: 8 },
  "numbers.fan_median_v1": { median: 4.5, count: 8 },
  "numbers.std_v1": { std: 2, count: 8 },
};

Deno.test("aggregate_stats gathers count, mean, median and std into numbers.fan_summary_v1", async () => {
  const r = await invokeStep(AggregateStats, "agg", {}, { snapshot: THREE });
  assert.deepEqual(written(r, "numbers.fan_summary_v1", "aggregate_stats"), {
    count: 8,
    mean: 5,
    median: 4.5,
    std: 2,
  });
});

Deno.test("aggregate_stats names exactly the inputs that are missing and their steps", async () => {
  const { "numbers.fan_median_v1": _, ...withoutMedian } = THREE;
  const one = await invokeStep(AggregateStats, "agg", {}, { snapshot: withoutMedian });
  assertFailed(one, "agg", 'context key "numbers.fan_median_v1" is missing', "run median_of");
  assert.ok(one.envelope.status === "error" && !one.envelope.reason.includes("compute_mean"));

  const none = await invokeStep(AggregateStats, "agg", {});
  assertFailed(
    none,
    "agg",
    '"numbers.mean_v1", "numbers.fan_median_v1", "numbers.std_v1" are missing',
    "run compute_mean, median_of, compute_std before aggregate_stats",
  );
});

Deno.test("aggregate_stats refuses inputs that disagree on the count or lack a number", async () => {
  const mixed = await invokeStep(AggregateStats, "agg", {}, {
    snapshot: { ...THREE, "numbers.std_v1": { std: 2, count: 7 } },
  });
  assertFailed(mixed, "agg", "disagree on the count", "numbers.std_v1 7", "numbers.mean_v1 8");
  const bad = await invokeStep(AggregateStats, "agg", {}, {
    snapshot: { ...THREE, "numbers.mean_v1": { mean: "5", count: 8 } },
  });
  assertFailed(bad, "agg", '"numbers.mean_v1" has no finite number "mean"');
});

// ---------------------------------------------------------------------------------------------
// Declarations

Deno.test("every fan-in step refuses unknown params and load_numbers needs src", async () => {
  const cases: [ScriptletClass, unknown, string][] = [
    [LoadNumbers, {}, "src: missing required param"],
    [LoadNumbers, { src: 1 }, "src: expected string"],
    [NormalizeNumbers, { src: "x" }, "unknown key"],
    [ComputeMean, { x: 1 }, "unknown key"],
    [MedianOf, { x: 1 }, "unknown key"],
    [ComputeStd, { x: 1 }, "unknown key"],
    [AggregateStats, { title: "t" }, "unknown key"],
  ];
  for (const [cls, params, part] of cases) {
    const r = await invokeStep(cls, "s", params);
    assertFailed(r, "s", "invalid params", part);
    assert.equal(r.envelope.status === "error" && r.envelope.exit_code, 2);
  }
});

Deno.test("the steps that only read the context declare themselves parallel; load_numbers does not", () => {
  for (const cls of [NormalizeNumbers, ComputeMean, MedianOf, ComputeStd, AggregateStats]) {
    assert.equal(cls.parallel, true, cls.name);
  }
  assert.notEqual(LoadNumbers.parallel, true);
});

// ---------------------------------------------------------------------------------------------
// As standalone modules and through the real CLI

Deno.test("the six steps chained as standalone modules produce the summary", async () => {
  const xs = [9, 2, 5, 4, 4, 7, 5, 4];
  const dir = await tempTree({ "n.csv": xs.join("\n") + "\n" });
  const chain: [string, string[]][] = [
    ["load_numbers", ["--params", '{"src":"n.csv"}']],
    ["normalize_numbers", []],
    ["compute_mean", []],
    ["median_of", []],
    ["compute_std", []],
    ["aggregate_stats", []],
  ];
  let first = true;
  for (const [step, args] of chain) {
    const context = first ? [] : ["--context", "ctx.json"];
    first = false;
    const r = await runScript(
      `${REPO}/steps/${step}.ts`,
      [...args, ...context, "--context-out", "ctx.json"],
      { cwd: dir },
    );
    assert.equal(r.code, 0, `${step}: ${r.stdout}\n${r.stderr}`);
    assert.equal(r.json.status, "ok", step);
  }
  const out: ContextJson = JSON.parse(await Deno.readTextFile(`${dir}/ctx.json`));
  assert.deepEqual(out.data["numbers.fan_summary_v1"], { count: 8, mean: 5, median: 4.5, std: 2 });
  assert.deepEqual(out.history.map((h) => h.who), chain.map(([step]) => step));
});

Deno.test("orch validate accepts recipes/fan_in.yaml", async () => {
  const r = await orch(["validate", "recipes/fan_in.yaml"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json, { status: "ok", recipes: [{ file: "recipes/fan_in.yaml", steps: 6 }] });
});

Deno.test("orch run recipes/fan_in.yaml writes every key, each attributed to its step", async () => {
  const want = expectedFor(await sampleNumbers());
  const dir = await tempTree();
  const r = await orch(["run", "recipes/fan_in.yaml", "--context-out", `${dir}/ctx.json`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, "ok");
  assert.deepEqual(r.json.steps, stepCounts({ ok: 6 }));

  const out: ContextJson = JSON.parse(await Deno.readTextFile(`${dir}/ctx.json`));
  assert.deepEqual(out.data, {
    "numbers.values_v1": want.values,
    "numbers.normalized_v1": want.normalized,
    "numbers.mean_v1": want.mean,
    "numbers.fan_median_v1": want.median,
    "numbers.std_v1": want.std,
    "numbers.fan_summary_v1": want.summary,
  });
  // The middle three may commit in any order; the rest are ordered by their dependencies.
  const history = out.history.map((h) => `${h.key} ${h.who} ${h.step}`);
  assert.deepEqual(history.slice(0, 2), [
    "numbers.values_v1 load_numbers load_numbers",
    "numbers.normalized_v1 normalize_numbers normalize_numbers",
  ]);
  assert.deepEqual(history.slice(2, 5).sort(), [
    "numbers.fan_median_v1 median_of median_of",
    "numbers.mean_v1 compute_mean compute_mean",
    "numbers.std_v1 compute_std compute_std",
  ]);
  assert.deepEqual(history.slice(5), [
    "numbers.fan_summary_v1 aggregate_stats aggregate_stats",
  ]);
});

Deno.test("recipes/fan_in.yaml runs mean, median and std overlapping in time", async () => {
  const events: RunEvent[] = [];
  const result = await run("recipes/fan_in.yaml", {
    baseDir: REPO,
    concurrency: 3,
    onEvent: (e) => events.push(e),
  });
  assert.equal(result.status, "ok");
  // Event order, not timestamps: these steps take about a millisecond, finer than Date's clock.
  const at = (kind: string, step: string) =>
    events.findIndex((e) => e.kind === kind && "step" in e && e.step === step);
  const middle = ["compute_mean", "median_of", "compute_std"];
  const lastStart = Math.max(...middle.map((s) => at("step-start", s)));
  const firstEnd = Math.min(...middle.map((s) => at("step-end", s)));
  assert.ok(lastStart < firstEnd, "every middle step started before any of them ended");
  assert.ok(
    at("step-start", "aggregate_stats") > Math.max(...middle.map((s) => at("step-end", s))),
  );
});
