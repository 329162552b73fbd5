/**
 * @module
 * Built-in step of the fan-in example: reads `numbers.normalized_v1` (normalize_numbers) and
 * writes `numbers.std_v1`, `{std, count}`: the population standard deviation (divides by n,
 * like Python's `statistics.pstdev`) of the original numbers (the `sorted` list). Reads no
 * files; runs alongside its siblings.
 */
import { z } from "zod";
import type { ContextView } from "../core/context.ts";
import type { Envelope } from "../core/envelope.ts";
import { BaseScriptlet, standalone } from "../core/scriptlet.ts";
import { listField, populationStd, requireKey } from "./_numbers.ts";

const Params = z.strictObject({});
type Params = z.infer<typeof Params>;

const INPUT = "numbers.normalized_v1";

/** Computes the population standard deviation of the normalized numbers. */
export class ComputeStd extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "population standard deviation of numbers.normalized_v1";
  static override parallel = true;

  override validate(ctx: ContextView): void {
    requireKey(ctx, INPUT, "normalize_numbers", "compute_std");
  }

  override run(ctx: ContextView): Envelope {
    const numbers = listField(ctx.get(INPUT), "sorted", INPUT);
    ctx.set("numbers.std_v1", { std: populationStd(numbers), count: numbers.length }, {
      who: "compute_std",
    });
    return this.ok(["numbers.std_v1"]);
  }
}

standalone(ComputeStd, import.meta);
