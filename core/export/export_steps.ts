/**
 * @module
 * What the workflow exporters (Argo, GitHub Actions) share: their options and defaults, the
 * commands a node runs (`orch step` on one step, `orch context merge` before a fan-in), and
 * unique node names derived from step names. Builds data only; writes no file.
 */
import { stringify } from "yaml";
import type { Plan } from "../plan.ts";
import { retryDelayMs, type RetryPolicy } from "../recipe.ts";

/** Where and how the exported workflow runs orch. */
export interface ExportOptions {
  /** The recipe's path where each node runs (inside the image, in the checkout). */
  recipePath: string;
  /** The container image holding the orch binary and the recipe's files. @default "orch:latest" */
  image?: string;
  /** The orch binary inside the image. @default "/usr/local/bin/orch" */
  binary?: string;
}

/** The defaults of the optional ExportOptions. */
export const EXPORT_DEFAULTS = {
  image: "orch:latest",
  binary: "/usr/local/bin/orch",
} satisfies Required<Omit<ExportOptions, "recipePath">>;

/** `options` with the defaults filled in (an undefined field takes its default). */
export function withDefaults(options: ExportOptions): Required<ExportOptions> {
  return {
    recipePath: options.recipePath,
    image: options.image ?? EXPORT_DEFAULTS.image,
    binary: options.binary ?? EXPORT_DEFAULTS.binary,
  };
}

/** One step as a workflow node sees it. */
export interface ExportStep {
  /** The recipe's step name (what `orch step --name` takes). */
  name: string;
  /** The node's name in the workflow (unique, in the engine's alphabet). */
  id: string;
  /** Names of the steps it waits for (the plan's resolved dependencies). */
  deps: string[];
  /** The step's retry policy. */
  retry: RetryPolicy;
  /** Deadline of one attempt in ms, when the step has one. */
  timeoutMs?: number;
}

/**
 * The plan's steps in run order, each with a unique node id made by `slug` from its name; ids in
 * `reserved` (the engine's own node names) are never given to a step.
 */
export function exportSteps(
  plan: Plan,
  slug: (name: string) => string,
  reserved: string[] = [],
): ExportStep[] {
  const taken = new Set(reserved);
  return plan.steps.map(({ step, deps }) => ({
    name: step.name,
    id: uniqueId(slug(step.name), taken),
    deps,
    retry: step.retry,
    timeoutMs: step.timeoutMs,
  }));
}

/** `base`, or `base-2`, `base-3`, ... : the first not in `taken` (which it is then added to). */
export function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

/**
 * The argv of a node running one step of the recipe. `runId` is the engine's expression for the
 * workflow run's id (what `${{ run.id }}` resolves to in every node of one run).
 */
export function stepArgv(
  binary: string,
  recipePath: string,
  step: string,
  files: { contextIn: string; contextOut: string },
  runId: string,
): string[] {
  return [
    binary,
    "step",
    "--recipe",
    recipePath,
    "--name",
    step,
    "--context-in",
    files.contextIn,
    "--context-out",
    files.contextOut,
    "--run-id",
    runId,
  ];
}

/**
 * The argv of a node merging the contexts of parallel branches before a fan-in, with the
 * recipe's `context.merge` strategy.
 */
export function mergeArgv(
  binary: string,
  recipePath: string,
  files: { inputs: string[]; out: string },
): string[] {
  return [binary, "context", "merge", ...files.inputs, "-o", files.out, "--recipe", recipePath];
}

/** Every wait between attempts under `retry`, in ms (one per retry). */
export function retryWaitsMs(retry: RetryPolicy): number[] {
  return Array.from({ length: retry.max }, (_, i) => retryDelayMs(retry, i + 1));
}

/** `argv` as one POSIX shell command line (arguments quoted where needed). */
export function shellLine(argv: string[]): string {
  return argv.map((a) =>
    /^[A-Za-z0-9_.\/:=@%+,-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`
  )
    .join(" ");
}

/** A workflow document as YAML, opening with `header` as comment lines. */
export function workflowYaml(doc: unknown, header: string[]): string {
  const comments = header.map((line) => `# ${line}`.trimEnd()).join("\n");
  return `${comments}\n${stringify(doc, { lineWidth: 0 })}`;
}
