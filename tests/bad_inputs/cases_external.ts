/**
 * @module
 * Bad-input cases for shell and python steps at run time: commands and scriptlets that break the
 * one-JSON-line envelope contract, fail, time out or store values orch refuses. Same recipe
 * shape and checks as cases_runtime.ts.
 */
import { type BadCase, FAILED_RUN, runtimeCase, runtimeRecipe, shell } from "./case.ts";

const OK = '{"status":"ok","outputs":[]}';

const shellCases: BadCase[] = [
  runtimeCase(
    "a shell step printing non-JSON → exit 1, names the rule",
    shell("echo hello world"),
    /not JSON|JSON/,
  ),
  runtimeCase(
    "a shell step printing two JSON lines → exit 1, more than one line",
    shell(`echo '${OK}'; echo '${OK}'`),
    "stdout must hold exactly one non-empty line, got 2 lines",
  ),
  runtimeCase(
    "a shell step printing nothing → exit 1, no envelope line",
    shell("true"),
    /no envelope line|nothing/,
  ),
  runtimeCase("a shell envelope missing status → exit 1", shell(`echo '{"outputs":[]}'`), /status/),
  runtimeCase(
    "a shell step printing over 1 MiB → exit 1, stopped reading",
    shell("head -c 3000000 /dev/zero | tr '\\0' x"),
    /1 MiB|1048576/,
    { withinMs: 20_000 },
  ),
  runtimeCase(
    "a shell command that does not exist → exit 1, 127 not found",
    shell("no_such_command_xyz"),
    /127.*not found|not found/,
  ),
  runtimeCase(
    "a shell ok envelope with exit 3 → exit 1, names the exit code",
    shell(`echo '${OK}'; exit 3`),
    /exit (code )?3|3/,
  ),
  runtimeCase(
    "a shell error envelope carrying ctx writes → exit 1, writes dropped",
    shell(`echo '{"status":"error","reason":"shell gave up","ctx":{"bad.partial_v1":1}}'`),
    "shell gave up",
  ),
  runtimeCase(
    "a shell step sleeping past its 300 ms timeout → exit 1, timeout",
    shell("sleep 30", { timeout: "300ms" }),
    /timed? ?out|timeout|124/i,
    { withinMs: 15_000 },
  ),
  runtimeCase(
    "a shell ctx write with a bad key → exit 1, names the key",
    shell(`echo '{"status":"ok","outputs":["BAD"],"ctx":{"BAD":1,"bad.partial_v1":2}}'`),
    "BAD",
  ),
];

const PY = [
  "import datetime, json",
  "from orchestrator.scriptlets.python.core.base import BaseScriptlet",
  "",
  "class Stores(BaseScriptlet):",
  "    def run(self, ctx, params):",
  '        ctx.set("bad.partial_v1", 1, who="bad")',
  '        value = {"nan": float("nan"), "datetime": datetime.datetime(2020, 1, 1), "set": {1, 2}}',
  '        ctx.set("bad.value_v1", value[params["kind"]], who="bad")',
  '        print(json.dumps({"status": "ok", "outputs": ["bad.partial_v1", "bad.value_v1"]}))',
  "        return 0",
  "",
  "class Raises(BaseScriptlet):",
  "    def run(self, ctx, params):",
  '        ctx.set("bad.partial_v1", 1, who="bad")',
  '        raise ValueError("python raised on purpose")',
  "",
].join("\n");

const python = (fn: string, args: Record<string, unknown> = {}) => ({
  type: "python",
  module: "bad_py",
  function: fn,
  args,
});

const pythonCases: BadCase[] = [
  ...["nan", "datetime", "set"].map((kind) =>
    runtimeCase(
      `a python step storing a ${kind} → exit 1, names the key`,
      python("Stores", { kind }),
      /bad\.value_v1/,
      { files: { "recipe.yaml": runtimeRecipe(python("Stores", { kind })), "bad_py.py": PY } },
    )
  ),
  runtimeCase(
    "a python step that raises → exit 1, one line, traceback on stderr only",
    python("Raises"),
    "python raised on purpose",
    {
      files: { "recipe.yaml": runtimeRecipe(python("Raises")), "bad_py.py": PY },
      stderr: /Traceback[^]*ValueError: python raised on purpose/,
    },
  ),
  runtimeCase(
    "a python module that does not exist → exit 1, names the module",
    { ...python("X"), module: "no_such_module_xyz" },
    "no_such_module_xyz",
    {
      run: FAILED_RUN,
    },
  ),
];

export const EXTERNAL_CASES: BadCase[] = [...shellCases, ...pythonCases];
