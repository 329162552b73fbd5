/**
 * @module
 * The benchmark (`deno task bench`, `make bench`): generates each workload of issue 7 into a temp
 * folder, runs orch and its peer alternately, prints one table (workload, orch median, peer
 * median, ratio, target, pass/fail) and writes it to bench/results/latest.json (git-ignored).
 * Usage: `deno task bench [--runs N] [WORKLOAD...]`, e.g. `deno task bench -- fanout chain`;
 * workloads: startup fanout chain workers inline scale ctxsize ctxsets cache python.
 */
import { printTable, REPO, type Row } from "./_lib.ts";
import { WORKLOADS, writeStepModules } from "./workloads.ts";

function parseArgs(args: string[]): { runs: number; names: string[] } {
  let runs = 5;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") continue;
    if (a === "--runs" || a.startsWith("--runs=")) {
      runs = Number(a.includes("=") ? a.split("=")[1] : args[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
    } else names.push(a);
  }
  const known = WORKLOADS.map((w) => w.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new Error(`unknown workload(s) ${unknown.join(", ")}; choose from ${known.join(" ")}`);
  }
  return { runs, names };
}

const { runs, names } = parseArgs(Deno.args);
const selected = WORKLOADS.filter((w) => names.length === 0 || names.includes(w.name));
const root = await Deno.makeTempDir({ prefix: "orch_bench_" });
const rows: Row[] = [];
const started = performance.now();
try {
  for (const w of selected) {
    const dir = `${root}/${w.name}`;
    await Deno.mkdir(dir);
    await writeStepModules(dir);
    const t = performance.now();
    const got = await w.run({ dir, runs: w.name === "startup" ? runs + 2 : Math.min(runs, 3) });
    console.error(`[bench] ${w.name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    rows.push(...got);
  }
} finally {
  await Deno.remove(root, { recursive: true });
}
console.log();
printTable(rows);
const seconds = (performance.now() - started) / 1000;
const failed = rows.filter((r) => r.pass === false).length;
console.log(`\n${rows.length} rows, ${failed} failing, ${seconds.toFixed(0)} s in all`);

const result = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  cpus: navigator.hardwareConcurrency,
  runs,
  statistic: "median of alternating orch/peer runs",
  seconds: Math.round(seconds),
  rows,
};
await Deno.mkdir(`${REPO}/bench/results`, { recursive: true });
await Deno.writeTextFile(
  `${REPO}/bench/results/latest.json`,
  JSON.stringify(result, null, 2) + "\n",
);
console.log("wrote bench/results/latest.json");
