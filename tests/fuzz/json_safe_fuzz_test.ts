/**
 * @module
 * Property tests for core/json_safe.ts against a reference definition written independently of
 * it: a value is JSON-safe when a JSON round trip gives back the same value as seen by
 * enumeration (same plain-object/array shape, same own enumerable keys, no holes, no symbol
 * keys, equal primitives with -0 equal to 0), and its containers nest at most 1000 deep.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { copyJson, findUnsafe, isJsonSafe } from "../../core/json_safe.ts";
import { fuzzParams } from "./_fuzz.ts";

/** Containers (arrays, objects) may nest this deep (core/json_safe.ts MAX_DEPTH). */
const MAX_NESTING = 1000;

/** The reference: JSON round-trip equality plus the nesting limit. */
function referenceSafe(value: unknown): boolean {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return false; // circular references, BigInt
  }
  if (text === undefined) return false; // undefined, functions, symbols at the root
  return sameAfterRoundTrip(JSON.parse(text), value) && nesting(value) <= MAX_NESTING;
}

function sameAfterRoundTrip(back: unknown, value: unknown): boolean {
  if (typeof value === "number") return back === value; // NaN and ±Infinity came back as null
  if (value === null || typeof value !== "object") return Object.is(back, value);
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    if (proto !== Array.prototype || !Array.isArray(back) || back.length !== value.length) {
      return false;
    }
    if (Object.keys(value).length !== value.length) return false; // holes or named properties
    return value.every((item, i) => sameAfterRoundTrip(back[i], item));
  }
  if (proto !== Object.prototype && proto !== null) return false;
  if (back === null || typeof back !== "object" || Array.isArray(back)) return false;
  const keys = Object.keys(value);
  const backKeys = Object.keys(back);
  if (keys.length !== backKeys.length || keys.some((k) => !Object.hasOwn(back, k))) return false;
  const v = value as Record<string, unknown>;
  const b = back as Record<string, unknown>;
  return keys.every((k) => sameAfterRoundTrip(b[k], v[k]));
}

/** How many containers deep `value` nests (0 for a primitive), without recursion. */
function nesting(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Values that are not JSON-safe, or that look unusual but are (null prototype, getters). */
const oddities: fc.Arbitrary<unknown> = fc.constantFrom<() => unknown>(
  () => undefined,
  () => NaN,
  () => Infinity,
  () => -Infinity,
  () => -0,
  () => 10n,
  () => () => 1,
  () => Symbol("s"),
  () => new Date(0),
  () => new Map([[1, 2]]),
  () => new Set([1]),
  () => /x/,
  () => new Error("e"),
  () => new Uint8Array(2),
  () => new ArrayBuffer(2),
  () =>
    new (class Point {
      x = 1;
    })(),
  () => new (class List extends Array {})(),
  // deno-lint-ignore no-sparse-arrays -- a hole is the point
  () => [1, , 3],
  () => Object.assign([1], { extra: 2 }),
  () => ({ [Symbol("k")]: 1 }),
  () => new String("s"),
  () => ({ toJSON: () => 1 }),
  () => Object.assign(Object.create(null), { a: 1 }),
  () => ({
    get g() {
      return 1;
    },
  }),
).map((make) => make());

/** Trees of JSON values with an oddity here and there. */
const { node: mixed } = fc.letrec<{ node: unknown; leaf: unknown; arr: unknown; obj: unknown }>(
  (tie) => ({
    node: fc.oneof({ depthSize: "small" }, tie("leaf"), tie("arr"), tie("obj")),
    leaf: fc.oneof(
      { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 0 }) },
      { weight: 1, arbitrary: oddities },
    ),
    arr: fc.array(tie("node"), { maxLength: 4 }),
    obj: fc.dictionary(fc.string({ maxLength: 4 }), tie("node"), { maxKeys: 4 }),
  }),
);

/** A value holding itself, and one sharing a sub-value twice without a cycle. */
const references: fc.Arbitrary<unknown> = fc.tuple(mixed, fc.boolean()).map(([inner, circular]) => {
  const box: Record<string, unknown> = { inner };
  const outer = [box];
  if (circular) box.back = outer;
  else outer.push(box);
  return outer;
});

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  mixed,
  references,
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
  }),
);

Deno.test("isJsonSafe() agrees with the JSON round-trip reference on random values", () => {
  fc.assert(
    fc.property(anyValue, (value) => {
      assert.equal(isJsonSafe(value), referenceSafe(value));
    }),
    fuzzParams(),
  );
});

Deno.test("findUnsafe() names the root and the rule for every unsafe random value", () => {
  fc.assert(
    fc.property(anyValue, (value) => {
      const bad = findUnsafe(value, "k.v_v1");
      if (bad === null) return;
      assert.match(bad, /^k\.v_v1[.[:]/);
      assert.match(bad, /is not JSON-safe/);
    }),
    fuzzParams(),
  );
});

Deno.test("copyJson() of a random safe value equals the value (with -0 read back as 0)", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      assert.ok(isJsonSafe(value));
      assert.ok(sameAfterRoundTrip(copyJson(value), value));
    }),
    fuzzParams(),
  );
});

Deno.test("containers nest at most 1000 deep, at any depth near the limit", () => {
  fc.assert(
    fc.property(fc.integer({ min: 990, max: 1010 }), fc.boolean(), (depth, objects) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = objects ? { a: value } : [value];
      assert.equal(isJsonSafe(value), depth <= MAX_NESTING);
      assert.equal(isJsonSafe(value), referenceSafe(value));
    }),
    fuzzParams(10),
  );
});
