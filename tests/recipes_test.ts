import assert from "node:assert/strict";
import { parse } from "yaml";
import { orch, REPO } from "./_helpers.ts";

// Every recipe shipped in recipes/ runs through the CLI: a new recipe is covered on arrival.
const recipes = [...Deno.readDirSync(`${REPO}/recipes`)]
  .filter((e) => e.isFile && e.name.endsWith(".yaml"))
  .map((e) => e.name)
  .sort();

Deno.test("recipes/ holds the shipped example recipes", () => {
  for (const name of ["example_numbers.yaml", "median.yaml", "numbers_all.yaml", "fan_in.yaml"]) {
    assert.ok(recipes.includes(name), `${name} missing from ${recipes.join(", ")}`);
  }
});

for (const name of recipes) {
  Deno.test(`recipes/${name} runs ok and writes every key its steps promise`, async () => {
    const doc = parse(await Deno.readTextFile(`${REPO}/recipes/${name}`));
    const promised: string[] = doc.steps.flatMap((s: { success?: { ctx_has_keys?: string[] } }) =>
      s.success?.ctx_has_keys ?? []
    );
    const r = await orch(["run", `recipes/${name}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.status, "ok");
    const keys = r.json.ctx_keys as string[];
    for (const key of promised) assert.ok(keys.includes(key), `${key} not in ${keys.join(", ")}`);
    assert.ok(!r.stdout.includes("    at "), "no stack trace on stdout");
  });
}
