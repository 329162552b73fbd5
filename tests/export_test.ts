/**
 * Tests `orch export` (core/export/): for every recipe in recipes/, both the Argo Workflow and
 * the GitHub Actions workflow validate against the official JSON Schemas in ../shared/schemas/
 * and follow the recipe's graph; retry and timeout map to the engines' fields.
 */
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";
import { orch, REPO, tempTree } from "./_helpers.ts";

type Json = Record<string, unknown>;
type Validate = ((doc: unknown) => boolean) & { errors?: unknown[] | null };

/** The shared schemas sit beside the repository (as in CI, where shared/ is next to the clone). */
const SCHEMAS = new URL("../../shared/schemas/", import.meta.url);
const ARGO_SCHEMA = new URL("argo/argo-workflows-schema.json", SCHEMAS);
const GHA_SCHEMA = new URL("github-actions/github-workflow.json", SCHEMAS);

// ajv-formats is CommonJS: its function is the module's `default` under Deno's interop
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: unknown) => void;

async function _readSchema(url: URL): Promise<Json> {
  try {
    return JSON.parse(await Deno.readTextFile(url));
  } catch (err) {
    throw new Error(
      `cannot read the official schema ${url.pathname} (${(err as Error).message}); the export ` +
        `tests need ../shared/schemas/ beside the repository: copy or check out shared/ there`,
    );
  }
}

let validators: Promise<{ argo: Validate; gha: Validate }> | undefined;

/** Compiles both schemas once, as shared/schemas/examples/workflows/check.cjs does. */
function _validators() {
  validators ??= (async () => {
    const argoAjv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(argoAjv);
    const ghaAjv = new Ajv({ allErrors: true, strict: false });
    addFormats(ghaAjv);
    return {
      argo: argoAjv.compile(await _readSchema(ARGO_SCHEMA)) as Validate,
      gha: ghaAjv.compile(await _readSchema(GHA_SCHEMA)) as Validate,
    };
  })();
  return validators;
}

function _assertValid(validate: Validate, doc: unknown, what: string) {
  const ok = validate(doc);
  assert.ok(ok, `${what} is not valid: ${JSON.stringify(validate.errors?.slice(0, 5), null, 1)}`);
}

/** Exports `recipe` (run from `cwd`) and returns the parsed YAML of the written file. */
async function _export(recipe: string, target: string, cwd = REPO, extra: string[] = []) {
  const dir = await tempTree();
  const out = `${dir}/wf/${target}.yaml`;
  const res = await orch(["export", recipe, "--target", target, "-o", out, ...extra], { cwd });
  assert.equal(res.code, 0, res.stderr);
  const text = await Deno.readTextFile(out);
  return { json: res.json, text, doc: parse(text) as Json, out };
}

/** The steps of `recipe` with their resolved dependencies, as `orch list` reports them. */
async function _plannedDeps(recipe: string, cwd = REPO): Promise<Map<string, string[]>> {
  const res = await orch(["list", recipe], { cwd });
  assert.equal(res.code, 0, res.stderr);
  const steps = res.json.steps as { name: string; depends_on: string[] }[];
  return new Map(steps.map((s) => [s.name, s.depends_on]));
}

interface ArgoView {
  tasks: Map<string, { name: string; template: string; dependencies?: string[] }>;
  templates: Map<string, Json>;
  /** step name → its task name */
  taskOf: Map<string, string>;
}

function _argoView(doc: Json): ArgoView {
  const spec = doc.spec as { entrypoint: string; templates: Json[] };
  const dag = spec.templates.find((t) => t.name === spec.entrypoint)!.dag as { tasks: Json[] };
  const tasks = new Map(dag.tasks.map((t) => [t.name as string, t as never]));
  const templates = new Map(spec.templates.map((t) => [t.name as string, t]));
  const taskOf = new Map<string, string>();
  for (const t of spec.templates) {
    const step = (t.metadata as { annotations?: Json } | undefined)?.annotations?.["orch/step"];
    if (typeof step === "string") taskOf.set(step, t.name as string);
  }
  return { tasks, templates, taskOf };
}

function _command(template: Json): string[] {
  return (template.container as { command: string[] }).command;
}

/** Checks the Argo DAG against the plan: deps (through merge tasks), commands, fan-in merges. */
function _assertArgoFollowsPlan(doc: Json, deps: Map<string, string[]>, recipePath: string) {
  const { tasks, templates, taskOf } = _argoView(doc);
  assert.deepEqual([...taskOf.keys()].sort(), [...deps.keys()].sort());
  for (const [step, stepDeps] of deps) {
    const task = tasks.get(taskOf.get(step)!)!;
    assert.equal(task.template, task.name);
    assert.deepEqual(
      _command(templates.get(task.template)!).slice(1, 6),
      ["step", "--recipe", recipePath, "--name", step],
    );
    const direct = task.dependencies ?? [];
    const wanted = stepDeps.map((d) => taskOf.get(d)!);
    if (stepDeps.length > 1) {
      assert.equal(direct.length, 1, `fan-in ${step} waits for its merge task only`);
      const merge = tasks.get(direct[0])!;
      assert.deepEqual(merge.dependencies, wanted, `the merge before ${step} waits for its deps`);
      const cmd = _command(templates.get(merge.template)!);
      assert.deepEqual(cmd.slice(1, 3), ["context", "merge"]);
      assert.equal(cmd.filter((a) => a.endsWith(".json")).length, stepDeps.length + 1);
    } else {
      assert.deepEqual(direct, wanted, `${step} waits for its plan deps`);
    }
  }
}

/** Checks the GitHub jobs against the plan: needs, merges before fan-in, the report job. */
function _assertGithubFollowsPlan(doc: Json, deps: Map<string, string[]>) {
  const jobs = doc.jobs as Record<string, { name: string; needs?: string[]; steps: Json[] }>;
  const jobOf = new Map(Object.entries(jobs).map(([id, job]) => [job.name, id]));
  for (const [step, stepDeps] of deps) {
    const job = jobs[jobOf.get(step)!];
    assert.ok(job, `a job for step ${step}`);
    assert.deepEqual(job.needs ?? [], stepDeps.map((d) => jobOf.get(d)!));
    const runs = job.steps.map((s) => s.run).filter((r) => typeof r === "string") as string[];
    assert.ok(runs.some((r) => r.includes(` step --recipe `) && r.includes(` --name ${step} `)));
    assert.equal(runs.some((r) => r.includes(" context merge ")), stepDeps.length > 1);
    const uses = job.steps.map((s) => s.uses).filter(Boolean);
    assert.ok(uses.includes("actions/upload-artifact@v4"), `${step} uploads its context`);
  }
  const report = jobs.report;
  assert.equal(report.name, "JUnit report");
  assert.deepEqual(new Set(report.needs), new Set(jobOf.values().filter((id) => id !== "report")));
  assert.ok(report.steps.some((s) => (s.with as Json | undefined)?.path === "report.xml"));
}

const RECIPES = [...Deno.readDirSync(`${REPO}/recipes`)]
  .filter((e) => e.isFile && e.name.endsWith(".yaml")).map((e) => `recipes/${e.name}`).sort();

Deno.test("the official schemas are present beside the repository (not skipped)", async () => {
  await _validators();
});

for (const recipe of RECIPES) {
  Deno.test(`export of ${recipe} to Argo validates against Argo's schema and follows the plan`, async () => {
    const { argo } = await _validators();
    const { json, doc, out } = await _export(recipe, "argo");
    const deps = await _plannedDeps(recipe);
    assert.deepEqual(json, { status: "ok", target: "argo", file: out, steps: deps.size });
    assert.equal(doc.apiVersion, "argoproj.io/v1alpha1");
    assert.equal(doc.kind, "Workflow");
    _assertValid(argo, doc, `the Argo export of ${recipe}`);
    _assertArgoFollowsPlan(doc, deps, recipe);
  });

  Deno.test(`export of ${recipe} to GitHub Actions validates against SchemaStore's schema and follows the plan`, async () => {
    const { gha } = await _validators();
    const { json, doc, out } = await _export(recipe, "github-actions");
    const deps = await _plannedDeps(recipe);
    assert.deepEqual(json, { status: "ok", target: "github-actions", file: out, steps: deps.size });
    _assertValid(gha, doc, `the GitHub Actions export of ${recipe}`);
    _assertGithubFollowsPlan(doc, deps);
  });
}

const STEP = (idx: number, name: string, more = "") =>
  `  - {idx: ${idx}, name: ${name}, type: shell, run: 'echo {\\"status\\":\\"ok\\"}', ` +
  `permissions: {run: [sh]}${more}}\n`;

/** A fan-out/fan-in recipe with retry, timeout and names Argo and GitHub do not accept as is. */
const RETRY_RECIPE = "test_meta: {test_id: EXP-1, tester: t, description: d}\nsteps:\n" +
  STEP(1, "Setup.DB", ", retry: {max: 2, delay_sec: 1.5, backoff: 2, max_delay_sec: 10}") +
  STEP(2, "a_b", ", depends_on: [Setup.DB], timeout: 90s") +
  STEP(3, "a-b", ", depends_on: [Setup.DB], retry: {max: 1, on: [error]}, timeout: 2m") +
  STEP(4, "9lives", ", depends_on: [a_b, a-b], retry: {max: 3}");

Deno.test("retry and timeout map to Argo's retryStrategy (limit as a string) and activeDeadlineSeconds", async () => {
  const { argo } = await _validators();
  const dir = await tempTree({ "r.yaml": RETRY_RECIPE });
  const { doc } = await _export("r.yaml", "argo", dir, ["--image", "reg/orch:1", "--binary", "/o"]);
  _assertValid(argo, doc, "the Argo export of the retry recipe");
  _assertArgoFollowsPlan(doc, await _plannedDeps("r.yaml", dir), "r.yaml");
  const { templates, taskOf } = _argoView(doc);
  const template = (step: string) => templates.get(taskOf.get(step)!)!;
  assert.deepEqual([...taskOf.values()], ["setup-db", "a-b", "a-b-2", "9lives"]);
  assert.deepEqual(template("Setup.DB").retryStrategy, {
    limit: "2",
    retryPolicy: "Always",
    backoff: { duration: "1500ms", factor: "2", cap: "10s" },
  });
  assert.equal(template("Setup.DB").activeDeadlineSeconds, undefined);
  assert.equal(template("a_b").retryStrategy, undefined);
  assert.equal(template("a_b").activeDeadlineSeconds, "90");
  assert.deepEqual(template("a-b").retryStrategy, { limit: "1", retryPolicy: "OnFailure" });
  assert.equal(template("a-b").activeDeadlineSeconds, "120");
  assert.deepEqual(template("9lives").retryStrategy, { limit: "3", retryPolicy: "Always" });
  for (const t of templates.values()) {
    const container = t.container as { image: string; command: string[] } | undefined;
    if (container) assert.equal(container.image, "reg/orch:1");
    if (container) assert.equal(container.command[0], "/o");
  }
  // the schema checks what it says: a number where Argo wants an IntOrString string is refused
  const broken = structuredClone(doc) as { spec: { templates: Json[] } };
  (broken.spec.templates.find((t) => t.retryStrategy)!.retryStrategy as Json).limit = 2;
  assert.equal(argo(broken), false);
});

Deno.test("a GitHub job's timeout-minutes covers every attempt of its step plus setup", async () => {
  const { gha } = await _validators();
  const dir = await tempTree({ "r.yaml": RETRY_RECIPE });
  const { doc } = await _export("r.yaml", "github-actions", dir);
  _assertValid(gha, doc, "the GitHub Actions export of the retry recipe");
  _assertGithubFollowsPlan(doc, await _plannedDeps("r.yaml", dir));
  const jobs = doc.jobs as Record<string, Json>;
  assert.deepEqual(Object.keys(jobs), ["Setup_DB", "a_b", "a-b", "_9lives", "report"]);
  assert.equal(jobs.Setup_DB["timeout-minutes"], undefined);
  assert.equal(jobs.a_b["timeout-minutes"], 2 + 5); // 90 s, one attempt
  assert.equal(jobs["a-b"]["timeout-minutes"], 4 + 5); // 2 attempts of 2 min, no wait
  const broken = structuredClone(doc) as { jobs: Record<string, Json> };
  delete broken.jobs.a_b["runs-on"];
  assert.equal(gha(broken), false);
});

Deno.test("without -o the workflow YAML travels in the result line's workflow field", async () => {
  const res = await orch(["export", "recipes/fan_in.yaml", "--target", "argo"]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.json.status, "ok");
  assert.equal(res.json.file, undefined);
  assert.equal(res.json.steps, 6);
  const text = res.json.workflow as string;
  assert.match(text, /^# Generated by `orch export recipes\/fan_in\.yaml --target argo`/);
  assert.equal((parse(text) as Json).kind, "Workflow");
});

Deno.test("an unknown or missing --target is a usage error naming the targets", async () => {
  const typo = await orch(["export", "recipes/fan_in.yaml", "--target", "argoo"]);
  assert.equal(typo.code, 2);
  assert.match(typo.json.reason as string, /unknown --target "argoo" \(did you mean "argo"\?\)/);
  const missing = await orch(["export", "recipes/fan_in.yaml"]);
  assert.equal(missing.code, 2);
  assert.match(missing.json.reason as string, /export needs --target; use --target argo or/);
});

/** A one-step recipe whose shell step writes the `${{ run.id }}` it was given to `id.txt`. */
const RUN_ID_RECIPE = await Deno.readTextFile(
  new URL("./fixtures/run_id/recipe.yaml", import.meta.url),
);

/** Runs a node's orch argv (binary dropped) in `dir`, from an empty context; returns id.txt. */
async function _runNode(dir: string, argv: string[]): Promise<string> {
  await Deno.writeTextFile(`${dir}/ctx-in.json`, "{}");
  const res = await orch(argv.slice(1), { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  return await Deno.readTextFile(`${dir}/id.txt`);
}

Deno.test("an exported node resolves ${{ run.id }} to the engine's run id (Argo workflow.uid, GitHub run_id)", async () => {
  const dir = await tempTree({ "r.yaml": RUN_ID_RECIPE });
  // Argo: the engine substitutes {{workflow.uid}} in the container command
  const argo = await _export("r.yaml", "argo", dir);
  const command = _command(_argoView(argo.doc).templates.get("tag")!).map((a) =>
    a.replace("{{workflow.uid}}", "uid-7f3a").replace("/tmp/orch/", `${dir}/`)
  );
  assert.equal(await _runNode(dir, command), "uid-7f3a\n");
  // GitHub: the runner substitutes ${{ github.run_id }} in the run line, then a shell parses it
  const gh = await _export("r.yaml", "github-actions", dir);
  const steps = (gh.doc.jobs as Record<string, { steps: Json[] }>).tag.steps;
  const line = steps.map((s) => s.run as string).find((r) => r?.includes(" step --recipe "))!;
  const substituted = line.replace("${{ github.run_id }}", "9876543210");
  const split = await new Deno.Command("sh", {
    args: ["-c", `set -- ${substituted}; printf '%s\\0' "$@"`],
    stdout: "piped",
  }).output();
  const argv = new TextDecoder().decode(split.stdout).split("\0").slice(0, -1);
  assert.deepEqual(argv.slice(-2), ["--run-id", "9876543210"]);
  assert.equal(await _runNode(dir, argv), "9876543210\n");
});
