/**
 * @module
 * The scriptlet contract: `BaseScriptlet`, the class every TS step extends, and the test that
 * tells a scriptlet class from anything else a module might export.
 */
import type { ZodType } from "zod";
import type { ContextView } from "./context.ts";
import { type Envelope, type ErrorEnvelope, fail, ok, type OkEnvelope } from "./envelope.ts";

/** What orch tells a scriptlet about the step it is running as. */
export interface StepInfo {
  /** The recipe step's name (or the class name when run standalone). */
  name: string;
  /** Directory relative paths in params resolve against (the run's base directory). */
  baseDir: string;
}

/** A class that extends BaseScriptlet (what a step module exports). */
export interface ScriptletClass {
  /** Creates the step instance; scriptlets take no constructor arguments. */
  new (): BaseScriptlet;
  // @internal only silences deno doc's private-type-ref for zod's type (denoland/deno#27364).
  /**
   * Zod schema for `params`; orch checks recipe `args` against it before anything runs.
   * @internal
   */
  params?: ZodType;
  /** One-line description shown by `orch list`. */
  description?: string;
  /** True when the step may run alongside others. */
  parallel?: boolean;
}

/**
 * Base class of TS steps. Override `run` (required) and `validate` (optional, for checks that
 * need the context); declare `static params` as a zod schema to have args checked up front.
 */
export abstract class BaseScriptlet<P = Record<string, unknown>> {
  /** Zod schema for `params`; orch checks recipe `args` against it before anything runs. */
  static params?: ZodType;
  /** One-line description shown by `orch list`. */
  static description?: string;
  /** True when the step may run alongside others (it only touches the context and its inputs). */
  static parallel?: boolean;

  /** Filled in by orch before `validate` and `run`. */
  step: StepInfo = { name: this.constructor.name, baseDir: "." };

  /** Checks that need the context; throw to fail the step before `run`. */
  validate(_ctx: ContextView, _params: P): void | Promise<void> {}

  /** Does the work: read the context, compute, `ctx.set(...)`, and return an envelope. */
  abstract run(ctx: ContextView, params: P): Envelope | Promise<Envelope>;

  /** An ok envelope listing the keys this step wrote. */
  ok(outputs: string[] = []): OkEnvelope {
    return ok(outputs);
  }

  /** An error envelope for this step. */
  fail(reason: string, exitCode = 1): ErrorEnvelope {
    return fail(this.step.name, reason, exitCode);
  }

  /** Resolves a path from params against the run's base directory. */
  path(p: string): string {
    if (p.startsWith("/")) return p;
    return `${this.step.baseDir.replace(/\/+$/, "")}/${p}`;
  }
}

/** True when `value` is a class extending BaseScriptlet. */
export function isScriptletClass(value: unknown): value is ScriptletClass {
  return typeof value === "function" && value.prototype instanceof BaseScriptlet;
}

/**
 * Makes a step module runnable on its own:
 * `deno run <flags> steps/x.ts --params '{...}' [--context in.json] [--context-out out.json]`.
 * Call it at the end of the module as `standalone(MyStep, import.meta)`; it does nothing when
 * the module is imported (by orch or a test).
 */
export function standalone(cls: ScriptletClass, meta: ImportMeta): void {
  if (!meta.main) return;
  import("./standalone.ts").then((m) => m.runStandalone(cls, Deno.args));
}
