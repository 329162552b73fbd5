/**
 * core/executors/context_files.ts: shell steps that start at the same context version share one
 * read-only `ORCH_CONTEXT` file; a write makes a new one; files go once unused and outdated.
 */
import assert from "node:assert/strict";
import { Context, snapshotReader } from "../core/context.ts";
import { ContextFiles } from "../core/executors/context_files.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
const read = async (path: string) => JSON.parse(await Deno.readTextFile(path));

Deno.test("steps at one context version share a read-only file; a write makes a new one", async () => {
  const files = new ContextFiles();
  const ctx = new Context();
  ctx.set("a.b_v1", 1);
  const one = await files.acquire(ctx, () => ctx.snapshot());
  const two = await files.acquire(ctx, () => ctx.snapshot());
  assert.equal(one.path, two.path);
  assert.deepEqual(await read(one.path), { "a.b_v1": 1 });
  assert.equal((await Deno.stat(one.path)).mode! & 0o222, 0, "no one may write it");
  ctx.set("a.c_v1", 2);
  const three = await files.acquire(ctx, () => ctx.snapshot());
  assert.notEqual(three.path, one.path);
  assert.deepEqual(await read(three.path), { "a.b_v1": 1, "a.c_v1": 2 });
  await one.release();
  assert.ok(await exists(one.path), "still used by another step");
  await two.release();
  assert.ok(!(await exists(one.path)), "outdated and unused: removed");
  await three.release();
  assert.ok(await exists(three.path), "current: kept for the next step");
  await files.close();
  assert.ok(!(await exists(three.path)), "removed when the run ends");
});

Deno.test("an attempt with a plain snapshot gets a file of its own, removed after it", async () => {
  const files = new ContextFiles();
  const data = { "x.y_v1": true };
  const one = await files.acquire(snapshotReader(data), () => data);
  const two = await files.acquire(snapshotReader(data), () => data);
  assert.notEqual(one.path, two.path);
  await one.release();
  await two.release();
  assert.ok(!(await exists(one.path)) && !(await exists(two.path)));
  await files.close();
});
