/**
 * @module
 * Exports a planned recipe as an Argo `Workflow` (argoproj.io/v1alpha1): one DAG task per step,
 * each running `orch step` on that step in a container, the context passed between tasks as an
 * artifact, and a merge task (`orch context merge`) before every fan-in. Builds the document;
 * does not submit it, and needs no cluster.
 *
 * Argo types IntOrString fields (`retryStrategy.limit`, `backoff.factor`, a template's
 * `activeDeadlineSeconds`) as strings in its JSON Schema, so they are emitted as strings.
 */
import type { Plan } from "../plan.ts";
import type { RetryPolicy } from "../recipe.ts";
import {
  type ExportOptions,
  type ExportStep,
  exportSteps,
  mergeArgv,
  stepArgv,
  uniqueId,
  withDefaults,
} from "./export_steps.ts";

/** The DAG template's name (the workflow's entrypoint). */
export const ARGO_ENTRYPOINT = "main";

/** Where a node's context files live in its container. */
const CTX_DIR = "/tmp/orch";

/** The workflow run's id in every node (`${{ run.id }}`): the same across nodes and retries. */
export const RUN_ID = "{{workflow.uid}}";

/** The annotation naming the recipe step a template runs. */
export const STEP_ANNOTATION = "orch/step";

/** An Argo Workflow document (the parts orch writes). */
export interface ArgoWorkflow {
  apiVersion: "argoproj.io/v1alpha1";
  kind: "Workflow";
  metadata: { generateName: string; annotations: Record<string, string> };
  spec: { entrypoint: string; templates: Record<string, unknown>[] };
}

/** An Argo DAG task. */
export interface ArgoTask {
  name: string;
  template: string;
  dependencies?: string[];
  arguments: { artifacts: Record<string, unknown>[] };
}

/** Builds the Argo Workflow running `plan` step by step. */
export function argoWorkflow(plan: Plan, options: ExportOptions): ArgoWorkflow {
  const { image, binary } = withDefaults(options);
  const steps = exportSteps(plan, argoName, [ARGO_ENTRYPOINT]);
  const taken = new Set([ARGO_ENTRYPOINT, ...steps.map((s) => s.id)]);
  const idOf = new Map(steps.map((s) => [s.name, s.id]));
  const tasks: ArgoTask[] = [];
  const templates: Record<string, unknown>[] = [];
  for (const step of steps) {
    let input: Record<string, unknown> = { raw: { data: "{}" } }; // a root starts empty
    let dependencies = step.deps.map((d) => idOf.get(d)!);
    if (dependencies.length === 1) input = { from: _ctxOut(dependencies[0]) };
    if (dependencies.length > 1) {
      const merge = uniqueId(`merge-${step.id}`, taken);
      tasks.push({
        name: merge,
        template: merge,
        dependencies,
        arguments: {
          artifacts: dependencies.map((d, i) => ({ name: `ctx-${i + 1}`, from: _ctxOut(d) })),
        },
      });
      templates.push(
        _mergeTemplate(merge, dependencies.length, {
          image,
          binary,
          recipePath: options.recipePath,
        }),
      );
      input = { from: _ctxOut(merge) };
      dependencies = [merge];
    }
    tasks.push({
      name: step.id,
      template: step.id,
      ...(dependencies.length > 0 ? { dependencies } : {}),
      arguments: { artifacts: [{ name: "ctx-in", ...input }] },
    });
    templates.push(_stepTemplate(step, { image, binary, recipePath: options.recipePath }));
  }
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: {
      generateName: `${argoName(plan.recipe.testMeta.testId)}-`,
      annotations: {
        "orch/recipe": options.recipePath,
        "orch/test-id": plan.recipe.testMeta.testId,
      },
    },
    spec: {
      entrypoint: ARGO_ENTRYPOINT,
      templates: [{ name: ARGO_ENTRYPOINT, dag: { tasks } }, ...templates],
    },
  };
}

/**
 * A step name as an Argo task and template name: lower case letters, digits and '-', starting
 * and ending with a letter or digit (these names end up in Kubernetes pod names).
 */
export function argoName(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "");
  return slug === "" ? "step" : slug.slice(0, 60);
}

/** Argo's retryStrategy for an orch retry policy; undefined when the step is not retried. */
export function argoRetryStrategy(retry: RetryPolicy): Record<string, unknown> | undefined {
  if (retry.max === 0) return undefined;
  const backoff: Record<string, string> = {};
  if (retry.delayMs > 0) {
    backoff.duration = _goDuration(retry.delayMs);
    // Argo's factor is an integer: a fractional factor is rounded up (waits are never shorter)
    if (retry.backoff > 1) backoff.factor = String(Math.ceil(retry.backoff));
    if (Number.isFinite(retry.maxDelayMs)) backoff.cap = _goDuration(retry.maxDelayMs);
  }
  return {
    limit: String(retry.max),
    // retry.on maps only roughly: a step also retried on timeout gets "Always" (any failure or
    // error of the pod), one retried on errors only gets "OnFailure" (the container failed)
    retryPolicy: retry.on.includes("timeout") ? "Always" : "OnFailure",
    ...(Object.keys(backoff).length > 0 ? { backoff } : {}),
  };
}

function _stepTemplate(
  step: ExportStep,
  o: { image: string; binary: string; recipePath: string },
): Record<string, unknown> {
  const retryStrategy = argoRetryStrategy(step.retry);
  const files = { contextIn: `${CTX_DIR}/ctx-in.json`, contextOut: `${CTX_DIR}/ctx-out.json` };
  return {
    name: step.id,
    metadata: { annotations: { [STEP_ANNOTATION]: step.name } },
    inputs: { artifacts: [{ name: "ctx-in", path: files.contextIn }] },
    outputs: { artifacts: [{ name: "ctx-out", path: files.contextOut }] },
    ...(retryStrategy ? { retryStrategy } : {}),
    ...(step.timeoutMs === undefined
      ? {}
      : { activeDeadlineSeconds: String(Math.max(1, Math.ceil(step.timeoutMs / 1000))) }),
    container: {
      image: o.image,
      command: stepArgv(o.binary, o.recipePath, step.name, files, RUN_ID),
    },
  };
}

function _mergeTemplate(
  name: string,
  branches: number,
  o: { image: string; binary: string; recipePath: string },
): Record<string, unknown> {
  const inputs = Array.from({ length: branches }, (_, i) => ({
    name: `ctx-${i + 1}`,
    path: `${CTX_DIR}/ctx-${i + 1}.json`,
  }));
  const out = `${CTX_DIR}/ctx-out.json`;
  return {
    name,
    inputs: { artifacts: inputs },
    outputs: { artifacts: [{ name: "ctx-out", path: out }] },
    container: {
      image: o.image,
      command: mergeArgv(o.binary, o.recipePath, { inputs: inputs.map((i) => i.path), out }),
    },
  };
}

function _ctxOut(task: string): string {
  return `{{tasks.${task}.outputs.artifacts.ctx-out}}`;
}

/** Milliseconds as a Go duration string ("5s", "1500ms"). */
function _goDuration(ms: number): string {
  const rounded = Math.ceil(ms);
  return rounded % 1000 === 0 ? `${rounded / 1000}s` : `${rounded}ms`;
}
