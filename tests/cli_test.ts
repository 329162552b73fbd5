import assert from "node:assert/strict";
import { orch, REPO, stepCounts, tempTree } from "./_helpers.ts";
import { ExitCode } from "../core/errors.ts";
import { HELP } from "../core/cli/help.ts";
import { alignColumns } from "../core/cli/table.ts";
import { renderTimeline } from "../core/reports/html_timeline.ts";
import type { ReportStep } from "../core/reports/model.ts";

const COMMANDS = ["run", "validate", "list", "step", "schema", "graph", "runs", "show"];

Deno.test("orch run of the example recipe prints one ok line with numbers.stats_v1", async () => {
  const r = await orch(["run", "recipes/example_numbers.yaml"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, "ok");
  assert.deepEqual(r.json.ctx_keys, ["numbers.stats_v1"]);
  assert.deepEqual(r.json.steps, stepCounts({ ok: 1 }));
});

Deno.test("orch run --recipe RECIPE is the same as the positional form", async () => {
  const r = await orch(["run", "--recipe", "recipes/example_numbers.yaml"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.ctx_keys, ["numbers.stats_v1"]);
});

for (const args of [[], ["--help"], ["-h"], ["help"]]) {
  Deno.test(`orch ${args.join(" ") || "(no args)"} prints the top-level help and exits 0`, async () => {
    const r = await orch(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^orch \d+\.\d+\.\d+ - /);
    for (const cmd of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${cmd}\\b`, "m"));
    assert.match(r.stdout, /Exit codes: 0 ok, 1 .*, 2 .*, 130 interrupted/);
  });
}

for (const cmd of COMMANDS) {
  for (const args of [[cmd, "--help"], [cmd, "-h"], ["help", cmd], [cmd, "x.yaml", "--help"]]) {
    Deno.test(`orch ${args.join(" ")} prints the ${cmd} help and runs nothing`, async () => {
      const r = await orch(args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.startsWith(`Usage: orch ${cmd}`), r.stdout);
      assert.equal(r.stderr, "");
    });
  }
}

Deno.test("the exit codes in the help are the ones ExitCode defines", () => {
  assert.deepEqual(ExitCode, { ok: 0, stepFailed: 1, invalid: 2, interrupted: 130 });
  assert.match(HELP[""], /0 ok, 1 a step or assertion failed, 2 invalid .*, 130 interrupted/);
});

Deno.test("orch --version prints deno.json's version", async () => {
  const version = JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`)).version;
  for (const flag of ["--version", "-V"]) {
    const r = await orch([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `orch ${version}\n`);
  }
});

Deno.test("an unknown command exits 2 with a did-you-mean", async () => {
  for (const args of [["rnu", "x.yaml"], ["rnu", "--help"], ["help", "rnu"]]) {
    const r = await orch(args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.json.exit_code, 2);
    assert.match(r.json.reason as string, /unknown command "rnu" \(did you mean "run"\?\)/);
    assert.match(r.stderr, /unknown command "rnu"/);
  }
});

Deno.test("an option before the command is reported as an unknown option", async () => {
  const r = await orch(["--frobnicate"]);
  assert.equal(r.code, 2);
  assert.match(r.json.reason as string, /unknown option "--frobnicate"; a command comes first/);
});

Deno.test("an unknown flag exits 2, suggests the close one and lists the valid ones", async () => {
  const r = await orch(["run", "recipes/example_numbers.yaml", "--recpie", "x"]);
  assert.equal(r.code, 2, r.stderr);
  const reason = r.json.reason as string;
  assert.match(reason, /unknown option "--recpie" \(did you mean "--recipe"\?\)/);
  assert.match(reason, /--context-out/);
  assert.doesNotMatch(reason, /To specify a positional argument/, "no raw parseArgs text");
  assert.doesNotMatch(r.stderr, /▶/);
});

Deno.test("orch run without a recipe exits 2 and points at the help", async () => {
  const r = await orch(["run"]);
  assert.equal(r.code, 2);
  assert.equal(r.json.status, "error");
  assert.match(r.json.reason as string, /run needs one argument; see orch run --help/);
});

Deno.test("orch run with two recipes (positional and --recipe) exits 2", async () => {
  const r = await orch(["run", "a.yaml", "--recipe", "b.yaml"]);
  assert.equal(r.code, 2);
  assert.match(r.json.reason as string, /run takes one argument, got 2/);
});

Deno.test("orch run of a missing recipe file exits 2", async () => {
  const r = await orch(["run", "no/such/recipe.yaml"]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.json.exit_code, 2);
});

Deno.test("a failed step exits 1", async () => {
  const dir = await tempTree({ "empty.csv": "# nothing\n" });
  const recipe = await Deno.readTextFile(`${REPO}/recipes/example_numbers.yaml`);
  await Deno.writeTextFile(`${dir}/r.yaml`, recipe.replace("data/numbers.csv", "empty.csv"));
  const r = await orch(["run", "r.yaml"], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json.step, "compute_numbers");
  assert.match(r.json.reason as string, /contains no numbers/);
});

Deno.test("orch list prints the steps as JSON and a table on stderr", async () => {
  const r = await orch(["list", "recipes/example_numbers.yaml"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.test_id, "NUM-001");
  const [step] = r.json.steps as Record<string, unknown>[];
  assert.equal(step.idx, 1);
  assert.equal(step.name, "compute_numbers");
  assert.equal(step.type, "deno");
  assert.equal(step.module, "steps/compute_numbers.ts");
  assert.equal(step.function, "ComputeNumbers");
  assert.deepEqual(step.args, { src: "data/numbers.csv" });
  const params = step.params as { properties: Record<string, unknown>; required: string[] };
  assert.deepEqual(params.properties.src, { type: "string", minLength: 1 }, "params schema shown");
  assert.deepEqual(params.required, ["src"]);
  const table = r.stderr.trimEnd().split("\n");
  assert.match(table[0], /^IDX\s+NAME\s+DEPENDS\s+TYPE\s+MODULE\s+FUNCTION\s+ARGS$/);
  assert.match(table[1], /^1\s+compute_numbers\s+-\s+deno\s+steps\/compute_numbers\.ts\s+Compute/);
  assert.ok(table[1].endsWith(`{"src":"data/numbers.csv"}`), table[1]);
  assert.equal(table[0].indexOf("NAME"), table[1].indexOf("compute_numbers"), "aligned");
});

Deno.test("orch step MODULE --params runs one scriptlet", async () => {
  const r = await orch([
    "step",
    "steps/compute_numbers.ts",
    "--params",
    '{"src":"data/numbers.csv"}',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json, {
    status: "ok",
    outputs: ["numbers.stats_v1"],
    ctx_keys: ["numbers.stats_v1"],
  });
});

Deno.test("orch step on a module with several scriptlets asks for --function, then runs it", async () => {
  const allow = ["--allow-module", "tests/fixtures/steps"];
  const r = await orch(["step", "tests/fixtures/steps/two_steps.ts", ...allow]);
  assert.equal(r.code, ExitCode.invalid, r.stderr);
  assert.match(String(r.json.reason), /exports several scriptlets \(First, Second\)/);
  assert.match(String(r.json.reason), /--function NAME/);
  const picked = await orch([
    "step",
    "tests/fixtures/steps/two_steps.ts",
    "--function",
    "Second",
    ...allow,
  ]);
  assert.equal(picked.code, 0, picked.stderr);
  assert.deepEqual(picked.json.ctx_keys, ["pick.second_v1"]);
});

Deno.test("orch step on a module without a scriptlet class exits 2 and says so", async () => {
  const r = await orch([
    "step",
    "tests/fixtures/steps/no_steps.ts",
    "--allow-module",
    "tests/fixtures/steps",
  ]);
  assert.equal(r.code, ExitCode.invalid, r.stderr);
  assert.match(String(r.json.reason), /exports no scriptlet class/);
});

for (
  const [params, reason] of [
    ["{bad", /--params is not valid JSON/],
    ["[1]", /--params must be a JSON object/],
    ['{"src":1}', /invalid params .*src: expected string, found number 1/],
  ] as const
) {
  Deno.test(`orch step --params '${params}' exits 2 without running the step`, async () => {
    const r = await orch(["step", "steps/compute_numbers.ts", "--params", params]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.json.exit_code, 2);
    assert.match(r.json.reason as string, reason);
    assert.doesNotMatch(r.stderr, /▶/);
  });
}

Deno.test("orch step goes through the allowlist", async () => {
  const r = await orch(["step", "tests/fixtures/steps/append.ts", "--params", '{"tag":"a"}']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.json.reason as string,
    /outside the allowed roots .*; move it under steps\/ or pass --allow-module DIR/,
  );
});

Deno.test("orch schema prints the recipe JSON Schema on one line", async () => {
  const r = await orch(["schema"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(typeof r.json.properties, "object");
});

Deno.test("orch validate of a good recipe exits 0 and lists it", async () => {
  const r = await orch(["validate", "recipes/example_numbers.yaml"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.recipes, [{ file: "recipes/example_numbers.yaml", steps: 1 }]);
});

/** Runs the CLI under a pseudo-terminal (via script(1)), returning what reached the terminal. */
async function onTerminal(args: string[], env: Record<string, string>): Promise<string> {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const deno = [Deno.execPath(), "run", "-q", "--config", `${REPO}/deno.json`, "-P=orch"];
  const line = [...deno, `${REPO}/main.ts`, ...args].map(quote).join(" ");
  const out = await new Deno.Command("script", {
    args: ["-qec", `${line} 2>&1 >/dev/null`, "/dev/null"], // only stderr reaches the terminal
    cwd: REPO,
    env: { PATH: Deno.env.get("PATH") ?? "", TERM: "xterm", ORCH_HOME: await tempTree(), ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

const hasScript = (() => {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "NO_COLOR removes every escape code from stderr, even on a terminal",
  ignore: !hasScript,
  fn: async () => {
    const args = ["run", "recipes/example_numbers.yaml"];
    const colored = await onTerminal(args, {});
    assert.ok(colored.includes("\x1b["), "control: a terminal without NO_COLOR gets colour");
    const plain = await onTerminal(args, { NO_COLOR: "1" });
    assert.match(plain, /compute_numbers/);
    assert.ok(!plain.includes("\x1b"), JSON.stringify(plain));
  },
});

Deno.test("a table and the HTML timeline of more than 130k steps render (no spread into Math.max)", () => {
  const n = 130_001;
  const lines = alignColumns([
    ["IDX", "NAME"],
    ...Array.from({ length: n }, (_, i) => [String(i + 1), `s${i}`]),
  ]);
  assert.equal(lines.length, n + 1);
  assert.equal(lines[0], `IDX     NAME`); // padded to "130001"
  assert.equal(lines[n], `130001  s130000`);

  const t = (ms: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 0) + ms).toISOString();
  const steps: ReportStep[] = Array.from({ length: n }, (_, i) => ({
    name: `s${i}`,
    idx: i + 1,
    type: "deno",
    status: "ok",
    // the earliest start is a step's, the latest end another's: both set the axis
    startedAt: t(i === 7 ? -1000 : i % 1000),
    endedAt: t(i === 9 ? 9000 : i % 1000 + 1),
    durationMs: 1,
    attempts: [{ attempt: 1, status: "ok", durationMs: 1 }],
    outputs: [],
    stderrTail: [],
    stdoutTail: [],
    dependsOn: [],
  }));
  const html = renderTimeline({
    runId: "r",
    recipe: "/r.yaml",
    testId: "T",
    tester: "t",
    description: "d",
    status: "ok",
    startedAt: t(0),
    endedAt: t(1),
    durationMs: 1,
    counts: stepCounts({ ok: n }),
    steps,
    context: { data: {}, history: [] },
    dir: "/r",
    sessions: 1,
  }, undefined);
  assert.equal(html.match(/class="tl-row" data-step=/g)?.length, n);
  const axis = /([^>]*) from the run's start/.exec(html)?.[1];
  assert.equal(axis, "10.0 s"); // from step s7's start (-1 s) to step s9's end (+9 s)
});
