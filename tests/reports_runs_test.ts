/**
 * Tests reports across a run's life: still running, killed (crashed), interrupted with SIGTERM,
 * resumed, and replayed from the cache. Reports are read from the run directory, so each of these
 * must render, and its JUnit must stay valid against junit-10.xsd.
 */
import assert from "node:assert/strict";
import { orch, orchCommand, tempTree } from "./_helpers.ts";
import { untilJournal } from "./_journal.ts";
import type { JournalRecord } from "../core/journal.ts";
import { assertValidJunit, xpath } from "./_xml.ts";

const SH = "permissions: {run: [sh]}";

Deno.test("a run still running, then killed, still renders (running, then interrupted)", async () => {
  const dir = await tempTree({
    "r.yaml": `test_meta: {test_id: REP-002, tester: t, description: d}
steps:
  - {idx: 1, name: quick, type: shell, run: "echo '{\\"status\\":\\"ok\\"}'", ${SH}}
  - {idx: 2, name: stuck, type: shell, run: "sleep 30", ${SH}}
  - {idx: 3, name: later, type: shell, run: "echo '{\\"status\\":\\"ok\\"}'", ${SH}}
`,
  });
  const home = `${dir}/home`;
  const child = orchCommand(["run", "r.yaml"], {
    cwd: dir,
    env: { ORCH_HOME: home },
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const runId = (await _waitFor(home, "stuck")).split("/").at(-1)!;
    const opts = { cwd: dir, env: { ORCH_HOME: home } };
    const live = await orch(["report", runId, "--format", "junit", "-o", "live.xml"], opts);
    assert.equal(live.code, 0, live.stderr);
    assert.equal(live.json.run_status, "running");
    await assertValidJunit(`${dir}/live.xml`);
    assert.match(
      await xpath(`${dir}/live.xml`, '//testcase[@name="stuck"]/skipped/@message'),
      /still running/,
    );
    assert.match(
      await xpath(`${dir}/live.xml`, '//testcase[@name="later"]/skipped/@message'),
      /not run/,
    );
    child.kill("SIGKILL");
    await child.status;
    const dead = await orch(["report", runId, "--format", "json", "-o", "dead.json"], opts);
    assert.equal(dead.json.run_status, "interrupted");
    const report = JSON.parse(await Deno.readTextFile(`${dir}/dead.json`));
    assert.deepEqual(
      report.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [["quick", "ok"], ["stuck", "cancelled"], ["later", "not-run"]],
    );
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  }
});

Deno.test("a resumed run's report shows each step's final outcome over both sessions", async () => {
  const dir = await tempTree({
    "r.yaml": `test_meta: {test_id: REP-003, tester: t, description: d}
steps:
  - {idx: 1, name: first, type: shell, run: "echo '{\\"status\\":\\"ok\\"}'", ${SH}}
  - {idx: 2, name: gate, type: shell, run: "test -f go && echo '{\\"status\\":\\"ok\\"}' || { echo no go >&2; exit 1; }", ${SH}}
`,
  });
  const opts = { cwd: dir, env: { ORCH_HOME: `${dir}/home` } };
  const failed = await orch(["run", "r.yaml"], opts);
  assert.equal(failed.code, 1, failed.stderr);
  await Deno.writeTextFile(`${dir}/go`, "");
  const resumed = await orch([
    "run",
    "--resume",
    failed.json.run_id as string,
    "--report",
    "junit=j.xml,json=r.json",
  ], opts);
  assert.equal(resumed.code, 0, resumed.stderr);
  await assertValidJunit(`${dir}/j.xml`);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
  assert.equal(report.status, "ok");
  assert.equal(report.sessions, 2);
  assert.deepEqual(
    report.steps.map((
      s: { name: string; status: string; attempts: unknown[] },
    ) => [s.name, s.status, s.attempts.length]),
    [["first", "ok", 1], ["gate", "ok", 1]],
  );
  assert.equal(await xpath(`${dir}/j.xml`, "count(//failure)"), "0");
});

Deno.test("an interrupted run still writes its reports; a report that cannot be written fails an ok run", async () => {
  const dir = await tempTree({
    "r.yaml": `test_meta: {test_id: REP-004, tester: t, description: d}
steps:
  - {idx: 1, name: stuck, type: shell, run: "sleep 30", ${SH}}
`,
    "a_file": "",
  });
  const home = `${dir}/home`;
  const child = orchCommand(["run", "r.yaml", "--report", "junit=int.xml"], {
    cwd: dir,
    env: { ORCH_HOME: home },
    stderr: "null",
  }).spawn();
  await _waitFor(home, "stuck");
  child.kill("SIGTERM");
  const out = await child.output();
  assert.equal(out.code, 130);
  const line = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(line.reports, { junit: "int.xml" });
  await assertValidJunit(`${dir}/int.xml`);
  assert.equal(await xpath(`${dir}/int.xml`, '//property[@name="status"]/@value'), "interrupted");
  assert.match(await xpath(`${dir}/int.xml`, "//testcase/skipped/@message"), /interrupted/);
  const bad = await orch(
    ["run", "recipes/example_numbers.yaml", "--report", `md=${dir}/a_file/s.md`],
    { env: { ORCH_HOME: home } },
  );
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(bad.json.status, "error");
  assert.match(bad.json.reason as string, /the run succeeded but a report failed: cannot write/);
  assert.equal((bad.json.report_errors as string[]).length, 1);
  assert.deepEqual(bad.json.reports, {});
});

Deno.test("a step replayed from the cache is reported as cached, with no attempt", async () => {
  const dir = await tempTree({
    "n.csv": "1\n2\n3\n",
    "r.yaml": `test_meta: {test_id: REP-005, tester: t, description: d}
steps:
  - {idx: 1, name: stats, type: deno, module: steps/compute_numbers.ts, function: ComputeNumbers,
     args: {src: n.csv}, cache_key: auto}
`,
  });
  const opts = { cwd: dir, env: { ORCH_HOME: `${dir}/home` } };
  const first = await orch(["run", "r.yaml"], opts);
  assert.equal(first.code, 0, first.stderr);
  const second = await orch(["run", "r.yaml", "--report", "junit=j.xml,md=s.md,json=r.json"], opts);
  assert.equal(second.code, 0, second.stderr);
  assert.equal((second.json.steps as Record<string, number>).cached, 1);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
  assert.deepEqual([report.steps[0].status, report.steps[0].attempts], ["cached", []]);
  assert.deepEqual(report.steps[0].outputs, ["numbers.stats_v1"]);
  await assertValidJunit(`${dir}/j.xml`);
  assert.match(await xpath(`${dir}/j.xml`, "//testcase/system-out"), /^replayed from the cache/);
  assert.match(await Deno.readTextFile(`${dir}/s.md`), /cached .*replayed from the cache/);
});

/** Waits (up to 15 s) until the run under `home` journaled a record of `step`; its run dir. */
async function _waitFor(home: string, step: string): Promise<string> {
  const ofStep = (recs: JournalRecord[]) => recs.some((r) => "step" in r && r.step === step);
  const runDir = await untilJournal(home, ofStep, { timeoutMs: 15_000, everyMs: 50 });
  return runDir!; // with no child to wait for, it returns a run directory or throws
}
