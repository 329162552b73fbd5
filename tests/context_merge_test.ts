/**
 * @module
 * Tests of core/context_merge.ts: the common base, each branch's later writes applied in order,
 * last_write_wins and fail_on_conflict, and branches that did not start from one context.
 */
import assert from "node:assert/strict";
import type { ContextJson, HistoryEntry } from "../core/context.ts";
import { commonPrefix, mergeContexts } from "../core/context_merge.ts";
import { ContextError } from "../core/errors.ts";

function write(key: string, step: string, at: string): HistoryEntry {
  return { key, who: step, step, op: "set", at: `2026-01-01T00:00:${at}Z` };
}

const BASE: ContextJson = {
  data: { "a.x_v1": 1 },
  history: [write("a.x_v1", "load", "00")],
};

function branch(writes: [string, number, string, string][]): ContextJson {
  const data = { ...BASE.data };
  const history = [...BASE.history];
  for (const [key, value, step, at] of writes) {
    data[key] = value;
    history.push(write(key, step, at));
  }
  return { data, history };
}

Deno.test("commonPrefix() is the length of the longest shared history prefix", () => {
  const a = branch([["b.y_v1", 2, "s1", "01"]]).history;
  const b = branch([["b.z_v1", 3, "s2", "02"]]).history;
  assert.equal(commonPrefix([a, b]), 1);
  assert.equal(commonPrefix([a, a]), 2);
  assert.equal(commonPrefix([a, []]), 0);
});

Deno.test("mergeContexts() applies each branch's writes after the base, in branch order", () => {
  const merged = mergeContexts([
    branch([["b.y_v1", 2, "s1", "01"]]),
    branch([["b.z_v1", 3, "s2", "02"], ["b.w_v1", 4, "s2", "03"]]),
  ]);
  assert.deepEqual(merged.data, { "a.x_v1": 1, "b.y_v1": 2, "b.z_v1": 3, "b.w_v1": 4 });
  assert.deepEqual(merged.history.map((h) => h.key), ["a.x_v1", "b.y_v1", "b.z_v1", "b.w_v1"]);
});

Deno.test("mergeContexts() keeps a branch's rewrite of a base key", () => {
  const merged = mergeContexts([branch([]), branch([["a.x_v1", 9, "s2", "01"]])], {
    merge: "fail_on_conflict",
  });
  assert.deepEqual(merged.data, { "a.x_v1": 9 });
});

Deno.test("under last_write_wins, the later branch's value of a key wins", () => {
  const merged = mergeContexts([
    branch([["b.y_v1", 2, "s1", "01"]]),
    branch([["b.y_v1", 3, "s2", "02"]]),
  ], { merge: "last_write_wins" });
  assert.equal(merged.data["b.y_v1"], 3);
  assert.equal(merged.history.length, 3);
});

Deno.test("under fail_on_conflict, two branches writing one key name the key and both writers", () => {
  assert.throws(
    () =>
      mergeContexts([
        branch([["b.y_v1", 2, "s1", "01"]]),
        branch([["b.y_v1", 3, "s2", "02"]]),
      ], { merge: "fail_on_conflict", labels: ["one.json", "two.json"] }),
    (err: unknown) => {
      assert.ok(err instanceof ContextError);
      assert.match(err.message, /"b\.y_v1"/);
      assert.match(err.message, /step "s1" \(who "s1"\) in one\.json/);
      assert.match(err.message, /step "s2" \(who "s2"\) in two\.json/);
      return true;
    },
  );
});

Deno.test("mergeContexts() refuses branches that disagree on a value no history records", () => {
  const a: ContextJson = { data: { "a.x_v1": 1 }, history: [] };
  const b: ContextJson = { data: { "a.x_v1": 2 }, history: [] };
  assert.throws(() => mergeContexts([a, b]), /different "a\.x_v1"/);
  assert.deepEqual(mergeContexts([a, a]).data, { "a.x_v1": 1 });
});

Deno.test("mergeContexts() of one branch returns it unchanged", () => {
  const one = branch([["b.y_v1", 2, "s1", "01"]]);
  assert.deepEqual(mergeContexts([one]), one);
  assert.throws(() => mergeContexts([]), ContextError);
});
