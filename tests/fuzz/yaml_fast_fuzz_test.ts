/**
 * @module
 * The fast YAML reader (core/yaml_fast.ts) against the careful one (npm:yaml with orch's checks):
 * on what YAML serializers write (random values in every style npm:yaml can write them), the
 * fast reader reads the value the careful reader reads. On malformed text the two can differ
 * (js-yaml accepts some text npm:yaml refuses); the known cases go to the careful reader, and
 * a large recipe with problems is re-read carefully (tests/yaml_source_test.ts).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "yaml";
import { RecipeSyntaxError } from "../../core/errors.ts";
import { fastYamlValue } from "../../core/yaml_fast.ts";
import { parseYaml, parseYamlCarefully } from "../../core/yaml_source.ts";
import { fuzzParams } from "./_fuzz.ts";

/** Checks the contract on one text; returns whether the fast reader took it. */
function agrees(text: string): boolean {
  const fast = fastYamlValue(text);
  if (fast === undefined) return false;
  let careful: unknown;
  try {
    careful = parseYamlCarefully(text, "f.yaml").value;
  } catch (err) {
    if (!(err instanceof RecipeSyntaxError)) throw err;
    assert.fail(
      `the fast reader took a text the careful one refuses:\n${text}\n---\n` +
        err.issues.map((i) => i.message).join("\n"),
    );
  }
  assert.deepEqual(fast.value, careful, `the readers disagree on:\n${text}`);
  return true;
}

/** Scalars whose type depends on the schema: numbers, bools, nulls, dates, and near misses. */
const TRICKY = [
  "1",
  "-1",
  "+1",
  "0o17",
  "017",
  "0x1F",
  "0b101",
  "1_000",
  "1.5",
  "1.",
  "-.5",
  ".5",
  "1e3",
  "1E3",
  "-1e-3",
  "1e400",
  "-1e400",
  ".inf",
  "-.Inf",
  ".nan",
  "NaN",
  "~",
  "null",
  "Null",
  "NULL",
  "true",
  "True",
  "FALSE",
  "yes",
  "no",
  "on",
  "off",
  "2024-01-01",
  "12:30",
  "-0",
  "+0",
  "00",
  "0.0",
  "9007199254740993",
  "123456789012345678901234567890",
  "0x",
  "1,000",
  "",
];

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    scalar,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...TRICKY)), tie("node"), {
      maxKeys: 4,
    }),
  ),
})).node;

const style = fc.record({
  collectionStyle: fc.constantFrom("any" as const, "block" as const, "flow" as const),
  defaultStringType: fc.constantFrom(
    "PLAIN" as const,
    "QUOTE_DOUBLE" as const,
    "QUOTE_SINGLE" as const,
    "BLOCK_LITERAL" as const,
    "BLOCK_FOLDED" as const,
  ),
  indent: fc.integer({ min: 1, max: 4 }),
  lineWidth: fc.constantFrom(0, 20, 80),
});

Deno.test("any value written in any YAML style reads the same through both readers", () => {
  fc.assert(
    fc.property(value, style, (v, options) => {
      agrees(stringify(v, options));
    }),
    fuzzParams(),
  );
});

Deno.test("every shipped recipe would take the fast reader and reads as the careful one does", async () => {
  for await (const e of Deno.readDir(new URL("../../recipes/", import.meta.url))) {
    if (!e.name.endsWith(".yaml")) continue;
    const text = await Deno.readTextFile(new URL(`../../recipes/${e.name}`, import.meta.url));
    assert.ok(agrees(text), `${e.name} fell back to the careful reader`);
  }
});

Deno.test("a generated 1,000-step recipe takes the fast reader with the careful reader's value", () => {
  const lines = ["test_meta: {test_id: GEN, tester: gen, description: generated}", "steps:"];
  for (let i = 1; i <= 1000; i++) {
    lines.push(
      `  - {idx: ${i}, name: s${i}, type: shell, run: "echo '{\\"status\\":\\"ok\\"}' && true", ` +
        `depends_on: [${i > 1 ? `s${i - 1}` : ""}], retry: {max: 1}, timeout: 1.5e3}`,
    );
  }
  const text = lines.join("\n") + "\n";
  assert.ok(text.length > 64 * 1024);
  assert.ok(agrees(text));
  assert.equal(parseYaml(text, "g.yaml", { fastReader: fastYamlValue }).fast, true);
});

Deno.test("features where the readers could differ go to the careful reader", () => {
  const cases: [string, RegExp | undefined][] = [
    ["a: &x {b: 1}\nc: *x\n", undefined], // aliases: the careful reader counts their expansion
    ["a: !!binary aGk=\n", /custom tags are not allowed: !!binary/],
    ["a: !foo 1\n", /custom tags are not allowed: !foo/],
    ["? [a, b]\n: 1\n", /a mapping key is a list/],
    ["~: 1\n", /a mapping key is empty/],
    ["a: 1\na: 2\n", /duplicate key "a" \(first at line 1, col 1\)/],
    ["a: 1\n---\nb: 2\n", /one YAML document/],
    ["%YAML 1.2\n---\na: 1\n", undefined],
    ["__proto__: {polluted: 1}\n", undefined],
    ["big: 1e400\n", undefined],
    // found by an earlier token-soup property: npm:yaml and js-yaml disagree
    [" ---\n", undefined], // plain text, not a marker
    ["a: 1\n...\n", undefined],
    ["\ta\n", /tab used for indentation/],
    ["|1-\n !\n", undefined], // explicit indentation indicator
  ];
  for (const [text, error] of cases) {
    assert.equal(fastYamlValue(text), undefined, `fast reader took ${JSON.stringify(text)}`);
    if (error === undefined) {
      const source = parseYaml(text, "f.yaml", { fastReader: fastYamlValue });
      assert.deepEqual(source.value, parseYamlCarefully(text, "f.yaml").value);
    } else {
      assert.throws(
        () => parseYaml(text, "f.yaml", { fastReader: fastYamlValue }),
        (err: RecipeSyntaxError) => {
          assert.match(err.issues.map((i) => i.message).join("\n"), error);
          return true;
        },
      );
    }
  }
  const proto = parseYaml("__proto__: {polluted: 1}\n", "f.yaml", { fastReader: fastYamlValue })
    .value as object;
  assert.ok(Object.hasOwn(proto, "__proto__"));
  assert.equal(({} as { polluted?: number }).polluted, undefined);
});

Deno.test("a value read fast still gets positions: the careful reader runs on first locate()", () => {
  const text = "a: 1\nsteps:\n  - name: x\n    idx: 2\n";
  const source = parseYaml(text, "f.yaml", { fastReader: fastYamlValue });
  assert.equal(source.fast, true);
  assert.deepEqual(source.locate(["steps", 0, "idx"]), { line: 4, col: 10 });
  assert.deepEqual(source.locate(["steps", 0, "idx"], "key"), { line: 4, col: 5 });
});
