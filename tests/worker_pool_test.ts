/**
 * Tests core/executors/worker_pool.ts through the Worker executor: Workers are reused per
 * (grant, module), a Worker whose attempt was aborted, timed out or crashed is never reused,
 * misbehaving steps fail alone, and output is captured per attempt. Real Workers throughout.
 */
import assert from "node:assert/strict";
import { type DenoWorkerExecutor, denoWorkerExecutor } from "../core/executors/deno_worker.ts";
import type { StepAttempt, StepOutcome } from "../core/executors/executor.ts";
import type { SpawnWorker } from "../core/executors/worker_pool.ts";

const fixture = (name: string) => new URL(`fixtures/workers/${name}`, import.meta.url).href;
const READ_ONLY: Deno.PermissionOptionsObject = { read: true };

function attempt(file: string, exportName: string, params: unknown = {}): StepAttempt {
  return {
    step: exportName.toLowerCase(),
    target: { type: "deno", moduleUrl: fixture(file), exportName },
    params,
    snapshot: {},
    baseDir: Deno.cwd(),
    permissions: READ_ONLY,
  };
}

async function run(
  ex: DenoWorkerExecutor,
  a: StepAttempt,
  signal = new AbortController().signal,
): Promise<StepOutcome & { logs: string[] }> {
  const logs: string[] = [];
  const out = await ex.run(a, signal, (stream, line) => logs.push(`${stream}: ${line}`));
  return { ...out, logs };
}

function reasonOf(o: StepOutcome): string {
  return o.envelope.status === "error" ? o.envelope.reason : "(ok)";
}

/** Runs `fn` with an executor that is always closed afterwards. */
async function withExecutor(
  fn: (ex: DenoWorkerExecutor) => Promise<void>,
  options: Parameters<typeof denoWorkerExecutor>[0] = {},
) {
  const ex = denoWorkerExecutor(options);
  try {
    await fn(ex);
  } finally {
    ex.close();
  }
}

Deno.test("sequential no-op attempts with one grant share a single Worker", async () => {
  const n = 30;
  let pooledMs = 0;
  await withExecutor(async (ex) => {
    await run(ex, attempt("noop.ts", "Noop")); // warm up: the first attempt starts the Worker
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const o = await run(ex, attempt("noop.ts", "Noop"));
      assert.equal(o.status, "ok", reasonOf(o));
    }
    pooledMs = (performance.now() - t0) / n;
    assert.equal(ex.workersStarted, 1);
  });
  let freshMs = 0;
  await withExecutor(async (ex) => {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) {
      assert.equal((await run(ex, attempt("noop.ts", "Noop"))).status, "ok");
    }
    freshMs = (performance.now() - t0) / 10;
    assert.equal(ex.workersStarted, 10);
  }, { maxIdle: 0 });
  // a measurement, not a benchmark: shown by `deno test` without -q
  console.log(
    `no-op step: ${pooledMs.toFixed(2)} ms pooled vs ${freshMs.toFixed(2)} ms with a new Worker ` +
      `each (${(freshMs / pooledMs).toFixed(0)}x)`,
  );
  assert.ok(pooledMs < freshMs, "a pooled no-op step cost as much as starting a Worker");
});

Deno.test("attempts with different grants or modules never share a Worker", async () => {
  await withExecutor(async (ex) => {
    await run(ex, attempt("noop.ts", "Noop"));
    await run(ex, { ...attempt("noop.ts", "Noop"), permissions: { read: [Deno.cwd()] } });
    await run(ex, attempt("misbehaves.ts", "Misbehaves", { how: "nothing" }));
    assert.equal(ex.workersStarted, 3);
    // the same grant written differently (kinds left out are denied; list order) is one key
    await run(ex, { ...attempt("noop.ts", "Noop"), permissions: { read: true, net: false } });
    assert.equal(ex.workersStarted, 3);
  });
});

Deno.test("a cancelled attempt ends at once and its Worker is not reused", async () => {
  await withExecutor(async (ex) => {
    await run(ex, attempt("noop.ts", "Noop"));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const o = await run(ex, attempt("misbehaves.ts", "Misbehaves", { how: "hang" }), ac.signal);
    assert.equal(o.status, "cancelled");
    assert.match(reasonOf(o), /interrupted/);
    const before = ex.workersStarted;
    assert.equal(
      (await run(ex, attempt("misbehaves.ts", "Misbehaves", { how: "x" }))).status,
      "ok",
    );
    assert.equal(ex.workersStarted, before + 1, "the aborted Worker was reused");
  });
});

Deno.test("a step spinning forever is stopped at its timeout and its Worker replaced", async () => {
  await withExecutor(async (ex) => {
    const t0 = performance.now();
    const o = await run(
      ex,
      attempt("misbehaves.ts", "Misbehaves", { how: "spin" }),
      AbortSignal.timeout(300),
    );
    assert.equal(o.status, "cancelled");
    assert.match(reasonOf(o), /timed out/);
    assert.ok(performance.now() - t0 < 5000, "the runner waited on a spinning Worker");
    await run(ex, attempt("misbehaves.ts", "Misbehaves", { how: "x" }));
    assert.equal(ex.workersStarted, 2);
  });
});

Deno.test("Deno.exit() in a step fails only that step; its Worker keeps serving", async () => {
  await withExecutor(async (ex) => {
    const o = await run(ex, attempt("misbehaves.ts", "Misbehaves", { how: "exit" }));
    assert.equal(o.status, "error");
    assert.match(reasonOf(o), /Deno\.exit\(3\)/);
    assert.deepEqual(o.delta.writes, []);
    const next = await run(ex, attempt("misbehaves.ts", "Misbehaves", { how: "x" }));
    assert.equal(next.status, "ok", reasonOf(next));
    assert.equal(ex.workersStarted, 1);
  });
});

for (
  const [how, reason] of [
    ["timer-throw", /step crashed: uncaught error: thrown from a timer/],
    ["reject", /step crashed: unhandled promise rejection: nobody awaited me/],
  ] as const
) {
  Deno.test(`a step whose Worker crashes (${how}) fails with why; the Worker is replaced`, async () => {
    await withExecutor(async (ex) => {
      const o = await run(ex, attempt("misbehaves.ts", "Misbehaves", { how }));
      assert.equal(o.status, "error");
      assert.match(reasonOf(o), reason);
      await run(ex, attempt("misbehaves.ts", "Misbehaves", { how: "x" }));
      assert.equal(ex.workersStarted, 2);
    });
  });
}

Deno.test("a step module whose top-level code throws fails with a load reason", async () => {
  await withExecutor(async (ex) => {
    const o = await run(ex, attempt("top_level_throws.ts", "TopLevelThrows"));
    assert.equal(o.status, "error");
    assert.match(reasonOf(o), /cannot load step module: .*top-level failure/);
  });
});

Deno.test("a reused Worker still busy with a previous step's leftovers is replaced", async () => {
  await withExecutor(async (ex) => {
    const busy = await run(ex, attempt("misbehaves.ts", "LeavesBusy", { ms: 3000 }));
    assert.equal(busy.status, "ok");
    const t0 = performance.now();
    const o = await run(ex, attempt("misbehaves.ts", "LeavesBusy", { ms: 0 }));
    assert.equal(o.status, "ok", reasonOf(o));
    assert.ok(performance.now() - t0 < 2500, "waited for the busy Worker instead of replacing it");
    assert.equal(ex.workersStarted, 2);
  }, { staleMs: 200 });
});

Deno.test("a pooled Worker keeps module state only; output is captured per attempt", async () => {
  await withExecutor(async (ex) => {
    const a = await run(ex, attempt("stateful.ts", "Stateful", { tag: "a" }));
    await new Promise((r) => setTimeout(r, 50)); // let a's late timer fire between attempts
    const b = await run(ex, attempt("stateful.ts", "Stateful", { tag: "b" }));
    assert.equal(ex.workersStarted, 1);
    const seen = (o: StepOutcome) =>
      o.delta.writes.find((w) => w.key === "stateful.seen_v1")?.value;
    assert.deepEqual(seen(a), { runs: 1, instanceSeen: 1, previousTag: null });
    // module-level `runs` survives; the instance and the context do not
    assert.deepEqual(seen(b), { runs: 2, instanceSeen: 1, previousTag: null });
    assert.deepEqual(a.logs, [
      "stdout: module loaded",
      "stdout: attempt a",
      "stdout: partial line of a",
    ]);
    assert.deepEqual(b.logs, ["stdout: attempt b", "stdout: partial line of b"]);
  });
});

Deno.test("close() terminates every idle Worker", async () => {
  const workers: { terminated: boolean }[] = [];
  const spawn: SpawnWorker = (url, permissions) => {
    const w = new Worker(url, { type: "module", deno: { permissions } });
    const record = { terminated: false };
    workers.push(record);
    const terminate = w.terminate.bind(w);
    w.terminate = () => {
      record.terminated = true;
      terminate();
    };
    return w;
  };
  const ex = denoWorkerExecutor({ spawn });
  await Promise.all([
    run(ex, attempt("noop.ts", "Noop")),
    run(ex, attempt("noop.ts", "Noop")),
    run(ex, { ...attempt("noop.ts", "Noop"), permissions: {} }),
  ]);
  assert.equal(workers.length, 3, "concurrent attempts share a Worker");
  assert.deepEqual(workers.map((w) => w.terminated), [false, false, false]);
  ex.close();
  assert.deepEqual(workers.map((w) => w.terminated), [true, true, true]);
});
