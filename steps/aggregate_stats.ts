/**
 * @module
 * Built-in step, last of the fan-in example: reads `numbers.mean_v1` (compute_mean),
 * `numbers.fan_median_v1` (median_of) and `numbers.std_v1` (compute_std), all three required,
 * and writes `numbers.fan_summary_v1`, `{count, mean, median, std}`. Fails when the three
 * disagree on the count (they were computed from different inputs). Reads no files.
 */
import { z } from "zod";
import type { ContextView } from "../core/context.ts";
import type { Envelope } from "../core/envelope.ts";
import { BaseScriptlet, standalone } from "../core/scriptlet.ts";
import { finiteField } from "./_numbers.ts";

const Params = z.strictObject({});
type Params = z.infer<typeof Params>;

/** Each input key, the field it contributes and the step that writes it. */
const INPUTS = [
  { key: "numbers.mean_v1", field: "mean", step: "compute_mean" },
  { key: "numbers.fan_median_v1", field: "median", step: "median_of" },
  { key: "numbers.std_v1", field: "std", step: "compute_std" },
] as const;

/** Gathers mean, median and standard deviation into one summary. */
export class AggregateStats extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "mean, median and std of the fan-in example in one summary";
  static override parallel = true;

  override validate(ctx: ContextView): void {
    const missing = INPUTS.filter((i) => !ctx.has(i.key));
    if (missing.length > 0) {
      const keys = missing.map((i) => `"${i.key}"`).join(", ");
      const many = missing.length > 1;
      throw new Error(
        `context key${many ? "s" : ""} ${keys} ${many ? "are" : "is"} missing; run ` +
          `${missing.map((i) => i.step).join(", ")} before aggregate_stats`,
      );
    }
  }

  override run(ctx: ContextView): Envelope {
    const summary: Record<string, number> = {};
    const counts = new Map<string, number>();
    for (const { key, field } of INPUTS) {
      const value = ctx.get(key);
      summary[field] = finiteField(value, field, key);
      counts.set(key, finiteField(value, "count", key));
    }
    if (new Set(counts.values()).size > 1) {
      const shown = [...counts].map(([k, n]) => `${k} ${n}`).join(", ");
      return this.fail(`the inputs disagree on the count (${shown}); recompute them together`);
    }
    const count = counts.values().next().value!;
    ctx.set("numbers.fan_summary_v1", {
      count,
      mean: summary.mean,
      median: summary.median,
      std: summary.std,
    }, { who: "aggregate_stats" });
    return this.ok(["numbers.fan_summary_v1"]);
  }
}

standalone(AggregateStats, import.meta);
