/**
 * @module
 * Where deno steps run: in a Worker (the default) or inline, in orch's own process. Owns the
 * rules for `isolation: inline` (deno steps only; not with a `timeout`, which needs a Worker to
 * stop, nor with `permissions`, which only a Worker can narrow, nor under a recipe-level
 * `permissions:` ceiling) and `orch run --isolation inline`, which runs every deno step inline
 * except those that need a Worker. Does not run anything (executors/inline.ts does).
 */
import type { IssueAt } from "./recipe.ts";
import type { Plan } from "./plan.ts";
import type { PathSegment } from "./yaml_source.ts";

/** Where a deno step runs. */
export type Isolation = "worker" | "inline";

/** Why a raw step may not run inline (none when it does not ask to, or may). */
export function isolationIssues(
  s: Record<string, unknown>,
  at: PathSegment[],
  issue: IssueAt,
  recipeHasPermissions: boolean,
): ReturnType<IssueAt>[] {
  if (s.isolation !== "inline") return [];
  const path = [...at, "isolation"];
  if (s.type !== "deno") {
    return [
      issue(path, `isolation: inline is for deno steps; a ${s.type} step runs as its own process`),
    ];
  }
  const why = _workerReason(
    s.timeout !== undefined,
    s.permissions !== undefined,
    recipeHasPermissions,
  );
  return why ? [issue(path, `isolation: inline cannot be combined with ${why}`)] : [];
}

/** Why a deno step must keep its Worker, or undefined when it may run inline. */
function _workerReason(
  timeout: boolean,
  permissions: boolean,
  recipeCeiling: boolean,
): string | undefined {
  return timeout
    ? "a timeout (only a Worker can be stopped mid-step); drop the timeout or the isolation"
    : permissions
    ? "permissions (an inline step has orch's own; only a Worker narrows them); drop one of them"
    : recipeCeiling
    ? "a recipe-level permissions ceiling (an inline step would have orch's own permissions)"
    : undefined;
}

/**
 * The plan with `mode` applied: under `inline`, every deno step that may run inline does (a
 * step with a timeout or permissions, or any step under a recipe ceiling, keeps its Worker).
 */
export function withIsolation(plan: Plan, mode: Isolation | undefined): Plan {
  if (mode !== "inline") return plan;
  const ceiling = plan.recipe.permissions !== undefined;
  const steps = plan.steps.map((p) => {
    const { step, target } = p;
    if (target.type !== "deno") return p;
    if (_workerReason(step.timeoutMs !== undefined, step.permissions !== undefined, ceiling)) {
      return p;
    }
    return { ...p, target: { ...target, isolation: "inline" as const } };
  });
  return { ...plan, steps };
}
