/**
 * @module
 * Built-in step: gathers whatever of `numbers.stats_v1`, `numbers.median_v1` and
 * `numbers.range_v1` the context holds into one table, `numbers.summary_table_v1`
 * (`{title, sources, rows: [{metric, value, source}]}`). Reads no files.
 */
import { z } from "zod";
import type { ContextView } from "../core/context.ts";
import type { Envelope } from "../core/envelope.ts";
import { BaseScriptlet, standalone } from "../core/scriptlet.ts";
import { finiteField } from "./_numbers.ts";

const Params = z.strictObject({
  /** Heading of the table. @default "Numbers summary" */
  title: z.string().min(1).optional(),
});
type Params = z.infer<typeof Params>;

/** Each input key, the metrics it contributes (in order) and the step that writes it. */
const SOURCES: { key: string; metrics: string[]; step: string }[] = [
  {
    key: "numbers.stats_v1",
    metrics: ["count", "sum", "mean", "min", "max"],
    step: "compute_numbers",
  },
  { key: "numbers.median_v1", metrics: ["median"], step: "compute_median" },
  { key: "numbers.range_v1", metrics: ["min", "max", "range"], step: "compute_range" },
];

/** One table row. */
export interface SummaryRow {
  metric: string;
  value: number;
  /** The context key the value came from. */
  source: string;
}

/** Builds a summary table of the number steps' results. */
export class AggregateSummary extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "table of the numbers.* statistics present in the context";

  override validate(ctx: ContextView): void {
    if (!SOURCES.some((s) => ctx.has(s.key))) {
      const wanted = SOURCES.map((s) => `"${s.key}" (${s.step})`).join(", ");
      throw new Error(`no input in the context: run at least one of ${wanted} first`);
    }
  }

  override run(ctx: ContextView, params: Params): Envelope {
    const rows: SummaryRow[] = [];
    const sources: string[] = [];
    for (const { key, metrics } of SOURCES) {
      if (!ctx.has(key)) continue;
      const value = ctx.get(key);
      sources.push(key);
      for (const metric of metrics) {
        // A metric already in the table (min and max come from stats and range) keeps its row.
        if (rows.some((r) => r.metric === metric)) continue;
        rows.push({ metric, value: finiteField(value, metric, key), source: key });
      }
    }
    ctx.set("numbers.summary_table_v1", {
      title: params.title ?? "Numbers summary",
      sources,
      rows,
    }, { who: "aggregate_summary" });
    return this.ok(["numbers.summary_table_v1"]);
  }
}

standalone(AggregateSummary, import.meta);
