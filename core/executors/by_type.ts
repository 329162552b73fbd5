/**
 * @module
 * The run's executor: sends each attempt to the executor of its step type (deno Workers, or
 * orch's own process for `isolation: inline`; shell processes; the Python bridge) and closes
 * them all when the run ends. The inline, shell and python executors are loaded by the first
 * attempt that needs them: a run of deno steps does not load their modules (startup time).
 */
import { type DenoWorkerExecutor, denoWorkerExecutor } from "./deno_worker.ts";
import type { Executor, StepAttempt } from "./executor.ts";
import { memo } from "../memo.ts";

type _Kind = "inline" | "shell" | "python";

// literal specifiers: `deno compile` embeds what it can see
const LOADERS: Record<_Kind, () => Promise<Executor>> = {
  inline: async () => (await import("./inline.ts")).inlineExecutor(),
  shell: async () => (await import("./shell.ts")).shellExecutor(),
  python: async () => (await import("./python.ts")).pythonExecutor(),
};

/** One executor per step type, behind one Executor; also inspects deno modules. */
export function stepExecutor(): DenoWorkerExecutor {
  const deno = denoWorkerExecutor();
  const ready: Record<string, Executor> = { deno };
  const loading = new Map<_Kind, Promise<Executor>>();
  let closed = false;
  const load = (kind: _Kind) =>
    memo(loading, kind, () =>
      LOADERS[kind]().then((executor) => {
        ready[kind] = executor;
        if (closed) executor.close?.(); // the run ended while it loaded
        return executor;
      }));
  return {
    run: (attempt, signal, onLog) => {
      const kind = _kind(attempt.target);
      const executor = ready[kind];
      if (executor) return executor.run(attempt, signal, onLog);
      return load(kind as _Kind).then((e) => e.run(attempt, signal, onLog));
    },
    inspect: deno.inspect,
    close() {
      closed = true;
      for (const executor of Object.values(ready)) executor.close?.();
    },
    get workersStarted() {
      return deno.workersStarted;
    },
  };
}

function _kind(t: StepAttempt["target"]): string {
  return t.type === "deno" && t.isolation === "inline" ? "inline" : t.type;
}
