import assert from "node:assert/strict";
import { recipeJsonSchema, RecipeSchema } from "../core/recipe.ts";
import { orch, REPO } from "./_helpers.ts";

type JsonSchema = {
  $schema?: string;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: unknown;
  patternProperties?: Record<string, unknown>;
  items?: JsonSchema;
};

Deno.test("the committed recipes/recipe.schema.json is what `orch schema` prints", async () => {
  const r = await orch(["schema"]);
  assert.equal(r.code, 0, r.stderr);
  const committed = JSON.parse(await Deno.readTextFile(`${REPO}/recipes/recipe.schema.json`));
  assert.deepEqual(
    committed,
    r.json,
    "regenerate: deno run -q -P=orch main.ts schema > recipes/recipe.schema.json " +
      "&& deno fmt recipes/recipe.schema.json",
  );
});

Deno.test("every recipe under recipes/ points the YAML language server at the schema", async () => {
  let count = 0;
  for await (const entry of Deno.readDir(`${REPO}/recipes`)) {
    if (!/\.ya?ml$/.test(entry.name)) continue;
    count++;
    const text = await Deno.readTextFile(`${REPO}/recipes/${entry.name}`);
    assert.equal(
      text.split("\n")[0],
      "# yaml-language-server: $schema=recipe.schema.json",
      `${entry.name} must start with the schema line`,
    );
  }
  assert.ok(count > 0, "no recipes found");
});

Deno.test("the schema is draft-07 with strict objects that allow x- keys", () => {
  const schema = recipeJsonSchema() as JsonSchema;
  assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#");
  const step = schema.properties!.steps.items!;
  assert.equal(step.type, "object");
  assert.equal(step.additionalProperties, false);
  assert.deepEqual(
    Object.keys(step.properties!),
    Object.keys(RecipeSchema.shape.steps.element.shape),
  );
  assert.deepEqual(Object.keys(step.properties!), [
    "idx",
    "name",
    "type",
    "module",
    "function",
    "description",
    "args",
    "script",
    "run",
    "env",
    "cwd",
    "python_path",
    "isolate",
    "isolation",
    "success",
    "depends_on",
    "retry",
    "timeout",
    "parallel",
    "cache_key",
    "inputs",
    "permissions",
  ]);
  assert.deepEqual(step.required, ["idx", "name", "type"], "type-specific fields: see step_types");
  const strict = [
    schema,
    schema.properties!.test_meta,
    step,
    step.properties!.success,
    step.properties!.retry,
    step.properties!.permissions,
    step.properties!.inputs,
    schema.properties!.context,
    schema.properties!.permissions,
  ];
  for (const obj of strict) {
    assert.equal(obj.additionalProperties, false);
    assert.deepEqual(obj.patternProperties, { "^x-": {} });
  }
  // args are user data: any key, x- included, and no x- pattern on them.
  assert.notEqual(step.properties!.args.additionalProperties, false);
  assert.equal(step.properties!.args.patternProperties, undefined);
  assert.equal(step.properties!.idx.type, "integer");
});
