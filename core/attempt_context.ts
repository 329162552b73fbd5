/**
 * @module
 * What of the run's context an attempt is handed, without copying the whole context per step:
 * a reader (pooled Workers take the writes their replica lacks, inline steps read in place) and a
 * snapshot computed only if an executor asks for it (shell and python steps). Does not decide
 * when steps run or commit.
 */
import type { Context, JsonValue } from "./context.ts";
import type { StepAttempt } from "./executors/executor.ts";

/**
 * The attempt with `context` (read without copying) and a `snapshot` computed on first read.
 * Do not spread the result: spreading reads the snapshot.
 */
export function withContext(
  attempt: Omit<StepAttempt, "snapshot" | "context">,
  context: Context,
): StepAttempt {
  let snapshot: Record<string, JsonValue> | undefined;
  return {
    ...attempt,
    context,
    get snapshot() {
      return snapshot ??= context.snapshot();
    },
  };
}

/** The values of only `keys` (those present), e.g. the `inputs.ctx` a fingerprint covers. */
export function pickKeys(context: Context, keys: readonly string[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of keys) {
    const value = context.get(key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
