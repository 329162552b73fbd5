/**
 * Tests the renderers on report models no shell step can produce (lone surrogates, U+FFFE,
 * newlines in attributes, pipes in Markdown cells), a journal written before reports existed,
 * and the bounded stderr tail. JUnit output is validated with xmllint against junit-10.xsd.
 */
import assert from "node:assert/strict";
import { loadRunReport, type ReportStep, type RunReport } from "../core/reports/model.ts";
import { renderJunit } from "../core/reports/junit.ts";
import { renderMarkdown } from "../core/reports/markdown.ts";
import { orch, stepCounts, tempTree } from "./_helpers.ts";
import { assertValidJunit, xpath } from "./_xml.ts";

function _step(over: Partial<ReportStep>): ReportStep {
  return {
    name: "s",
    idx: 1,
    type: "deno",
    status: "ok",
    durationMs: 1234.5,
    attempts: [],
    outputs: [],
    stderrTail: [],
    stdoutTail: [],
    dependsOn: [],
    ...over,
  };
}

function _report(steps: ReportStep[]): RunReport {
  return {
    runId: "20261129-000000000-abcdef",
    recipe: "/nowhere/r.yaml",
    testId: "T-1",
    tester: "t",
    description: "multi\nline\tdescription\r",
    status: "failed",
    startedAt: "2026-11-29T00:00:00.000Z",
    endedAt: "2026-11-29T00:00:02.000Z",
    durationMs: 2000,
    counts: stepCounts({ ok: 1, failed: 1 }),
    steps,
    context: { data: {}, history: [] },
    dir: "/nowhere",
    sessions: 1,
  };
}

Deno.test("JUnit escapes what XML 1.0 forbids (lone surrogates, U+FFFE/U+FFFF) and keeps newlines in attributes", async () => {
  const reason = "bad\ud800 half \udfff pair 😀 ok \ufffe\uffff\nsecond line | pipe";
  const report = _report([
    _step({ name: "good", stderrTail: ["tab\there", "cr\rend", "nul\0"] }),
    _step({
      name: "bad",
      idx: 2,
      status: "failed",
      reason,
      attempts: [{ attempt: 1, status: "failed", reason, durationMs: 5 }],
    }),
  ]);
  const dir = await tempTree({ "j.xml": renderJunit(report) });
  await assertValidJunit(`${dir}/j.xml`);
  const get = (expr: string) => xpath(`${dir}/j.xml`, expr);
  assert.equal(
    await get('//testcase[@name="bad"]/failure/@message'),
    "bad\\ud800 half \\udfff pair 😀 ok \\ufffe\\uffff\nsecond line | pipe",
  );
  assert.equal(await get('//testcase[@name="good"]/system-err'), "tab\there\ncr\rend\nnul\\x00");
  assert.equal(await get('//property[@name="description"]/@value'), "multi\nline\tdescription\r");
  assert.equal(await get('//testcase[@name="good"]/@time'), "1.234");
});

Deno.test("Markdown table cells stay on one line with pipes escaped", () => {
  const md = renderMarkdown(_report([
    _step({ name: "bad", status: "failed", reason: "a | b\nc <d>", attempts: [] }),
  ]));
  const row = md.split("\n").find((l) => l.startsWith("| 1 |"))!;
  assert.equal(row.split(/(?<!\\)\|/).length, 9, row); // 7 cells between 8 unescaped pipes
  assert.match(row, /a \\\| b c &lt;d&gt;/);
});

Deno.test("a journal written before reports existed still loads (no meta, no tails)", async () => {
  const at = "2026-11-29T00:00:00.000Z";
  const lines = [
    {
      kind: "run-start",
      at,
      run_id: "old",
      recipe: "/r.yaml",
      recipe_sha256: "x",
      test_id: "OLD",
      resumed: false,
    },
    { kind: "step-start", at, step: "b", attempt: 1 },
    {
      kind: "step-commit",
      at,
      step: "b",
      writes: [],
      envelope: { status: "ok", outputs: [] },
      attempts: [{ attempt: 1, status: "ok", durationMs: 3 }],
      duration_ms: 3,
    },
    {
      kind: "step-end",
      at,
      step: "a",
      status: "failed",
      envelope: { status: "error", reason: "no", exit_code: 1, step: "a" },
      attempts: [{ attempt: 1, status: "failed", reason: "no", durationMs: 2 }],
      duration_ms: 2,
    },
    {
      kind: "run-end",
      at,
      status: "failed",
      duration_ms: 9,
      counts: stepCounts({ ok: 1, failed: 1 }),
    },
  ];
  const dir = await tempTree({
    "journal.jsonl": lines.map((l) => JSON.stringify(l)).join("\n") + "\n",
  });
  const report = await loadRunReport(dir);
  assert.equal(report.status, "failed");
  assert.deepEqual(report.steps.map((s) => [s.name, s.status, s.reason]), [
    ["b", "ok", undefined],
    ["a", "failed", "no"],
  ]);
  await Deno.writeTextFile(`${dir}/j.xml`, renderJunit(report));
  await assertValidJunit(`${dir}/j.xml`);
});

Deno.test("a step's stderr tail in the report keeps only its last 40 lines", async () => {
  const dir = await tempTree({
    "r.yaml": `test_meta: {test_id: T-2, tester: t, description: d}
steps:
  - {idx: 1, name: chatty, type: shell, run: "seq 1 100 >&2; exit 1", permissions: {run: [sh]}}
`,
  });
  const r = await orch(["run", "r.yaml", "--report", "json=r.json"], {
    cwd: dir,
    env: { ORCH_HOME: `${dir}/home` },
  });
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
  const tail = report.steps[0].stderrTail;
  assert.deepEqual(tail, Array.from({ length: 40 }, (_, i) => String(61 + i)));
});
