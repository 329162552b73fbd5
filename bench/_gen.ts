/**
 * @module
 * Generates the bench workloads into a directory: no-op step modules (TS and Python), recipes
 * (TS chains and layered DAGs, shell fan-outs and chains, python steps) and the Makefile GNU make
 * runs as a peer. Pure text generation plus file writes; runs nothing.
 */
import { REPO } from "./_lib.ts";

/** The envelope every generated shell step prints. */
export const SHELL_ENVELOPE = '{"status":"ok","outputs":[]}';

/** The shell command of every generated shell step (also what make and the floor run). */
export const SHELL_COMMAND = `echo '${SHELL_ENVELOPE}'`;

const META = "test_meta: {test_id: BENCH, tester: bench, description: generated bench workload}";

/** Writes `noop.ts` (classes Noop and Write1k) and `noop_step.py` into `dir`. */
export async function writeStepModules(dir: string): Promise<void> {
  const scriptlet = new URL("../core/scriptlet.ts", import.meta.url).href;
  await Deno.writeTextFile(
    `${dir}/noop.ts`,
    `import { BaseScriptlet } from ${JSON.stringify(scriptlet)};
import type { ContextView } from ${
      JSON.stringify(new URL("../core/context.ts", import.meta.url).href)
    };

/** Does nothing. */
export class Noop extends BaseScriptlet {
  run() {
    return this.ok();
  }
}

/** Writes a 1 KB string under its own key. */
export class Write1k extends BaseScriptlet<{ i: number }> {
  run(ctx: ContextView, params: { i: number }) {
    const key = \`bench.k\${params.i}_v1\`;
    ctx.set(key, "x".repeat(1000));
    return this.ok([key]);
  }
}
`,
  );
  await Deno.writeTextFile(
    `${dir}/noop_step.py`,
    `import json
from orchestrator.scriptlets.python.core.base import BaseScriptlet


class Noop(BaseScriptlet):
    def run(self, ctx, params):
        print(json.dumps({"status": "ok", "outputs": []}))
        return 0
`,
  );
}

/** Shapes of a generated TS recipe. */
export type TsShape = "chain" | "dag" | "write";

/**
 * `n` TS steps: a chain (each depends on the one before), a layered DAG of width 100 (each step
 * depends on the step above it in the previous layer; all parallel), or a chain whose steps each
 * write 1 KB. `cache_key: auto` on every step when `cache`.
 */
export function tsRecipe(shape: TsShape, n: number, options: { cache?: boolean } = {}): string {
  const width = 100;
  const lines = [META, "steps:"];
  const extra = options.cache ? ", cache_key: auto" : "";
  for (let i = 1; i <= n; i++) {
    const head = `  - {idx: ${i}, name: s${i}, type: deno, module: noop.ts`;
    if (shape === "dag") {
      const deps = i <= width ? "[]" : `[s${i - width}]`;
      lines.push(`${head}, function: Noop, parallel: true, depends_on: ${deps}${extra}}`);
    } else if (shape === "write") {
      lines.push(`${head}, function: Write1k, args: {i: ${i}}${extra}}`);
    } else lines.push(`${head}, function: Noop${extra}}`);
  }
  return lines.join("\n") + "\n";
}

/** `n` shell steps printing the envelope: independent (fan-out) or a chain. */
export function shellRecipe(
  shape: "fanout" | "chain",
  n: number,
  options: { cache?: boolean } = {},
): string {
  const lines = [META, "steps:"];
  const cache = options.cache ? ", cache_key: auto" : "";
  const shape_ = shape === "fanout" ? ", parallel: true, depends_on: []" : "";
  for (let i = 1; i <= n; i++) {
    lines.push(
      `  - {idx: ${i}, name: s${i}, type: shell, run: ${JSON.stringify(SHELL_COMMAND)}` +
        `, permissions: {run: [sh]}${shape_}${cache}}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** `n` python no-op steps (the shared bridge, or a fresh process each with `isolate`). */
export function pythonRecipe(n: number, options: { isolate?: boolean } = {}): string {
  const lines = [META, "steps:"];
  const isolate = options.isolate ? ", isolate: true" : "";
  for (let i = 1; i <= n; i++) {
    lines.push(
      `  - {idx: ${i}, name: s${i}, type: python, module: noop_step, function: Noop${isolate}}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** A Makefile of `n` phony targets running the shell command: independent or a chain. */
export function makefile(shape: "fanout" | "chain", n: number): string {
  const names = Array.from({ length: n }, (_, i) => `t${i + 1}`);
  const out = [
    `.PHONY: all ${names.join(" ")}`,
    `all: ${shape === "chain" ? names[n - 1] : names.join(" ")}`,
  ];
  names.forEach((t, i) => {
    const dep = shape === "chain" && i > 0 ? ` ${names[i - 1]}` : "";
    out.push(`${t}:${dep}`, `\t@${SHELL_COMMAND} > /dev/null`);
  });
  return out.join("\n") + "\n";
}

/** Args of `orch run` for a recipe in `dir`, run from `dir` (its own state dir, modules allowed). */
export function orchRunArgs(dir: string, recipe: string, extra: string[] = []): string[] {
  return [
    `${REPO}/main.ts`,
    "run",
    recipe,
    "--allow-module",
    dir,
    "--state-dir",
    `${dir}/.state`,
    ...extra,
  ];
}
