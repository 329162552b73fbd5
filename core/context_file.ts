/**
 * @module
 * Reads and writes context files (`--context`, `--context-out`). Writes are atomic: a temp file
 * in the same directory, then a rename, so a crash never leaves a half-written context.
 */
import { Context, type WarningSink } from "./context.ts";
import { ContextError, UsageError } from "./errors.ts";

/** Loads a context file written by `--context-out` or by hand (`{"key": value}`). */
export async function readContextFile(path: string, onWarning?: WarningSink): Promise<Context> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "file not found" : String(err);
    throw new UsageError(`cannot read context file ${path}: ${why}`, "check the --context path");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `context file ${path} is not valid JSON: ${(err as Error).message}`,
      "fix the file or write it with --context-out",
    );
  }
  try {
    return Context.fromJSON(json, { onWarning });
  } catch (err) {
    if (err instanceof ContextError) {
      throw new UsageError(`context file ${path}: ${err.message}`, err.hint);
    }
    throw err;
  }
}

/** Writes a context as JSON atomically (temp file + rename). */
export async function writeContextFile(path: string, ctx: Context): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(ctx.toJSON(), null, 2) + "\n");
}

/**
 * Writes text to `path` via a temp file in the same directory and a rename, creating the
 * directory (mkdir -p) when it is missing. A failure is a UsageError "cannot write WHAT: why";
 * `what` defaults to the path.
 */
export async function writeFileAtomic(path: string, text: string, what = path): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash) || "/" : ".";
  const tmp = `${dir}/.${path.slice(slash + 1)}.${crypto.randomUUID()}.tmp`;
  try {
    // sync: Deno.writeTextFile first loads Deno's web streams (about 2 ms) to check whether it
    // was given a stream, and each async call costs more than the small write itself
    try {
      Deno.writeTextFileSync(tmp, text);
    } catch (err) {
      // the directory is created only when missing: no extra call on the usual path
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      Deno.mkdirSync(dir, { recursive: true });
      Deno.writeTextFileSync(tmp, text);
    }
    Deno.renameSync(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new UsageError(`cannot write ${what}: ${(err as Error).message}`);
  }
}
