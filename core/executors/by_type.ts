/**
 * @module
 * The run's executor: sends each attempt to the executor of its step type (deno Workers, or
 * orch's own process for `isolation: inline`; shell processes; the Python bridge) and closes
 * them all when the run ends.
 */
import { type DenoWorkerExecutor, denoWorkerExecutor } from "./deno_worker.ts";
import type { Executor } from "./executor.ts";
import { inlineExecutor } from "./inline.ts";
import { pythonExecutor } from "./python.ts";
import { shellExecutor } from "./shell.ts";

/** One executor per step type, behind one Executor; also inspects deno modules. */
export function stepExecutor(): DenoWorkerExecutor {
  const deno = denoWorkerExecutor();
  const byType: Record<string, Executor> = {
    deno,
    inline: inlineExecutor(),
    shell: shellExecutor(),
    python: pythonExecutor(),
  };
  return {
    run: (attempt, signal, onLog) => {
      const t = attempt.target;
      const kind = t.type === "deno" && t.isolation === "inline" ? "inline" : t.type;
      return byType[kind].run(attempt, signal, onLog);
    },
    inspect: deno.inspect,
    close() {
      for (const executor of Object.values(byType)) executor.close?.();
    },
    get workersStarted() {
      return deno.workersStarted;
    },
  };
}
