/**
 * Sandbox escapes: TS steps granted nothing beyond the defaults (read access to the working
 * directory) try every way out we know of, in one real recipe run through the CLI. orch itself
 * runs with every permission (`-A`), so only the step Worker's narrowing stands in the way.
 * Each attempt must fail as a permission failure of its own step, and its effect must not
 * happen. The attempts orch refuses when planning (a module importing from outside the allowed
 * roots, a symlink leading out of the grant) each run as a recipe of their own, which must be
 * refused with exit 2 and an error naming that step. The known limits (README "Safety and limits") are asserted as they are, so a change
 * in Deno or orch that closes or widens them shows up here. Prints one line per attempt.
 */
import assert from "node:assert/strict";
import type { JournalRecord } from "../../core/journal.ts";
import { type CliRun, orch, recipeOf, REPO, stepCounts, tempTree } from "../_helpers.ts";
import { records } from "../_journal.ts";
import { type Attempt, attempts, OUTSIDE } from "./_attempts.ts";

const STEPS = `${REPO}/tests/fixtures/security/steps`;

const work = await tempTree({
  "data/kept.txt": "kept",
  "imports_passwd.ts": 'export default await Deno.readTextFile("/etc/passwd");\n',
  "embeds_outside.ts": `import s from "${OUTSIDE}/secret.json" with { type: "json" };\n` +
    "export default s;\n",
});
const other = await tempTree({ "secret.txt": "a sibling directory's file" });

const ATTEMPTS = attempts(work, other);
/** The attempts of the one big run; the others are refused when planning. */
const AT_RUN = ATTEMPTS.filter((a) => !a.plan);
const KNOWN_LIMITS = new Set(ATTEMPTS.filter((a) => !a.denied).map((a) => a.name));

function recipe(list: Attempt[]): string {
  const steps = list.map((a) => {
    const [file, cls] = a.module ?? ["attempt.ts", "Attempt"];
    const args = a.module ? {} : { attempt: a.attempt, target: a.target };
    const module = `${STEPS}/${file}`;
    return { name: a.name, module, function: cls, args, depends_on: [], parallel: true };
  });
  return recipeOf(steps, { testId: "SEC-1", tester: "t", description: "sandbox escapes" });
}

/** orch run of the attempts that get as far as running, in `work`. */
async function runAll(): Promise<CliRun & { records: JournalRecord[] }> {
  const run = await orchRun(work, AT_RUN);
  return { ...run, records: await records(run.json.run_dir as string) };
}

/** orch run of a recipe of `list`, with every Deno permission, in `cwd`. */
async function orchRun(cwd: string, list: Attempt[]): Promise<CliRun> {
  await Deno.writeTextFile(`${cwd}/r.yaml`, recipe(list));
  const run = await orch(["run", "r.yaml", "--keep-going", "--allow-module", STEPS], {
    cwd,
    denoFlags: ["-A"],
  });
  assert.doesNotThrow(() => run.json, `one JSON line:\n${run.stdout}${run.stderr}`);
  return run;
}

/** A planning-stage attempt run alone in a fresh cwd (holding its link, if any). */
async function planned(a: Attempt): Promise<{ status: string; reason?: string }> {
  const cwd = await tempTree({ "data/kept.txt": "kept" });
  if (a.link) await Deno.symlink("/etc/passwd", `${cwd}/${a.link}`);
  const r = await orchRun(cwd, [a]);
  if (r.code !== 2) return { status: `exit ${r.code}`, reason: r.stderr };
  const errors = r.json.errors as { step?: string; message: string }[];
  assert.deepEqual(errors.map((e) => e.step), errors.map(() => a.name), "only its own errors");
  assert.equal(r.json.run_dir, undefined, "no run started");
  const reason = errors.find((e) => a.denied?.test(e.message))?.message ?? errors[0]?.message;
  return { status: "refused", reason };
}

let ran: ReturnType<typeof runAll> | undefined;
const result = () => ran ??= runAll();

/** How one step ended: its status and reason (from its journal record), or ok. */
async function outcome(step: string): Promise<{ status: string; reason?: string }> {
  const a = ATTEMPTS.find((a) => a.name === step)!;
  if (a.plan) return await planned(a);
  const { records } = await result();
  const end = records.find((r) => r.kind === "step-end" && r.step === step);
  if (end?.kind === "step-end") {
    const e = end.envelope;
    return { status: end.status, reason: e.status === "error" ? e.reason : undefined };
  }
  const commit = records.some((r) => r.kind === "step-commit" && r.step === step);
  return { status: commit ? "ok (escaped)" : "missing" };
}

Deno.test("the escape run exits 1, every attempt but the known limits failed, none was cancelled", async () => {
  const r = await result();
  assert.equal(r.code, 1, r.stderr);
  const failed = AT_RUN.filter((a) => a.denied).map((a) => a.name);
  assert.deepEqual([...(r.json.failed_steps as string[])].sort(), failed.sort());
  assert.deepEqual(r.json.steps, stepCounts({ ok: KNOWN_LIMITS.size, failed: failed.length }));
  for (const name of failed) {
    assert.match(r.stderr, new RegExp(`step "${name}" failed: .*denied`), `stderr names ${name}`);
  }
});

for (const a of ATTEMPTS) {
  const known = !a.denied;
  Deno.test(
    known
      ? `known limit: a step can ${a.what}`
      : `a step with the default grant cannot ${a.what}: a permission failure of that step`,
    async () => {
      const got = await outcome(a.name);
      console.log(
        `escape attempt ${a.name.padEnd(20)} ${a.what.padEnd(72)} -> ${got.status}` +
          (got.reason ? `: ${got.reason}` : ""),
      );
      if (known) return assert.equal(got.status, "ok (escaped)");
      assert.equal(got.status, a.plan ? "refused" : "failed", got.reason);
      assert.match(got.reason!, a.denied!);
      assert.doesNotMatch(got.reason!, /\n\s+at /, "no stack trace");
    },
  );
}

Deno.test("no denied attempt had its effect: nothing written, spawned, deleted or set", async () => {
  await result();
  for (const gone of ["written.txt", "made_dir", "made_link", "escaped"]) {
    await assert.rejects(() => Deno.lstat(`${work}/${gone}`), Deno.errors.NotFound, gone);
  }
  await assert.rejects(() => Deno.lstat(`${other}/written.txt`), Deno.errors.NotFound);
  assert.equal(await Deno.readTextFile(`${work}/data/kept.txt`), "kept");
  const { json } = await result();
  const ctx = JSON.parse(await Deno.readTextFile(`${json.run_dir}/context.json`));
  const writers = ctx.history.map((h: { step: string }) => h.step).sort();
  assert.deepEqual(writers, [...KNOWN_LIMITS].sort(), "only the known limits wrote a key");
});
