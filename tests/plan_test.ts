import assert from "node:assert/strict";
import { RecipeValidationError } from "../core/errors.ts";
import { planRun } from "../core/plan.ts";
import { loadRecipe } from "../core/recipe.ts";
import { tempTree } from "./_helpers.ts";

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
