/**
 * @module
 * Runs the bad-input catalogue (cases.ts) through the real CLI, two subprocesses at a time, and
 * holds every case to the same rules: the documented exit code, exactly one JSON line on stdout
 * with the expected reason, no stack trace on stdout, no crash, and for `orch run` a run
 * directory that agrees with the result (or none at all when the recipe was refused).
 */
import assert from "node:assert/strict";
import { coverageEnv, orchCommand, tempTree } from "../_helpers.ts";
import { replayJournal } from "../../core/journal.ts";
import { type BadCase, CASES } from "./cases.ts";

/** What one case's subprocess did. */
interface Outcome {
  dir: string;
  state: string;
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A stack frame line, raw or JSON-escaped, e.g. `\n    at run (file:///x.ts:3:9)`. */
const STACK_FRAME = /(?:^|\n|\\n)[ \t]+at \S/;
/** Signs of a crash rather than a handled error. */
const CRASH = /error: Uncaught|internal error|panicked at/;
/**
 * Deno itself prints this on stderr when a step module fails to load in a Worker, whatever the
 * host does with the error event; it is allowed only when orch refused the recipe (exit 2).
 */
const LOAD_ERROR = /^error: Uncaught \(in worker ""\) .*$/gm;
const HARD_LIMIT_MS = 60_000;

async function runCase(c: BadCase): Promise<Outcome> {
  const dir = await tempTree(c.files ?? {});
  for (const [path, target] of Object.entries(c.links ?? {})) {
    await Deno.symlink(target, `${dir}/${path}`);
  }
  const state = `${dir}/.state`;
  const child = orchCommand(c.argv, {
    cwd: dir,
    env: { ORCH_HOME: state, ...coverageEnv(), ...c.env },
  }).spawn();
  const started = performance.now();
  const killer = setTimeout(() => child.kill("SIGKILL"), HARD_LIMIT_MS);
  const [stdout, stderr, status] = await Promise.all([
    new Response(child.stdout).text(),
    _readStderr(child, c.stop),
    child.status,
  ]);
  clearTimeout(killer);
  return { dir, state, code: status.code, stdout, stderr, ms: performance.now() - started };
}

/** Reads stderr to the end, sending the case's signal once stderr matches its trigger. */
async function _readStderr(child: Deno.ChildProcess, stop: BadCase["stop"]): Promise<string> {
  let text = "";
  let sent = false;
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    text += decoder.decode(chunk, { stream: true });
    if (stop && !sent && stop.when.test(text)) {
      sent = true;
      child.kill(stop.signal);
    }
  }
  return text;
}

/**
 * Case `i`'s outcome. Starts case `i` and the case after it, so while one test checks its
 * results the next case already runs: two subprocesses at a time, and a filtered run
 * (`--filter`) starts at most one case it does not need per case it runs.
 */
const outcomes = new Map<number, Promise<Outcome>>();
function outcomeOf(i: number): Promise<Outcome> {
  for (const k of [i, i + 1]) {
    if (k >= CASES.length || outcomes.has(k)) continue;
    const started = runCase(CASES[k]);
    started.catch(() => {}); // a prefetched case nobody awaits must not fail the module
    outcomes.set(k, started);
  }
  return outcomes.get(i)!;
}

function checkOutput(c: BadCase, r: Outcome): Record<string, unknown> {
  const shown = `stdout: ${r.stdout.slice(0, 2000)}\nstderr tail: ${r.stderr.slice(-2000)}`;
  assert.equal(r.code, c.code, `exit code\n${shown}`);
  assert.ok(
    r.stdout.endsWith("\n") && r.stdout.indexOf("\n") === r.stdout.length - 1,
    `stdout is not exactly one line\n${shown}`,
  );
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    assert.fail(`stdout is not JSON\n${shown}`);
  }
  assert.ok(json !== null && typeof json === "object" && !Array.isArray(json), shown);
  assert.doesNotMatch(r.stdout, STACK_FRAME, "a stack trace reached stdout");
  const stderr = c.code === 2 ? r.stderr.replace(LOAD_ERROR, "") : r.stderr;
  assert.doesNotMatch(r.stdout + stderr, CRASH, `orch crashed\n${shown}`);
  if (typeof c.stderr === "string") assert.ok(r.stderr.includes(c.stderr), shown);
  else if (c.stderr) assert.match(r.stderr, c.stderr, shown);
  if (c.withinMs !== undefined) assert.ok(r.ms < c.withinMs, `took ${Math.round(r.ms)} ms`);
  if (c.code === 0) {
    assert.equal(json.status, "ok", shown);
    return json;
  }
  assert.equal(json.status, "error", shown);
  assert.equal(json.exit_code, c.code, shown);
  assert.ok(!String(json.reason).includes("\n"), `the reason is not one line: ${json.reason}`);
  // the reason summarises the first issue; later ones are in `errors`
  const issues = (json.errors as { message: string }[] | undefined) ?? [];
  const reason = [json.reason, ...issues.map((i) => i.message)].join("\n");
  if (typeof c.reason === "string") assert.ok(reason.includes(c.reason), `reason: ${reason}`);
  else assert.match(reason, c.reason);
  if (c.step !== undefined) assert.equal(json.step, c.step, shown);
  return json;
}

function checkWhere(c: BadCase, json: Record<string, unknown>): void {
  const errors = json.errors as Record<string, unknown>[] | undefined;
  if (c.issues !== undefined) assert.equal(errors?.length, c.issues, JSON.stringify(errors));
  if (!c.at) return;
  assert.ok(errors && errors.length > 0, `no errors list: ${JSON.stringify(json)}`);
  const first = errors[0];
  if (c.at.line !== undefined) assert.equal(first.line, c.at.line, JSON.stringify(first));
  if (c.at.col !== undefined) assert.equal(first.col, c.at.col, JSON.stringify(first));
  if (c.at.path !== undefined) assert.equal(first.path, c.at.path, JSON.stringify(first));
}

async function runDirs(state: string): Promise<string[]> {
  const dirs: string[] = [];
  try {
    for await (const e of Deno.readDir(`${state}/runs`)) dirs.push(`${state}/runs/${e.name}`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return dirs;
}

async function checkRunDir(c: BadCase, r: Outcome, json: Record<string, unknown>): Promise<void> {
  if (c.argv[0] !== "run") return;
  const dirs = await runDirs(r.state);
  if (!c.run) {
    assert.deepEqual(dirs, [], "a refused run left a run directory behind");
    return;
  }
  assert.deepEqual(dirs, [json.run_dir], "exactly the run directory the result names");
  const dir = json.run_dir as string;
  await assert.rejects(Deno.stat(`${dir}/lock`), Deno.errors.NotFound, "lock left behind");
  const summary = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
  assert.equal(summary.status, c.run.status, "run.json status");
  const replayed = await replayJournal(dir);
  const last = replayed.records.at(-1)!;
  assert.equal(last.kind, "run-end", "the journal ends with run-end");
  assert.equal(last.kind === "run-end" && last.status, c.run.status, "run-end status");
  if (c.step) {
    assert.ok(!replayed.committed.has(c.step), `${c.step} has a step-commit record`);
    const ended = replayed.records.some((r) => r.kind === "step-end" && r.step === c.step);
    assert.ok(ended, `no step-end record for ${c.step}`);
  }
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/context.json`));
  const keys = {
    "context.json": Object.keys(saved.data),
    "journal replay": replayed.context.keys(),
    "ctx_keys": json.ctx_keys as string[],
  };
  assert.deepEqual(replayed.context.toJSON().data, saved.data, "journal and context.json differ");
  if (c.run.status !== "ok") assert.equal(json.resume, `orch run --resume ${json.run_id}`);
  for (const [where, list] of Object.entries(keys)) {
    for (const k of c.run.has ?? []) assert.ok(list.includes(k), `${k} missing from ${where}`);
    for (const k of c.run.lacks ?? []) assert.ok(!list.includes(k), `${k} in ${where}`);
  }
}

Deno.test("the bad-input catalogue holds at least 60 cases with distinct names", () => {
  assert.ok(CASES.length >= 60, `${CASES.length} cases`);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, "duplicate case names");
});

for (const [i, c] of CASES.entries()) {
  Deno.test({
    name: `bad input: ${c.name}`,
    // the cases run ahead in a shared pool: ops started for the next case outlive this test
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const r = await outcomeOf(i);
      const json = checkOutput(c, r);
      checkWhere(c, json);
      await checkRunDir(c, r, json);
    },
  });
}
