/**
 * @module
 * Startup benchmark (`deno task bench`): the median wall time of orch workloads against a plain
 * Deno script doing the least equivalent work, each spawned as `deno run -q -P=orch --config
 * deno.json ...`. Prints a table and writes it to bench/results/latest.json.
 * Usage: `deno task bench [--runs N]` (default 15 timed runs after 2 warm-up runs).
 */
import { measureCacheRerun } from "./cache_rerun.ts";

const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

interface Workload {
  name: string;
  orch: string[];
  peer: string[];
  /** Highest acceptable orch/peer ratio of medians. */
  target: number;
}

const WORKLOADS: Workload[] = [
  { name: "orch --version", orch: ["main.ts", "--version"], peer: ["bench/hello.ts"], target: 1.5 },
  { name: "orch --help", orch: ["main.ts", "--help"], peer: ["bench/hello.ts"], target: 1.5 },
  {
    name: "orch run example_numbers",
    orch: ["main.ts", "run", "recipes/example_numbers.yaml"],
    peer: ["bench/numbers_peer.ts"],
    target: 1.3,
  },
];

const WARMUP = 2;

/** Wall time of one run in ms; throws if the process fails. */
async function timeOnce(script: string[]): Promise<number> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=orch", "--config", "deno.json", ...script],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  });
  const start = performance.now();
  const out = await cmd.output();
  const ms = performance.now() - start;
  if (!out.success) {
    throw new Error(
      `${script.join(" ")} exited ${out.code}:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Times orch and its peer alternately, so drift in machine load hits both alike. */
async function measure(w: Workload, runs: number) {
  const orch: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < WARMUP + runs; i++) {
    const o = await timeOnce(w.orch);
    const p = await timeOnce(w.peer);
    if (i >= WARMUP) orch.push(o), peer.push(p);
  }
  const ratio = median(orch) / median(peer);
  return {
    workload: w.name,
    orch_median_ms: round(median(orch)),
    peer: w.peer.join(" "),
    peer_median_ms: round(median(peer)),
    ratio: round(ratio),
    target: w.target,
    pass: ratio <= w.target,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function parseRuns(args: string[]): number {
  const i = args.findIndex((a) => a === "--runs" || a.startsWith("--runs="));
  if (i < 0) return 15;
  const n = Number(args[i].includes("=") ? args[i].split("=")[1] : args[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error("--runs must be a positive integer");
  return n;
}

const runs = parseRuns(Deno.args);
const rows = [];
for (const w of WORKLOADS) rows.push(await measure(w, runs));

const header = ["workload", "orch ms", "peer ms", "ratio", "target", "result"];
const table = rows.map((r) => [
  r.workload,
  r.orch_median_ms.toFixed(1),
  r.peer_median_ms.toFixed(1),
  `${r.ratio.toFixed(2)}x`,
  `${r.target}x`,
  r.pass ? "pass" : "FAIL",
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
for (const row of [header, ...table]) {
  console.log(
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "),
  );
}

// The cache workload compares orch with itself: a first run against a fully cached rerun.
const cache = await measureCacheRerun(1000);
console.log(
  `\n${cache.steps} cached shell steps: first run ${cache.firstMs.toFixed(0)} ms, cached ` +
    `rerun ${cache.cachedMs.toFixed(0)} ms: ${cache.ratio.toFixed(1)}x faster (target 10x, ` +
    `${cache.ratio >= 10 ? "pass" : "FAIL"})`,
);

const result = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  runs,
  warmup: WARMUP,
  statistic: "median wall time (ms) of a spawned `deno run -q -P=orch --config deno.json`",
  rows,
  cache: { ...cache, target: 10, pass: cache.ratio >= 10 },
};
await Deno.mkdir(`${REPO}/bench/results`, { recursive: true });
await Deno.writeTextFile(
  `${REPO}/bench/results/latest.json`,
  JSON.stringify(result, null, 2) + "\n",
);
console.log(`\nwrote bench/results/latest.json (${runs} runs each, medians)`);
