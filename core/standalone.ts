/**
 * @module
 * Runs one scriptlet module on its own, in-process: parses `--params`, `--context`,
 * `--context-out`, prints exactly the step's envelope on stdout and exits 0 or 1 (2 for usage).
 * This is an entry point like main.ts, so it may print and exit.
 */
import { parseArgs } from "node:util";
import { readContextFile, writeContextFile } from "./context_file.ts";
import { Context } from "./context.ts";
import { fail } from "./envelope.ts";
import { OrchError } from "./errors.ts";
import { invokeScriptlet } from "./invoke.ts";
import { getLogger, trackResources } from "./log.ts";
import type { ScriptletClass } from "./scriptlet.ts";

/** Runs `cls` with the given command-line arguments and exits the process. */
export async function runStandalone(cls: ScriptletClass, args: string[]): Promise<never> {
  const name = cls.name;
  const log = getLogger(name);
  const out = (env: unknown) => console.log(JSON.stringify(env));
  try {
    const { values } = parseArgs({
      args,
      options: {
        params: { type: "string", default: "{}" },
        context: { type: "string" },
        "context-out": { type: "string" },
      },
      strict: true,
    });
    let params: unknown;
    try {
      params = JSON.parse(values.params!);
    } catch (err) {
      out(fail(name, `--params is not valid JSON: ${(err as Error).message}`, 2));
      Deno.exit(2);
    }
    const ctx = values.context
      ? await readContextFile(values.context, log.warn)
      : new Context({ onWarning: log.warn });
    const result = await trackResources(invokeScriptlet, { label: name })(cls, {
      params,
      snapshot: ctx.snapshot(),
      step: { name, baseDir: Deno.cwd() },
      onWarning: log.warn,
    });
    if (result.envelope.status === "ok") {
      ctx.apply(result.delta, { step: name });
      if (values["context-out"]) await writeContextFile(values["context-out"], ctx);
    }
    out(result.envelope);
    Deno.exit(result.envelope.status === "ok" ? 0 : result.envelope.exit_code);
  } catch (err) {
    const code = err instanceof OrchError ? err.exitCode : 2;
    out(fail(name, (err as Error).message, code));
    Deno.exit(code);
  }
}
