/**
 * @module
 * Built-in step: reads a numbers file and writes `numbers.stats_v1` with count, sum, mean, min
 * and max. The reference scriptlet: validate, compute, ctx.set, return the envelope.
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

/** Computes basic statistics of a numbers file. */
export class ComputeNumbers extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "count, sum, mean, min, max of a numbers file";

  override async run(ctx: ContextView, params: Params): Promise<Envelope> {
    const numbers = await readNumbers(this.path(params.src));
    const sum = numbers.reduce((a, b) => a + b, 0);
    ctx.set("numbers.stats_v1", {
      count: numbers.length,
      sum,
      mean: sum / numbers.length,
      min: numbers.reduce((a, b) => Math.min(a, b)),
      max: numbers.reduce((a, b) => Math.max(a, b)),
    }, { who: "compute_numbers" });
    return this.ok(["numbers.stats_v1"]);
  }
}

standalone(ComputeNumbers, import.meta);
