/**
 * Tests the reports (core/reports/) of ended runs: real recipes run through the CLI with
 * `--report`, and `orch report` on past runs. Every JUnit file is validated with xmllint against
 * the Jenkins xUnit junit-10.xsd and queried with XPath (tests/_xml.ts). Runs still under way,
 * killed, interrupted, resumed or cached: tests/reports_runs_test.ts.
 */
import assert from "node:assert/strict";
import { orch, stepCounts, tempTree } from "./_helpers.ts";
import { assertValidJunit, xpath } from "./_xml.ts";

const SH = "permissions: {run: [sh]}";
/** Five shell steps: noisy (control characters on stderr), flaky, broken, its dependent, slow. */
const MIXED_OUTCOMES = `test_meta:
  test_id: REP-001
  tester: "R1 <r1@example.com>"
  description: "fail, flaky, timeout, skip & control characters"
steps:
  - idx: 1
    name: noisy
    type: shell
    run: "printf 'bell\\\\007 esc\\\\033[31mred\\\\033[0m c1\\\\001\\\\002 ff\\\\014 nul\\\\000 end ]]> <b>&amp;\\\\n' >&2; echo '{\\"status\\":\\"ok\\"}'"
    ${SH}
  - idx: 2
    name: flaky
    type: shell
    depends_on: []
    run: "n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n > count; if [ $n -lt 2 ]; then echo \\"attempt $n fails\\" >&2; exit 3; fi; echo '{\\"status\\":\\"ok\\"}'"
    retry: {max: 2, delay_sec: 0}
    ${SH}
  - idx: 3
    name: broken
    type: shell
    depends_on: []
    run: "echo 'boom <here> & there' >&2; echo '{\\"status\\":\\"error\\",\\"reason\\":\\"broken on purpose: <x> & y\\"}'"
    retry: {max: 1, delay_sec: 0}
    ${SH}
  - idx: 4
    name: after_broken
    type: shell
    depends_on: [broken]
    run: "echo '{\\"status\\":\\"ok\\"}'"
    ${SH}
  - idx: 5
    name: slow
    type: shell
    depends_on: []
    run: "sleep 5"
    timeout: 300ms
    ${SH}
`;

/** Runs MIXED_OUTCOMES with --keep-going and the given extra args in a fresh directory. */
async function runMixedOutcomes(extra: string[], env: Record<string, string> = {}) {
  const dir = await tempTree({ "r.yaml": MIXED_OUTCOMES });
  const home = `${dir}/home`;
  const r = await orch(["run", "r.yaml", "--keep-going", "--concurrency", "1", ...extra], {
    cwd: dir,
    env: { ORCH_HOME: home, ...env },
  });
  return { dir, home, r };
}

Deno.test("JUnit of a run with failed, flaky, timed-out, skipped and noisy steps is valid and complete", async () => {
  const { dir, r } = await runMixedOutcomes(["--report", "junit=out/junit.xml"]);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(r.json.reports, { junit: "out/junit.xml" });
  const file = `${dir}/out/junit.xml`;
  await assertValidJunit(file);
  // what CI tools count and read
  assert.equal(await xpath(file, "count(//testcase)"), "5");
  const suite = "/testsuites/testsuite";
  for (const [attr, value] of [["name", "REP-001"], ["tests", "5"], ["failures", "1"]]) {
    assert.equal(await xpath(file, `${suite}/@${attr}`), value, attr);
  }
  assert.equal(await xpath(file, `${suite}/@errors`), "1");
  assert.equal(await xpath(file, `${suite}/@skipped`), "1");
  assert.equal(await xpath(file, `${suite}/@file`), "r.yaml");
  assert.equal(await xpath(file, `//property[@name="tester"]/@value`), "R1 <r1@example.com>");
  assert.match(await xpath(file, `//property[@name="description"]/@value`), /skip & control/);
  const names = [];
  for (let i = 1; i <= 5; i++) {
    const tc = `(//testcase)[${i}]`;
    names.push(await xpath(file, `${tc}/@name`));
    assert.equal(await xpath(file, `${tc}/@classname`), "REP-001");
    assert.match(await xpath(file, `${tc}/@time`), /^\d+\.\d{3}$/);
  }
  assert.deepEqual(names, ["noisy", "flaky", "broken", "after_broken", "slow"]);
  const tc = (name: string) => `//testcase[@name="${name}"]`;
  // the failed step: failure with its reason; its stderr tail in system-err
  assert.equal(
    await xpath(file, `${tc("broken")}/failure/@message`),
    "broken on purpose: <x> & y (after 2 attempts)",
  );
  // its earlier failed attempt: rerunFailure
  assert.equal(await xpath(file, `count(${tc("broken")}/rerunFailure)`), "1");
  assert.match(await xpath(file, `${tc("broken")}/rerunFailure`), /^attempt 1\/2 failed after/);
  assert.equal(
    await xpath(file, `${tc("broken")}/system-err`),
    "boom <here> & there\nboom <here> & there", // both attempts' stderr
  );
  assert.match(await xpath(file, `${tc("broken")}/system-out`), /"status":"error"/);
  // retried then passed: its failed attempt as flakyFailure, no failure
  assert.equal(await xpath(file, `count(${tc("flaky")}/flakyFailure)`), "1");
  assert.equal(await xpath(file, `count(${tc("flaky")}/failure)`), "0");
  assert.match(await xpath(file, `${tc("flaky")}/flakyFailure/@message`), /exited with code 3/);
  // timeout: error; dependent of a failure: skipped
  assert.equal(await xpath(file, `${tc("slow")}/error/@type`), "Timeout");
  assert.match(await xpath(file, `${tc("after_broken")}/skipped/@message`), /depends on "broken"/);
  assert.equal(await xpath(file, `count(${tc("noisy")}/*[self::failure or self::error])`), "0");
  // control characters are shown escaped, colour sequences dropped, markup kept as text
  const noisy = await xpath(file, `${tc("noisy")}/system-err`);
  assert.equal(noisy, "bell\\x07 escred c1\\x01\\x02 ff\\x0c nul\\x00 end ]]> <b>&amp;");
  const bytes = await Deno.readFile(file);
  const forbidden = bytes.filter((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  assert.equal(forbidden.length, 0);
});

Deno.test("the Markdown summary has a row per step and is appended to GITHUB_STEP_SUMMARY", async () => {
  const pre = await tempTree({ "summary.md": "earlier job output\n" });
  const summary = `${pre}/summary.md`;
  const { dir, r } = await runMixedOutcomes(["--report", "md=out/summary.md"], {
    GITHUB_STEP_SUMMARY: summary,
  });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.step_summary, summary);
  const md = await Deno.readTextFile(`${dir}/out/summary.md`);
  const rows = md.split("\n").filter((l) => /^\| \d+ \| `/.test(l));
  assert.deepEqual(rows.map((l) => l.split(" | ")[1]), [
    "`noisy`",
    "`flaky`",
    "`broken`",
    "`after_broken`",
    "`slow`",
  ]);
  assert.match(md, /^## ❌ REP-001: failed/);
  assert.match(rows[1], /ok \| \d+ ms \| 2 \| passed on attempt 2/);
  assert.match(rows[2], /failed .*broken on purpose: &lt;x&gt; & y/);
  assert.match(rows[4], /timeout .*timed out after 300 ms/);
  assert.match(md, /### ❌ `broken` failed[\s\S]*boom <here> & there/);
  assert.equal(await Deno.readTextFile(summary), `earlier job output\n${md}\n`);
  // a second run appends again, never overwrites
  const again = await orch(["run", "r.yaml", "--only", "noisy"], {
    cwd: dir,
    env: { ORCH_HOME: `${dir}/home`, GITHUB_STEP_SUMMARY: summary },
  });
  assert.equal(again.code, 0, again.stderr);
  const both = await Deno.readTextFile(summary);
  assert.ok(both.startsWith(`earlier job output\n${md}\n## ✅ REP-001: ok`), both);
});

Deno.test("a retried step's time is the same in JUnit, Markdown and HTML: first attempt to end, waits included", async () => {
  const dir = await tempTree({
    "r.yaml": `test_meta: {test_id: REP-002, tester: t, description: retried}
steps:
  - idx: 1
    name: flaky
    type: shell
    run: "n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n > count; [ $n -ge 2 ] || exit 3; echo '{\\"status\\":\\"ok\\"}'"
    retry: {max: 1, delay_sec: 0.6}
    ${SH}
`,
  });
  const r = await orch(["run", "r.yaml", "--report", "junit=j.xml,md=s.md,html=r.html"], {
    cwd: dir,
    env: { ORCH_HOME: `${dir}/home` },
  });
  assert.equal(r.code, 0, r.stderr);
  const seconds = (text: string) =>
    text.endsWith(" ms") ? parseFloat(text) / 1000 : parseFloat(text);
  const junit = Number(await xpath(`${dir}/j.xml`, `//testcase[@name="flaky"]/@time`));
  const md = (await Deno.readTextFile(`${dir}/s.md`)).split("\n").find((l) =>
    l.includes("`flaky`")
  )!;
  const mdTime = seconds(md.split(" | ")[4]);
  const html = await Deno.readTextFile(`${dir}/r.html`);
  const row = html.match(/<tr id="step-0" data-step="flaky"[\s\S]*?<\/tr>/)![0];
  const htmlTime = seconds(row.match(/<td class="num">([^<]+)/)![1]);
  for (const [name, t] of [["junit", junit], ["markdown", mdTime], ["html", htmlTime]] as const) {
    assert.ok(t >= 0.6, `${name} shows ${t} s: the 600 ms wait is part of the step`);
  }
  assert.ok(
    Math.abs(junit - mdTime) <= 0.011 && Math.abs(junit - htmlTime) <= 0.05,
    `${junit} ${mdTime} ${htmlTime}`,
  );
});

Deno.test("orch report re-renders a past run: the same JUnit as --report, by id or by directory", async () => {
  const { dir, home, r } = await runMixedOutcomes(["--report", "junit=a.xml,json=a.json"]);
  assert.equal(r.code, 1, r.stderr);
  const runId = r.json.run_id as string;
  const opts = { cwd: dir, env: { ORCH_HOME: home } };
  const byId = await orch(["report", runId, "--format", "junit", "-o", "b.xml"], opts);
  assert.equal(byId.code, 0, byId.stderr);
  assert.deepEqual(byId.json, {
    status: "ok",
    format: "junit",
    run_id: runId,
    run_status: "failed",
    file: "b.xml",
  });
  const first = await Deno.readTextFile(`${dir}/a.xml`);
  assert.equal(await Deno.readTextFile(`${dir}/b.xml`), first);
  // without -o the rendered report is the result line's "report" field
  const inline = await orch(["report", r.json.run_dir as string, "--format", "junit"], opts);
  assert.equal(inline.code, 0, inline.stderr);
  assert.equal(inline.json.report, first);
  const json = JSON.parse(await Deno.readTextFile(`${dir}/a.json`));
  assert.equal(json.runId, runId);
  assert.deepEqual(json.counts, stepCounts({ ok: 2, failed: 1, skipped: 1, timeout: 1 }));
  assert.deepEqual(json.steps[1].attempts.map((a: { status: string }) => a.status), [
    "failed",
    "ok",
  ]);
  const html = await orch(["report", runId, "--format", "html"], opts);
  assert.equal(html.code, 0, html.stderr);
  assert.match(html.json.report as string, /<html[\s\S]*flaky/i);
  const missing = await orch(["report", "20200101-000000000-000000", "--format", "md"], opts);
  assert.equal(missing.code, 2);
  assert.match(missing.json.reason as string, /no run "20200101-000000000-000000"/);
});

Deno.test("bad --report values are usage errors before the run starts", async () => {
  const dir = await tempTree({ "r.yaml": MIXED_OUTCOMES });
  const cases: [string, RegExp][] = [
    ["xml=a.xml", /unknown report format "xml" \(did you mean "junit"\?\)/],
    ["junit=", /--report "junit=" needs FORMAT=PATH/],
    ["junit", /--report "junit" needs FORMAT=PATH/],
    ["junit=a.xml,junit=b.xml", /--report gives junit twice/],
    ["junit=a.out,md=a.out", /--report writes "a.out" twice/],
  ];
  for (const [value, reason] of cases) {
    const r = await orch(["run", "r.yaml", "--report", value], {
      cwd: dir,
      env: { ORCH_HOME: `${dir}/home` },
    });
    assert.equal(r.code, 2, value);
    assert.match(r.json.reason as string, reason);
  }
  const bad = await orch(["report", "x", "--format", "pdf"], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.json.reason as string, /unknown report format "pdf"/);
  await assert.rejects(Deno.stat(`${dir}/home/runs`), Deno.errors.NotFound); // no run started
});

for (const recipe of ["recipes/mixed.yaml", "recipes/numbers_all.yaml"]) {
  Deno.test(`${recipe} produces JUnit valid against junit-10.xsd and a Markdown summary`, async () => {
    const out = await tempTree();
    const r = await orch(["run", recipe, "--report", `junit=${out}/j.xml,md=${out}/s.md`]);
    assert.equal(r.code, 0, r.stderr);
    await assertValidJunit(`${out}/j.xml`);
    const steps = (r.json.steps as Record<string, number>).ok;
    assert.equal(await xpath(`${out}/j.xml`, "count(//testcase)"), String(steps));
    assert.equal(await xpath(`${out}/j.xml`, "count(//failure|//error|//skipped)"), "0");
    assert.equal(await xpath(`${out}/j.xml`, "/testsuites/testsuite/@file"), recipe);
    const md = await Deno.readTextFile(`${out}/s.md`);
    assert.equal(md.split("\n").filter((l) => /^\| \d+ \| `/.test(l)).length, steps);
  });
}
