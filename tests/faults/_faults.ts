/**
 * @module
 * Helpers of the fault tests: orch as a child process with run directories under `dir/state`,
 * the journal's records, whether processes survive, and small tmpfs mounts (root only).
 */
import { type CliRun, orch, REPO } from "../_helpers.ts";
import type { JournalRecord } from "../../core/journal.ts";

/** Fixtures of the fault tests. */
export const FIX = `${REPO}/tests/fixtures/faults`;
/** The journal tests' `Put` step: key = value + the sum of the `from` keys, after `ms`. */
export const PUT = `${REPO}/tests/fixtures/journal/put.ts`;
const ALLOW = ["--allow-module", FIX, "--allow-module", `${REPO}/tests/fixtures/journal`];

/** Runs orch to its end in `dir`, run directories under `dir/state` unless `--state-dir`. */
export function orchIn(dir: string, ...args: string[]): Promise<CliRun> {
  return orch([...args, ...ALLOW], { cwd: dir, env: { ORCH_HOME: `${dir}/state` } });
}

/** Starts orch in `dir` (run directories under `dir/state`) without waiting for it. */
export function spawnOrch(dir: string, args: string[], prefix: string[] = []): Deno.ChildProcess {
  const deno = [Deno.execPath(), "run", "-q", "--config", `${REPO}/deno.json`, "-P=orch"];
  const argv = [...prefix, ...deno, `${REPO}/main.ts`, ...args, ...ALLOW];
  return new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: dir,
    env: {
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      ORCH_HOME: `${dir}/state`,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** The records of a run directory's journal. */
export async function records(runDir: string): Promise<JournalRecord[]> {
  const text = await Deno.readTextFile(`${runDir}/journal.jsonl`).catch(() => "");
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

/** The steps with a step-commit record, in journal order. */
export function commitsOf(recs: JournalRecord[]): string[] {
  return recs.filter((r) => r.kind === "step-commit").map((r) => r.step);
}

/** The only run directory under `state`, or undefined before orch made one. */
export async function onlyRun(state: string): Promise<string | undefined> {
  const ids = await Array.fromAsync(Deno.readDir(`${state}/runs`)).catch(() => []);
  return ids.length === 1 ? `${state}/runs/${ids[0].name}` : undefined;
}

/** True while `pid` runs (a zombie has exited). `ps`: Deno reads /proc only with -A. */
export async function running(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  return out.success && !new TextDecoder().decode(out.stdout).trim().startsWith("Z");
}

/** Waits up to `ms` for every pid to stop; returns those still running. */
export async function survivors(pids: number[], ms = 2_000): Promise<number[]> {
  const until = Date.now() + ms;
  while (true) {
    const left = [];
    for (const pid of pids) if (await running(pid)) left.push(pid);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a command; true when it exits 0. */
export async function sh(cmd: string, ...args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** True when this process runs as root (chmod does not stop root). */
export async function isRoot(): Promise<boolean> {
  const out = await new Deno.Command("id", { args: ["-u"] }).output();
  return new TextDecoder().decode(out.stdout).trim() === "0";
}

/** Mounts a tmpfs of `size` on `dir`; returns false when this system does not allow it. */
export async function mountTmpfs(dir: string, size: string): Promise<boolean> {
  await Deno.mkdir(dir, { recursive: true });
  return (await isRoot()) && await sh("mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir);
}

/** Whether tmpfs mounts work here (root in a container that allows mount). */
export const CAN_MOUNT: boolean = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "orch_mount_probe_" });
  const ok = await mountTmpfs(dir, "16k");
  if (ok) await sh("umount", dir);
  await Deno.remove(dir);
  return ok;
})();
