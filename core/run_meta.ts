/**
 * @module
 * What a run records about its recipe so a report can be rendered from the run directory alone:
 * the test's tester and description, and each step's name, idx, type, module and resolved
 * dependencies. Written into the journal's run-start record; does not render anything.
 */
import type { Plan } from "./plan.ts";

/** One step as the run saw it (recipe order). */
export interface RunMetaStep {
  /** The step's name. */
  name: string;
  /** Its idx in the recipe. */
  idx: number;
  /** Its type. */
  type: "deno" | "shell" | "python";
  /** deno/python: the module; shell: the script, or the `run` command line. */
  module?: string;
  /** deno/python: the scriptlet class. */
  function?: string;
  /** Resolved dependencies (the implicit "previous by idx" included). */
  depends_on: string[];
}

/** The recipe facts a report needs, as stored in the run-start journal record. */
export interface RunMeta {
  /** test_meta.tester. */
  tester: string;
  /** test_meta.description. */
  description: string;
  /** Every step of the recipe, in recipe order. */
  steps: RunMetaStep[];
}

/** The run meta of a plan. */
export function runMeta(plan: Plan): RunMeta {
  const { tester, description } = plan.recipe.testMeta;
  return {
    tester,
    description,
    steps: plan.steps.map((p) => {
      const s = p.step;
      const module = s.type === "shell" ? s.script ?? s.run : s.module;
      return {
        name: s.name,
        idx: s.idx,
        type: s.type,
        ...(module !== undefined ? { module } : {}),
        ...(s.type !== "shell" ? { function: s.function } : {}),
        depends_on: [...p.deps],
      };
    }),
  };
}
