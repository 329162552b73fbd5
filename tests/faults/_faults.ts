/**
 * @module
 * Helpers of the fault tests: orch as a child process with run directories under `dir/state`,
 * shell commands, and small tmpfs mounts (root only). Journal and process helpers are shared
 * with the other tests (`../_journal.ts`, `../_helpers.ts`).
 */
import { type CliRun, orch, orchCommand, REPO } from "../_helpers.ts";

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
  return orchCommand([...args, ...ALLOW], { cwd: dir, env: { ORCH_HOME: `${dir}/state` }, prefix })
    .spawn();
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
