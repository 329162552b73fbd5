/**
 * Inline isolation (core/isolation.ts, core/executors/inline.ts): `isolation: inline` steps and
 * `orch run --isolation inline` run deno steps in orch's process, with the same context result as
 * Worker steps, and the combinations that need a Worker are refused before anything runs.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { orch, REPO, tempTree } from "./_helpers.ts";

const FIXTURES = `${REPO}/tests/fixtures/inline`;

function recipe(steps: Record<string, unknown>[], extra: Record<string, unknown> = {}): string {
  return stringify({
    test_meta: { test_id: "INLINE-1", tester: "test", description: "inline isolation" },
    ...extra,
    steps: steps.map((s, i) => ({
      idx: i + 1,
      name: `s${i + 1}`,
      type: "deno",
      module: `${FIXTURES}/probe.ts`,
      function: "Probe",
      args: { tag: `t${i + 1}` },
      ...s,
    })),
  });
}

async function run(steps: Record<string, unknown>[], flags: string[] = [], extra = {}) {
  const dir = await tempTree({ "recipe.yaml": recipe(steps, extra) });
  const r = await orch(
    ["run", "recipe.yaml", "--allow-module", FIXTURES, "--context-out", "out.json", ...flags],
    { cwd: dir },
  );
  const data = async () => JSON.parse(await Deno.readTextFile(`${dir}/out.json`)).data;
  return Object.assign(r, { data });
}

Deno.test("isolation: inline steps run in orch's process and leave the same context as Worker steps", async () => {
  const steps = [{}, {}, { depends_on: ["s1"] }];
  const worker = await run(steps);
  const inline = await run(steps.map((s) => ({ ...s, isolation: "inline" })));
  assert.equal(worker.code, 0, worker.stderr);
  assert.equal(inline.code, 0, inline.stderr);
  const [w, i] = [await worker.data(), await inline.data()];
  assert.deepEqual(w["probe.tags_v1"], ["t1", "t2", "t3"]);
  assert.deepEqual(i["probe.tags_v1"], w["probe.tags_v1"]);
  for (const tag of ["t1", "t2", "t3"]) {
    assert.equal(i[`probe.${tag}_v1`].seen, w[`probe.${tag}_v1`].seen);
    assert.notEqual(w[`probe.${tag}_v1`].write, "granted", "a Worker step may not write");
    assert.equal(i[`probe.${tag}_v1`].write, "granted", "an inline step has orch's permissions");
  }
});

Deno.test("--isolation inline runs deno steps inline but keeps a step with a timeout in its Worker", async () => {
  const r = await run([{}, { timeout: "30s" }], ["--isolation", "inline"]);
  assert.equal(r.code, 0, r.stderr);
  const data = await r.data();
  assert.equal(data["probe.t1_v1"].write, "granted");
  assert.notEqual(data["probe.t2_v1"].write, "granted");
});

Deno.test("a failed inline step leaves no write behind, like a Worker step", async () => {
  const r = await run([{ isolation: "inline", success: { ctx_has_keys: ["probe.never_v1"] } }]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.json.reason as string, /ctx_has_keys expected "probe.never_v1"/);
  assert.deepEqual(r.json.ctx_keys, []);
});

Deno.test("isolation: inline is refused with a timeout, with permissions, under a recipe ceiling and on a shell step", async () => {
  const cases: [Record<string, unknown>[], Record<string, unknown>, RegExp][] = [
    [
      [{ isolation: "inline", timeout: "5s" }],
      {},
      /steps\[0\]\.isolation: isolation: inline cannot be combined with a timeout/,
    ],
    [
      [{ isolation: "inline", permissions: { read: ["."] } }],
      {},
      /cannot be combined with permissions/,
    ],
    [
      [{ isolation: "inline" }],
      { permissions: { read: ["."] } },
      /recipe-level permissions ceiling/,
    ],
    [
      [{
        type: "shell",
        module: undefined,
        function: undefined,
        args: undefined,
        run: "true",
        isolation: "inline",
        permissions: { run: ["sh"] },
      }],
      {},
      /isolation: inline is for deno steps/,
    ],
  ];
  for (const [steps, extra, message] of cases) {
    const r = await run(steps, [], extra);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});

Deno.test("--isolation takes worker or inline only", async () => {
  const r = await run([{}], ["--isolation", "fast"]);
  assert.equal(r.code, 2);
  assert.match(r.json.reason as string, /--isolation must be worker or inline, got "fast"/);
});
