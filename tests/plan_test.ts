import assert from "node:assert/strict";
import { RecipeValidationError } from "../core/errors.ts";
import { planRun } from "../core/plan.ts";
import { loadRecipe } from "../core/recipe.ts";
import { REPO, tempTree } from "./_helpers.ts";
import { run } from "../core/api.ts";
import { denoWorkerExecutor } from "../core/executors/deno_worker.ts";

const recipe = (module: string) =>
  `test_meta: {test_id: P-1, tester: t, description: d}
steps:
  - idx: 1
    name: hangs
    type: deno
    module: ${module}
    function: Hangs
`;

Deno.test("planRun() gives up on a module whose top-level code never finishes", async () => {
  const dir = await tempTree({
    "mods/hangs.ts": `await new Promise(() => {});\nexport class Hangs {}\n`,
    "r.yaml": recipe("mods/hangs.ts"),
  });
  const r = await loadRecipe(`${dir}/r.yaml`);
  const start = performance.now();
  await assert.rejects(
    planRun(r, { baseDir: dir, allowModules: [`${dir}/mods`], inspectTimeoutMs: 300 }),
    (err: unknown) => {
      assert.ok(err instanceof RecipeValidationError);
      assert.equal(err.issues[0].path, "steps[0].module");
      assert.match(err.issues[0].message, /did not finish importing within 0\.3 s/);
      return true;
    },
  );
  assert.ok(performance.now() - start < 10_000, "gave up promptly");
});

Deno.test("validation and the run share one Worker: it starts while planning and runs the step", async () => {
  const log: string[] = [];
  const executor = denoWorkerExecutor({
    spawn: (url, permissions) => {
      log.push("spawn");
      return new Worker(url, { type: "module", deno: { permissions } });
    },
  });
  const result = await run("recipes/example_numbers.yaml", {
    baseDir: REPO,
    executor,
    onEvent: (e) => log.push(e.kind),
  });
  assert.equal(result.status, "ok");
  assert.deepEqual(
    log.filter((k) => k === "spawn" || k === "run-start" || k === "step-end"),
    ["spawn", "run-start", "step-end"],
    "one Worker, started during validation, reused for the run",
  );
});
