/**
 * @module
 * The dependency graph of a recipe: resolves each step's `depends_on` (implicit "the step
 * before it by idx" when absent), refuses unknown names, self-dependencies, duplicates and
 * cycles, gives a topological order stable by idx, and renders the graph as Mermaid or DOT.
 * Linear time and no recursion, so 100k-step recipes are fine. Does not run anything.
 */
import { byPosition, type Issue, RecipeValidationError, stepIssue } from "./errors.ts";
import { MinHeap } from "./min_heap.ts";
import type { Plan } from "./plan.ts";
import type { Recipe, Step } from "./recipe.ts";
import { didYouMean } from "./suggest.ts";

/** A recipe's resolved dependencies. */
export interface Graph {
  /** Each step's dependencies by name, in the order written (implicit ones included). */
  deps: Map<string, string[]>;
  /** Every step name in a topological order; among ready steps the lowest idx comes first. */
  order: string[];
}

/** The output formats of `renderGraph`. */
export type GraphFormat = "mermaid" | "dot";

/** What `renderGraph` draws: a plan, or a recipe with the deps `buildGraph` resolved. */
export type GraphSource = Plan | { recipe: Recipe; deps: ReadonlyMap<string, readonly string[]> };

/** Cycles longer than this are shown with their middle elided. */
const MAX_CYCLE_SHOWN = 20;

/** One dependency edge: `to` is a position in the idx-sorted steps; `j` its depends_on index. */
interface Edge {
  to: number;
  /** Index in the step's depends_on list, or -1 for the implicit "previous step" edge. */
  j: number;
}

/**
 * Resolves every step's dependencies and orders the steps. Throws RecipeValidationError listing
 * every unknown name, self-dependency, duplicate and cycle (one per strongly connected part).
 */
export function buildGraph(recipe: Recipe): Graph {
  const steps = recipe.steps;
  const issues: Issue[] = [];
  const issue: IssueAt = (step, path, message) => stepIssue(recipe, step, path, message);
  const position = new Map(steps.map((s, i) => [s.name, i]));
  const edges = steps.map((step, i) =>
    _edges(steps, position, i, (path, message) => issues.push(issue(step, path, message)))
  );
  const order = _topologicalOrder(edges);
  if (order.length < steps.length) {
    for (const cycle of _cycles(edges)) issues.push(_cycleIssue(recipe, edges, cycle, issue));
  }
  if (issues.length > 0) {
    throw new RecipeValidationError(byPosition(issues));
  }
  return {
    deps: new Map(steps.map((s, i) => [s.name, edges[i].map((e) => steps[e.to].name)])),
    order: order.map((i) => steps[i].name),
  };
}

type IssueAt = (step: Step, path: (string | number)[], message: string) => Issue;

/** The dependency edges of `steps[i]`; reports each bad depends_on entry to `report`. */
function _edges(
  steps: readonly Step[],
  position: ReadonlyMap<string, number>,
  i: number,
  report: (path: (string | number)[], message: string) => void,
): Edge[] {
  const step = steps[i];
  if (step.dependsOn === undefined) return i === 0 ? [] : [{ to: i - 1, j: -1 }];
  const out: Edge[] = [];
  const seen = new Map<string, number>();
  step.dependsOn.forEach((name, j) => {
    const to = position.get(name);
    const first = seen.get(name);
    if (first !== undefined) {
      report(
        ["depends_on", j],
        `step "${step.name}" lists "${name}" twice in depends_on (also depends_on[${first}]); ` +
          "list each dependency once",
      );
      return;
    }
    seen.set(name, j);
    if (name === step.name) {
      report(
        ["depends_on", j],
        `step "${step.name}" depends on itself; remove "${name}" from its depends_on`,
      );
    } else if (to === undefined) {
      const names = steps.map((s) => s.name).filter((n) => n !== step.name);
      const hint = didYouMean(name, names);
      report(
        ["depends_on", j],
        `step "${step.name}" depends on unknown step "${name}"` +
          (hint ? ` (did you mean "${hint}"?)` : "") +
          "; depends_on takes names of steps in this recipe",
      );
    } else out.push({ to, j });
  });
  return out;
}

/** Renders the graph, edges pointing from a dependency to its dependent (the run's flow). */
export function renderGraph(source: GraphSource, format: GraphFormat): string {
  const nodes = "steps" in source
    ? source.steps.map((p) => ({ name: p.step.name, deps: p.deps }))
    : source.recipe.steps.map((s) => ({ name: s.name, deps: source.deps.get(s.name) ?? [] }));
  const lines: string[] = [];
  if (format === "mermaid") {
    // positional ids: step names may be Mermaid keywords ("end") or hold "." and "-"
    const id = new Map(nodes.map((n, i) => [n.name, `s${i}`]));
    lines.push("flowchart TD");
    for (const n of nodes) lines.push(`  ${id.get(n.name)}["${n.name}"]`);
    for (const n of nodes) {
      for (const d of n.deps) lines.push(`  ${id.get(d)} --> ${id.get(n.name)}`);
    }
  } else {
    // step names hold no quote or backslash (the schema's rule), so quoting is enough
    lines.push("digraph recipe {");
    for (const n of nodes) lines.push(`  "${n.name}";`);
    for (const n of nodes) for (const d of n.deps) lines.push(`  "${d}" -> "${n.name}";`);
    lines.push("}");
  }
  return lines.join("\n") + "\n";
}

/** Kahn's algorithm with a min-heap of positions: the lowest idx among ready steps goes first. */
function _topologicalOrder(edges: Edge[][]): number[] {
  const n = edges.length;
  const pending = new Int32Array(n);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  edges.forEach((out, v) => {
    pending[v] = out.length;
    for (const e of out) dependents[e.to].push(v);
  });
  const heap = new MinHeap();
  for (let v = 0; v < n; v++) if (pending[v] === 0) heap.push(v);
  const order: number[] = [];
  while (heap.size > 0) {
    const v = heap.pop();
    order.push(v);
    for (const w of dependents[v]) if (--pending[w] === 0) heap.push(w);
  }
  return order;
}

/**
 * One cycle per strongly connected component with more than one step (Tarjan's algorithm,
 * iterative). Each cycle starts at the component's lowest-idx step, is a shortest cycle through
 * it (breadth-first search inside the component), and does not repeat its first step at the end.
 */
function _cycles(edges: Edge[][]): number[][] {
  const n = edges.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const next = new Int32Array(n); // the next edge to look at, per step on the call stack
  const onStack = new Uint8Array(n);
  const component = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  const call: number[] = [];
  const cycles: number[][] = [];
  let counter = 0;
  let components = 0;
  const visit = (v: number) => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    call.push(v);
  };
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    visit(root);
    while (call.length > 0) {
      const v = call[call.length - 1];
      if (next[v] < edges[v].length) {
        const w = edges[v][next[v]++].to;
        if (index[w] === -1) visit(w);
        else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      call.pop();
      if (call.length > 0) {
        const u = call[call.length - 1];
        low[u] = Math.min(low[u], low[v]);
      }
      if (low[v] !== index[v]) continue;
      const members: number[] = [];
      let w: number;
      do {
        w = stack.pop()!;
        onStack[w] = 0;
        component[w] = components;
        members.push(w);
      } while (w !== v);
      if (members.length > 1) {
        // no Math.min(...members): spreading 100k arguments overflows the stack
        const start = members.reduce((a, b) => Math.min(a, b));
        cycles.push(_shortestCycle(edges, component, start));
      }
      components++;
    }
  }
  return cycles.sort((a, b) => a[0] - b[0]);
}

/** A shortest cycle through `start` inside its component, as positions from `start`. */
function _shortestCycle(edges: Edge[][], component: Int32Array, start: number): number[] {
  const parent = new Map<number, number>([[start, -1]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    for (const { to } of edges[v]) {
      if (component[to] !== component[start]) continue;
      if (to === start) {
        const path: number[] = [];
        for (let at = v; at !== -1; at = parent.get(at)!) path.push(at);
        return path.reverse();
      }
      if (!parent.has(to)) {
        parent.set(to, v);
        queue.push(to);
      }
    }
  }
  throw new Error("unreachable: a strongly connected component always has a cycle");
}

function _cycleIssue(
  recipe: Recipe,
  edges: Edge[][],
  cycle: number[],
  issue: IssueAt,
): Issue {
  const steps = recipe.steps;
  const names = cycle.map((i) => steps[i].name);
  const shown = names.length <= MAX_CYCLE_SHOWN
    ? names
    : [...names.slice(0, 10), `... (${names.length - 15} more)`, ...names.slice(-5)];
  const implicit = cycle.flatMap((v, k) => {
    const to = cycle[(k + 1) % cycle.length];
    return edges[v].some((e) => e.to === to && e.j === -1) ? [steps[v].name] : [];
  });
  const listed = implicit.slice(0, 3).map((n) => `"${n}"`).join(", ") +
    (implicit.length > 3 ? " and others" : "");
  const note = implicit.length === 0
    ? ""
    : implicit.length === 1
    ? `; ${listed} has no depends_on, so it depends on the step before it by idx`
    : `; ${listed} have no depends_on, so they depend on the step before them by idx`;
  // The first step has the lowest idx, so its edge in the cycle is written in its depends_on.
  const first = steps[cycle[0]];
  const j = edges[cycle[0]].find((e) => e.to === cycle[1])!.j;
  return issue(
    first,
    ["depends_on", j],
    `dependency cycle ${[...shown, first.name].join(" -> ")} ("->" reads "depends on"${note}); ` +
      "remove one of these dependencies",
  );
}
