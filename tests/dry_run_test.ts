import assert from "node:assert/strict";
import { orch, REPO, tempTree } from "./_helpers.ts";

const NUMBERS = await Deno.readTextFile(`${REPO}/data/numbers.csv`);

/** recipes/numbers_all.yaml with `cache_key: auto` on every step, in a project of its own. */
async function cachedNumbersAll(): Promise<string> {
  const recipe = (await Deno.readTextFile(`${REPO}/recipes/numbers_all.yaml`))
    .replace(/^( {4}function: .*)$/gm, "$1\n    cache_key: auto");
  assert.equal(recipe.match(/cache_key: auto/g)?.length, 4);
  return await tempTree({ "r.yaml": recipe, "data/numbers.csv": NUMBERS });
}

type Step = Record<string, unknown> & { cache: Record<string, unknown> | null };

Deno.test("--dry-run --json shows every step in run order and creates no run directory", async () => {
  const dir = await cachedNumbersAll();
  const env = { ORCH_HOME: `${dir}/state` };
  const r = await orch(["run", "r.yaml", "--dry-run", "--json"], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.dry_run, true);
  const steps = r.json.steps as Step[];
  assert.deepEqual(steps.map((s) => s.name), [
    "compute_numbers",
    "compute_median",
    "compute_range",
    "aggregate_summary",
  ]);
  assert.deepEqual({ ...steps[0], cache: undefined }, {
    idx: 1,
    name: "compute_numbers",
    type: "deno",
    module: `${REPO}/steps/compute_numbers.ts`,
    function: "ComputeNumbers",
    params: { src: "data/numbers.csv" },
    depends_on: [],
    permissions: { read: [await Deno.realPath(dir)] },
    retry: null,
    timeout_ms: null,
    parallel: false,
    pending: [],
    cache: undefined,
  });
  assert.deepEqual(steps[3].depends_on, ["compute_range"]);
  for (const s of steps) {
    assert.equal(s.cache?.would_hit, false, JSON.stringify(s.cache));
    assert.deepEqual(s.cache?.reasons, ["no earlier entry"]);
  }
  assert.deepEqual(r.json.would_run, steps.map((s) => s.name));
  // nothing was written: no state directory at all (no run directory, no cache)
  await assert.rejects(Deno.stat(`${dir}/state`), Deno.errors.NotFound);
  assert.equal(r.stderr.includes("dry run of"), false, "--json: no human view on stderr");
});

Deno.test("--dry-run says the cache would hit after a real run, and which step changed", async () => {
  const dir = await cachedNumbersAll();
  const env = { ORCH_HOME: `${dir}/state` };
  assert.equal((await orch(["run", "r.yaml"], { cwd: dir, env })).code, 0);
  const runs = [...Deno.readDirSync(`${dir}/state/runs`)].length;
  const r = await orch(["run", "r.yaml", "--dry-run", "--json"], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  for (const s of r.json.steps as Step[]) {
    assert.equal(s.cache?.would_hit, true, `${s.name}: ${JSON.stringify(s.cache)}`);
    assert.match(s.cache?.hash as string, /^[0-9a-f]{64}$/);
  }
  assert.deepEqual(r.json.would_run, []);
  assert.equal([...Deno.readDirSync(`${dir}/state/runs`)].length, runs, "no new run directory");

  const recipe = await Deno.readTextFile(`${dir}/r.yaml`);
  await Deno.writeTextFile(`${dir}/r.yaml`, recipe.replace("Numbers summary", "Changed"));
  const human = await orch(["run", "r.yaml", "--dry-run"], { cwd: dir, env });
  assert.equal(human.code, 0, human.stderr);
  assert.deepEqual(
    { run: human.json.would_run, hit: human.json.would_hit },
    { run: ["aggregate_summary"], hit: ["compute_numbers", "compute_median", "compute_range"] },
  );
  assert.equal(human.json.steps, undefined, "without --json the line is a summary");
  assert.match(human.stderr, /^dry run of r\.yaml \(NUM-003\): 4 step\(s\) in run order/m);
  assert.match(human.stderr, /^ {4}cache {8}would hit \([0-9a-f]{12}\)$/m);
  assert.match(human.stderr, /^ {4}cache {8}would miss: args changed$/m);
});

const TEMPLATED = `test_meta: {test_id: TPL-D, tester: t, description: dry run}
steps:
  - idx: 1
    name: compute_numbers
    type: deno
    module: steps/compute_numbers.ts
    function: ComputeNumbers
    args: {src: data/numbers.csv}
    success: {ctx_has_keys: [numbers.stats_v1]}
  - idx: 2
    name: check
    type: shell
    run: printf '{"status":"ok"}\\n'
    args: ["\${{ ctx.numbers.stats_v1.count }}", "\${{ meta.test_id }}", "\${{ run.id }}"]
    permissions: {run: [sh]}
    retry: {max: 2, delay_sec: 1}
    timeout: 5s
`;

Deno.test("--dry-run resolves templates the context allows and lists the others as pending", async () => {
  const dir = await tempTree({
    "r.yaml": TEMPLATED,
    "data/numbers.csv": NUMBERS,
    "ctx.json": '{"numbers.stats_v1": {"count": 3}}',
  });
  const r = await orch(["run", "r.yaml", "--dry-run", "--json"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const check = (r.json.steps as Step[])[1];
  assert.deepEqual(check.params, ["${{ ctx.numbers.stats_v1.count }}", "TPL-D", "${{ run.id }}"]);
  assert.deepEqual(check.pending, ["${{ ctx.numbers.stats_v1.count }}", "${{ run.id }}"]);
  assert.deepEqual(check.retry, {
    max: 2,
    delay_ms: 1000,
    backoff: 1,
    max_delay_ms: null,
    on: ["error", "timeout"],
  });
  assert.equal(check.timeout_ms, 5000);
  assert.deepEqual(check.permissions, { run: ["sh"] });

  // only the second step, from a context that holds the key: the value is known
  const only = await orch(
    ["run", "r.yaml", "--dry-run", "--json", "--only", "check", "--context", "ctx.json"],
    { cwd: dir },
  );
  assert.equal(only.code, 0, only.stderr);
  const [alone] = only.json.steps as Step[];
  assert.deepEqual(alone.params, ["3", "TPL-D", "${{ run.id }}"]);
  assert.deepEqual((alone.command as string[]).slice(3), ["check", "3", "TPL-D", "${{ run.id }}"]);
});

Deno.test("--dry-run reports a step whose template would fail, and still exits 0", async () => {
  const dir = await tempTree({
    "r.yaml": TEMPLATED.replace("stats_v1.count", "stats_v1.cnt"),
    "ctx.json": '{"numbers.stats_v1": {"count": 3}}',
  });
  const r = await orch(["run", "r.yaml", "--dry-run", "--only", "check", "--context", "ctx.json"], {
    cwd: dir,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.would_fail, ["check"]);
  assert.match(r.stderr, /would fail {3}cannot resolve args\[0\]: .*has no field "cnt"/);
});

Deno.test("--json needs --dry-run, and a dry run refuses flags that write", async () => {
  const json = await orch(["run", "recipes/example_numbers.yaml", "--json"]);
  assert.equal(json.code, 2);
  assert.match(json.json.reason as string, /--json goes with --dry-run/);
  for (const flag of [["--context-out", "x.json"], ["--resume", "x"]]) {
    const r = await orch(["run", "recipes/example_numbers.yaml", "--dry-run", ...flag]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.json.reason as string, new RegExp(`cannot be combined with ${flag[0]}`));
  }
});

Deno.test("--dry-run shows resolved env values, but never a value listed under secrets:", async () => {
  const dir = await tempTree({
    "r.yaml": `test_meta: {test_id: TPL-S, tester: t, description: secrets}
secrets: [ORCH_TPL_TOKEN]
steps:
  - idx: 1
    name: call
    type: shell
    run: printf '{"status":"ok"}\\n'
    args: ["\${{ env.ORCH_TPL_TOKEN }}", "\${{ env.ORCH_TPL_USER }}"]
    permissions: {run: [sh], env: [ORCH_TPL_TOKEN, ORCH_TPL_USER]}
`,
  });
  const env = { ORCH_TPL_TOKEN: "s3cr3t-value", ORCH_TPL_USER: "ann" };
  const r = await orch(["run", "r.yaml", "--dry-run", "--json"], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((r.json.steps as Step[])[0].params, ["***", "ann"]);
  assert.equal(r.stdout.includes("s3cr3t-value"), false);
});
