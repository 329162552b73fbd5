/**
 * @module
 * Shared bench helpers: spawning timed processes (orch, peers, make), medians, the result row
 * shape and the table. Knows nothing about individual workloads (see workloads.ts).
 */

/** The repository root (where deno.json and main.ts live). */
export const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

/** One line of the results table. */
export interface Row {
  /** Workload number and name, e.g. `4 ts chain 10k`. */
  workload: string;
  /** orch's median, in `unit`. */
  orch: number;
  /** The peer's median (floor, make, or orch itself in another mode), in `unit`. */
  peer?: number;
  /** What the peer is. */
  peerName?: string;
  /** Unit of `orch` and `peer`: "ms", "µs/step", "MB", "sets/s". */
  unit: string;
  /** orch / peer (or the absolute value when there is no peer). */
  ratio?: number;
  /** The target, as text (`≤ 1.2x`, `≤ 2 µs/step`, `≥ 500000`). */
  target?: string;
  /** Whether the target holds; undefined for rows only reported. */
  pass?: boolean;
  /** Anything the reader needs to read the row. */
  note?: string;
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Rounds to 3 significant digits (for the table and the JSON). */
export function round(n: number): number {
  if (!Number.isFinite(n) || n === 0) return n;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(n))));
  return Number(n.toFixed(Math.min(digits, 6)));
}

/** The result of one timed process. */
export interface Timed {
  ms: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end and times it (wall time); throws with its stderr when it fails.
 * `deno` commands are given as args of `Deno.execPath()`.
 */
export async function timeProcess(
  cmd: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<Timed> {
  const command = new Deno.Command(cmd, {
    args,
    cwd: options.cwd ?? REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
  const start = performance.now();
  const out = await command.output();
  const ms = performance.now() - start;
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${out.code}:\n${stderr.slice(-2000)}`);
  }
  return { ms, stdout, stderr };
}

/** The args of `deno run -q -P=orch --config deno.json <args>`. */
function denoRun(args: string[]): string[] {
  return ["run", "-q", "-P=orch", "--config", `${REPO}/deno.json`, ...args];
}

/** `deno run -q -P=orch --config deno.json <args>` as a timed process. */
export function timeDeno(args: string[], cwd?: string): Promise<Timed> {
  return timeProcess(Deno.execPath(), denoRun(args), { cwd });
}

/** The last line of stdout parsed as JSON (orch's result line, a driver's report). */
export function lastJson(t: Timed): Record<string, unknown> {
  const lines = t.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

/** Runs `a` and `b` alternately `runs` times (after `warmup` untimed rounds); both samples. */
export async function interleave<T>(
  runs: number,
  warmup: number,
  a: () => Promise<T>,
  b: () => Promise<T>,
): Promise<{ a: T[]; b: T[] }> {
  const out = { a: [] as T[], b: [] as T[] };
  for (let i = 0; i < warmup + runs; i++) {
    const x = await a();
    const y = await b();
    if (i >= warmup) out.a.push(x), out.b.push(y);
  }
  return out;
}

/** A row comparing orch with a peer by the ratio of their medians (lower is better). */
export function ratioRow(
  workload: string,
  unit: string,
  orch: number[],
  peer: number[],
  peerName: string,
  maxRatio?: number,
  note?: string,
): Row {
  const ratio = median(orch) / median(peer);
  return {
    workload,
    orch: round(median(orch)),
    peer: round(median(peer)),
    peerName,
    unit,
    ratio: round(ratio),
    target: maxRatio === undefined ? undefined : `≤ ${maxRatio}x`,
    pass: maxRatio === undefined ? undefined : ratio <= maxRatio,
    note,
  };
}

/** Prints the rows as an aligned table on stdout. */
export function printTable(rows: Row[]): void {
  const header = ["workload", "orch", "peer", "unit", "ratio", "target", "result", "peer is"];
  const cells = rows.map((r) => [
    r.workload,
    String(r.orch),
    r.peer === undefined ? "" : String(r.peer),
    r.unit,
    r.ratio === undefined ? "" : `${r.ratio}x`,
    r.target ?? "",
    r.pass === undefined ? "report" : r.pass ? "pass" : "FAIL",
    r.peerName ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  for (const row of [header, ...cells]) {
    console.log(
      row.map((c, i) =>
        i === 0 || i === row.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])
      ).join("  ").trimEnd(),
    );
  }
}

/**
 * Like timeDeno, also sampling the process's resident set with `ps` every 50 ms (/proc needs
 * --allow-all in Deno); `peakMb` is the largest sample, undefined when `ps` is missing.
 */
export async function timeDenoPeak(
  args: string[],
  cwd?: string,
): Promise<Timed & { peakMb?: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRun(args),
    cwd: cwd ?? REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let peakKb: number | undefined;
  let sampling = false;
  const sample = async () => {
    if (sampling) return;
    sampling = true;
    try {
      const ps = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(child.pid)] })
        .output();
      const kb = Number(new TextDecoder().decode(ps.stdout).trim());
      if (kb) peakKb = Math.max(peakKb ?? 0, kb);
    } catch { /* gone, or no ps */ }
    sampling = false;
  };
  const start = performance.now();
  const timer = setInterval(sample, 50);
  const out = await child.output();
  const ms = performance.now() - start;
  clearInterval(timer);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`${args.join(" ")} exited ${out.code}:\n${stderr.slice(-2000)}`);
  }
  return { ms, stdout, stderr, peakMb: peakKb === undefined ? undefined : peakKb / 1024 };
}
