/**
 * @module
 * The lock of a run directory: a `lock` file created exclusively, holding the writer's pid. A
 * lock whose process is gone (a crashed run) is taken over. Does not release it: the journal
 * removes the file when the run ends.
 */
import { UsageError } from "./errors.ts";

/**
 * Takes `dir/lock` (holding this pid), taking over a lock whose process is gone. Throws UsageError
 * while a live process holds it.
 */
export async function takeLock(dir: string): Promise<void> {
  const path = `${dir}/lock`;
  for (let tries = 0; tries < 3; tries++) {
    try {
      // sync: three small calls at the start of every run; async ones cost ~10x more each
      Deno.writeTextFileSync(path, `${Deno.pid}\n`, { createNew: true });
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    const holder = await lockHolder(dir);
    if (holder !== undefined) {
      throw new UsageError(
        `run directory ${dir} is locked by process ${holder}, which is still running`,
        `wait for it to end; if it is not an orch run, remove ${path}`,
      );
    }
    await Deno.remove(path).catch(() => {});
  }
  throw new UsageError(`cannot take the lock ${path}: another run keeps taking it`);
}

/**
 * The live pid holding `dir/lock` (-1 while the lock is being written), or undefined when no live
 * process holds it (no lock, or a stale one).
 */
export async function lockHolder(dir: string): Promise<number | undefined> {
  const path = `${dir}/lock`;
  const text = await Deno.readTextFile(path).catch(() => "");
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    // being written right now, or left empty by a crash: stale once it is a few seconds old
    const mtime = (await Deno.stat(path).catch(() => undefined))?.mtime?.getTime() ?? 0;
    return Date.now() - mtime < 3_000 ? -1 : undefined;
  }
  return pidAlive(pid) ? pid : undefined;
}

/**
 * True when process `pid` exists. Deno cannot read /proc without --allow-all and has no signal 0,
 * so this sends SIGURG, which every process ignores unless it asks for it; ESRCH means gone.
 */
export function pidAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    Deno.kill(pid, "SIGURG");
    return true;
  } catch (err) {
    return !(err instanceof Deno.errors.NotFound); // EPERM: alive, owned by someone else
  }
}
