/**
 * @module
 * Tests of core/redact.ts in-process: what a redactor replaces (raw and JSON-escaped forms,
 * keys, numbers, longest value first) and what the executor wrapper passes through it.
 * The end-to-end run is in tests/secrets_test.ts.
 */
import assert from "node:assert/strict";
import { fail } from "../core/envelope.ts";
import type { Executor, StepAttempt } from "../core/executors/executor.ts";
import { MASK, redactExecutor, redactorFor } from "../core/redact.ts";

Deno.test("redactorFor() replaces raw and JSON-escaped forms, the longer value first", () => {
  const r = redactorFor(['pa"ss\\word', "token123", "token123456"]);
  assert.equal(MASK, "***");
  assert.equal(r.text('a pa"ss\\word b'), "a *** b");
  assert.equal(r.text(JSON.stringify({ p: 'pa"ss\\word' })), '{"p":"***"}');
  assert.equal(r.text("token123456 token123"), "*** ***");
  assert.equal(r.text("nothing here"), "nothing here");
});

Deno.test("redactorFor().json() redacts strings, keys and numbers and leaves other values", () => {
  const r = redactorFor(["s3cret", "424242"]);
  const at = new Date(0);
  const out = r.json({
    a: ["x s3cret", 424242, 1.5, true, null],
    s3cret: { deep: "s3cret" },
    at,
  });
  assert.deepEqual(out, { a: ["x ***", MASK, 1.5, true, null], "***": { deep: "***" }, at });
  assert.equal(out.at, at);
});

Deno.test("a redactor without values is inactive and changes nothing", () => {
  const r = redactorFor(["", ""]);
  assert.equal(r.active, false);
  const value = { a: "" };
  assert.equal(r.json(value), value);
});

const ATTEMPT = { step: "s" } as StepAttempt;

Deno.test("redactExecutor() redacts output lines, envelope and writes, and thrown messages", async () => {
  let closed = false;
  const inner: Executor = {
    run(_attempt, _signal, onLog) {
      onLog("stderr", "line with s3cret");
      return Promise.resolve({
        status: "error",
        envelope: fail("s", "reason s3cret"),
        delta: { writes: [{ key: "a.b_v1", value: { v: "s3cret" }, who: "s3cret" }] },
        durationMs: 1,
      });
    },
    close: () => closed = true,
  };
  const lines: string[] = [];
  const wrapped = redactExecutor(inner, redactorFor(["s3cret"]));
  const out = await wrapped.run(ATTEMPT, new AbortController().signal, (_, l) => lines.push(l));
  assert.deepEqual(lines, ["line with ***"]);
  assert.deepEqual(out.envelope, fail("s", "reason ***"));
  assert.deepEqual(out.delta.writes, [{ key: "a.b_v1", value: { v: "***" }, who: "***" }]);
  wrapped.close?.();
  assert.ok(closed);
  const throwing = redactExecutor(
    { run: () => Promise.reject(new Error("spawn s3cret failed")) },
    redactorFor(["s3cret"]),
  );
  await assert.rejects(
    throwing.run(ATTEMPT, new AbortController().signal, () => {}),
    { message: "spawn *** failed" },
  );
});

Deno.test("redactExecutor() returns the executor itself when there is nothing to redact", () => {
  const inner: Executor = { run: () => Promise.reject(new Error("unused")) };
  assert.equal(redactExecutor(inner, redactorFor([])), inner);
});
