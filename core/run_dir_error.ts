/**
 * @module
 * File-system failures of a run directory (a read-only or full disk, a file size limit, missing
 * rights) as errors that name the path, say the cause in words and what to do. The journal
 * raises them; this module does no I/O.
 */
import { ExitCode, OrchError } from "./errors.ts";

/** The run directory could not be created or written (exit code 2). */
export class RunDirError extends OrchError {
  /** The errno code from the file system (`EROFS`, `ENOSPC`...), when there was one. */
  readonly code?: string;

  /** Creates the error; `code` is the errno name of the cause. */
  constructor(message: string, options: { code?: string; hint?: string } = {}) {
    super(message, { exitCode: ExitCode.invalid, hint: options.hint });
    this.code = options.code;
  }
}

const CAUSES: Record<string, string> = {
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is exceeded",
  EFBIG: "the file would exceed this process's file size limit (ulimit -f)",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of the path is a file, not a directory",
};

/** Linux errno numbers of the causes above, for errors that carry only `(os error N)`. */
const ERRNO: Record<string, string> = {
  "1": "EPERM",
  "13": "EACCES",
  "20": "ENOTDIR",
  "27": "EFBIG",
  "28": "ENOSPC",
  "30": "EROFS",
  "122": "EDQUOT",
};

/**
 * Describes `err`, raised while trying to `action` (e.g. "create the run directory") at `path`,
 * as a RunDirError with `hint`. An OrchError (a held lock...) is returned unchanged.
 */
export function runDirError(err: unknown, action: string, path: string, hint: string): OrchError {
  if (err instanceof OrchError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown })?.code ??
    ERRNO[/\(os error (\d+)\)/.exec(raw)?.[1] ?? ""];
  const known = typeof code === "string" ? CAUSES[code] : undefined;
  const cause = known ? `${known} (${raw})` : raw;
  return new RunDirError(`cannot ${action} ${path}: ${cause}`, {
    code: typeof code === "string" ? code : undefined,
    hint,
  });
}
