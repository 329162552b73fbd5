/**
 * @module
 * Floor for the TS Worker workloads: a ready-queue scheduler over W pooled Workers (default 2),
 * no orchestrator. Each Worker imports the step module once; each step is one message there and
 * one back (the step runs against an empty context and posts its envelope and writes).
 * Shapes: `chain` (each step waits for the previous one) and `dag` (layers of `width`; a step
 * waits for the step above it). Times the steps only, after the Workers answered once.
 * Usage: `deno run -P=orch bench/floors/worker_floor.ts MODULE_URL chain|dag N [WIDTH] [W]`.
 * Prints `{"run_ms": ..., "steps": N}`.
 */
const [moduleUrl, shape, nText, widthText, workersText] = Deno.args;
const n = Number(nText), width = Number(widthText ?? 100), count = Number(workersText ?? 2);
const workerUrl = new URL("./floor_worker.ts", import.meta.url);

interface Slot {
  worker: Worker;
  resolve?: (data: unknown) => void;
}
const slots: Slot[] = Array.from({ length: count }, () => {
  const slot: Slot = { worker: new Worker(workerUrl, { type: "module" }) };
  slot.worker.onmessage = (e) => slot.resolve?.(e.data);
  return slot;
});
const ask = (slot: Slot, msg: unknown) =>
  new Promise((resolve) => {
    slot.resolve = resolve;
    slot.worker.postMessage(msg);
  });
await Promise.all(slots.map((s) => ask(s, { moduleUrl, exportName: "Noop", step: "warm-up" })));

// a ready queue in idx order; a step is ready when its one dependency is done
const dep = (i: number) => shape === "chain" ? i - 1 : i - width;
const ready: number[] = [];
for (let i = 0; i < n; i++) if (dep(i) < 0) ready.push(i);
const idle = [...slots];
const start = performance.now();
await new Promise<void>((finish) => {
  let finished = 0;
  const pump = () => {
    while (ready.length > 0 && idle.length > 0) {
      const i = ready.shift()!;
      const slot = idle.pop()!;
      ask(slot, { moduleUrl, exportName: "Noop", step: `s${i}` }).then(() => {
        idle.push(slot);
        finished++;
        const next = shape === "chain" ? i + 1 : i + width;
        if (next < n) ready.push(next);
        if (finished === n) finish();
        else pump();
      });
    }
  };
  pump();
});
const runMs = performance.now() - start;
for (const s of slots) s.worker.terminate();
console.log(JSON.stringify({ run_ms: runMs, steps: n }));
