/**
 * @module
 * The ten bench workloads of issue 7. Each generates its inputs into its own folder under the
 * bench's temp dir, runs orch and its peer (plain Deno floor, GNU make, or orch in another mode)
 * alternately, and returns table rows with the target and whether it holds.
 */
import {
  interleave,
  lastJson,
  median,
  ratioRow,
  REPO,
  round,
  type Row,
  timeDeno,
  timeDenoPeak,
  timeProcess,
} from "./_lib.ts";
import {
  makefile,
  orchRunArgs,
  pythonRecipe,
  SHELL_COMMAND,
  shellRecipe,
  tsRecipe,
  writeStepModules,
} from "./_gen.ts";

/** Where a workload writes and how many timed runs it makes. */
export interface BenchEnv {
  /** A fresh folder for this workload (step modules already written). */
  dir: string;
  /** Timed runs per measurement (the expensive workloads use fewer). */
  runs: number;
}

/** A workload: a name to select it by and what it measures. */
export interface Workload {
  name: string;
  run(env: BenchEnv): Promise<Row[]>;
}

const orchMs = (json: Record<string, unknown>) => json.duration_ms as number;

/** Runs orch on a recipe in `dir`; returns the whole process time and the run phase time. */
async function orchRun(dir: string, recipe: string, extra: string[] = []) {
  const t = await timeDeno(orchRunArgs(dir, recipe, extra), dir);
  const json = lastJson(t);
  if (json.status !== "ok") throw new Error(`orch run ${recipe} failed: ${t.stdout}`);
  return { wallMs: t.ms, runMs: orchMs(json), json };
}

async function floor(script: string, args: string[], cwd: string) {
  const t = await timeDeno([`${REPO}/bench/floors/${script}`, ...args], cwd);
  return { wallMs: t.ms, runMs: lastJson(t).run_ms as number };
}

const make = (dir: string, file: string, jobs: number) =>
  timeProcess("make", ["-s", "-f", file, `-j${jobs}`], { cwd: dir }).then((t) => t.ms);

async function startup({ runs }: BenchEnv): Promise<Row[]> {
  const cases: [string, string[], string[], number][] = [
    ["1 orch --version", ["main.ts", "--version"], ["bench/hello.ts"], 1.5],
    ["1 orch --help", ["main.ts", "--help"], ["bench/hello.ts"], 1.5],
    ["1 orch run (1 step)", ["main.ts", "run", "recipes/example_numbers.yaml"], [
      "bench/numbers_peer.ts",
    ], 1.3],
  ];
  const rows: Row[] = [];
  for (const [name, orch, peer, target] of cases) {
    const r = await interleave(
      runs,
      2,
      () => timeDeno(orch).then((t) => t.ms),
      () => timeDeno(peer).then((t) => t.ms),
    );
    rows.push(ratioRow(name, "ms", r.a, r.b, peer.join(" "), target));
  }
  return rows;
}

/** Workloads 2 and 3: 1,000 shell steps, independent at concurrency 2, or a chain. */
function shell(shape: "fanout" | "chain"): Workload["run"] {
  return async ({ dir, runs }) => {
    const n = 1000, jobs = shape === "fanout" ? 2 : 1;
    await Deno.writeTextFile(`${dir}/recipe.yaml`, shellRecipe(shape, n));
    await Deno.writeTextFile(`${dir}/Makefile`, makefile(shape, n));
    const orch: number[] = [], peer: number[] = [], mk: number[] = [], grouped: number[] = [];
    const floorArgs = [String(n), String(jobs), SHELL_COMMAND];
    for (let i = 0; i < runs + 1; i++) {
      const o = await orchRun(dir, "recipe.yaml", ["--concurrency", String(jobs)]);
      const p = await floor("shell_floor.ts", floorArgs, dir);
      const g = await floor("shell_floor.ts", [...floorArgs, "setsid"], dir);
      const m = await make(dir, "Makefile", jobs);
      if (i > 0) orch.push(o.wallMs), peer.push(p.wallMs), grouped.push(g.wallMs), mk.push(m);
    }
    const label = shape === "fanout" ? "2 shell fan-out 1k -j2" : "3 shell chain 1k";
    const rows = [
      ratioRow(label, "ms", orch, peer, "Deno floor (process)", 1.2),
      ratioRow(`${label} vs make`, "ms", orch, mk, `make -j${jobs}`),
      ratioRow(
        `${label} vs setsid floor`,
        "ms",
        orch,
        grouped,
        "floor via setsid(1)",
        undefined,
        "each step in its own process group, as orch starts them",
      ),
    ];
    if (shape === "chain") rows.push(await syncFloorRow(dir, median(orch), median(grouped), n));
    return rows;
  };
}

/** The journal's I/O floors measured in `dir` (see floors/io_floor.ts). */
async function ioFloor(dir: string) {
  const json = lastJson(await timeDeno([`${REPO}/bench/floors/io_floor.ts`, dir], dir));
  return {
    fdatasyncUs: json.fdatasync_us as number,
    recordsUs: json.records_us as number,
    readUs: json.read_us as number,
  };
}

/**
 * A chain of external steps must wait for one fdatasync per step (the journal's durability
 * rule): the setsid floor plus that sync is the nearest honest peer.
 */
async function syncFloorRow(dir: string, orch: number, floor: number, n: number): Promise<Row> {
  const { fdatasyncUs } = await ioFloor(dir);
  const peer = floor + n * fdatasyncUs / 1000;
  return ratioRow(
    "3 shell chain 1k vs setsid floor+fsync",
    "ms",
    [orch],
    [peer],
    "setsid floor + 1 fdatasync/step",
    1.2,
    `one fdatasync after a 200-byte append costs ${round(fdatasyncUs)} µs here`,
  );
}

/** Workload 4: 10k no-op TS steps in pooled Workers, per step, against the Worker floor. */
async function tsWorkers({ dir, runs }: BenchEnv): Promise<Row[]> {
  const rows: Row[] = [];
  const module = new URL(`file://${dir}/noop.ts`).href;
  for (const [shape, target] of [["chain", 2], ["dag", 3]] as const) {
    const n = 10_000;
    await Deno.writeTextFile(`${dir}/${shape}.yaml`, tsRecipe(shape, n));
    const r = await interleave(
      runs,
      0,
      () => orchRun(dir, `${shape}.yaml`).then((o) => o.runMs / n * 1000),
      () =>
        floor("worker_floor.ts", [module, shape, String(n)], dir).then((f) => f.runMs / n * 1000),
    );
    const name = shape === "chain" ? "4 ts chain 10k (workers)" : "4 ts dag 100x100 (workers)";
    rows.push(ratioRow(name, "µs/step", r.a, r.b, "2 pooled Workers floor", target));
  }
  return rows;
}

/** Workload 5: the 10k DAG with `--isolation inline`: at most 2 µs per step. */
async function inline({ dir, runs }: BenchEnv): Promise<Row[]> {
  const n = 10_000;
  await Deno.writeTextFile(`${dir}/dag.yaml`, tsRecipe("dag", n));
  const module = new URL(`file://${dir}/noop.ts`).href;
  const r = await interleave(
    runs,
    0,
    () => orchRun(dir, "dag.yaml", ["--isolation", "inline"]).then((o) => o.runMs / n * 1000),
    () => floor("loop_floor.ts", [module, String(n)], dir).then((f) => f.runMs / n * 1000),
  );
  const row = ratioRow("5 inline dag 10k", "µs/step", r.a, r.b, "plain loop floor");
  const { recordsUs } = await ioFloor(dir);
  return [
    { ...row, target: "≤ 2 µs/step", pass: median(r.a) <= 2 },
    ratioRow(
      "5 inline vs journal floor",
      "µs/step",
      r.a,
      [recordsUs],
      "2 journal appends + 1 log line",
      undefined,
      "what the journal and console view write per step, alone",
    ),
  ];
}

/** Workload 6: 100k steps: planning time, linear run time, peak RSS. */
async function scale({ dir }: BenchEnv): Promise<Row[]> {
  await Deno.writeTextFile(`${dir}/dag10k.yaml`, tsRecipe("dag", 10_000));
  await Deno.writeTextFile(`${dir}/dag100k.yaml`, tsRecipe("dag", 100_000));
  const plan = await timeDeno(
    [`${REPO}/main.ts`, "validate", "dag100k.yaml", "--allow-module", dir],
    dir,
  );
  const yamlRun = await timeDenoPeak([`${REPO}/bench/floors/yaml_floor.ts`, "dag100k.yaml"], dir);
  const yaml = lastJson(yamlRun);
  const small = await orchRun(dir, "dag10k.yaml");
  const big = await timeDenoPeak(orchRunArgs(dir, "dag100k.yaml"), dir);
  const bigRun = orchMs(lastJson(big));
  return [
    {
      workload: "6 scale 100k: validate+plan",
      orch: round(plan.ms),
      unit: "ms",
      target: "< 2000 ms",
      pass: plan.ms < 2000,
      note: "whole `orch validate` process",
    },
    ratioRow(
      "6 scale 100k: validate vs js-yaml",
      "ms",
      [plan.ms],
      [yaml.parse_ms as number],
      "js-yaml load alone",
      undefined,
      "js-yaml's parse is the floor of reading the recipe",
    ),
    {
      workload: "6 scale 100k: run vs 10k",
      orch: round(bigRun),
      peer: round(small.runMs),
      peerName: "the 10k DAG",
      unit: "ms",
      ratio: round(bigRun / small.runMs),
      target: "≤ 12x",
      pass: bigRun / small.runMs <= 12,
    },
    {
      workload: "6 scale 100k: peak RSS",
      orch: round(big.peakMb ?? NaN),
      peer: round(yamlRun.peakMb ?? NaN),
      peerName: "js-yaml load alone",
      unit: "MB",
      ratio: round((big.peakMb ?? NaN) / (yamlRun.peakMb ?? NaN)),
      target: "≤ 500 MB",
      pass: big.peakMb !== undefined && big.peakMb <= 500,
    },
  ];
}

/** Workload 7: a 10k chain writing 1 KB per step: the last 1,000 steps vs the first 1,000. */
async function contextSize({ dir }: BenchEnv): Promise<Row[]> {
  await Deno.writeTextFile(`${dir}/write.yaml`, tsRecipe("write", 10_000));
  const o = await orchRun(dir, "write.yaml");
  const commits = (await Deno.readTextFile(`${o.json.run_dir}/journal.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l)).filter((r) => r.kind === "step-commit").map((r) => Date.parse(r.at));
  const first = commits[1000] - commits[0];
  const last = commits[commits.length - 1] - commits[commits.length - 1001];
  return [
    ratioRow(
      "7 10k chain x 1 KB: last/first 1k",
      "ms",
      [last],
      [first],
      "its first 1,000 steps",
      1.5,
      "from step-commit times in the journal",
    ),
  ];
}

/** Workload 8: 1M context sets with history. */
async function contextSets(_: BenchEnv): Promise<Row[]> {
  const json = lastJson(await timeDeno([`${REPO}/bench/context_sets.ts`]));
  const rate = json.orch_sets_per_s as number, map = json.map_sets_per_s as number;
  return [{
    workload: "8 context 1M sets",
    orch: round(rate),
    peer: round(map),
    peerName: "Map.set + history push",
    unit: "sets/s",
    ratio: round(map / rate),
    target: "≥ 500000 sets/s",
    pass: rate >= 500_000,
  }];
}

/** Workload 9: cached reruns: 1k shell chain as whole processes; 10k TS chain look-ups. */
async function cache({ dir }: BenchEnv): Promise<Row[]> {
  await Deno.writeTextFile(`${dir}/shell.yaml`, shellRecipe("chain", 1000, { cache: true }));
  const first = await orchRun(dir, "shell.yaml");
  const cached = await orchRun(dir, "shell.yaml");
  if ((cached.json.steps as Record<string, number>).cached !== 1000) {
    throw new Error("the shell rerun was not fully cached");
  }
  // a cached rerun still starts orch, reads, validates and plans the recipe: that is its floor
  const validate = await timeDeno([`${REPO}/main.ts`, "validate", "shell.yaml"], dir);
  await Deno.writeTextFile(`${dir}/ts.yaml`, tsRecipe("chain", 10_000, { cache: true }));
  await orchRun(dir, "ts.yaml");
  const look = lastJson(
    await timeDeno([`${REPO}/bench/cache_lookups.ts`, "ts.yaml", `${dir}/.state`, dir], dir),
  );
  if (look.hits !== 10_000) throw new Error(`expected 10000 cache hits, got ${look.hits}`);
  const us = look.lookup_us as number;
  const printUs = look.fingerprint_us as number;
  return [
    {
      workload: "9 cache: 1k shell chain rerun",
      orch: round(cached.wallMs),
      peer: round(first.wallMs),
      peerName: "the first (uncached) run",
      unit: "ms",
      ratio: round(first.wallMs / cached.wallMs),
      target: "≥ 10x faster",
      pass: first.wallMs / cached.wallMs >= 10,
    },
    ratioRow(
      "9 cache: shell rerun vs validate",
      "ms",
      [cached.wallMs],
      [validate.ms],
      "`orch validate` of the recipe",
      undefined,
      "what a cached rerun adds to reading and planning the recipe",
    ),
    {
      workload: "9 cache: 10k ts look-ups",
      orch: round(us),
      unit: "µs/step",
      target: "≤ 10 µs/step",
      pass: us <= 10,
      note: "finding and reading the stored entry of a known fingerprint, in-process",
    },
    {
      workload: "9 cache: 10k ts fingerprints",
      orch: round(printUs),
      unit: "µs/step",
      note: "computing each step's fingerprint (hashes of args, module source, inputs)",
    },
    ratioRow(
      "9 cache: ts look-ups vs 1 read",
      "µs/step",
      [us],
      [(await ioFloor(dir)).readUs],
      "read + parse one entry file",
      undefined,
      "an entry is a file: one read per look-up",
    ),
  ];
}

/** Workload 10: python no-op steps through the persistent bridge vs a fresh process each. */
async function python({ dir, runs }: BenchEnv): Promise<Row[]> {
  await Deno.writeTextFile(`${dir}/bridge.yaml`, pythonRecipe(500));
  await Deno.writeTextFile(`${dir}/fresh.yaml`, pythonRecipe(20, { isolate: true }));
  const r = await interleave(
    runs,
    0,
    () => orchRun(dir, "bridge.yaml").then((o) => o.runMs / 500 * 1000),
    () => orchRun(dir, "fresh.yaml").then((o) => o.runMs / 20 * 1000),
  );
  const row = ratioRow("10 python no-op step", "µs/step", r.a, r.b, "fresh python per step");
  const { fdatasyncUs } = await ioFloor(dir);
  const floorUs: number[] = [];
  for (let i = 0; i < runs; i++) {
    floorUs.push((await floor("python_floor.ts", ["500"], dir)).runMs / 500 * 1000);
  }
  const honest = floorUs.map((f) => f + fdatasyncUs);
  return [
    { ...row, target: "≤ 200 µs/step", pass: median(r.a) <= 200 },
    ratioRow(
      "10 python vs floor+fsync",
      "µs/step",
      r.a,
      honest,
      "python loop + 1 fdatasync",
      2,
      `a bare Python line round trip costs ${round(median(floorUs))} µs here, one ` +
        `fdatasync ${round(fdatasyncUs)} µs`,
    ),
  ];
}

/** Every workload, in issue order. */
export const WORKLOADS: Workload[] = [
  { name: "startup", run: startup },
  { name: "fanout", run: shell("fanout") },
  { name: "chain", run: shell("chain") },
  { name: "workers", run: tsWorkers },
  { name: "inline", run: inline },
  { name: "scale", run: scale },
  { name: "ctxsize", run: contextSize },
  { name: "ctxsets", run: contextSets },
  { name: "cache", run: cache },
  { name: "python", run: python },
];

/** Writes the step modules a workload's recipes use into its folder. */
export { writeStepModules };
