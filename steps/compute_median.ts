/**
 * @module
 * Built-in step: reads a numbers file (same rules as compute_numbers) and writes
 * `numbers.median_v1` with the median and the count.
 */
import { z } from "zod";
import type { ContextView } from "../core/context.ts";
import type { Envelope } from "../core/envelope.ts";
import { BaseScriptlet, standalone } from "../core/scriptlet.ts";
import { readNumbers } from "./_numbers.ts";

const Params = z.strictObject({
  /** Path of the numbers file, relative to the run's base directory. */
  src: z.string().min(1),
});
type Params = z.infer<typeof Params>;

/** Computes the median of a numbers file (the mean of the two middle values for an even count). */
export class ComputeMedian extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "median and count of a numbers file";

  override async run(ctx: ContextView, params: Params): Promise<Envelope> {
    const numbers = await readNumbers(this.path(params.src));
    ctx.set("numbers.median_v1", {
      median: median(numbers),
      count: numbers.length,
    }, { who: "compute_median" });
    return this.ok(["numbers.median_v1"]);
  }
}

/** The median of a non-empty list; halves before adding so two huge values cannot overflow. */
export function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : sorted[mid - 1] / 2 + sorted[mid] / 2;
}

standalone(ComputeMedian, import.meta);
