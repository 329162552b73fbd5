/**
 * @module
 * The `ORCH_CONTEXT` files of shell steps: one read-only temp file per context version, shared
 * by every shell step that starts while the context is at that version, and removed once no
 * running step uses it and the context has moved on (or the run ends). A chain or fan-out of
 * shell steps that write nothing to the context then writes the file once, not once per step.
 * An attempt with no versioned context (a plain snapshot) gets a file of its own.
 */
import type { ContextReader, JsonValue } from "../context.ts";

interface _File {
  owner?: ContextReader;
  version: number;
  path: Promise<string>;
  users: number;
}

/** A context file in use by one attempt; call `release()` when the attempt ends. */
export interface ContextFile {
  path: string;
  release(): Promise<void>;
}

/** The context files of one executor. */
export class ContextFiles {
  #current?: _File;

  /** The file holding the attempt's context, written if no current file matches. */
  async acquire(
    context: ContextReader | undefined,
    snapshot: () => Record<string, JsonValue>,
  ): Promise<ContextFile> {
    const shared = context !== undefined && context.version >= 0;
    let file = this.#current;
    let stale: _File | undefined;
    if (!shared || !file || file.owner !== context || file.version !== context.version) {
      file = {
        owner: context,
        version: context?.version ?? -1,
        path: _write(snapshot()),
        users: 0,
      };
      if (shared) [stale, this.#current] = [this.#current, file];
    }
    file.users++; // before any await, so no other attempt removes it meanwhile
    if (stale && stale.users === 0) await _remove(stale);
    const path = await file.path;
    return { path, release: () => this.#release(file) };
  }

  /** Removes the current file (when the run ends). */
  async close(): Promise<void> {
    const file = this.#current;
    this.#current = undefined;
    if (file && file.users === 0) await _remove(file);
  }

  async #release(file: _File): Promise<void> {
    file.users--;
    if (file.users === 0 && file !== this.#current) await _remove(file);
  }
}

async function _write(data: Record<string, JsonValue>): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "orch_ctx_", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(data));
  await Deno.chmod(path, 0o400).catch(() => {}); // steps share it: read-only
  return path;
}

async function _remove(file: _File): Promise<void> {
  await Deno.remove(await file.path.catch(() => "")).catch(() => {});
}
