/**
 * @module
 * Built-in step of the fan-in example: reads `numbers.normalized_v1` (normalize_numbers) and
 * writes `numbers.fan_median_v1`, `{median, count}` (the shape of compute_median's
 * `numbers.median_v1`, under its own key so both steps can share a recipe). The median is that
 * of the original numbers (the `sorted` list): the mean of the two middle values for an even
 * count. Reads no files, unlike compute_median; runs alongside its siblings.
 */
import { z } from "zod";
import type { ContextView } from "../core/context.ts";
import type { Envelope } from "../core/envelope.ts";
import { BaseScriptlet, standalone } from "../core/scriptlet.ts";
import { listField, medianOfSorted, requireKey } from "./_numbers.ts";

const Params = z.strictObject({});
type Params = z.infer<typeof Params>;

const INPUT = "numbers.normalized_v1";

/** Computes the median of the normalized numbers. */
export class MedianOf extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "median and count of numbers.normalized_v1";
  static override parallel = true;

  override validate(ctx: ContextView): void {
    requireKey(ctx, INPUT, "normalize_numbers", "median_of");
  }

  override run(ctx: ContextView): Envelope {
    const sorted = listField(ctx.get(INPUT), "sorted", INPUT);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i - 1] > sorted[i]) {
        return this.fail(`${INPUT}.sorted is not in ascending order at item ${i}`);
      }
    }
    ctx.set("numbers.fan_median_v1", { median: medianOfSorted(sorted), count: sorted.length }, {
      who: "median_of",
    });
    return this.ok(["numbers.fan_median_v1"]);
  }
}

standalone(MedianOf, import.meta);
