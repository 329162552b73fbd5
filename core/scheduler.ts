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
  done: Promise<[PlannedStep, E]>;
}

/** One walk over the graph; the state of a single `schedule` call. */
class _Walk<E extends Ended> {
  #options: ScheduleOptions<E>;
  #selected: Set<string>;
  /** Selected steps not started nor skipped yet, in idx order. */
  #pending: PlannedStep[];
  #running = new Map<string, _Running<E>>();
  #status = new Map<string, StepStatus>();
  /** The step whose failure stopped the run (fail-fast). */
  #stoppedBy?: string;

  constructor(steps: PlannedStep[], options: ScheduleOptions<E>) {
    this.#options = options;
    this.#selected = new Set(steps.map((p) => p.step.name));
    this.#pending = [...steps];
  }

  async walk(): Promise<void> {
    for (;;) {
      this.#startReady();
      if (this.#running.size === 0) break;
      const [step, end] = await Promise.race([...this.#running.values()].map((r) => r.done));
      this.#running.delete(step.step.name);
      this.#settle(step, end);
    }
    const interrupted = this.#options.signal.aborted;
    for (const step of this.#pending) {
      const why = interrupted
        ? "skipped: run interrupted"
        : this.#stoppedBy
        ? `skipped: step "${this.#stoppedBy}" failed`
        : "skipped: its dependencies never finished";
      this.#options.onSkip(step, why, interrupted ? 130 : 1);
    }
  }

  /** Starts ready steps in idx order; a ready step that cannot start yet holds back later ones. */
  #startReady(): void {
    if (this.#stoppedBy !== undefined || this.#options.signal.aborted) return;
    for (const step of [...this.#pending]) {
      if (!this.#depsDone(step)) continue;
      if (!this.#canStart(step)) break;
      this.#pending.splice(this.#pending.indexOf(step), 1);
      const controller = new AbortController();
      const signal = AbortSignal.any([this.#options.signal, controller.signal]);
      const done = this.#options.run(step, signal).then((end) => [step, end] as [PlannedStep, E]);
      this.#running.set(step.step.name, { step, controller, done });
    }
  }

  /** True when every dependency ended ok or lies outside the selection. */
  #depsDone(step: PlannedStep): boolean {
    return step.deps.every((d) => !this.#selected.has(d) || succeeded(this.#status.get(d)!));
  }

  #canStart(step: PlannedStep): boolean {
    if (this.#running.size === 0) return true;
    if (!step.parallel || this.#running.size >= this.#options.concurrency) return false;
    return [...this.#running.values()].every((r) => r.step.parallel);
  }

  #settle(step: PlannedStep, end: E): void {
    const name = step.step.name;
    this.#status.set(name, end.status);
    this.#options.onEnd(step, end);
    if (succeeded(end.status)) return;
    if (this.#options.keepGoing) return this.#skipDependents(name);
    if (this.#stoppedBy !== undefined || end.status === "cancelled") return;
    this.#stoppedBy = name;
    const why = `step "${name}" failed (fail-fast; --keep-going lets independent steps finish)`;
    for (const r of this.#running.values()) r.controller.abort(why);
  }

  /** Keep-going: skips every pending step that depends, directly or not, on `failed`. */
  #skipDependents(failed: string): void {
    const how = { failed: "failed", timeout: "timed out", cancelled: "was cancelled" };
    const status = this.#status.get(failed) as keyof typeof how;
    const blocked = new Set([failed]);
    for (let changed = true; changed;) {
      changed = false;
      for (const step of [...this.#pending]) {
        const dep = step.deps.find((d) => blocked.has(d));
        if (dep === undefined) continue;
        this.#pending.splice(this.#pending.indexOf(step), 1);
        blocked.add(step.step.name);
        changed = true;
        const via = dep === failed ? "" : ` (through "${dep}")`;
        this.#options.onSkip(
          step,
          `skipped: depends on "${failed}"${via}, which ${how[status]}`,
          this.#options.signal.aborted ? 130 : 1,
        );
      }
    }
  }
}
