/**
 * @module
 * The bench's baseline for `orch run recipes/example_numbers.yaml`: a plain Deno script doing
 * the same essential work with no orchestrator. It parses the recipe with npm:yaml, checks its
 * shape with npm:zod, runs the compute_numbers step in a Worker whose permissions are narrowed to
 * read, and prints one JSON line.
 */
import { parse } from "yaml";
import { z } from "zod";
import { DEFAULT_STEP_PERMISSIONS } from "../core/executors/deno_worker.ts";

const root = new URL("../", import.meta.url);
const Recipe = z.object({
  steps: z.array(z.object({
    name: z.string(),
    module: z.string(),
    function: z.string(),
    args: z.record(z.string(), z.unknown()).default({}),
  })).min(1),
});
const text = await Deno.readTextFile(new URL("recipes/example_numbers.yaml", root));
const step = Recipe.parse(parse(text)).steps[0];

const worker = new Worker(new URL("numbers_peer_worker.ts", import.meta.url), {
  type: "module",
  deno: { permissions: DEFAULT_STEP_PERMISSIONS }, // the same grant orch gives a step
});
const reply = await new Promise<{ status: string; writes: Record<string, unknown> }>(
  (resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({
      moduleUrl: new URL(step.module, root).href,
      exportName: step.function,
      params: step.args,
      baseDir: decodeURIComponent(root.pathname).replace(/\/$/, ""),
    });
  },
);
worker.terminate();
console.log(JSON.stringify({ status: reply.status, ctx_keys: Object.keys(reply.writes) }));
