/**
 * Disk trouble under a run directory: a full file system (a 64 KiB tmpfs; needs root and
 * `mount`), a file size limit (`ulimit -f`, anywhere) and a read-only run directory (a tmpfs
 * remounted read-only as root, chmod otherwise). Each stops orch with exit 2 and a reason that
 * names the path and the cause; running steps are stopped (no process survives); the journal
 * still loads, and resume finishes the run once the disk is fixed.
 */
import assert from "node:assert/strict";
import { type CliRun, recipeOf, survivors, tempTree } from "../_helpers.ts";
import { commitsOf, records } from "../_journal.ts";
import { replayJournal } from "../../core/journal.ts";
import { CAN_MOUNT, FIX, isRoot, mountTmpfs, orchIn, sh, spawnOrch } from "./_faults.ts";

const BIG = 5;

/** A shell step that waits (unless `dir/go` exists) alongside a chain of steps writing 20 KiB. */
function recipe(dir: string): string {
  const steps = [
    {
      name: "waits",
      type: "shell",
      script: `${FIX}/waits.sh`,
      args: [`${dir}/pids`, `${dir}/go`],
      permissions: { run: ["waits.sh"] },
      depends_on: [],
    },
    ...Array.from({ length: BIG }, (_, i) => ({
      name: `big${i + 1}`,
      module: `${FIX}/big.ts`,
      function: "Big",
      // the first one waits until the shell step runs, so it is running when the disk fails
      args: { key: `disk.big${i + 1}_v1`, kb: 20, ...(i === 0 ? { wait_for: `${dir}/pids` } : {}) },
      depends_on: i === 0 ? [] : [`big${i}`],
    })),
  ];
  return recipeOf(steps, {
    testId: "F-DISK",
    tester: "t",
    description: "disk trouble",
    defaults: { parallel: true },
  });
}

async function setUp(): Promise<string> {
  const dir = await tempTree();
  await Deno.writeTextFile(`${dir}/r.yaml`, recipe(dir));
  return dir;
}

/** Asserts a run stopped by a failed journal write: reason, no survivor, a loadable journal. */
async function assertStopped(r: CliRun, dir: string, cause: RegExp): Promise<string> {
  assert.equal(r.code, 2, r.stderr);
  const id = /orch run --resume (\S+)/.exec(r.json.reason as string)?.[1];
  assert.ok(id, `the reason says how to resume: ${r.json.reason}`);
  const runDir = `${/to (\/\S+)\/journal\.jsonl/.exec(r.json.reason as string)?.[1]}`;
  assert.match(
    r.json.reason as string,
    new RegExp(
      `^cannot append to ${runDir}/journal\\.jsonl: ${cause.source}.*; the run stops here`,
    ),
  );
  assert.ok(runDir.endsWith(`/runs/${id}`), runDir);
  const pids = await _pids(dir);
  assert.equal(pids.length, 2, "the waiting step and its child were running");
  assert.deepEqual(await survivors(pids), [], "the waiting step was stopped");
  const text = await Deno.readTextFile(`${runDir}/journal.jsonl`);
  assert.ok(text.endsWith("\n"), "no torn record was left behind");
  const replayed = await replayJournal(runDir);
  assert.ok(replayed.committed.has("big1"), `committed: ${[...replayed.committed]}`);
  assert.ok(!replayed.committed.has(`big${BIG}`));
  return runDir;
}

/** Resumes once the disk is fixed: every step commits exactly once. */
async function assertResumes(dir: string, runDir: string, ...args: string[]) {
  await Deno.writeTextFile(`${dir}/go`, "");
  const resumed = await orchIn(dir, "run", "--resume", runDir, ...args);
  assert.equal(resumed.code, 0, resumed.stderr);
  const commits = commitsOf(await records(runDir));
  assert.deepEqual(
    commits.toSorted(),
    ["waits", ...Array.from({ length: BIG }, (_, i) => `big${i + 1}`)].sort(),
  );
}

Deno.test({
  name: "a full file system stops the run naming the journal and 'no space'; resume finishes it",
  ignore: !CAN_MOUNT,
  fn: async () => {
    const dir = await setUp();
    const mnt = `${dir}/mnt`;
    assert.ok(await mountTmpfs(mnt, "64k"));
    try {
      const state = ["--state-dir", `${mnt}/state`];
      const r = await orchIn(dir, "run", "r.yaml", "--concurrency", "4", ...state);
      const runDir = await assertStopped(r, dir, /no space left on the device/);
      const show = await orchIn(dir, "show", runDir);
      assert.equal(show.code, 0, show.stderr);
      assert.ok(await sh("mount", "-o", "remount,size=2m", mnt));
      await assertResumes(dir, runDir, ...state);
    } finally {
      await sh("umount", "-l", mnt);
    }
  },
});

Deno.test("a file size limit (ulimit -f) stops the run the same way; resume finishes it", async () => {
  const dir = await setUp();
  // SIGXFSZ ignored (it stays ignored across exec): a write past the limit fails with EFBIG
  const limited = ["/bin/sh", "-c", 'trap "" XFSZ; ulimit -f 60; exec "$@"', "sh"];
  const child = spawnOrch(dir, ["run", "r.yaml", "--concurrency", "4"], limited);
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const r = {
    code: out.code,
    stdout,
    stderr: new TextDecoder().decode(out.stderr),
    json: JSON.parse(stdout),
  };
  const runDir = await assertStopped(
    r,
    dir,
    /the file would exceed this process's file size limit/,
  );
  await assertResumes(dir, runDir);
});

Deno.test("a read-only run directory: run and resume exit 2 naming it, show still loads the journal", async (t) => {
  const root = await isRoot();
  if (root && !CAN_MOUNT) {
    return void t.step({ name: "needs mount as root", ignore: true, fn() {} });
  }
  const dir = await setUp();
  await Deno.writeTextFile(`${dir}/go`, "");
  const mnt = `${dir}/mnt`;
  if (root) assert.ok(await mountTmpfs(mnt, "1m"));
  try {
    const state = ["--state-dir", `${mnt}/state`];
    const first = await orchIn(dir, "run", "r.yaml", ...state);
    assert.equal(first.code, 0, first.stderr);
    const runDir = first.json.run_dir as string;
    if (root) assert.ok(await sh("mount", "-o", "remount,ro", mnt));
    else for (const d of [`${mnt}/state/runs`, runDir]) await Deno.chmod(d, 0o555);
    const cause = root ? "the file system is read-only" : "permission denied";
    const again = await orchIn(dir, "run", "r.yaml", ...state);
    assert.equal(again.code, 2, again.stderr);
    assert.match(
      again.json.reason as string,
      new RegExp(`^cannot write to the run directory ${mnt}/state/runs/\\S+: ${cause}`),
    );
    const resumed = await orchIn(dir, "run", "--resume", runDir, ...state);
    assert.equal(resumed.code, 2, resumed.stderr);
    assert.match(
      resumed.json.reason as string,
      new RegExp(`^cannot write to the run directory ${runDir}: ${cause}.*--state-dir`),
    );
    const show = await orchIn(dir, "show", runDir);
    assert.equal(show.code, 0, show.stderr);
    assert.equal((show.json.run as { status: string }).status, "ok");
    assert.equal(Object.keys((show.json.context as { data: object }).data).length, BIG);
  } finally {
    if (root) await sh("umount", "-l", mnt);
    else {
      for await (const e of Deno.readDir(`${mnt}/state/runs`)) {
        await Deno.chmod(`${mnt}/state/runs/${e.name}`, 0o755).catch(() => {});
      }
      await Deno.chmod(`${mnt}/state/runs`, 0o755).catch(() => {});
    }
  }
});

async function _pids(dir: string): Promise<number[]> {
  const text = await Deno.readTextFile(`${dir}/pids`).catch(() => "");
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}
