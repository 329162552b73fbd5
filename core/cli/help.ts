/**
 * @module
 * The CLI's help texts and version. Deliberately imports nothing, so `orch --help` and
 * `orch --version` start fast.
 */

/** orch's version (kept equal to deno.json's). */
export const VERSION = "0.1.0";

const COMMON = `
Common options:
  --allow-module DIR      also allow step modules under DIR (repeatable; also ORCH_ALLOW_MODULES,
                          a ':'-separated list). Recipes can never widen the allowlist.
  --max-recipe-bytes N    refuse recipe files larger than N bytes (default 33554432 = 32 MiB)
  -h, --help              show help for the command`;

const OUTPUT =
  `  --output MODE           how step output reaches stderr: prefixed (default; each line tagged
                          [step]) or grouped (a step's output printed together when it ends,
                          in ::group::/::endgroup:: when GITHUB_ACTIONS=true). On a terminal a
                          live progress line shows the running steps, done/total and elapsed.`;

const CEILING =
  `  --max-permissions JSON  the most any step may be granted, e.g. '{"read":true,"write":["/tmp"]}'
                          (kinds read write net env run ffi sys, each true, false or a list; an
                          omitted kind is false; relative paths are relative to the cwd). A
                          recipe or step asking for more is refused. Grants only narrow:
                          step <= recipe permissions <= this <= what orch was started with.`;

/** Help per command; "" is the top level. */
export const HELP: Record<string, string> = {
  "": `orch ${VERSION} - run test-automation recipes

Usage: orch <command> [options]

Commands:
  run RECIPE         validate a recipe, then run its steps as their dependencies allow
  validate RECIPE... check recipes (schema, modules, params) without running anything
  list RECIPE        show the steps in run order with dependencies, type, module and args
  graph RECIPE       print the dependency graph (Mermaid or DOT)
  step MODULE        run one scriptlet alone with --params (debugging)
  step --recipe R --name S  run one step of a recipe alone, context in and out as files
  context merge A B... -o OUT  merge the contexts of parallel branches (fan-in)
  export RECIPE      write the recipe as an Argo or GitHub Actions workflow (--target)
  schema             print the recipe JSON Schema
  runs               list recent runs (id, recipe, status, start, duration)
  show RUN           print one run's summary and final context
  report RUN         render a run as JUnit XML, HTML, Markdown or JSON (--format)
  cache ls|clear|explain  manage the step cache (see orch cache --help)
  pin                write orch.lock.json: the sha256 of every allowlisted step module
  new step NAME      write steps/NAME.ts and tests/NAME_test.ts from a template

Options:
  -h, --help         show help (also: orch <command> --help)
  -V, --version      print the version

stdout carries exactly one JSON line (the result); logs go to stderr.
Exit codes: 0 ok, 1 a step or assertion failed, 2 invalid usage/recipe/module, 130 interrupted.`,
  run: `Usage: orch run RECIPE [options]     (or: orch run --recipe RECIPE)
       orch run --resume RUN [RECIPE] [--force] [options]

Validates the whole recipe first (schema, modules, params), then runs each step once its
depends_on steps succeeded (parallel-safe steps together, other steps alone), checks each
step's success.ctx_has_keys, retries and times out steps as the recipe says, and by default
stops at the first failure: running steps are cancelled, their dependents skipped.

Each run gets an id and a directory STATE/runs/<run_id>/ (STATE: --state-dir, else ORCH_HOME,
else .orch) holding journal.jsonl (every step's commit, written at once and fsynced within a
few ms), context.json and run.json. The result line carries run_id and run_dir; a failed or
interrupted (Ctrl-C, SIGTERM: exit 130) run's line says how to resume it.

Options:
  --recipe RECIPE         the recipe file (instead of the positional argument)
  --context FILE          start from this context file instead of an empty context
  --context-out FILE      write the final context (data + history) to FILE (atomically)
  --concurrency N         run at most N steps at once (default: the number of CPUs)
  --keep-going            after a failure, still run every step that does not depend on it
  --isolation inline      run deno steps in orch's process (no Worker), except those with a
                          timeout or permissions; for trusted, fast steps (default: worker)
  --only A,B              run only these steps; their dependencies are taken as done
  --skip C                do not run these steps (repeatable or comma-separated)
  --resume-from S         run S and every step after it in idx order
                          (steps left out by a filter are neither run nor counted)
  --state-dir DIR         keep run directories under DIR/runs/ (default: ORCH_HOME, else .orch)
  --no-cache              run steps with a cache_key instead of replaying stored results
  --resume RUN            continue run RUN (an id or a run directory): rebuild the context from
                          its journal, keep every committed step (not run, not counted) and run
                          the rest as their dependencies allow; the recipe defaults to the
                          run's. A recipe whose sha256 changed since is refused (exit 2)
  --force                 with --resume: resume even though the recipe changed
  --report F=PATH,...     when the run ends (ok, failed or interrupted) write reports of it:
                          junit=PATH (JUnit XML), html=PATH, md=PATH (Markdown), json=PATH;
                          atomically, listed in the result's "reports". When
                          GITHUB_STEP_SUMMARY is set, the Markdown summary is appended to it.
  --dry-run               validate and plan, then show per step in run order what would run:
                          module or command, params with \${{ }} templates resolved as far
                          as the context allows, dependencies, permissions, retry/timeout and
                          whether the cache would hit. Runs nothing, writes nothing (no run
                          directory). The view goes to stderr; stdout has a summary line
  --json                  with --dry-run: the full per-step view in the stdout JSON line
                          (under "steps"), and no view on stderr
${OUTPUT}
${CEILING}
${COMMON}`,
  validate: `Usage: orch validate RECIPE... [options]

Checks each recipe (YAML, schema, duplicate names and idx, module allowlist, exports, params,
\${{ }} templates) and reports every problem of every file with file:line:col. Runs no step.
A \${{ ctx.KEY }} that no earlier step declares in success.ctx_has_keys is a warning (stderr
and "warnings" in the result), not an error: steps may write keys they do not declare.

Options:
  --context FILE          keys of this context file count as known for those warnings
${CEILING}
${COMMON}`,
  list: `Usage: orch list RECIPE [options]

Validates the recipe and lists its steps in run order with their dependencies (depends_on,
resolved: a step without depends_on depends on the step before it by idx), type, module,
function and args. The JSON list goes to stdout; a readable table goes to stderr.

Options:
${CEILING}
${COMMON}`,
  graph: `Usage: orch graph RECIPE [--format mermaid|dot] [-o FILE] [options]

Checks the recipe and its dependencies (unknown names, self-dependencies, duplicates, cycles;
not the step modules: use validate for those) and prints its dependency graph. Edges point from
a dependency to the step that waits for it. A step without depends_on depends on the step
before it by idx; depends_on: [] makes a root.

stdout is one JSON line {"status":"ok","format":"mermaid","graph":"<text>"}; to get the raw
text, use -o FILE (then the line is {"status":"ok","format":...,"file":FILE}) or jq -r .graph.

Options:
  --format mermaid|dot    the graph language (default mermaid)
  -o, --out FILE          write the graph text to FILE instead of into the JSON line
${COMMON}`,
  step: `Usage: orch step --recipe RECIPE --name STEP [--context-in IN] [--context-out OUT]
       orch step MODULE --params JSON [options]
       orch step --type shell (--script FILE | --run CMD) [--args JSON] [--env JSON] [--cwd DIR]
       orch step --type python --module M --function F [--params JSON] [--python-path A:B]

Runs one step alone, with the same checks as in a recipe: a deno scriptlet in a Worker through
the module allowlist; a shell step's command (granted run for that executable) or a python
scriptlet through orch's bridge, both held to the one-JSON-line envelope contract.

With --recipe, plans the whole recipe (schema, modules, params, permissions) and runs only step
STEP, with its args, permissions, retry, timeout and success assertions, as in orch run (its
dependencies are taken as done: their writes must be in IN). The context starts from IN (a
--context-out file: data + history; default empty); OUT gets it plus this step's writes and
history, atomically and only when the step succeeded. Exit codes as for run. Each node of a
distributed workflow runs one such step; orch context merge joins parallel branches.

Options:
  --recipe RECIPE         run step --name of RECIPE (no MODULE nor module flags then)
  --max-permissions JSON  with --recipe: the permission ceiling, as for orch run
  --type deno|shell|python  the step type (default deno)
  --params JSON           the step's params (default {}; deno and python)
  --function NAME         the class (deno default: the module's only scriptlet export)
  --name NAME             the step name used in the envelope and history (default: file name)
  --script FILE           shell: the script or executable, run without a shell
  --run CMD               shell: a command line run with /bin/sh -c
  --args JSON             shell: a JSON list of argv entries, e.g. '["data.csv"]'
  --env JSON              shell: extra environment variables, e.g. '{"MODE":"strict"}'
  --cwd DIR               shell: the working directory
  --module M              python: the dotted module path
  --python-path A:B       python: extra sys.path entries
  --isolate               python: a fresh Python process instead of the shared bridge
  --context-in FILE       read the starting context from FILE (also: --context FILE)
  --context-out FILE      write the resulting context to FILE (only if the step succeeded)
  --run-id ID             what \${{ run.id }} resolves to (exported workflows pass their run's id)
${OUTPUT}
${COMMON}`,
  runs: `Usage: orch runs [--state-dir DIR] [--limit N]

Lists the most recent runs (default 20), newest first, as JSON on stdout (run_id, recipe, test_id,
status, started_at, duration_ms, committed steps, sessions) and a table on stderr. Status is ok,
failed, interrupted, running, or crashed (its process died without ending the run: resume it).

Options:
  --state-dir DIR         where run directories live (default: ORCH_HOME, else .orch)
  --limit N               list at most N runs (default 20)`,
  show: `Usage: orch show RUN [--state-dir DIR]

Prints one run's summary (run.json) and its final context (context.json, or rebuilt from the
journal when the run never ended) as one JSON line. RUN is a run id or a run directory.

Options:
  --state-dir DIR         where run directories live (default: ORCH_HOME, else .orch)`,
  report: `Usage: orch report RUN --format junit|html|md|json [-o FILE] [--state-dir DIR]

Renders the report of run RUN (an id or a run directory; ended, interrupted or still running)
from its journal: the same reports orch run --report writes.
  junit   JUnit XML (one testsuite per recipe, one testcase per step), valid against the
          Jenkins xUnit junit-10.xsd
  html    a self-contained HTML page
  md      a Markdown summary table (as appended to $GITHUB_STEP_SUMMARY)
  json    the report model as JSON
stdout is one JSON line {"status":"ok","format":F,"run_id":...,"run_status":...,"report":"<text>"};
with -o the text is written to FILE (atomically) and the line has "file" instead of "report".

Options:
  --format F              junit, html, md or json (required)
  -o, --out FILE          write the report to FILE instead of into the JSON line
  --state-dir DIR         where run directories live (default: ORCH_HOME, else .orch)`,
  cache: `Usage: orch cache ls | clear | explain RECIPE STEP [--context FILE] [--state-dir DIR]

Steps with a cache_key are replayed from the cache when their fingerprint matches a stored
successful result (status "cached"); "orch run --no-cache" ignores the cache.
  ls                  list the stored entries (hash, step, keys written, when)
  clear               remove every entry
  explain RECIPE STEP say whether STEP would be replayed now and, if not, which part of its
                      fingerprint changed since its last stored result (module source, args, a
                      file, a context value). The context is --context FILE, else the final
                      context of this recipe's latest run, else empty.
The cache lives in <state dir>/cache/ (--state-dir, ORCH_HOME, default .orch).`,
  context: `Usage: orch context merge A.json B.json... -o OUT.json
                          [--recipe RECIPE | --merge last_write_wins|fail_on_conflict]

Merges the context files of parallel branches that started from one context (each branch's
orch step --context-in): the common base is the longest common prefix of their histories, and
each branch's writes after it are applied in the order the files are given. OUT (written
atomically) holds the merged data and history, ready as the next step's --context-in.

Options:
  -o, --out FILE          where to write the merged context (required)
  --merge STRATEGY        last_write_wins (default): a later file's write of a key wins;
                          fail_on_conflict: two files writing one key after the base is an
                          error naming the key and both writers (step and who), exit 1
  --recipe RECIPE         take the strategy from the recipe's context.merge instead
Exit codes: 0 merged, 1 conflict, 2 unreadable or invalid file or usage.`,
  export: `Usage: orch export RECIPE --target argo|github-actions [-o FILE] [options]

Validates and plans the recipe, then writes it as a workflow for another engine in which every
node runs one step in a container: orch step --recipe RECIPE --name STEP --context-in IN
--context-out OUT --run-id ID (the engine's id of the workflow run). The context travels
between nodes as a file (Argo artifacts; GitHub upload-artifact/download-artifact); before a step
with several dependencies, a node runs orch context merge on their contexts with the recipe's
merge strategy.
  argo            an Argo Workflow (argoproj.io/v1alpha1): a DAG task per step with its
                  dependencies, retryStrategy (limit, backoff duration/factor/cap) from retry,
                  activeDeadlineSeconds from timeout. Needs an artifact repository.
  github-actions  a job per step with needs: and timeout-minutes (every attempt of the step
                  plus 5 minutes of setup), then a job publishing report.xml (JUnit) when
                  orch has written one.
stdout is {"status":"ok","target":...,"file":FILE,"steps":N}; without -o the YAML is in the
line's "workflow" field instead of "file".

Options:
  --target TARGET         argo or github-actions (required)
  -o, --out FILE          write the YAML to FILE (parent directories are created)
  --image IMAGE           the container image holding orch and the recipe's files
                          (default orch:latest)
  --binary PATH           the orch binary inside the image (default /usr/local/bin/orch)
  --recipe-path PATH      the recipe's path where the nodes run (default RECIPE as given)
${CEILING}
${COMMON}`,
  new: `Usage: orch new step NAME [--dir DIR]

Writes a new TypeScript step and its tests into the project DIR (default: the current
directory): steps/NAME.ts, a working scriptlet (zod params schema, runnable on its own with
deno run steps/NAME.ts --params '{...}') and tests/NAME_test.ts (a passing and a negative test,
run with deno test -P=orch). NAME is snake_case; the class is its PascalCase. The files import
orch's core/ relative to DIR (../core in a clone of orch). Refuses to overwrite either file
(exit 2), writing both or neither. Prints the recipe snippet on stderr; stdout is one JSON line
{"status":"ok","step":NAME,"class":...,"files":[...],"recipe_snippet":...}.

Options:
  --dir DIR               the project directory to write into (default: .)`,
  pin: `Usage: orch pin [--allow-module DIR]... [-o FILE]

Writes orch.lock.json (or FILE) in the current directory: the sha256 of every step file (.ts
.tsx .mts .js .jsx .mjs .sh .py) under the built-in steps/ root and the allowed module roots,
sorted, with paths relative to orch's install (built-in) or to the lock's directory. While
orch.lock.json exists in the current directory, run, validate, list and step refuse (exit 2,
before anything runs) a step whose module, the local modules it imports, its shell script or
its python module changed since it was pinned or has no pin; review the change, then run
orch pin again. Without the file nothing is checked. A compiled binary embeds the pins of its
built-in steps. stdout is {"status":"ok","lock":FILE,"builtin":N,"modules":M}.

Options:
  -o, --out FILE          write the lock to FILE instead of ./orch.lock.json
${COMMON}`,
  schema: `Usage: orch schema

Prints the recipe JSON Schema (draft-07), generated from orch's zod schema. Editors use it
through a '# yaml-language-server: $schema=recipe.schema.json' line at the top of a recipe.`,
};
