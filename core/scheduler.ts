/**
 * @module
 * Decides which steps run and when: applies the selection (`only`, `skip`, `resumeFrom`), walks
 * the dependency graph, starts ready steps up to the concurrency limit (parallel-safe steps
 * together, any other step alone) and applies the failure policy (fail-fast cancels the running
 * steps and starts nothing new; keep-going skips only what depends on a failure). Does not run a
 * step: the caller's `run` does, and owns attempts, timeouts and commits.
 */
import { UsageError } from "./errors.ts";
import { type StepStatus, succeeded } from "./events.ts";
import { MinHeap } from "./min_heap.ts";
import type { PlannedStep } from "./plan.ts";
import { didYouMean } from "./suggest.ts";

/** Which steps of a plan to run. */
export interface Selection {
  /** Run only these steps (dependencies outside the selection are taken as done). */
  only?: string[];
  /** Do not run these steps (their dependents still run, taking them as done). */
  skip?: string[];
  /** Run this step and every step after it in idx order. */
  resumeFrom?: string;
}

/**
 * The steps a selection keeps, in idx order. Throws UsageError for an unknown name (with a
 * "did you mean") or a selection that keeps nothing.
 */
export function selectSteps(steps: PlannedStep[], selection: Selection): PlannedStep[] {
  const names = steps.map((p) => p.step.name);
  const only = selection.only && _known(selection.only, names, "--only");
  const skip = new Set(selection.skip && _known(selection.skip, names, "--skip"));
  const from = selection.resumeFrom === undefined
    ? 0
    : names.indexOf(_known([selection.resumeFrom], names, "--resume-from")[0]);
  const kept = steps.filter((p, i) =>
    i >= from && !skip.has(p.step.name) && (!only || only.includes(p.step.name))
  );
  if (kept.length === 0) {
    throw new UsageError(
      "the step selection (--only, --skip, --resume-from) leaves no step to run",
      `steps: ${names.join(", ")}`,
    );
  }
  return kept;
}

function _known(wanted: string[], names: string[], flag: string): string[] {
  for (const name of wanted) {
    if (names.includes(name)) continue;
    const hint = didYouMean(name, names);
    throw new UsageError(
      `${flag} names step "${name}", which is not in the recipe` +
        (hint ? ` (did you mean "${hint}"?)` : ""),
      `steps: ${names.join(", ")}`,
    );
  }
  return wanted;
}

/** Each step's ancestors: every step it depends on, directly or not. */
export function ancestry(steps: PlannedStep[]): Map<string, Set<string>> {
  const deps = new Map(steps.map((p) => [p.step.name, p.deps]));
  const memo = new Map<string, Set<string>>();
  const walk = (name: string): Set<string> => {
    let set = memo.get(name);
    if (set) return set;
    memo.set(name, set = new Set());
    for (const d of deps.get(name) ?? []) for (const a of [d, ...walk(d)]) set.add(a);
    return set;
  };
  for (const name of deps.keys()) walk(name);
  return memo;
}

/** How a step ended, as far as scheduling cares. */
export interface Ended {
  /** The step's final status. */
  status: StepStatus;
}

/** What `schedule` needs from its caller. */
export interface ScheduleOptions<E extends Ended> {
  /** Most steps running at once (>= 1). */
  concurrency: number;
  /** After a failure, keep running every step that does not depend on it. */
  keepGoing: boolean;
  /** Aborting stops the run: running steps are cancelled, nothing new starts. */
  signal: AbortSignal;
  /**
   * Runs one step to its end. `signal` aborts when the step must stop (run interrupted, or
   * fail-fast after another step failed; then its reason is a string saying why).
   */
  run(step: PlannedStep, signal: AbortSignal): Promise<E>;
  /** Called once per step that ran, when it ends. */
  onEnd(step: PlannedStep, end: E): void;
  /** Called once per selected step that will not run, with why. */
  onSkip(step: PlannedStep, reason: string, exitCode: number): void;
}

/** Runs the selected steps as the graph, the limit and the failure policy allow. */
export async function schedule<E extends Ended>(
  steps: PlannedStep[],
  options: ScheduleOptions<E>,
): Promise<void> {
  await new _Walk(steps, options).walk();
}

interface _Running<E> {
  step: PlannedStep;
  controller: AbortController;
  done: Promise<void>;
}

/** Position states of a step in the walk. */
const PENDING = 0, STARTED = 1, SKIPPED = 2;

/**
 * One walk over the graph; the state of a single `schedule` call. A ready queue: each step
 * counts its selected dependencies that have not succeeded yet and becomes ready (a min-heap by
 * its position, i.e. idx order) when the count reaches zero, so a step costs O(log n), not a scan
 * of every pending step.
 */
class _Walk<E extends Ended> {
  #options: ScheduleOptions<E>;
  #steps: PlannedStep[];
  #state: Uint8Array;
  /** Per position: selected dependencies that have not succeeded yet. */
  #waiting: Int32Array;
  /** Per position: positions of the selected steps depending on it. */
  #dependents: number[][];
  #ready = new MinHeap();
  #running = new Map<string, _Running<E>>();
  /** How many running steps are not parallel-safe. */
  #serial = 0;
  /** Steps that ended and are not settled yet, oldest first. */
  #ended: [PlannedStep, E][] = [];
  #wake?: () => void;
  #error?: { err: unknown };
  /** The step whose failure stopped the run (fail-fast). */
  #stoppedBy?: string;

  constructor(steps: PlannedStep[], options: ScheduleOptions<E>) {
    this.#options = options;
    this.#steps = steps;
    this.#positions = new Map(steps.map((p, i) => [p, i]));
    this.#state = new Uint8Array(steps.length);
    this.#waiting = new Int32Array(steps.length);
    this.#dependents = steps.map(() => []);
    const position = new Map(steps.map((p, i) => [p.step.name, i]));
    steps.forEach((p, i) => {
      for (const d of new Set(p.deps)) {
        const at = position.get(d);
        if (at === undefined) continue; // outside the selection: taken as done
        this.#waiting[i]++;
        this.#dependents[at].push(i);
      }
      if (this.#waiting[i] === 0) this.#ready.push(i);
    });
  }

  async walk(): Promise<void> {
    const onAbort = () => {
      for (const r of this.#running.values()) r.controller.abort(this.#options.signal.reason);
    };
    this.#options.signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        this.#startReady();
        if (this.#running.size === 0) break;
        const [step, end] = await this.#next();
        this.#running.delete(step.step.name);
        if (!step.parallel) this.#serial--;
        this.#settle(step, end);
      }
    } finally {
      this.#options.signal.removeEventListener("abort", onAbort);
    }
    const interrupted = this.#options.signal.aborted;
    this.#steps.forEach((step, i) => {
      if (this.#state[i] !== PENDING) return;
      const why = interrupted
        ? "skipped: run interrupted"
        : this.#stoppedBy
        ? `skipped: step "${this.#stoppedBy}" failed`
        : "skipped: its dependencies never finished";
      this.#options.onSkip(step, why, interrupted ? 130 : 1);
    });
  }

  /** The next step that ended; rethrows (after stopping the others) when a run threw. */
  async #next(): Promise<[PlannedStep, E]> {
    while (this.#ended.length === 0 && !this.#error) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    if (this.#error) return await this.#stopAll(this.#error.err);
    return this.#ended.shift()!;
  }

  /**
   * A step's run threw (e.g. the journal could not be written): cancels the other running steps,
   * waits until they stopped (no process outlives the run), then rethrows.
   */
  async #stopAll(err: unknown): Promise<never> {
    const why = `the run stopped: ${(err as Error)?.message ?? err}`;
    for (const r of this.#running.values()) r.controller.abort(why);
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
    throw err;
  }

  /** Starts ready steps in idx order; a ready step that cannot start yet holds back later ones. */
  #startReady(): void {
    if (this.#stoppedBy !== undefined || this.#options.signal.aborted) return;
    while (this.#ready.size > 0) {
      const i = this.#ready.peek();
      const step = this.#steps[i];
      if (!this.#canStart(step)) break;
      this.#ready.pop();
      this.#state[i] = STARTED;
      if (!step.parallel) this.#serial++;
      const controller = new AbortController();
      const done = this.#options.run(step, controller.signal).then(
        (end) => void this.#ended.push([step, end]),
        (err) => void (this.#error ??= { err }),
      ).finally(() => this.#wake?.());
      this.#running.set(step.step.name, { step, controller, done });
    }
  }

  #canStart(step: PlannedStep): boolean {
    if (this.#running.size === 0) return true;
    if (!step.parallel || this.#running.size >= this.#options.concurrency) return false;
    return this.#serial === 0;
  }

  #settle(step: PlannedStep, end: E): void {
    const name = step.step.name;
    this.#options.onEnd(step, end);
    if (succeeded(end.status)) {
      for (const d of this.#dependents[this.#position(step)]) {
        if (--this.#waiting[d] === 0 && this.#state[d] === PENDING) this.#ready.push(d);
      }
      return;
    }
    if (this.#options.keepGoing) return this.#skipDependents(step, end.status);
    if (this.#stoppedBy !== undefined || end.status === "cancelled") return;
    this.#stoppedBy = name;
    const why = `step "${name}" failed (fail-fast; --keep-going lets independent steps finish)`;
    for (const r of this.#running.values()) r.controller.abort(why);
  }

  #positions: Map<PlannedStep, number>;
  #position(step: PlannedStep): number {
    return this.#positions.get(step)!;
  }

  /** Keep-going: skips every pending step that depends, directly or not, on `failedStep`. */
  #skipDependents(failedStep: PlannedStep, status: StepStatus): void {
    const failed = failedStep.step.name;
    const how: Partial<Record<StepStatus, string>> = {
      failed: "failed",
      timeout: "timed out",
      cancelled: "was cancelled",
    };
    const blocked = new Set([failed]);
    const found: number[] = [];
    const queue = [this.#position(failedStep)];
    while (queue.length > 0) {
      for (const d of this.#dependents[queue.pop()!]) {
        if (this.#state[d] !== PENDING) continue;
        this.#state[d] = SKIPPED;
        blocked.add(this.#steps[d].step.name);
        found.push(d);
        queue.push(d);
      }
    }
    for (const i of found.sort((a, b) => a - b)) {
      const step = this.#steps[i];
      const dep = step.deps.find((d) => d !== step.step.name && blocked.has(d))!;
      const via = dep === failed ? "" : ` (through "${dep}")`;
      this.#options.onSkip(
        step,
        `skipped: depends on "${failed}"${via}, which ${how[status]}`,
        this.#options.signal.aborted ? 130 : 1,
      );
    }
  }
}
