/**
 * @module
 * Built-in step, first of the fan-in example (recipes/fan_in.yaml): reads a numbers file (same
 * rules as compute_numbers: one per line, `#` comments and blank lines skipped, Python `float()`
 * syntax, finite values only) and writes `numbers.values_v1`, the list of numbers in file order.
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

/** Loads a numbers file into the context as a list. */
export class LoadNumbers extends BaseScriptlet<Params> {
  static override params = Params;
  static override description = "numbers of a file, in file order, as numbers.values_v1";

  override async run(ctx: ContextView, params: Params): Promise<Envelope> {
    const numbers = await readNumbers(this.path(params.src));
    ctx.set("numbers.values_v1", numbers, { who: "load_numbers" });
    return this.ok(["numbers.values_v1"]);
  }
}

standalone(LoadNumbers, import.meta);
