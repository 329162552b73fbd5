/**
 * @module
 * Cache benchmark: a generated recipe of N independent shell steps (each prints its envelope
 * with one context write, `cache_key: auto`), run once to fill the cache and again fully cached.
 * Prints both wall times and their ratio (target: the cached rerun at least 10x faster).
 * Usage: `deno run -P=orch bench/cache_rerun.ts [N]` (default 1000); also run by `deno task bench`.
 */
const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

/** The recipe text of `n` independent cached shell steps. */
export function cachedShellRecipe(n: number): string {
  const lines = ["test_meta: {test_id: BENCH-CACHE, tester: bench, description: cached shell}"];
  lines.push("steps:");
  for (let i = 1; i <= n; i++) {
    const envelope = `{"status":"ok","ctx":{"bench.s${i}_v1":${i}}}`;
    lines.push(
      `  - {idx: ${i}, name: s${i}, type: shell, run: ${JSON.stringify(`echo '${envelope}'`)}, ` +
        `depends_on: [], parallel: true, cache_key: auto, permissions: {run: [sh]}}`,
    );
  }
  return lines.join("\n") + "\n";
}

async function _timeRun(dir: string): Promise<{ ms: number; json: Record<string, unknown> }> {
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "-P=orch",
      "--config",
      `${REPO}/deno.json`,
      `${REPO}/main.ts`,
      "run",
      "recipe.yaml",
      "--state-dir",
      ".state",
    ],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).output();
  const ms = performance.now() - start;
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  if (json.status !== "ok") throw new Error(`bench run failed: ${JSON.stringify(json)}`);
  return { ms, json };
}

/** Runs the workload in a temp dir; returns first-run and cached-rerun times and their ratio. */
export async function measureCacheRerun(n = 1000) {
  const dir = await Deno.makeTempDir({ prefix: "orch_bench_cache_" });
  try {
    await Deno.writeTextFile(`${dir}/recipe.yaml`, cachedShellRecipe(n));
    const first = await _timeRun(dir);
    const cached = await _timeRun(dir);
    const counts = cached.json.steps as Record<string, number>;
    if (counts.cached !== n) throw new Error(`expected ${n} cached steps, got ${counts.cached}`);
    return { steps: n, firstMs: first.ms, cachedMs: cached.ms, ratio: first.ms / cached.ms };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const n = Number(Deno.args[0] ?? 1000);
  const r = await measureCacheRerun(n);
  console.log(
    `${r.steps} cached shell steps: first run ${r.firstMs.toFixed(0)} ms, cached rerun ` +
      `${r.cachedMs.toFixed(0)} ms, ${r.ratio.toFixed(1)}x faster (target 10x: ` +
      `${r.ratio >= 10 ? "pass" : "FAIL"})`,
  );
}
