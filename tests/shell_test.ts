import assert from "node:assert/strict";
import { orch, stepCounts, survivors, tempTree } from "./_helpers.ts";
import { shellExecutor } from "../core/executors/shell.ts";
import type { StepAttempt } from "../core/executors/executor.ts";

const FIXTURES = new URL("./fixtures/shell/", import.meta.url).pathname;

const HEAD = "test_meta: {test_id: SH-1, tester: t, description: shell steps}\nsteps:\n";

/** A recipe of one-line flow-mapping steps. */
function recipe(...steps: string[]): string {
  return HEAD + steps.map((s) => `  - ${s}\n`).join("");
}

async function readPids(file: string): Promise<number[]> {
  return (await Deno.readTextFile(file)).trim().split(/\s+/).map(Number);
}

Deno.test("a shell step reads the context from ORCH_CONTEXT and its envelope ctx lands in the final context", async () => {
  const dir = await tempTree({
    "seed.json": JSON.stringify({ "numbers.raw_v1": [3, 1, 2] }),
    "r.yaml": recipe(
      `{idx: 1, name: see, type: shell, script: ${FIXTURES}echo_context.sh, env: {MODE: strict}, ` +
        `permissions: {run: [echo_context.sh]}}`,
    ),
  });
  const res = await orch(["run", "r.yaml", "--context", "seed.json", "--context-out", "out.json"], {
    cwd: dir,
  });
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(res.json.ctx_keys, [
    "numbers.raw_v1",
    "shell.seen_v1",
    "shell.step_v1",
    "shell.mode_v1",
  ]);
  const out = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  assert.deepEqual(out.data["shell.seen_v1"], { "numbers.raw_v1": [3, 1, 2] });
  assert.equal(out.data["shell.step_v1"], "see");
  assert.equal(out.data["shell.mode_v1"], "strict");
  const entry = out.history.find((h: { key: string }) => h.key === "shell.seen_v1");
  assert.equal(entry.who, "see");
  assert.equal(entry.step, "see");
});

Deno.test("args reach the command as argv entries and are never interpreted by a shell", async () => {
  const tricky = ["a b; touch pwned", "$HOME", "*", ""];
  const dir = await tempTree({
    "r.yaml": recipe(
      `{idx: 1, name: direct, type: shell, script: ${FIXTURES}argv.sh, ` +
        `args: ${JSON.stringify(tricky)}, permissions: {run: [argv.sh]}}`,
      `{idx: 2, name: via_sh, type: shell, ` +
        `run: 'printf "{\\"status\\":\\"ok\\",\\"ctx\\":{\\"shell.first_v1\\":\\"%s\\"}}\\n" "$1"', ` +
        `args: ["x; touch pwned2"], permissions: {run: [/bin/sh]}}`,
    ),
  });
  const res = await orch(["run", "r.yaml", "--context-out", "out.json"], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  const out = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  assert.deepEqual(out.data["shell.argv_v1"], tricky);
  assert.equal(out.data["shell.first_v1"], "x; touch pwned2");
  const made = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(made, ["out.json", "r.yaml"]);
});

Deno.test("each stdout contract violation fails its step with the broken rule and what was printed", async () => {
  const step = (idx: number, name: string, run: string) =>
    `{idx: ${idx}, name: ${name}, type: shell, run: '${run}', depends_on: [], ` +
    `permissions: {run: [sh]}}`;
  const dir = await tempTree({
    "r.yaml": recipe(
      step(1, "silent", "true"),
      step(2, "two_lines", "echo one; echo two"),
      step(3, "not_json", "echo hello world"),
      step(4, "array", "echo [1,2]"),
      step(5, "no_status", `echo "{\\"outputs\\":[]}"`),
      step(6, "odd_status", `echo "{\\"status\\":\\"done\\"}"`),
      step(7, "ok_but_exit_3", `echo "{\\"status\\":\\"ok\\"}"; exit 3`),
      step(8, "missing_output", `echo "{\\"status\\":\\"ok\\",\\"outputs\\":[\\"a.b_v1\\"]}"`),
      step(9, "bad_key", `echo "{\\"status\\":\\"ok\\",\\"ctx\\":{\\"Bad\\":1}}"`),
      step(10, "not_found", "echo about to fail >&2; no_such_command_here"),
      step(11, "error_envelope", `echo "{\\"status\\":\\"error\\",\\"reason\\":\\"no rows\\"}"`),
    ),
  });
  const res = await orch(["run", "r.yaml", "--keep-going"], { cwd: dir });
  assert.equal(res.code, 1);
  assert.equal((res.json.failed_steps as string[]).length, 11);
  const expected: Record<string, string> = {
    silent: 'stdout must hold one JSON envelope line (e.g. {"status":"ok"}), got none; ' +
      "printed: (nothing)",
    two_lines: 'got 2 lines (print logs on stderr); printed: "one\\ntwo\\n"',
    not_json: "the stdout line is not JSON (Unexpected token 'h', \"hello world\" is not valid " +
      'JSON); printed: "hello world\\n"',
    array: 'must be a JSON object (the envelope), got an array; printed: "[1,2]\\n"',
    no_status: 'the envelope has no "status"; it must be "ok" or "error"; printed: ' +
      '"{\\"outputs\\":[]}\\n"',
    odd_status: 'the envelope "status" must be "ok" or "error", got "done"',
    ok_but_exit_3: 'the envelope says "ok" but the process exited with code 3; printed: ' +
      '"{\\"status\\":\\"ok\\"}\\n"',
    missing_output: 'outputs "a.b_v1" that are not in the context after the step',
    bad_key: 'the envelope "ctx" entry "Bad" was refused: context key "Bad" is invalid',
    not_found: "exited with code 127 (command not found) and no JSON envelope; " +
      "stderr tail: about to fail | ",
    error_envelope: 'step "error_envelope" failed: no rows',
  };
  for (const [name, reason] of Object.entries(expected)) {
    const line = res.stderr.split("\n").find((l) => l.includes(`step "${name}" failed`));
    assert.ok(line?.includes(reason), `${name}: expected ${reason} in\n${line}`);
  }
});

Deno.test("stderr lines stream to the log prefixed with the step name, and stdout keeps one line", async () => {
  const dir = await tempTree({
    "r.yaml": recipe(
      `{idx: 1, name: chatty, type: shell, script: ${FIXTURES}chatty.sh, ` +
        `permissions: {run: [${FIXTURES}chatty.sh]}}`,
    ),
  });
  const res = await orch(["run", "r.yaml"], { cwd: dir });
  assert.equal(res.code, 1);
  assert.equal(res.json.reason, "the input had no rows");
  assert.match(res.stderr, /^\[chatty\] first log line\n\[chatty\] second log line$/m);
  assert.doesNotMatch(res.stdout, /log line/);
});

Deno.test("a command printing more than 1 MiB on stdout is stopped and its step fails", async () => {
  const dir = await tempTree({
    "r.yaml": recipe(`{idx: 1, name: flood, type: shell, run: 'yes', permissions: {run: [sh]}}`),
  });
  const started = Date.now();
  const res = await orch(["run", "r.yaml"], { cwd: dir });
  assert.equal(res.code, 1);
  assert.match(res.json.reason as string, /printed more than 1 MiB on stdout, so it was stopped/);
  assert.ok(Date.now() - started < 10_000);
});

for (const stubborn of [false, true]) {
  const what = stubborn ? "that ignores SIGTERM " : "";
  Deno.test(`a timed-out step ${what}is killed with its background child: no orphan survives`, async () => {
    const dir = await tempTree({
      "r.yaml": recipe(
        `{idx: 1, name: hangs, type: shell, script: ${FIXTURES}leaves_child.sh, ` +
          `args: [pids${stubborn ? ", stubborn" : ""}], timeout: 300ms, ` +
          `permissions: {run: [leaves_child.sh]}}`,
      ),
    });
    const res = await orch(["run", "r.yaml"], { cwd: dir });
    assert.equal(res.code, 1);
    assert.deepEqual(res.json.steps, stepCounts({ timeout: 1 }));
    const pids = await readPids(`${dir}/pids`);
    assert.equal(pids.length, 2);
    assert.deepEqual(await survivors(pids, 1_000), []);
  });
}

Deno.test("a command that exits leaves nothing running behind it and its step ends at once", async () => {
  const dir = await tempTree({
    "r.yaml": recipe(
      `{idx: 1, name: forks, type: shell, ` +
        `run: 'sleep 30 & echo $! > pid; echo "{\\"status\\":\\"ok\\"}"', permissions: {run: [sh]}}`,
    ),
  });
  const started = Date.now();
  const res = await orch(["run", "r.yaml"], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  assert.ok(Date.now() - started < 10_000, "the step waited for its background child");
  assert.deepEqual(await survivors(await readPids(`${dir}/pid`), 1_000), []);
});

Deno.test("a flaky script is retried until it succeeds and only the good attempt's ctx is kept", async () => {
  const dir = await tempTree({
    "r.yaml": recipe(
      `{idx: 1, name: flaky, type: shell, script: ${FIXTURES}flaky.sh, args: [count, "3"], ` +
        `retry: {max: 3, delay_sec: 0}, permissions: {run: [flaky.sh]}}`,
    ),
  });
  const res = await orch(["run", "r.yaml", "--context-out", "out.json"], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stderr, /\[flaky\] attempt 2 fails on purpose/);
  const out = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  assert.deepEqual(out.data, { "flaky.attempts_v1": 3 });
});

Deno.test("validation refuses a shell step without a run grant, a bad script and a missing cwd", async () => {
  const dir = await tempTree({
    "plain.sh": '#!/bin/sh\necho \'{"status":"ok"}\'\n',
    "r.yaml": recipe(
      `{idx: 1, name: no_grant, type: shell, run: 'touch ran'}`,
      `{idx: 2, name: other_grant, type: shell, script: ${FIXTURES}chatty.sh, ` +
        `permissions: {run: [sh]}}`,
      `{idx: 3, name: not_exec, type: shell, script: plain.sh, permissions: {run: [plain.sh]}}`,
      `{idx: 4, name: nowhere, type: shell, script: gone.sh, cwd: no_dir, permissions: {run: true}}`,
    ),
  });
  const res = await orch(["run", "r.yaml"], { cwd: dir });
  assert.equal(res.code, 2);
  const errors = res.json.errors as { path: string; line: number; message: string }[];
  assert.deepEqual(errors.map((e) => [e.path, e.line]), [
    ["steps[0].run", 3],
    ["steps[1].script", 4],
    ["steps[2].script", 5],
    ["steps[3].script", 6],
    ["steps[3].cwd", 6],
  ]);
  assert.match(
    errors[0].message,
    /step "no_grant" may not run "\/bin\/sh".*permissions: \{run: \[sh\]\}/,
  );
  assert.match(
    errors[1].message,
    /may not run ".*chatty\.sh".*permissions: \{run: \[chatty\.sh\]\}/,
  );
  assert.match(errors[2].message, /plain\.sh" is not executable; run chmod \+x/);
  assert.match(errors[3].message, /gone\.sh" does not exist/);
  assert.match(errors[4].message, /cwd ".*no_dir" is not a directory/);
  assert.equal(await Deno.stat(`${dir}/ran`).catch(() => null), null);
});

// ---------------------------------------------------------------------------------------------
// The executor alone (real processes, no CLI).

function attempt(command: string[], cwd = FIXTURES): StepAttempt {
  return {
    step: "direct",
    target: { type: "shell", command, env: {}, cwd },
    params: {},
    snapshot: {},
    baseDir: cwd,
    permissions: {},
  };
}

Deno.test("aborting an attempt cancels it and kills its whole process group", async () => {
  const dir = await tempTree();
  const controller = new AbortController();
  const running = shellExecutor().run(
    attempt([`${FIXTURES}leaves_child.sh`, `${dir}/pids`], dir),
    controller.signal,
    () => {},
  );
  while (!(await Deno.stat(`${dir}/pids`).catch(() => null))?.size) {
    await new Promise((r) => setTimeout(r, 20));
  }
  controller.abort(new DOMException("deadline", "TimeoutError"));
  const outcome = await running;
  assert.equal(outcome.status, "cancelled");
  assert.deepEqual(outcome.envelope, {
    status: "error",
    reason: "cancelled: the step timed out",
    exit_code: 124,
    step: "direct",
  });
  assert.deepEqual(await survivors(await readPids(`${dir}/pids`), 1_000), []);
});

Deno.test("a command that cannot start fails with exit 127 and says why", async () => {
  const outcome = await shellExecutor().run(
    attempt([`${FIXTURES}no_such_script.sh`]),
    new AbortController().signal,
    () => {},
  );
  assert.equal(outcome.status, "error");
  assert.equal(outcome.envelope.status === "error" && outcome.envelope.exit_code, 127);
  assert.match(
    JSON.stringify(outcome.envelope),
    /cannot start .*no_such_script\.sh.*\(not found\)/,
  );
});

Deno.test("the context file is removed after the attempt", async () => {
  const lines: string[] = [];
  const outcome = await shellExecutor().run(
    attempt(["/bin/sh", "-c", 'echo "$ORCH_CONTEXT" >&2; echo \'{"status":"ok"}\'', "direct"]),
    new AbortController().signal,
    (_stream, line) => lines.push(line),
  );
  assert.equal(outcome.status, "ok");
  assert.equal(lines.length, 1);
  assert.equal(await Deno.stat(lines[0]).catch(() => null), null);
});
