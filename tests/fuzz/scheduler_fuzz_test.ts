/**
 * @module
 * Property tests for core/scheduler.ts: random DAGs (random order, random subsets selected,
 * random parallel flags, outcomes and concurrency limits), with fast-check's scheduler choosing
 * the order in which running steps finish. Every selected step is started at most once and ends
 * exactly once (run or skipped), only after its selected dependencies succeeded, within the
 * concurrency limit, with a non-parallel step always alone, and the failure policy holds.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { succeeded } from "../../core/events.ts";
import type { PlannedStep } from "../../core/plan.ts";
import { schedule } from "../../core/scheduler.ts";
import { fuzzParams } from "./_fuzz.ts";

type Outcome = "ok" | "cached" | "failed" | "timeout";

interface Node {
  name: string;
  deps: string[];
  parallel: boolean;
  outcome: Outcome;
}

/** A random DAG: step i may depend on any step before it in a hidden topological order. */
const dag: fc.Arbitrary<{ nodes: Node[]; selected: Node[] }> = fc
  .integer({ min: 1, max: 25 })
  .chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          deps: fc.subarray(Array.from({ length: i }, (_, j) => `s${j}`)),
          parallel: fc.boolean(),
          outcome: fc.constantFrom<Outcome>("ok", "ok", "ok", "cached", "failed", "timeout"),
        }).map((r): Node => ({ name: `s${i}`, ...r }))),
    )
  )
  .chain((nodes) =>
    // usually every step, in a random order; sometimes a random selection (--only, --skip)
    fc.tuple(
      fc.shuffledSubarray(nodes, { minLength: 1 }),
      fc.shuffledSubarray(nodes, {
        minLength: nodes.length,
      }),
      fc.boolean(),
    ).map(([subset, all, whole]) => ({ nodes, selected: whole ? all : subset }))
  );

interface Trace {
  started: string[];
  /** Starts and ends in the order they happened: `+name` or `-name`. */
  log: string[];
  ended: Map<string, string>;
  skipped: Map<string, string>;
  running: Set<string>;
  problems: string[];
}

async function walk(
  s: fc.Scheduler,
  selected: Node[],
  concurrency: number,
  keepGoing: boolean,
): Promise<Trace> {
  const byName = new Map(selected.map((n) => [n.name, n]));
  const t: Trace = {
    started: [],
    log: [],
    ended: new Map(),
    skipped: new Map(),
    running: new Set(),
    problems: [],
  };
  const steps = selected.map((n) =>
    ({ step: { name: n.name }, deps: n.deps, parallel: n.parallel }) as unknown as PlannedStep
  );
  const done = schedule(steps, {
    concurrency,
    keepGoing,
    signal: new AbortController().signal,
    run: async (p, signal) => {
      const node = byName.get(p.step.name)!;
      if (t.started.includes(node.name)) t.problems.push(`${node.name} started twice`);
      for (const d of node.deps.filter((d) => byName.has(d))) {
        const status = t.ended.get(d);
        if (!status || !succeeded(status as Outcome)) {
          t.problems.push(`${node.name} started before its dependency ${d} succeeded`);
        }
      }
      t.started.push(node.name);
      t.log.push(`+${node.name}`);
      t.running.add(node.name);
      const running = [...t.running].map((n) => byName.get(n)!);
      if (running.length > Math.max(1, concurrency)) {
        t.problems.push(`over the limit at ${node.name}`);
      }
      if (running.length > 1 && running.some((r) => !r.parallel)) {
        t.problems.push(`a non-parallel step ran alongside others at ${node.name}`);
      }
      await s.schedule(Promise.resolve(), node.name);
      t.running.delete(node.name);
      return { status: signal.aborted ? "cancelled" as const : node.outcome };
    },
    onEnd: (p, end) => {
      if (t.ended.has(p.step.name)) t.problems.push(`${p.step.name} ended twice`);
      t.ended.set(p.step.name, end.status);
      t.log.push(`-${p.step.name}`);
    },
    onSkip: (p, reason) => t.skipped.set(p.step.name, reason),
  });
  await s.waitFor(done);
  return t;
}

/** Names of the selected steps that depend, through selected steps, on a failed one. */
function blockedByFailure(selected: Node[], trace: Trace): Set<string> {
  const byName = new Map(selected.map((n) => [n.name, n]));
  const blocked = new Set<string>();
  const isBlocked = (n: Node): boolean =>
    n.deps.some((d) => {
      const dep = byName.get(d);
      if (!dep) return false;
      const status = trace.ended.get(d);
      return (status !== undefined && !succeeded(status as Outcome)) || blocked.has(d) ||
        isBlocked(dep);
    });
  for (const n of selected) if (isBlocked(n)) blocked.add(n.name);
  return blocked;
}

const cases = fc.record({
  graph: dag,
  concurrency: fc.integer({ min: 1, max: 6 }),
  keepGoing: fc.boolean(),
  s: fc.scheduler(),
});

Deno.test("schedule() runs each step of a random DAG at most once, after its dependencies, within the limit", async () => {
  await fc.assert(
    fc.asyncProperty(cases, async ({ graph, concurrency, keepGoing, s }) => {
      const t = await walk(s, graph.selected, concurrency, keepGoing);
      assert.deepEqual(t.problems, []);
      for (const n of graph.selected) {
        const ran = t.ended.has(n.name);
        assert.notEqual(ran, t.skipped.has(n.name), `${n.name} ends exactly once`);
        assert.equal(t.started.filter((x) => x === n.name).length, ran ? 1 : 0);
      }
      assert.equal(t.ended.size + t.skipped.size, graph.selected.length);
    }),
    fuzzParams(),
  );
});

Deno.test("schedule() runs every step when all succeed, and keep-going skips exactly the dependents of failures", async () => {
  await fc.assert(
    fc.asyncProperty(cases, async ({ graph, concurrency, s }) => {
      const t = await walk(s, graph.selected, concurrency, true);
      const failed = graph.selected.filter((n) => t.ended.has(n.name) && !succeeded(n.outcome));
      const blocked = blockedByFailure(graph.selected, t);
      for (const n of graph.selected) {
        assert.equal(t.skipped.has(n.name), blocked.has(n.name), `${n.name} skipped iff blocked`);
      }
      if (failed.length === 0) assert.equal(t.ended.size, graph.selected.length);
    }),
    fuzzParams(),
  );
});

Deno.test("schedule() in fail-fast mode starts nothing after the first failure", async () => {
  await fc.assert(
    fc.asyncProperty(cases, async ({ graph, concurrency, s }) => {
      const t = await walk(s, graph.selected, concurrency, false);
      const failure = t.log.findIndex((e) =>
        e.startsWith("-") && !succeeded(t.ended.get(e.slice(1)) as Outcome)
      );
      if (failure === -1) {
        assert.equal(t.ended.size, graph.selected.length);
        return;
      }
      const late = t.log.slice(failure).filter((e) => e.startsWith("+"));
      assert.deepEqual(late, [], "no step starts after a failure");
      const running = new Set(t.log.slice(0, failure).filter((e) => e.startsWith("+")));
      for (const n of graph.selected) {
        if (!running.has(`+${n.name}`)) assert.ok(t.skipped.has(n.name), `${n.name} skipped`);
      }
    }),
    fuzzParams(),
  );
});
