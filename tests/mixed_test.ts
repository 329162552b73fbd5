import assert from "node:assert/strict";
import { orch, REPO, stepCounts, tempTree } from "./_helpers.ts";

Deno.test("the mixed recipe runs shell -> python -> deno with values flowing both ways", async () => {
  const dir = await tempTree();
  const r = await orch(["run", "recipes/mixed.yaml", "--context-out", `${dir}/out.json`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.steps, stepCounts({ ok: 4 }));
  const out = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  // shell wrote the cleaned lines, python parsed them, deno computed from python's values
  assert.deepEqual(out.data["numbers.clean_v1"], ["12", "7.5", "3", "42", "-4", "1e1", "8.25"]);
  assert.deepEqual(out.data["numbers.values_v1"], [12, 7.5, 3, 42, -4, 10, 8.25]);
  assert.deepEqual(out.data["numbers.mean_v1"], { mean: 11.25, count: 7 });
  assert.deepEqual(
    out.history.map((h: { key: string; who: string; step: string }) => [h.key, h.who, h.step]),
    [
      ["numbers.clean_v1", "sanitize_csv", "sanitize_csv"],
      ["numbers.values_v1", "load_values", "load_values"],
      ["numbers.normalized_v1", "normalize_numbers", "normalize_numbers"],
      ["numbers.mean_v1", "compute_mean", "compute_mean"],
    ],
  );
  assert.match(r.stderr, /\[sanitize_csv\] sanitize_csv: reading data\/numbers\.csv/);
});

Deno.test("orch step --type shell runs one script with the contract checks", async () => {
  const r = await orch([
    "step",
    "--type",
    "shell",
    "--script",
    "steps/shell/sanitize_csv.sh",
    "--args",
    '["data/numbers.csv"]',
    "--name",
    "sanitize_csv",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json, {
    status: "ok",
    outputs: ["numbers.clean_v1"],
    ctx_keys: ["numbers.clean_v1"],
  });
  const bad = await orch(["step", "--type", "shell", "--run", "echo not-json"]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(String(bad.json.reason), /not-json/);
});

Deno.test("orch step --type python runs one scriptlet through the bridge, with a context file", async () => {
  const dir = await tempTree({ "in.json": JSON.stringify({ "numbers.clean_v1": ["1", "2.5"] }) });
  const r = await orch([
    "step",
    "--type",
    "python",
    "--module",
    "steps.python.load_values",
    "--function",
    "LoadValues",
    "--context",
    `${dir}/in.json`,
    "--context-out",
    `${dir}/out.json`,
  ], { cwd: REPO });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  assert.deepEqual(out.data["numbers.values_v1"], [1, 2.5]);
  const missing = await orch([
    "step",
    "--type",
    "python",
    "--module",
    "steps.python.load_values",
    "--function",
    "LoadValues",
  ]);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(String(missing.json.reason), /numbers\.clean_v1 is missing/);
});

Deno.test("orch step --type with a typo suggests the right type", async () => {
  const r = await orch(["step", "--type", "shel", "--run", "true"]);
  assert.equal(r.code, 2);
  assert.match(String(r.json.reason), /did you mean "shell"/);
});
