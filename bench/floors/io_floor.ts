/**
 * @module
 * Floors of what orch's journal does per step, with no orchestrator: (1) an `fdatasync` after a
 * 200-byte append (what a shell or python step waits for before it starts, so that a crash
 * cannot lose a commit it depends on), (2) two journal-sized JSON records appended with one
 * `write` each plus one progress line on stderr (what every step costs with the journal on),
 * (3) reading and parsing a 300-byte JSON file (what a cache look-up reads per step).
 * Usage: `deno run -P=orch bench/floors/io_floor.ts DIR`. Prints
 * `{"fdatasync_us", "records_us", "read_us"}`.
 */
const dir = Deno.args[0];
const file = await Deno.open(`${dir}/floor.jsonl`, { append: true, create: true });
const line = new TextEncoder().encode(JSON.stringify({ kind: "x", pad: "y".repeat(170) }) + "\n");
let start = performance.now();
const syncs = 200;
for (let i = 0; i < syncs; i++) {
  file.writeSync(line);
  await file.syncData();
}
const fdatasyncUs = (performance.now() - start) / syncs * 1000;

const steps = 10_000;
const record = {
  kind: "step-commit",
  step: "s1",
  writes: [],
  envelope: { status: "ok", outputs: [] },
  attempts: [{ attempt: 1, status: "ok", durationMs: 0.1 }],
  duration_ms: 0,
};
const encoder = new TextEncoder();
start = performance.now();
for (let i = 0; i < steps; i++) {
  const at = new Date().toISOString();
  file.writeSync(encoder.encode(JSON.stringify({ kind: "step-start", at, step: `s${i}` }) + "\n"));
  file.writeSync(encoder.encode(JSON.stringify({ ...record, at, step: `s${i}` }) + "\n"));
  Deno.stderr.writeSync(encoder.encode(`✓ s${i} (0 ms)\n`));
}
const recordsUs = (performance.now() - start) / steps * 1000;
file.close();

await Deno.writeTextFile(`${dir}/entry.json`, JSON.stringify({ ...record, pad: "z".repeat(150) }));
const reads = 2000;
start = performance.now();
for (let i = 0; i < reads; i++) JSON.parse(await Deno.readTextFile(`${dir}/entry.json`));
const readUs = (performance.now() - start) / reads * 1000;
console.log(JSON.stringify({ fdatasync_us: fdatasyncUs, records_us: recordsUs, read_us: readUs }));
