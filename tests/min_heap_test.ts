import assert from "node:assert/strict";
import { MinHeap } from "../core/min_heap.ts";

Deno.test("a min-heap pops what was pushed, smallest first, duplicates kept", () => {
  const heap = new MinHeap();
  const values = [5, 3, 9, 3, 0, 12, 7, 1, 9, 4];
  for (const v of values) heap.push(v);
  assert.equal(heap.size, values.length);
  assert.equal(heap.peek(), 0);
  const out: number[] = [];
  while (heap.size > 0) out.push(heap.pop());
  assert.deepEqual(out, [...values].sort((a, b) => a - b));
});

Deno.test("a min-heap interleaving pushes and pops stays ordered", () => {
  const heap = new MinHeap();
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 1000;
  const shadow: number[] = [];
  for (let i = 0; i < 2000; i++) {
    if (shadow.length > 0 && next() % 3 === 0) {
      shadow.sort((a, b) => a - b);
      assert.equal(heap.pop(), shadow.shift());
    } else {
      const v = next();
      heap.push(v);
      shadow.push(v);
    }
  }
  assert.equal(heap.size, shadow.length);
});
