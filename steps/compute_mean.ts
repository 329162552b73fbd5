/**
 * @module
 * Built-in step of the fan-in example: reads `numbers.normalized_v1` (normalize_numbers) and
 * writes `numbers.mean_v1`, `{mean, count}`: the arithmetic mean of the original numbers (its
 * `sorted` list, not the scaled one). Reads no files; runs alongside its siblings.
 */
import { z } from "zod";
import type { ContextView } from "../core/context.ts";
import type { Envelope } from "../core/envelope.ts";
import { BaseScriptlet, standalone } from "../core/scriptlet.ts";
import { listField, meanOf, requireKey } from "./_numbers.ts";

const Params = z.strictObject({});
type Params = z.infer<typeof Params>;

const INPUT = "numbers.normalized_v1";

/** Computes the mean of the normalized numbers. */
export class ComputeMean extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "mean and count of numbers.normalized_v1";
  static override parallel = true;

  override validate(ctx: ContextView): void {
    requireKey(ctx, INPUT, "normalize_numbers", "compute_mean");
  }

  override run(ctx: ContextView): Envelope {
    const numbers = listField(ctx.get(INPUT), "sorted", INPUT);
    ctx.set("numbers.mean_v1", { mean: meanOf(numbers), count: numbers.length }, {
      who: "compute_mean",
    });
    return this.ok(["numbers.mean_v1"]);
  }
}

standalone(ComputeMean, import.meta);
