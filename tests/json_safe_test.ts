import assert from "node:assert/strict";
import { Context } from "../core/context.ts";
import { ContextError } from "../core/errors.ts";
import { copyJson, findUnsafe, isJsonSafe, type JsonValue } from "../core/json_safe.ts";
import { seededRandom } from "./_helpers.ts";

const KEY = "numbers.stats_v1";

class Point {
  constructor(public x = 1, public y = 2) {}
}

function circularObject(): unknown {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

function circularArray(): unknown {
  const a: unknown[] = [1];
  a.push(a);
  return a;
}

/** Refused kinds: [label, value placed under `mean`, expected message start after the path]. */
const REFUSED: [string, unknown, string][] = [
  ["undefined", undefined, "undefined is not JSON-safe"],
  ["NaN", NaN, "NaN is not JSON-safe"],
  ["Infinity", Infinity, "Infinity is not JSON-safe"],
  ["-Infinity", -Infinity, "-Infinity is not JSON-safe"],
  ["a BigInt", 10n, "BigInt is not JSON-safe"],
  ["a function", () => 1, "a function is not JSON-safe"],
  ["a symbol", Symbol("s"), "a symbol is not JSON-safe"],
  ["a Date", new Date(0), "a Date is not JSON-safe (store date.toISOString())"],
  ["a Map", new Map([["a", 1]]), "a Map is not JSON-safe"],
  ["a Set", new Set([1]), "a Set is not JSON-safe"],
  ["a class instance", new Point(), "an instance of class Point is not JSON-safe"],
  ["a Uint8Array", new Uint8Array([1, 2]), "a typed array or ArrayBuffer is not JSON-safe"],
  ["a Float64Array", new Float64Array([1.5]), "a typed array or ArrayBuffer is not JSON-safe"],
  ["an ArrayBuffer", new ArrayBuffer(4), "a typed array or ArrayBuffer is not JSON-safe"],
  ["a DataView", new DataView(new ArrayBuffer(4)), "a typed array or ArrayBuffer is not JSON-safe"],
  ["a RegExp", /a+/g, "a RegExp is not JSON-safe"],
  ["an Error", new Error("boom"), "an Error is not JSON-safe"],
  ["a boxed number", new Number(1), "an instance of class Number is not JSON-safe"],
  ["an array subclass", new (class Items extends Array {})(), "an instance of array class Items"],
  ["an object with symbol keys", { [Symbol("k")]: 1, a: 1 }, "an object with symbol keys"],
];

for (const [label, bad, message] of REFUSED) {
  Deno.test(`set() refuses ${label} with a ContextError naming the path inside the value`, () => {
    const ctx = new Context();
    assert.throws(
      () => ctx.set(KEY, { count: 3, mean: bad }),
      (err: unknown) => {
        assert.ok(err instanceof ContextError, `not a ContextError: ${err}`);
        assert.ok(
          err.message.startsWith(`${KEY}.mean: ${message}`),
          `message was: ${err.message}`,
        );
        return true;
      },
    );
    assert.deepEqual(ctx.keys(), []);
    assert.deepEqual(ctx.history(), []);
  });
}

Deno.test("set() refuses a refused kind as the whole value and names the key itself", () => {
  assert.throws(() => new Context().set(KEY, NaN), {
    name: "ContextError",
    message: `${KEY}: NaN is not JSON-safe (store a finite number, or null)`,
  });
});

Deno.test("set() refuses circular references in objects and arrays and names where", () => {
  const ctx = new Context();
  assert.throws(() => ctx.set(KEY, { loop: circularObject() }), {
    name: "ContextError",
    message: `${KEY}.loop.self: circular reference is not JSON-safe`,
  });
  assert.throws(() => ctx.set(KEY, circularArray()), {
    name: "ContextError",
    message: `${KEY}[1]: circular reference is not JSON-safe`,
  });
});

Deno.test("a value seen twice without a cycle (shared, not circular) is accepted", () => {
  const shared = { n: 1 };
  const ctx = new Context();
  ctx.set(KEY, { a: shared, b: [shared, shared] });
  assert.deepEqual(ctx.get(KEY), { a: { n: 1 }, b: [{ n: 1 }, { n: 1 }] });
});

Deno.test("set() refuses a hole in a sparse array and names its index", () => {
  // deno-lint-ignore no-sparse-arrays
  const sparse = [1, , 3];
  assert.throws(() => new Context().set(KEY, { xs: sparse }), {
    name: "ContextError",
    message: `${KEY}.xs[1]: a hole in a sparse array is not JSON-safe`,
  });
  assert.throws(() => new Context().set(KEY, new Array(2)), {
    message: `${KEY}[0]: a hole in a sparse array is not JSON-safe`,
  });
});

Deno.test("set() refuses an array with a named property, which JSON would drop", () => {
  const arr = Object.assign([1, 2], { extra: NaN });
  assert.throws(() => new Context().set(KEY, arr), {
    name: "ContextError",
    message: /^numbers\.stats_v1\.extra: a named property on an array is not JSON-safe/,
  });
  const withSymbol = Object.assign([1], { [Symbol("s")]: 1 });
  assert.throws(() => new Context().set(KEY, withSymbol), /an object with symbol keys/);
});

Deno.test("nested refusals name the full path through arrays and objects", () => {
  const value = [{ k: { a: [0, 1, { b: NaN }] } }];
  assert.equal(
    findUnsafe(value[0].k, "k"),
    "k.a[2].b: NaN is not JSON-safe (store a finite number, or null)",
  );
  assert.throws(() => new Context().set(KEY, value), {
    message: `${KEY}[0].k.a[2].b: NaN is not JSON-safe (store a finite number, or null)`,
  });
  assert.equal(
    findUnsafe({ rows: [[1, 2], [3, new Date(0)]] }, "t.x_v1"),
    "t.x_v1.rows[1][1]: a Date is not JSON-safe (store date.toISOString())",
  );
});

Deno.test("a field name that is not an identifier is quoted in the path", () => {
  assert.equal(
    findUnsafe({ "a b": { "": undefined } }, "k"),
    'k["a b"][""]: undefined is not JSON-safe (store null, or leave the key out)',
  );
  assert.equal(findUnsafe({ "0": NaN }, "k")?.startsWith('k["0"]: NaN'), true);
});

Deno.test("an undefined field is refused, although JSON.stringify would silently drop it", () => {
  assert.equal(
    findUnsafe({ a: 1, gone: undefined }, "k"),
    "k.gone: undefined is not JSON-safe (store null, or leave the key out)",
  );
});

Deno.test("findUnsafe() refuses nesting past 1000 levels instead of overflowing the stack", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = [deep];
  const why = findUnsafe(deep, "k") ?? "";
  assert.match(why, /^k(\[0\])+\[?0?\.\.\.: nesting deeper than 1000 levels/);
  assert.ok(why.length < 150, "the path is cut, not 1000 segments long");
  assert.throws(() => new Context().set(KEY, deep), { name: "ContextError" });
  let ok: unknown = 1;
  for (let i = 0; i < 999; i++) ok = { a: ok };
  assert.equal(findUnsafe(ok, "k"), null);
});

/** Accepted values: [label, value, what get() returns]. */
const ACCEPTED: [string, unknown, JsonValue][] = [
  ["null", null, null],
  ["true", true, true],
  ["false", false, false],
  ["zero", 0, 0],
  ["-0 (stored as 0, as JSON would)", -0, 0],
  ["1e308", 1e308, 1e308],
  ["the smallest denormal", 5e-324, 5e-324],
  ["a negative float", -3.25, -3.25],
  ["an empty string", "", ""],
  ["a unicode string", "héllo 世界 🎉 \u0000 \u2028", "héllo 世界 🎉 \u0000 \u2028"],
  ["an empty array", [], []],
  ["an empty object", {}, {}],
  ["nested arrays and objects", { a: [1, [2, { b: [null] }]], c: { d: "x" } }, {
    a: [1, [2, { b: [null] }]],
    c: { d: "x" },
  }],
];

for (const [label, value, expected] of ACCEPTED) {
  Deno.test(`set() accepts ${label}`, () => {
    assert.equal(isJsonSafe(value), true);
    const ctx = new Context();
    ctx.set(KEY, value);
    assert.deepStrictEqual(ctx.get(KEY), expected);
  });
}

Deno.test("set() accepts an Object.create(null) object and stores a plain copy", () => {
  const bare = Object.assign(Object.create(null), { a: 1, b: { c: [2] } });
  const ctx = new Context();
  ctx.set(KEY, bare);
  assert.deepEqual({ ...ctx.get(KEY) as object }, { a: 1, b: { c: [2] } });
});

Deno.test("an own __proto__ key from JSON.parse is kept as data and pollutes nothing", () => {
  const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
  assert.equal(isJsonSafe(parsed), true);
  const ctx = new Context();
  ctx.set(KEY, parsed);
  const got = ctx.get(KEY) as Record<string, JsonValue>;
  assert.equal(Object.hasOwn(got, "__proto__"), true);
  assert.equal(Object.getPrototypeOf(got), Object.prototype);
  assert.deepEqual(Object.keys(got), ["__proto__", "a"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal((got as Record<string, unknown>).polluted, undefined);
  const back = Context.fromJSON(JSON.parse(JSON.stringify(ctx.toJSON())));
  assert.equal(Object.hasOwn(back.get(KEY) as object, "__proto__"), true);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("a getter on a plain object is read, and the copy holds its value", () => {
  const value = {
    get n() {
      return 7;
    },
  };
  const ctx = new Context();
  ctx.set(KEY, value);
  assert.deepStrictEqual(ctx.get(KEY), { n: 7 });
  assert.equal(
    findUnsafe({
      get bad() {
        return NaN;
      },
    }, "k")?.startsWith("k.bad: NaN"),
    true,
  );
});

Deno.test("a Proxy around a plain object is accepted and copied (structuredClone would throw)", () => {
  const ctx = new Context();
  ctx.set(KEY, new Proxy({ a: [1, 2] }, {}));
  assert.deepStrictEqual(ctx.get(KEY), { a: [1, 2] });
});

Deno.test("copyJson() returns a deep copy equal to a JSON round trip", () => {
  const value = { a: [1, { b: "x" }], c: null, d: -0 };
  const copy = copyJson(value);
  assert.notEqual(copy, value);
  assert.notEqual(copy.a, value.a);
  assert.deepStrictEqual(copy, JSON.parse(JSON.stringify(value)));
});

Deno.test("isJsonSafe() and findUnsafe() agree, and the default root is 'value'", () => {
  assert.equal(isJsonSafe({ a: NaN }), false);
  assert.equal(findUnsafe({ a: NaN }, "value")?.startsWith("value.a: NaN"), true);
  assert.equal(findUnsafe({ a: 1 }, "value"), null);
});

// ---- reference-definition property test -------------------------------------------------------

/**
 * The reference definition, written from the spec and not from the implementation: a value is
 * JSON-safe when it is null, a boolean, a finite number, a string, an array whose prototype is
 * Array.prototype with every index present, no other own keys and safe items, or an object whose
 * prototype is Object.prototype or null, with only string keys and safe values; no cycles.
 */
function refSafe(v: unknown, ancestors: object[] = []): boolean {
  if (v === null || typeof v === "boolean" || typeof v === "string") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (typeof v !== "object") return false;
  if (ancestors.includes(v)) return false;
  const inner = [...ancestors, v];
  const ownKeys = Reflect.ownKeys(v);
  if (ownKeys.some((k) => typeof k === "symbol")) return false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return false;
    const indices = ownKeys.filter((k) => k !== "length");
    if (indices.length !== v.length) return false; // holes or named properties
    return indices.every((k, i) => k === String(i) && refSafe(v[i], inner));
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return ownKeys.every((k) => refSafe((v as Record<string, unknown>)[k as string], inner));
}

/** Structural equality of data: -0 equals 0, and a null-prototype object equals a plain one. */
function sameData(a: unknown, b: unknown): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) =>
    k === kb[i] &&
    sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

const STRINGS = ["", "a", "héllo", "世界", "🎉", "__proto__", "a b", "0", "constructor"];

function generator(rand: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const unsafeLeaf = (ancestors: object[]): unknown => {
    const choices: (() => unknown)[] = [
      () => NaN,
      () => pick([Infinity, -Infinity]),
      () => undefined,
      () => new Date(0),
      () => new Map(),
      () => new Set([1]),
      () => new Point(),
      () => new Uint8Array(2),
      () => () => 0,
      () => Symbol("x"),
      () => 1n,
      () => /x/,
      () => new Error("e"),
      () => new Array(3),
      () => ({ [Symbol("k")]: 1 }),
      () => Object.assign([1], { named: 2 }),
      () => ancestors.length > 0 ? pick(ancestors) : NaN, // a cycle
    ];
    return pick(choices)();
  };
  const safeLeaf = (): unknown =>
    pick<() => unknown>([
      () => null,
      () => rand() < 0.5,
      () => Math.floor(rand() * 2000) - 1000,
      () => (rand() - 0.5) * 1e300,
      () => -0,
      () => pick(STRINGS),
    ])();
  const gen = (depth: number, ancestors: object[], unsafeRate: number): unknown => {
    const r = rand();
    if (r < unsafeRate) return unsafeLeaf(ancestors);
    if (depth <= 0 || r < 0.45) return safeLeaf();
    if (r < 0.7) {
      const arr: unknown[] = [];
      const n = Math.floor(rand() * 4);
      for (let i = 0; i < n; i++) arr.push(gen(depth - 1, [...ancestors, arr], unsafeRate));
      return arr;
    }
    const obj: Record<string, unknown> = rand() < 0.2 ? Object.create(null) : {};
    const n = Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      Object.defineProperty(obj, pick(STRINGS) + i, {
        value: gen(depth - 1, [...ancestors, obj], unsafeRate),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return obj;
  };
  return () => gen(1 + Math.floor(rand() * 5), [], rand() < 0.5 ? 0 : 0.25);
}

Deno.test("isJsonSafe() agrees with a reference definition on 5000 seeded random values", () => {
  const next = generator(seededRandom(20240601));
  let safe = 0;
  let unsafe = 0;
  for (let i = 0; i < 5000; i++) {
    const v = next();
    const expected = refSafe(v);
    assert.equal(isJsonSafe(v), expected, `case ${i}: ${Deno.inspect(v, { depth: 10 })}`);
    if (expected) {
      safe++;
      // Soundness of the reference: a safe value survives a JSON round trip, and so does the copy.
      assert.ok(sameData(JSON.parse(JSON.stringify(v)), v), `case ${i}: round trip changed it`);
      assert.ok(sameData(copyJson(v as JsonValue), v), `case ${i}: copy differs`);
    } else {
      unsafe++;
      const message = findUnsafe(v, "root") ?? "";
      assert.match(message, /^root[.[:]/, `case ${i}: ${message}`);
    }
  }
  // The generator must exercise both sides, or the agreement proves little.
  assert.ok(safe > 1000 && unsafe > 1000, `safe ${safe}, unsafe ${unsafe}`);
});
