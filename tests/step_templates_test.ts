import assert from "node:assert/strict";
import { validateRecipeFile } from "../core/api.ts";
import { Context } from "../core/context.ts";
import type { PlannedStep } from "../core/plan.ts";
import { resolveStep } from "../core/step_templates.ts";
import { orch, REPO, tempTree } from "./_helpers.ts";

const FIXTURES = `${REPO}/tests/fixtures/template`;
const ALLOW = ["--allow-module", FIXTURES];
const NUMBERS = await Deno.readTextFile(`${REPO}/data/numbers.csv`);

const HEAD = `test_meta: {test_id: TPL-T, tester: t, description: templating}
steps:
  - idx: 1
    name: compute_numbers
    type: deno
    module: steps/compute_numbers.ts
    function: ComputeNumbers
    args: {src: data/numbers.csv}
    success: {ctx_has_keys: [numbers.stats_v1]}
`;

/** A step 2 running the echo fixture with `args` (YAML flow mapping). */
function echoStep(args: string, extra = ""): string {
  return `  - idx: 2
    name: echo
    type: deno
    module: ${FIXTURES}/echo_params.ts
    function: EchoParams
    args: ${args}
    success: {ctx_has_keys: [echo.params_v1]}
${extra}`;
}

async function project(recipe: string, files: Record<string, string> = {}) {
  return await tempTree({ "r.yaml": recipe, "data/numbers.csv": NUMBERS, ...files });
}

async function contextOut(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(`${dir}/out.json`)).data;
}

Deno.test("a whole-string expression in args reaches the step as a number", async () => {
  const dir = await project(
    HEAD + echoStep(
      `{count: "\${{ ctx.numbers.stats_v1.count }}",` +
        ` label: "\${{ meta.test_id }} has \${{ ctx.numbers.stats_v1.count }} numbers, max` +
        ` \${{ ctx.numbers.stats_v1.max }} (\${{ step.name }})"}`,
    ),
  );
  const r = await orch(["run", "r.yaml", ...ALLOW, "--context-out", "out.json"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  // EchoParams's schema wants a number: the string "7" would have failed the step
  assert.deepEqual((await contextOut(dir))["echo.params_v1"], {
    count: 7,
    label: "TPL-T has 7 numbers, max 42 (echo)",
  });
});

Deno.test("an unknown context key fails the step before it runs, naming the expression", async () => {
  const dir = await project(HEAD + echoStep(`{count: "\${{ ctx.numbers.stats_v2.count }}"}`));
  const r = await orch(["run", "r.yaml", ...ALLOW, "--context-out", "out.json"], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.step, "echo");
  assert.match(
    r.json.reason as string,
    /^cannot resolve args\.count: \$\{\{ ctx\.numbers\.stats_v2\.count \}\}: the context holds no key "numbers\.stats_v2\.count" or "numbers\.stats_v2" when the step starts \(did you mean "numbers\.stats_v1"\?\)/,
  );
  assert.deepEqual(Object.keys(await contextOut(dir)), ["numbers.stats_v1"]);
  const journal = await Deno.readTextFile(`${r.json.run_dir}/journal.jsonl`);
  const echo = journal.split("\n").filter((l) => l.includes('"step":"echo"'))
    .map((l) => JSON.parse(l));
  assert.deepEqual(echo.map((e) => e.kind), ["step-end"], "no step-start: it never ran");
  assert.deepEqual(echo[0].attempts, []);
});

const ENV_STEP = (permissions: string) =>
  `${HEAD}  - idx: 2
    name: greet
    type: shell
    run: printf '{"status":"ok","ctx":{"greet.env_v1":"%s"}}\\n' "$1"
    args: ["\${{ env.ORCH_TPL_GREETING }} from \${{ meta.test_id }}"]
    permissions: ${permissions}
`;

Deno.test("env.NAME reads the variable when the step's env permission grants it", async () => {
  const dir = await project(ENV_STEP("{run: [sh], env: [ORCH_TPL_GREETING]}"));
  const r = await orch(["run", "r.yaml", "--context-out", "out.json"], {
    cwd: dir,
    env: { ORCH_TPL_GREETING: "hello; $(rm -rf x)" },
  });
  assert.equal(r.code, 0, r.stderr);
  // an argv entry: the shell never interprets the value
  assert.equal((await contextOut(dir))["greet.env_v1"], "hello; $(rm -rf x) from TPL-T");
});

Deno.test("env.NAME is refused at validation when the step's permissions do not grant it", async () => {
  const dir = await project(ENV_STEP("{run: [sh]}"));
  const r = await orch(["validate", "r.yaml"], { cwd: dir, env: { ORCH_TPL_GREETING: "x" } });
  assert.equal(r.code, 2, r.stderr);
  const [error] = r.json.errors as Record<string, unknown>[];
  assert.deepEqual(
    { line: error.line, col: error.col, path: error.path, step: error.step },
    { line: 14, col: 12, path: "steps[1].args[0]", step: "greet" },
  );
  assert.match(
    error.message as string,
    /^\$\{\{ env\.ORCH_TPL_GREETING \}\} reads the environment variable "ORCH_TPL_GREETING", which step "greet" may not read; add permissions: \{env: \[ORCH_TPL_GREETING\]\}/,
  );
});

Deno.test("a template syntax error is a recipe error with file:line:col and the field path", async () => {
  const dir = await project(HEAD + echoStep(`{count: 1, label: "\${{ foo.bar }}"}`));
  const r = await orch(["validate", "r.yaml", ...ALLOW], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.ok(
    r.stderr.includes(
      'r.yaml:15:29: steps[1].args.label: unknown root "foo" in ${{ foo.bar }}; use ctx., ' +
        "env., meta., run. or step.",
    ),
    r.stderr,
  );
});

Deno.test("orch validate warns about a ctx key no earlier step declares, with file:line:col", async () => {
  const dir = await project(HEAD + echoStep(`{count: "\${{ ctx.numbers.mean_v1.mean }}"}`));
  const r = await orch(["validate", "r.yaml", ...ALLOW], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const [w] = r.json.warnings as Record<string, unknown>[];
  assert.deepEqual({ line: w.line, col: w.col, path: w.path }, {
    line: 15,
    col: 19,
    path: "steps[1].args.count",
  });
  assert.match(
    w.message as string,
    /reads "numbers\.mean_v1", which no step that runs before "echo" declares/,
  );
  assert.ok(r.stderr.includes("r.yaml:15:19: steps[1].args.count: ${{ ctx.numbers.mean_v1"));
  // the same key in a starting context: no warning
  const ctx = await project("", { "ctx.json": '{"numbers.mean_v1": {"mean": 1}}' });
  const withCtx = await orch(
    ["validate", `${dir}/r.yaml`, ...ALLOW, "--context", `${ctx}/ctx.json`],
    { cwd: dir },
  );
  assert.equal(withCtx.json.warnings, undefined, withCtx.stdout);
});

Deno.test("the warning names a declaring step that does not run before the reader", async () => {
  const recipe = HEAD.replace("  - idx: 1", "  - idx: 3") +
    echoStep(`{count: "\${{ ctx.numbers.stats_v1.count }}"}`, "    depends_on: []\n");
  const r = await orch(["validate", "r.yaml", ...ALLOW], { cwd: await project(recipe) });
  assert.equal(r.code, 0, r.stderr);
  const [w] = r.json.warnings as Record<string, unknown>[];
  assert.match(
    w.message as string,
    /step "compute_numbers" declares it but does not run before "echo"; add depends_on: \[compute_numbers\]/,
  );
});

Deno.test("the cache fingerprints the resolved args: a changed context value is a miss", async () => {
  const recipe = `test_meta: {test_id: TPL-C, tester: t, description: cache}
steps:
  - idx: 1
    name: echo
    type: deno
    module: ${FIXTURES}/echo_params.ts
    function: EchoParams
    args: {count: "\${{ ctx.input.n_v1 }}"}
    cache_key: auto
`;
  const dir = await project(recipe, {
    "a.json": '{"input.n_v1": 1}',
    "b.json": '{"input.n_v1": 2}',
  });
  const run = async (ctx: string) => {
    const r = await orch(["run", "r.yaml", ...ALLOW, "--context", ctx], {
      cwd: dir,
      env: { ORCH_HOME: `${dir}/state` },
    });
    assert.equal(r.code, 0, r.stderr);
    return { cached: (r.json.steps as Record<string, number>).cached, misses: r.json.cache_misses };
  };
  assert.equal((await run("a.json")).cached, 0);
  assert.equal((await run("a.json")).cached, 1);
  assert.deepEqual(await run("b.json"), { cached: 0, misses: { echo: ["args changed"] } });
});

Deno.test("resolveStep() rebuilds a shell step's argv, env and run; the plan is unchanged", async () => {
  const dir = await project(`test_meta: {test_id: TPL-S, tester: t, description: shell}
steps:
  - idx: 1
    name: sh
    type: shell
    run: "echo \${{ ctx.a.b_v1.n }} $1"
    args: ["\${{ ctx.a.b_v1.n }}", "\${{ ctx.a.b_v1 }}"]
    env: {N: "\${{ ctx.a.b_v1.n }}", FIXED: "x"}
    cache_key: "k-\${{ ctx.a.b_v1.n }}"
    permissions: {run: [sh]}
`);
  const plan = await validateRecipeFile(`${dir}/r.yaml`, { baseDir: dir });
  const planned = plan.steps[0];
  const before = structuredClone(planned);
  const context = new Context();
  context.set("a.b_v1", { n: 7 });
  const r = resolveStep(planned, { context, recipe: plan.recipe });
  assert.ok(r.ok);
  const step = r.planned.step as Extract<PlannedStep["step"], { type: "shell" }>;
  assert.deepEqual(step.args, ["7", '{"n":7}']);
  assert.deepEqual(step.env, { N: "7", FIXED: "x" });
  assert.equal(step.run, "echo 7 $1");
  assert.equal(step.cacheKey, "k-7");
  assert.deepEqual(r.planned.target, {
    type: "shell",
    command: ["/bin/sh", "-c", "echo 7 $1", "sh", "7", '{"n":7}'],
    env: { N: "7", FIXED: "x" },
    cwd: dir,
  });
  assert.deepEqual(planned, before, "the planned step keeps its templates for the next run");
});

Deno.test("a python step gets a whole-string expression with its JSON type", async () => {
  const dir = await project(
    `test_meta: {test_id: TPL-P, tester: t, description: python}
steps:
  - idx: 1
    name: check_threshold
    type: python
    module: orchestrator.scriptlets.python.steps.check_threshold
    function: CheckThreshold
    args: {max_mean: "\${{ ctx.limits.max_v1.mean }}"}
`,
    { "ctx.json": '{"numbers.stats_v1": {"mean": 3}, "limits.max_v1": {"mean": 2}}' },
  );
  const r = await orch(["run", `${dir}/r.yaml`, "--context", `${dir}/ctx.json`], {
    cwd: `${REPO}/tests/fixtures/python/project`,
    env: { ORCH_HOME: `${dir}/state` },
  });
  assert.equal(r.code, 1, r.stderr);
  // a string "2" would have made Python's `3 > "2"` raise a TypeError instead
  assert.equal(r.json.reason, "mean 3 is above the limit 2");
});
