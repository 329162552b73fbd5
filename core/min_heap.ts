/**
 * @module
 * A binary min-heap of integers (step positions): the ready queue of the scheduler and the order
 * of graph.ts's topological sort. Owns nothing else.
 */

/** A binary min-heap of integers: `pop` returns the smallest. */
export class MinHeap {
  #items: number[] = [];

  /** How many items the heap holds. */
  get size(): number {
    return this.#items.length;
  }

  /** The smallest item, without removing it (undefined when empty). */
  peek(): number {
    return this.#items[0];
  }

  /** Adds `n`. */
  push(n: number): void {
    const a = this.#items;
    let i = a.push(n) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= n) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = n;
  }

  /** Removes and returns the smallest item (undefined when empty). */
  pop(): number {
    const a = this.#items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const c = l + 1 < a.length && a[l + 1] < a[l] ? l + 1 : l;
      if (a[c] >= last) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = last;
    return top;
  }
}
