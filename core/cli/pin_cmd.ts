/**
 * @module
 * `orch pin [-o FILE]`: writes the lock file (`orch.lock.json` in the current directory by
 * default) with the sha256 of every step file under the allowed module roots (see core/pin.ts),
 * atomically (temp file, then rename). Checking pins is planning's job, not this command's.
 */
import { dirname, resolve } from "node:path";
import { writeFileAtomic } from "../context_file.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { getLogger } from "../log.ts";
import { formatLock, LOCK_FILE, pinModules } from "../pin.ts";
import { type CliOutcome, parseFlags, recipeOptions } from "./flags.ts";

/** `orch pin`: pins the step modules and prints where the lock went and how much it holds. */
export async function cmdPin(args: string[]): Promise<CliOutcome> {
  const { values, positionals } = parseFlags(args, { out: { type: "string", short: "o" } });
  if (positionals.length > 0) {
    throw new UsageError(
      `orch pin takes no arguments, got "${positionals.join(" ")}"`,
      "orch pin [--allow-module DIR]... [-o FILE]",
    );
  }
  const { baseDir, allowModules } = recipeOptions(values);
  const file = resolve(baseDir, (values.out as string | undefined) ?? LOCK_FILE);
  const lock = await pinModules(allowModules, dirname(file));
  await writeFileAtomic(file, formatLock(lock), `the lock file "${file}"`);
  const builtin = Object.keys(lock.builtin).length;
  const modules = Object.keys(lock.modules).length;
  getLogger("orch").info(`pinned ${builtin} built-in and ${modules} other step file(s) in ${file}`);
  return { json: { status: "ok", lock: file, builtin, modules }, exitCode: ExitCode.ok };
}
