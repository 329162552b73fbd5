/**
 * @module
 * Built-in step: reads `numbers.stats_v1` (written by compute_numbers) from the context and
 * writes `numbers.range_v1` with min, max and range. Reads no files.
 */
import { z } from "zod";
import type { ContextView } from "../core/context.ts";
import type { Envelope } from "../core/envelope.ts";
import { BaseScriptlet, standalone } from "../core/scriptlet.ts";
import { finiteField } from "./_numbers.ts";

const Params = z.strictObject({});
type Params = z.infer<typeof Params>;

const INPUT = "numbers.stats_v1";

/** Computes the range (max - min) from compute_numbers' statistics. */
export class ComputeRange extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "min, max and range from numbers.stats_v1";

  override validate(ctx: ContextView): void {
    if (!ctx.has(INPUT)) {
      throw new Error(
        `context key "${INPUT}" is missing; run compute_numbers (steps/compute_numbers.ts) ` +
          `before compute_range`,
      );
    }
  }

  override run(ctx: ContextView): Envelope {
    const stats = ctx.get(INPUT);
    const min = finiteField(stats, "min", INPUT);
    const max = finiteField(stats, "max", INPUT);
    const range = max - min;
    if (!Number.isFinite(range)) {
      return this.fail(`range of ${INPUT} (max ${max} - min ${min}) overflows to infinity`);
    }
    ctx.set("numbers.range_v1", { min, max, range }, { who: "compute_range" });
    return this.ok(["numbers.range_v1"]);
  }
}

standalone(ComputeRange, import.meta);
