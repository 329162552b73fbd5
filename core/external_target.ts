/**
 * @module
 * Resolves what a shell or python step runs: the argv, environment and working directory of a
 * shell step, the module and paths of a python step. Refuses, as validation issues, a shell step
 * its grant does not allow to run its executable, a `script` that is missing or not executable
 * and a `cwd` that is not a directory. Relative paths (`script`, `cwd`, `python_path`) resolve
 * against the plan's base directory.
 *
 * The `run` grant is the only permission that binds an external step: it decides whether the
 * step may start its executable (`true`, or a list naming it by name, as written, or by absolute
 * path; a `run:` step's executable is `/bin/sh`, named `sh` or `/bin/sh`). The other kinds
 * (`read`, `write`, `net`...) do not sandbox a process. Python steps run orch's own bridge and
 * need no `run` grant.
 */
import { basename, resolve } from "node:path";
import { type Issue, stepIssue } from "./errors.ts";
import type { AttemptTarget } from "./executors/executor.ts";
import type { PythonStep, Recipe, ShellStep } from "./recipe.ts";

/** The target of an external step, or undefined after pushing its issues. */
export async function externalTarget(
  step: ShellStep | PythonStep,
  grant: Deno.PermissionOptionsObject,
  recipe: Recipe,
  baseDir: string,
  issues: Issue[],
): Promise<AttemptTarget | undefined> {
  const cwd = step.type === "shell" && step.cwd ? resolve(baseDir, step.cwd) : baseDir;
  if (step.type === "python") {
    return {
      type: "python",
      module: step.module,
      function: step.function,
      pythonPath: step.pythonPath.map((p) => resolve(baseDir, p)),
      isolate: step.isolate,
      cwd,
    };
  }
  const found: Issue[] = [];
  const issue = (field: string, message: string) =>
    found.push(stepIssue(recipe, step, [field], message));
  const field = step.script !== undefined ? "script" : "run";
  const executable = step.script !== undefined ? resolve(baseDir, step.script) : "/bin/sh";
  const names = step.script !== undefined
    ? [step.script, executable, basename(executable)]
    : ["sh", "/bin/sh"];
  if (!_mayRun(grant.run, names)) {
    const fix = step.script !== undefined ? basename(executable) : "sh";
    issue(
      field,
      `step "${step.name}" may not run "${executable}": its permissions do not grant "run" for ` +
        `it; add permissions: {run: [${fix}]} ` +
        `to the step (and to the recipe's permissions, if it has a block)`,
    );
  }
  if (step.script !== undefined) {
    const problem = await _scriptProblem(executable);
    if (problem) issue("script", `step "${step.name}": script "${executable}" ${problem}`);
  }
  if (step.cwd !== undefined && !await _isDirectory(cwd)) {
    issue(
      "cwd",
      `step "${step.name}": cwd "${cwd}" is not a directory; create it or fix the path ` +
        `(relative paths resolve against ${baseDir})`,
    );
  }
  issues.push(...found);
  if (found.length > 0) return undefined;
  const command = step.script !== undefined
    ? [executable, ...step.args]
    : ["/bin/sh", "-c", step.run!, step.name, ...step.args];
  return { type: "shell", command, env: step.env, cwd };
}

/** True when a `run` grant allows one of `names`. */
function _mayRun(run: Deno.PermissionOptionsObject["run"], names: string[]): boolean {
  if (run === true) return true;
  if (!Array.isArray(run)) return false;
  return run.some((entry) => names.includes(String(entry)));
}

/** Why `path` cannot be run as a script, or undefined. */
async function _scriptProblem(path: string): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "does not exist; fix the path";
    return `cannot be read (${(err as Error).message})`;
  }
  if (!info.isFile) return "is not a file; point script at an executable file";
  if (info.mode !== null && (info.mode & 0o111) === 0) {
    return `is not executable; run chmod +x ${path} (and commit the mode: git keeps it)`;
  }
  return undefined;
}

async function _isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
