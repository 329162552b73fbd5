/**
 * @module
 * Exports a planned recipe as a GitHub Actions workflow: one job per step (`needs:` from the
 * graph) running `orch step` on that step in the orch container image, the context passed
 * between jobs as artifacts (actions/upload-artifact, actions/download-artifact), a merge
 * (`orch context merge`) before every fan-in, and a final job publishing the JUnit report.
 * Builds the document; does not push or run it.
 */
import type { Plan } from "../plan.ts";
import {
  type ExportOptions,
  type ExportStep,
  exportSteps,
  mergeArgv,
  retryWaitsMs,
  shellLine,
  stepArgv,
  withDefaults,
} from "./export_steps.ts";

/** The final job's id: it publishes the JUnit report. */
export const REPORT_JOB = "report";

/** The pinned actions the workflow uses. */
export const ACTIONS = {
  checkout: "actions/checkout@v4",
  upload: "actions/upload-artifact@v4",
  download: "actions/download-artifact@v4",
} as const;

/**
 * Minutes a job gets on top of its step's own budget, for pulling the image, the checkout and
 * the artifacts.
 */
export const SETUP_MINUTES = 5;

/** The workflow run's id in every job (`${{ run.id }}`): the same across jobs and re-runs. */
export const RUN_ID = "${{ github.run_id }}";

/**
 * The file the report job publishes. orch's JUnit reporter exists (`orch run --report junit=PATH`,
 * `orch report --format junit`), but no exported node writes this file yet, so the job skips.
 */
export const JUNIT_FILE = "report.xml";

/** A GitHub Actions workflow document (the parts orch writes). */
export interface GithubWorkflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, GithubJob>;
}

/** One job. */
export interface GithubJob {
  name: string;
  needs?: string[];
  if?: string;
  "runs-on": string;
  container?: { image: string };
  "timeout-minutes"?: number;
  steps: Record<string, unknown>[];
}

/** Builds the GitHub Actions workflow running `plan` one job per step. */
export function githubWorkflow(plan: Plan, options: ExportOptions): GithubWorkflow {
  const { image, binary } = withDefaults(options);
  const steps = exportSteps(plan, githubJobId, [REPORT_JOB]);
  const idOf = new Map(steps.map((s) => [s.name, s.id]));
  const jobs: Record<string, GithubJob> = {};
  for (const step of steps) {
    const needs = step.deps.map((d) => idOf.get(d)!);
    const timeout = githubTimeoutMinutes(step);
    jobs[step.id] = {
      name: step.name,
      ...(needs.length > 0 ? { needs } : {}),
      "runs-on": "ubuntu-latest",
      container: { image },
      ...(timeout === undefined ? {} : { "timeout-minutes": timeout }),
      steps: [
        { uses: ACTIONS.checkout },
        ..._contextIn(needs, { binary, recipePath: options.recipePath }),
        {
          name: `orch step ${step.name}`,
          run: shellLine(
            stepArgv(binary, options.recipePath, step.name, {
              contextIn: "ctx-in.json",
              contextOut: "ctx-out.json",
            }, RUN_ID),
          ),
        },
        { uses: ACTIONS.upload, with: { name: `ctx-${step.id}`, path: "ctx-out.json" } },
      ],
    };
  }
  jobs[REPORT_JOB] = _reportJob(steps.map((s) => s.id));
  return {
    name: `orch ${plan.recipe.testMeta.testId}`,
    on: { workflow_dispatch: {} },
    permissions: { contents: "read" },
    jobs,
  };
}

/** A step name as a job id: letters, digits, '_' and '-', not starting with a digit or '-'. */
export function githubJobId(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_-]/g, "_");
  return /^[A-Za-z_]/.test(id) ? id : `_${id}`;
}

/**
 * A job's timeout-minutes: every attempt `orch step` may make (each up to the step's timeout)
 * and the waits between them, plus SETUP_MINUTES; undefined when the step has no timeout.
 */
export function githubTimeoutMinutes(step: Pick<ExportStep, "retry" | "timeoutMs">) {
  if (step.timeoutMs === undefined) return undefined;
  const waits = retryWaitsMs(step.retry).reduce((a, b) => a + b, 0);
  const budgetMs = (step.retry.max + 1) * step.timeoutMs + waits;
  return Math.ceil(budgetMs / 60_000) + SETUP_MINUTES;
}

/** Steps producing ctx-in.json: an empty context, a dependency's, or the merge of several. */
function _contextIn(
  needs: string[],
  o: { binary: string; recipePath: string },
): Record<string, unknown>[] {
  if (needs.length === 0) {
    return [{ name: "Start from an empty context", run: "echo '{}' > ctx-in.json" }];
  }
  const downloads = needs.map((id) => ({
    uses: ACTIONS.download,
    with: { name: `ctx-${id}`, path: `ctx/${id}` },
  }));
  const files = needs.map((id) => `ctx/${id}/ctx-out.json`);
  if (needs.length === 1) {
    return [...downloads, { name: "Take the context", run: `mv ${files[0]} ctx-in.json` }];
  }
  return [...downloads, {
    name: `Merge the contexts of ${needs.join(", ")}`,
    run: shellLine(mergeArgv(o.binary, o.recipePath, { inputs: files, out: "ctx-in.json" })),
  }];
}

function _reportJob(needs: string[]): GithubJob {
  return {
    name: "JUnit report",
    needs,
    if: "always()",
    "runs-on": "ubuntu-latest",
    steps: [
      { uses: ACTIONS.download, with: { pattern: "ctx-*", path: "ctx" } },
      {
        name: "Publish the JUnit report",
        if: `hashFiles('${JUNIT_FILE}') != ''`,
        uses: ACTIONS.upload,
        with: { name: "junit-report", path: JUNIT_FILE },
      },
    ],
  };
}
