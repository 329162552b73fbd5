/**
 * The context crossing the Worker boundary (core/context.ts change log, core/worker/protocol.ts
 * ContextSync, core/executors/worker_pool.ts): a pooled Worker gets the whole context once, then
 * only the writes it has not seen, so what a step receives does not grow with the context.
 */
import assert from "node:assert/strict";
import { withContext } from "../core/attempt_context.ts";
import { Context } from "../core/context.ts";
import { denoWorkerExecutor } from "../core/executors/deno_worker.ts";
import type { SpawnWorker } from "../core/executors/worker_pool.ts";
import type { RunRequest } from "../core/worker/protocol.ts";

const APPEND = new URL("fixtures/steps/append.ts", import.meta.url).href;
const READ = { read: true } as Deno.PermissionOptionsObject;

/** A Worker executor whose Workers record every run request they are sent. */
function recordingExecutor() {
  const sent: RunRequest[] = [];
  const spawn: SpawnWorker = (url, permissions) => {
    const worker = new Worker(url, { type: "module", deno: { permissions } });
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (msg: RunRequest) => {
      if (msg.kind === "run") sent.push(msg);
      post(msg);
    };
    return worker;
  };
  return { executor: denoWorkerExecutor({ spawn }), sent };
}

async function append(ex: ReturnType<typeof recordingExecutor>, ctx: Context, tag: string) {
  const attempt = withContext({
    step: `append_${tag}`,
    target: { type: "deno", moduleUrl: APPEND, exportName: "Append" },
    params: { tag },
    baseDir: Deno.cwd(),
    permissions: READ,
  }, ctx);
  const outcome = await ex.executor.run(attempt, new AbortController().signal, () => {});
  assert.equal(outcome.status, "ok", JSON.stringify(outcome.envelope));
  ctx.apply(outcome.delta, { step: attempt.step });
}

Deno.test("a pooled Worker gets the whole context once, then only the writes it has not seen", async () => {
  const ex = recordingExecutor();
  try {
    const ctx = new Context();
    ctx.set("big.blob_v1", "x".repeat(100_000));
    await append(ex, ctx, "a");
    await append(ex, ctx, "b");
    await append(ex, ctx, "c");
    assert.deepEqual(ctx.get("order.tags_v1"), ["a", "b", "c"], "each step read the one before");
    const [first, second, third] = ex.sent.map((m) => m.ctx);
    assert.equal(first.kind, "full");
    assert.deepEqual(second, {
      kind: "changes",
      version: 2,
      writes: [["order.tags_v1", ["a"]]],
    });
    assert.equal(third.kind, "changes");
    assert.ok(!JSON.stringify(third).includes("xxxx"), "the big value is not sent again");
    assert.equal(ex.executor.workersStarted, 1);
  } finally {
    ex.executor.close();
  }
});

Deno.test("a Worker serving another run's context gets that context whole", async () => {
  const ex = recordingExecutor();
  try {
    const one = new Context();
    await append(ex, one, "a");
    const two = new Context();
    two.set("order.tags_v1", ["z"]);
    await append(ex, two, "b");
    assert.deepEqual(two.get("order.tags_v1"), ["z", "b"]);
    assert.deepEqual(ex.sent.map((m) => m.ctx.kind), ["full", "full"]);
  } finally {
    ex.executor.close();
  }
});

Deno.test("changesSince() gives the writes after a version, or nothing once the log moved on", () => {
  const ctx = new Context();
  for (let i = 0; i < 5000; i++) ctx.set("k.v_v1", i);
  assert.equal(ctx.version, 5000);
  assert.deepEqual(ctx.changesSince(4998), [["k.v_v1", 4998], ["k.v_v1", 4999]]);
  assert.deepEqual(ctx.changesSince(5000), []);
  assert.equal(ctx.changesSince(0), undefined, "the log keeps recent writes only");
  assert.equal(ctx.changesSince(6000), undefined);
});
