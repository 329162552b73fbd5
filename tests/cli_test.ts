import assert from "node:assert/strict";
import { orch } from "./_helpers.ts";

Deno.test("orch run of the example recipe prints one ok line with numbers.stats_v1", async () => {
  const r = await orch(["run", "recipes/example_numbers.yaml"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, "ok");
  assert.deepEqual(r.json.ctx_keys, ["numbers.stats_v1"]);
  assert.deepEqual(r.json.steps, { ok: 1, failed: 0, skipped: 0, cancelled: 0 });
});
