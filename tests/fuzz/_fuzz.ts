/**
 * @module
 * Settings shared by the property-based (fuzz) tests: how many cases each property runs and how
 * to replay a failure. `ORCH_FUZZ_RUNS` sets the number of cases (default 200, the sample
 * `make test` runs; `deno task fuzz` sets 20000). A failing property prints its seed and path;
 * `ORCH_FUZZ_SEED=<seed> ORCH_FUZZ_PATH=<path>` replays exactly that counterexample.
 */
import type { Parameters } from "fast-check";

/** Cases per property when `ORCH_FUZZ_RUNS` is not set. */
export const DEFAULT_RUNS = 200;

/**
 * fast-check parameters from the environment. `scale` divides the number of runs for
 * properties whose cases are expensive (e.g. a plan per case).
 */
export function fuzzParams(scale = 1): Parameters<unknown> {
  const runs = Number(Deno.env.get("ORCH_FUZZ_RUNS") ?? DEFAULT_RUNS);
  const seed = Deno.env.get("ORCH_FUZZ_SEED");
  const path = Deno.env.get("ORCH_FUZZ_PATH");
  return {
    numRuns: Math.max(1, Math.floor(runs / scale)),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
    verbose: 1,
  };
}
