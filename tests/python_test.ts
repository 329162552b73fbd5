import assert from "node:assert/strict";
import { type CliRun, orch, stepCounts, tempTree } from "./_helpers.ts";

/** A project in the original framework's layout, with its own orchestrator/context.py. */
const PROJECT = new URL("./fixtures/python/project", import.meta.url).pathname;
/** A tree holding only its steps: no orchestrator/context.py, no core modules. */
const BARE = new URL("./fixtures/python/bare", import.meta.url).pathname;

/** The --context-out file (values read as JSON). */
interface ContextOut {
  data: Record<string, unknown>;
  history: { key: string; who: string; step?: string }[];
}

/** Runs `orch run RECIPE ...extra` in `tree`; `out()` reads the --context-out file. */
async function run(
  tree: string,
  recipe: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<CliRun & { out: () => Promise<ContextOut> }> {
  const dir = await tempTree();
  const r = await orch(["run", recipe, "--context-out", `${dir}/out.json`, ...extra], {
    cwd: tree,
    env,
  });
  const out = async () => JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  return Object.assign(r, { out });
}

/** Asserts a failed run: exit 1, one JSON line naming the step, and a reason matching `reason`. */
function assertFailed(r: CliRun, step: string, reason: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout.trimEnd().split("\n").length, 1, r.stdout);
  assert.equal(r.json.status, "error");
  assert.equal(r.json.step, step, r.stderr);
  assert.match(r.json.reason as string, reason);
}

/** True while `pid` is a live (not zombie) process (`ps`: /proc needs more than -P=orch). */
async function running(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return stat !== "" && !stat.startsWith("Z");
}

/** Waits up to a second for `pid` to be gone; returns whether it is. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 20 && await running(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !await running(pid);
}

Deno.test("the reference compute_numbers scriptlet runs unchanged and its stats land in the context", async () => {
  const r = await run(PROJECT, "recipes/numbers.yaml");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.ctx_keys, ["numbers.stats_v1", "numbers.check_v1"]);
  const { data, history } = await r.out();
  assert.deepEqual(data["numbers.stats_v1"], { mean: 3, min: 1, max: 5, count: 5 });
  assert.deepEqual(
    history.map((h) => [h.key, h.who, h.step]),
    [
      ["numbers.stats_v1", "compute_numbers", "compute_numbers"],
      ["numbers.check_v1", "check_threshold", "check_threshold"],
    ],
  );
  // its logger and @track_resources write to stderr, which reaches the log under the step's name
  assert.match(r.stderr, /\[compute_numbers\] INFO .*read 5 numbers from data\/numbers\.csv/);
  assert.match(r.stderr, /\[compute_numbers\] \[resource\] duration_sec=\d/);
});

Deno.test("a python step reads what an earlier step wrote, and its other prints go to the log", async () => {
  const r = await run(PROJECT, "recipes/numbers.yaml");
  assert.equal(r.code, 0, r.stderr);
  const { data } = await r.out();
  assert.deepEqual(data["numbers.check_v1"], { mean: 3, limit: 10, passed: true });
  assert.match(r.stderr, /\[check_threshold\] mean is within the limit/);
  assert.doesNotMatch(r.stdout, /within the limit/);
});

Deno.test("a python step reads a key of the context the run starts from", async () => {
  const dir = await tempTree({
    "start.json": JSON.stringify({ "numbers.stats_v1": { mean: 42, count: 1 } }),
  });
  const r = await run(PROJECT, "recipes/check_only.yaml", ["--context", `${dir}/start.json`]);
  assert.equal(r.code, 0, r.stderr);
  const { data } = await r.out();
  assert.deepEqual(data["numbers.check_v1"], { mean: 42, limit: 100, passed: true });
});

Deno.test("a scriptlet that prints an error envelope and returns 1 fails with its own reason", async () => {
  const r = await run(PROJECT, "recipes/too_high.yaml");
  assertFailed(r, "check_threshold", /^mean 3 is above the limit 2$/);
  assert.deepEqual(r.json.ctx_keys, ["numbers.stats_v1"], "the failed step wrote nothing");
});

Deno.test("a scriptlet storing a datetime is refused with the key and the type named", async () => {
  const r = await run(PROJECT, "recipes/broken.yaml", ["--only", "stamp_time"]);
  assertFailed(r, "stamp_time", /"run\.started_v1".*datetime\.datetime.*not JSON-safe/);
  assert.deepEqual(r.json.ctx_keys, []);
});

Deno.test("a NaN write fails the step even when the scriptlet swallows the refusal", async () => {
  const r = await run(PROJECT, "recipes/broken.yaml", ["--only", "not_a_number"]);
  assertFailed(r, "not_a_number", /"numbers\.nan_v1".*nan.*no JSON form/);
});

Deno.test("run() raising fails with a one-line reason and the traceback on stderr", async () => {
  const r = await run(PROJECT, "recipes/broken.yaml", ["--only", "divide"]);
  assertFailed(r, "divide", /^Divide\.run\(\) raised ZeroDivisionError: division by zero$/);
  assert.match(r.stderr, /\[divide\] Traceback \(most recent call last\):/);
  assert.match(r.stderr, /\[divide\] +File ".*divide\.py", line 7, in _ratio/);
  assert.doesNotMatch(r.stdout, /Traceback/);
});

Deno.test("a module that does not exist fails with Python's message", async () => {
  const r = await run(PROJECT, "recipes/broken.yaml", ["--only", "missing_module"]);
  assertFailed(
    r,
    "missing_module",
    /cannot import python module ".*no_such_step": ModuleNotFoundError: No module named '.*no_such_step'/,
  );
});

Deno.test("a module whose own import fails names the missing dependency and shows where", async () => {
  const r = await run(PROJECT, "recipes/broken.yaml", ["--only", "broken_import"]);
  assertFailed(r, "broken_import", /No module named 'numbers_helpers_that_do_not_exist'/);
  assert.match(r.stderr, /\[broken_import\] +File ".*broken_import\.py", line 2, in <module>/);
});

Deno.test("a class the module does not define fails and lists the classes it has", async () => {
  const r = await run(PROJECT, "recipes/broken.yaml", ["--only", "missing_class"]);
  assertFailed(r, "missing_class", /has no class "ComputeNumber".*its classes: ComputeNumbers/);
});

for (
  const [step, reason] of [
    ["ok_but_one", /printed status "ok" but run\(\) returned exit code 1/],
    ["silent", /printed no JSON line on stdout/],
    ["two_lines", /printed 2 JSON lines on stdout; exactly one/],
    ["no_outputs", /needs "outputs"/],
    ["ghost_output", /lists outputs "numbers\.ghost_v1" that are not in the context/],
    ["half_json", /not JSON.*printed: "\{'status': 'ok'/],
  ] as const
) {
  Deno.test(`a scriptlet breaking the envelope contract fails: ${step}`, async () => {
    const r = await run(PROJECT, "recipes/broken.yaml", ["--only", step]);
    assertFailed(r, step, reason);
  });
}

Deno.test("a tree without its own orchestrator/context.py runs the same scriptlet", async () => {
  const r = await run(BARE, "recipes/numbers.yaml");
  assert.equal(r.code, 0, r.stderr);
  const { data } = await r.out();
  assert.deepEqual(data["numbers.stats_v1"], { mean: 3, min: 1, max: 5, count: 5 });
  assert.match(r.stderr, /\[compute_numbers\] \[resource\] duration_sec=\d/);
});

Deno.test("python steps of one run share a bridge process; isolate: true gets its own", async () => {
  const r = await run(PROJECT, "recipes/pids.yaml");
  assert.equal(r.code, 0, r.stderr);
  const { data } = await r.out();
  const [first, second, isolated] = ["first", "second", "isolated"].map((k) =>
    data[`bridge.${k}_v1`] as number
  );
  assert.equal(second, first);
  assert.notEqual(isolated, first);
  for (const pid of [first, isolated]) assert.ok(await gone(pid), `bridge ${pid} outlived the run`);
});

Deno.test("a scriptlet that kills its bridge fails, and the next step gets a fresh bridge", async () => {
  const r = await run(PROJECT, "recipes/crash.yaml", ["--keep-going"]);
  assertFailed(r, "crash", /the Python bridge died while running the step \(it exited with code 3/);
  assert.match(r.stderr, /\[crash\] about to crash/);
  const { data } = await r.out();
  assert.equal(typeof data["bridge.after_v1"], "number");
  assert.notEqual(data["bridge.after_v1"], data["bridge.before_v1"]);
});

Deno.test("a timed-out step's bridge and its child are killed, and the next step gets a fresh bridge", async () => {
  const dir = await tempTree();
  const pidFile = `${dir}/hang.pid`;
  const r = await run(PROJECT, "recipes/timeout.yaml", ["--keep-going"], {
    HANG_PID_FILE: pidFile,
  });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.step, "hang");
  assert.match(r.json.reason as string, /timed out after 1 s/);
  assert.deepEqual(r.json.steps, stepCounts({ ok: 1, timeout: 1 }));
  const [bridge, child] = (await Deno.readTextFile(pidFile)).split(" ").map(Number);
  assert.ok(await gone(bridge), "the timed-out bridge is gone");
  assert.ok(await gone(child), "the scriptlet's child process is gone");
  const { data } = await r.out();
  assert.equal(typeof data["bridge.after_v1"], "number");
  assert.notEqual(data["bridge.after_v1"], bridge);
});

Deno.test("without python3 on the PATH a python step fails saying so", async () => {
  const empty = await tempTree();
  const r = await run(PROJECT, "recipes/numbers.yaml", [], { PATH: empty });
  assertFailed(r, "compute_numbers", /python3 not found on PATH; install Python 3/);
});
