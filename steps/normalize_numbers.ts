/**
 * @module
 * Built-in step of the fan-in example: reads `numbers.values_v1` (load_numbers) and writes
 * `numbers.normalized_v1`:
 *
 * - `count`: how many numbers;
 * - `min`, `max`: the smallest and largest;
 * - `sorted`: the numbers in ascending order (duplicates kept);
 * - `scaled`: each of `sorted` min-max scaled, `(x - min) / (max - min)`, so it runs from 0 to 1
 *   in the same order; all 0 when every number is equal.
 *
 * Reads no files.
 */
import { z } from "zod";
import type { ContextView } from "../core/context.ts";
import type { Envelope } from "../core/envelope.ts";
import { BaseScriptlet, standalone } from "../core/scriptlet.ts";
import { finiteList, requireKey } from "./_numbers.ts";

const Params = z.strictObject({});
type Params = z.infer<typeof Params>;

const INPUT = "numbers.values_v1";

/** Sorts and min-max scales the loaded numbers. */
export class NormalizeNumbers extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "sorted and min-max scaled numbers.values_v1";
  static override parallel = true;

  override validate(ctx: ContextView): void {
    requireKey(ctx, INPUT, "load_numbers", "normalize_numbers");
  }

  override run(ctx: ContextView): Envelope {
    const sorted = [...finiteList(ctx.get(INPUT), INPUT)].sort((a, b) => a - b);
    const min = sorted[0];
    const max = sorted[sorted.length - 1];
    ctx.set("numbers.normalized_v1", {
      count: sorted.length,
      min,
      max,
      sorted,
      scaled: sorted.map((x) => minMaxScale(x, min, max)),
    }, { who: "normalize_numbers" });
    return this.ok(["numbers.normalized_v1"]);
  }
}

/**
 * `(x - min) / (max - min)`, 0 when `max === min`. Halves every term first when `max - min`
 * overflows (e.g. -1e308 to 1e308), so the result stays within [0, 1].
 */
export function minMaxScale(x: number, min: number, max: number): number {
  if (max === min) return 0;
  const range = max - min;
  if (Number.isFinite(range)) return (x - min) / range;
  return (x / 2 - min / 2) / (max / 2 - min / 2);
}

standalone(NormalizeNumbers, import.meta);
