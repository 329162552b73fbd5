import assert from "node:assert/strict";
import {
  checkKey,
  Context,
  type ContextDelta,
  type JsonValue,
  StepContext,
} from "../core/context.ts";
import { ContextError } from "../core/errors.ts";

const KEY = "numbers.stats_v1";

function isIsoTimestamp(at: string): boolean {
  return !Number.isNaN(Date.parse(at)) && new Date(at).toISOString() === at;
}

/** A context with warnings collected into an array. */
function withWarnings(): { ctx: Context; warnings: string[] } {
  const warnings: string[] = [];
  return { ctx: new Context({ onWarning: (m) => warnings.push(m) }), warnings };
}

// ---- basic API ---------------------------------------------------------------------------------

Deno.test("set() then get(), has() and keys() see the value; unknown keys read as undefined", () => {
  const ctx = new Context();
  assert.equal(ctx.has(KEY), false);
  assert.equal(ctx.get(KEY), undefined);
  ctx.set(KEY, { mean: 2.5, count: 4 }, { who: "tester" });
  assert.equal(ctx.has(KEY), true);
  assert.deepEqual(ctx.get(KEY), { mean: 2.5, count: 4 });
  assert.deepEqual(ctx.keys(), [KEY]);
  assert.equal(ctx.has("numbers.other_v1"), false);
});

Deno.test("a stored null is present: has() is true and get() returns null", () => {
  const ctx = new Context();
  ctx.set(KEY, null);
  assert.equal(ctx.has(KEY), true);
  assert.equal(ctx.get(KEY), null);
});

Deno.test("keys() lists keys in first-write order; overwriting keeps the position", () => {
  const ctx = new Context();
  ctx.set("b.x_v1", 1);
  ctx.set("a.x_v1", 2);
  ctx.set("b.x_v1", 3);
  assert.deepEqual(ctx.keys(), ["b.x_v1", "a.x_v1"]);
  assert.equal(ctx.get("b.x_v1"), 3);
});

Deno.test("set() records key, who, op 'set' and an ISO timestamp, with no step", () => {
  const ctx = new Context();
  const before = Date.now();
  ctx.set(KEY, 1, { who: "alice" });
  ctx.set("numbers.other_v1", 2);
  const [first, second] = ctx.history();
  assert.deepEqual(Object.keys(first).sort(), ["at", "key", "op", "who"]);
  assert.equal(first.key, KEY);
  assert.equal(first.who, "alice");
  assert.equal(first.op, "set");
  assert.equal(first.step, undefined);
  assert.ok(isIsoTimestamp(first.at), first.at);
  assert.ok(Date.parse(first.at) >= before - 1 && Date.parse(first.at) <= Date.now() + 1);
  assert.equal(second.who, "user", "who defaults to 'user' outside a step");
});

Deno.test("every write is a history entry, overwrites included, oldest first", () => {
  const ctx = new Context();
  ctx.set(KEY, 1, { who: "a" });
  ctx.set(KEY, 2, { who: "b" });
  assert.deepEqual(ctx.history().map((h) => [h.key, h.who]), [[KEY, "a"], [KEY, "b"]]);
});

Deno.test("history() is a copy: mutating it changes nothing stored", () => {
  const ctx = new Context();
  ctx.set(KEY, 1, { who: "a" });
  const h = ctx.history();
  h[0].who = "mallory";
  h.push({ key: "x.y_v1", who: "z", op: "set", at: new Date().toISOString() });
  assert.equal(ctx.history().length, 1);
  assert.equal(ctx.history()[0].who, "a");
});

Deno.test("set() refuses a non-string who, which fromJSON() could not read back", () => {
  const ctx = new Context();
  assert.throws(() => ctx.set(KEY, 1, { who: 42 as unknown as string }), {
    name: "ContextError",
    message: /"who" must be a string, got number/,
  });
  assert.deepEqual(ctx.keys(), []);
});

// ---- keys ---------------------------------------------------------------------------------------

const GOOD_KEYS = ["numbers.stats_v1", "a.b_v2", "a1.b_2.c_v10", "x_y.z_v0", "0.1_v1"];
const BAD_KEYS: unknown[] = [
  "numbers",
  "Numbers.x_v1",
  "numbers.X_v1",
  "a..b",
  ".a",
  "a.",
  "a-b.c",
  "a b.c",
  "a.b\n",
  "",
  ".",
  "ä.b_v1",
  42,
  null,
  undefined,
  10n,
  Symbol("k"),
  ["a.b_v1"],
];

for (const key of GOOD_KEYS) {
  Deno.test(`the versioned key "${key}" is accepted without a warning`, () => {
    const { ctx, warnings } = withWarnings();
    ctx.set(key, 1);
    assert.deepEqual(ctx.keys(), [key]);
    assert.deepEqual(warnings, []);
    assert.equal(checkKey(key), null);
  });
}

for (const key of BAD_KEYS) {
  const label = typeof key === "string" ? JSON.stringify(key) : Deno.inspect(key);
  Deno.test(`the key ${label} is refused with a ContextError, leaving the context empty`, () => {
    const { ctx, warnings } = withWarnings();
    assert.throws(() => ctx.set(key as string, 1), (err: unknown) => {
      assert.ok(err instanceof ContextError, `not a ContextError: ${err}`);
      assert.match(err.message, /^context key .* is invalid: keys are dotted strings/);
      assert.match(err.hint ?? "", /numbers\.stats_v1/);
      return true;
    });
    assert.deepEqual(ctx.keys(), []);
    assert.deepEqual(ctx.history(), []);
    assert.deepEqual(warnings, []);
  });
}

Deno.test("a refused string key is quoted in the message; a non-string one names its type", () => {
  assert.throws(() => checkKey("a..b"), { message: /^context key "a\.\.b" is invalid/ });
  assert.throws(() => checkKey(10n), { message: /^context key of type bigint is invalid/ });
  assert.throws(() => checkKey(Symbol()), { message: /^context key of type symbol is invalid/ });
});

Deno.test("a key without a _vN suffix is accepted with a warning that names the key", () => {
  const { ctx, warnings } = withWarnings();
  ctx.set("numbers.stats", 1);
  assert.equal(ctx.get("numbers.stats"), 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /"numbers\.stats"/);
  assert.match(warnings[0], /version suffix/);
});

Deno.test("a refused value gives no warning even when its key is unversioned", () => {
  const { ctx, warnings } = withWarnings();
  assert.throws(() => ctx.set("numbers.stats", NaN), ContextError);
  assert.deepEqual(warnings, []);
});

// ---- isolation ----------------------------------------------------------------------------------

Deno.test("mutating the object after set() does not change the stored value", () => {
  const ctx = new Context();
  const value = { mean: 1, xs: [1, 2], nested: { a: "x" } };
  ctx.set(KEY, value);
  value.mean = 99;
  value.xs.push(3);
  value.nested.a = "changed";
  assert.deepEqual(ctx.get(KEY), { mean: 1, xs: [1, 2], nested: { a: "x" } });
});

Deno.test("mutating what get() returned does not change the stored value", () => {
  const ctx = new Context();
  ctx.set(KEY, { xs: [1, 2] });
  const got = ctx.get(KEY) as { xs: number[] };
  got.xs.push(3);
  (got as Record<string, unknown>).extra = true;
  assert.deepEqual(ctx.get(KEY), { xs: [1, 2] });
  assert.notEqual(ctx.get(KEY), ctx.get(KEY));
});

Deno.test("snapshot() is a deep copy of all data", () => {
  const ctx = new Context();
  ctx.set(KEY, { xs: [1] });
  ctx.set("a.b_v1", "s");
  const snap = ctx.snapshot();
  assert.deepEqual({ ...snap }, { [KEY]: { xs: [1] }, "a.b_v1": "s" });
  (snap[KEY] as { xs: number[] }).xs.push(2);
  snap["new.key_v1"] = 1;
  delete snap["a.b_v1"];
  assert.deepEqual(ctx.snapshot(), { [KEY]: { xs: [1] }, "a.b_v1": "s" });
});

Deno.test("toJSON() returns copies: mutating its data or history changes nothing stored", () => {
  const ctx = new Context();
  ctx.set(KEY, { xs: [1] }, { who: "a" });
  const json = ctx.toJSON();
  (json.data[KEY] as { xs: number[] }).xs.push(2);
  json.history[0].who = "mallory";
  json.history.length = 0;
  assert.deepEqual(ctx.get(KEY), { xs: [1] });
  assert.equal(ctx.history()[0].who, "a");
});

// ---- apply --------------------------------------------------------------------------------------

Deno.test("apply() commits every write in order with the step name and one timestamp", () => {
  const ctx = new Context();
  const at = new Date("2024-05-06T07:08:09.010Z");
  ctx.apply({
    writes: [
      { key: "a.x_v1", value: 1, who: "w1" },
      { key: "b.x_v1", value: [true], who: "w2" },
      { key: "a.x_v1", value: 2, who: "w1" },
    ],
  }, { step: "compute", at });
  assert.deepEqual(ctx.toJSON(), {
    data: { "a.x_v1": 2, "b.x_v1": [true] },
    history: [
      { key: "a.x_v1", who: "w1", step: "compute", op: "set", at: at.toISOString() },
      { key: "b.x_v1", who: "w2", step: "compute", op: "set", at: at.toISOString() },
      { key: "a.x_v1", who: "w1", step: "compute", op: "set", at: at.toISOString() },
    ],
  });
});

Deno.test("apply() without meta uses the current time and records no step", () => {
  const ctx = new Context();
  ctx.apply({ writes: [{ key: KEY, value: 1, who: "w" }] });
  const [h] = ctx.history();
  assert.equal(h.step, undefined);
  assert.ok(isIsoTimestamp(h.at), h.at);
});

Deno.test("apply() of an empty delta changes nothing", () => {
  const ctx = new Context();
  ctx.apply({ writes: [] }, { step: "s" });
  assert.deepEqual(ctx.toJSON(), { data: {}, history: [] });
});

const HALF_BAD: [string, ContextDelta, RegExp][] = [
  ["a bad key", {
    writes: [{ key: KEY, value: 1, who: "s" }, { key: "bad", value: 2, who: "s" }],
  }, /context key "bad" is invalid/],
  ["a NaN value", {
    writes: [{ key: KEY, value: 1, who: "s" }, { key: "a.b_v1", value: { m: NaN }, who: "s" }],
  }, /^a\.b_v1\.m: NaN is not JSON-safe/],
  ["a non-string who", {
    writes: [{ key: KEY, value: 1, who: "s" }, {
      key: "a.b_v1",
      value: 2,
      who: undefined as unknown as string,
    }],
  }, /"who" must be a string, got undefined/],
];

for (const [label, delta, message] of HALF_BAD) {
  Deno.test(`apply() of a good write and ${label} throws and leaves the context unchanged`, () => {
    const ctx = new Context();
    assert.throws(() => ctx.apply(delta, { step: "s" }), (err: unknown) => {
      assert.ok(err instanceof ContextError, `not a ContextError: ${err}`);
      assert.match(err.message, message);
      return true;
    });
    assert.deepEqual(ctx.keys(), []);
    assert.deepEqual(ctx.history(), []);
  });
}

Deno.test("a failed apply() keeps what was there before", () => {
  const ctx = new Context();
  ctx.set(KEY, 1);
  assert.throws(() =>
    ctx.apply({
      writes: [{ key: KEY, value: 2, who: "s" }, {
        key: "x.y_v1",
        value: undefined as unknown as JsonValue,
        who: "s",
      }],
    })
  );
  assert.equal(ctx.get(KEY), 1);
  assert.equal(ctx.history().length, 1);
});

Deno.test("apply() refuses a delta without a writes array", () => {
  const ctx = new Context();
  assert.throws(() => ctx.apply({} as ContextDelta), {
    name: "ContextError",
    message: 'a delta must have a "writes" array',
  });
  assert.throws(() => ctx.apply({ writes: [null] } as unknown as ContextDelta), ContextError);
});

Deno.test("apply() copies values: mutating the delta afterwards changes nothing stored", () => {
  const ctx = new Context();
  const value = { xs: [1] };
  ctx.apply({ writes: [{ key: KEY, value, who: "s" }] });
  value.xs.push(2);
  assert.deepEqual(ctx.get(KEY), { xs: [1] });
});

// ---- round trip and fromJSON ------------------------------------------------------------------

Deno.test("fromJSON(JSON round trip of toJSON()) restores the same data and history", () => {
  const ctx = new Context();
  ctx.set(KEY, { mean: 2.5, xs: [1, -0, 1e308], s: "héllo 🎉", n: null, o: {} }, { who: "a" });
  ctx.apply({ writes: [{ key: "b.c_v1", value: [[]], who: "w" }] }, { step: "s1" });
  ctx.set(KEY, true, { who: "b" });
  const back = Context.fromJSON(JSON.parse(JSON.stringify(ctx)));
  assert.deepStrictEqual(back.toJSON(), ctx.toJSON());
  assert.deepEqual(back.keys(), ctx.keys());
});

Deno.test("fromJSON() accepts a plain {key: value} object, with no history", () => {
  const ctx = Context.fromJSON({ [KEY]: { mean: 1 }, "a.b_v1": [1, 2] });
  assert.deepEqual(ctx.keys(), [KEY, "a.b_v1"]);
  assert.deepEqual(ctx.get(KEY), { mean: 1 });
  assert.deepEqual(ctx.history(), []);
  assert.deepEqual(Context.fromJSON({}).toJSON(), { data: {}, history: [] });
});

Deno.test("fromJSON() accepts {data} without history as an empty history", () => {
  const ctx = Context.fromJSON({ data: { [KEY]: 1 } });
  assert.equal(ctx.get(KEY), 1);
  assert.deepEqual(ctx.history(), []);
});

Deno.test("fromJSON() warns through onWarning about unversioned keys in the file", () => {
  const warnings: string[] = [];
  const ctx = Context.fromJSON({ "numbers.stats": 1, [KEY]: 2 }, {
    onWarning: (m) => warnings.push(m),
  });
  assert.equal(ctx.get("numbers.stats"), 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /"numbers\.stats"/);
});

Deno.test("a context restored by fromJSON() keeps its onWarning for later writes", () => {
  const warnings: string[] = [];
  const ctx = Context.fromJSON({}, { onWarning: (m) => warnings.push(m) });
  ctx.set("a.b", 1);
  assert.equal(warnings.length, 1);
});

Deno.test("fromJSON() copies: mutating the input afterwards changes nothing stored", () => {
  const input = { [KEY]: { xs: [1] } };
  const ctx = Context.fromJSON(input);
  input[KEY].xs.push(2);
  assert.deepEqual(ctx.get(KEY), { xs: [1] });
});

const NOT_OBJECTS: [string, unknown][] = [
  ["null", null],
  ["an array", [{ [KEY]: 1 }]],
  ["a string", "{}"],
  ["a number", 1],
  ["undefined", undefined],
  ["a Date", new Date(0)],
  ["a Map", new Map([[KEY, 1]])],
];

for (const [label, json] of NOT_OBJECTS) {
  Deno.test(`fromJSON() refuses ${label} as a context`, () => {
    assert.throws(() => Context.fromJSON(json), {
      name: "ContextError",
      message: "a context file must hold a JSON object",
    });
  });
}

const BAD_FILES: [string, unknown, RegExp][] = [
  ["a bad key", { "Numbers.x_v1": 1 }, /context key "Numbers\.x_v1" is invalid/],
  ["a bad key under data", { data: { bad: 1 }, history: [] }, /context key "bad" is invalid/],
  ["a NaN value", { data: { [KEY]: { m: NaN } }, history: [] }, /^numbers\.stats_v1\.m: NaN/],
  ["a Date value", { [KEY]: [new Date(0)] }, /^numbers\.stats_v1\[0\]: a Date is not JSON-safe/],
  ["data that is an array", { data: [], history: [] }, /context "data" must be an object/],
  ["history without data", { history: [] }, /context "data" must be an object/],
  ["history that is not an array", { data: {}, history: {} }, /"history" must be an array/],
  ["an extra field beside data and history", {
    data: {},
    history: [],
    [KEY]: 1,
  }, /cannot also hold "numbers\.stats_v1"/],
];

for (const [label, json, message] of BAD_FILES) {
  Deno.test(`fromJSON() refuses ${label}`, () => {
    assert.throws(() => Context.fromJSON(json), (err: unknown) => {
      assert.ok(err instanceof ContextError, `not a ContextError: ${err}`);
      assert.match(err.message, message);
      return true;
    });
  });
}

const GOOD_ENTRY = { key: KEY, who: "w", op: "set", at: "2024-01-02T03:04:05.006Z" };
const BAD_ENTRIES: [string, unknown, RegExp][] = [
  ["null", null, /history\[0\] must be an object with string "key", "who" and "at"/],
  ["a string", "set", /history\[0\] must be an object/],
  ["an entry without who", { ...GOOD_ENTRY, who: undefined }, /must be an object with string/],
  ["a numeric key", { ...GOOD_ENTRY, key: 1 }, /must be an object with string/],
  ["an invalid key", { ...GOOD_ENTRY, key: "bad" }, /history\[0\] has an invalid key "bad"/],
  ["an unknown op", { ...GOOD_ENTRY, op: "delete" }, /has op "delete"; only "set" exists/],
  ["a missing op", { ...GOOD_ENTRY, op: undefined }, /has op undefined/],
  ["a non-ISO at", { ...GOOD_ENTRY, at: "yesterday" }, /"at" "yesterday", which is not an ISO/],
  ["an impossible at", { ...GOOD_ENTRY, at: "2024-13-45T99:00:00Z" }, /not an ISO 8601/],
  ["a numeric step", { ...GOOD_ENTRY, step: 3 }, /history\[0\] has a non-string "step"/],
];

for (const [label, entry, message] of BAD_ENTRIES) {
  Deno.test(`fromJSON() refuses a history entry that is ${label}`, () => {
    const json = JSON.parse(JSON.stringify({ data: { [KEY]: 1 }, history: [entry] }) ?? "null");
    assert.throws(() => Context.fromJSON(json), (err: unknown) => {
      assert.ok(err instanceof ContextError, `not a ContextError: ${err}`);
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("fromJSON() names the index of the bad history entry", () => {
  const json = { data: {}, history: [GOOD_ENTRY, { ...GOOD_ENTRY, op: "x" }] };
  assert.throws(() => Context.fromJSON(json), { message: /^context history\[1\] has op "x"/ });
});

Deno.test("fromJSON() keeps a history entry's step and accepts an at with an offset", () => {
  const entry = { ...GOOD_ENTRY, step: "load", at: "2024-01-02T03:04:05+02:00" };
  const ctx = Context.fromJSON({ data: {}, history: [entry] });
  assert.deepEqual(ctx.history(), [entry]);
});

// ---- StepContext --------------------------------------------------------------------------------

function stepOver(base: Record<string, JsonValue>, warnings: string[] = []): StepContext {
  return new StepContext(base, { who: "compute", onWarning: (m) => warnings.push(m) });
}

Deno.test("a StepContext reads the base snapshot plus its own writes", () => {
  const step = stepOver({ "in.data_v1": [1, 2], [KEY]: "old" });
  assert.deepEqual(step.get("in.data_v1"), [1, 2]);
  assert.equal(step.has("in.data_v1"), true);
  assert.equal(step.has("out.x_v1"), false);
  assert.equal(step.get("out.x_v1"), undefined);
  step.set("out.x_v1", { n: 1 });
  step.set(KEY, "new");
  assert.deepEqual(step.get("out.x_v1"), { n: 1 });
  assert.equal(step.get(KEY), "new", "own writes shadow the base");
  assert.equal(step.has("out.x_v1"), true);
  assert.deepEqual(step.keys(), ["in.data_v1", KEY, "out.x_v1"]);
});

Deno.test("a StepContext does not see inherited Object.prototype names as keys", () => {
  const step = stepOver({});
  assert.equal(step.has("toString"), false);
  assert.equal(step.get("constructor"), undefined);
});

Deno.test("a StepContext checks writes immediately: a NaN write throws at set()", () => {
  const step = stepOver({});
  assert.throws(() => step.set(KEY, { mean: NaN }), {
    name: "ContextError",
    message: `${KEY}.mean: NaN is not JSON-safe (store a finite number, or null)`,
  });
  assert.throws(() => step.set("bad", 1), { name: "ContextError" });
  assert.equal(step.has(KEY), false);
  assert.deepEqual(step.delta(), { writes: [] });
});

Deno.test("delta() lists the writes in order, with who defaulting to the step name", () => {
  const step = stepOver({});
  step.set("a.x_v1", 1);
  step.set("b.x_v1", [2], { who: "helper" });
  step.set("a.x_v1", 3);
  assert.deepEqual(step.delta(), {
    writes: [
      { key: "a.x_v1", value: 1, who: "compute" },
      { key: "b.x_v1", value: [2], who: "helper" },
      { key: "a.x_v1", value: 3, who: "compute" },
    ],
  });
});

Deno.test("a StepContext warns about an unversioned key through onWarning", () => {
  const warnings: string[] = [];
  const step = stepOver({}, warnings);
  step.set("out.result", 1);
  step.set("out.result_v1", 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /"out\.result"/);
});

Deno.test("a StepContext does not mutate the base record passed in", () => {
  const base: Record<string, JsonValue> = { [KEY]: { xs: [1] } };
  const frozen = structuredClone(base);
  const step = stepOver(base);
  step.set(KEY, { xs: [9] });
  step.set("new.key_v1", 1);
  (step.get(KEY) as { xs: number[] }).xs.push(10);
  assert.deepEqual(base, frozen);
});

Deno.test("StepContext reads are copies, of base values and of own writes", () => {
  const step = stepOver({ [KEY]: { xs: [1] } });
  (step.get(KEY) as { xs: number[] }).xs.push(2);
  assert.deepEqual(step.get(KEY), { xs: [1] });
  const value = { ys: [1] };
  step.set("own.x_v1", value);
  value.ys.push(2);
  (step.get("own.x_v1") as { ys: number[] }).ys.push(3);
  assert.deepEqual(step.get("own.x_v1"), { ys: [1] });
});

Deno.test("mutating what delta() returned does not change the step's writes", () => {
  const step = stepOver({});
  step.set(KEY, { xs: [1] });
  const d = step.delta();
  (d.writes[0].value as { xs: number[] }).xs.push(2);
  d.writes[0].who = "mallory";
  d.writes.push({ key: "x.y_v1", value: 1, who: "z" });
  assert.deepEqual(step.get(KEY), { xs: [1] });
  assert.deepEqual(step.delta(), { writes: [{ key: KEY, value: { xs: [1] }, who: "compute" }] });
});

Deno.test("a StepContext refuses a non-string who", () => {
  const step = stepOver({});
  assert.throws(() => step.set(KEY, 1, { who: null as unknown as string }), {
    name: "ContextError",
    message: /"who" must be a string, got object/,
  });
});

Deno.test("a step's delta applied to the context lands with the step name in history", () => {
  const ctx = new Context();
  ctx.set("in.data_v1", [1, 2, 3]);
  const step = new StepContext(ctx.snapshot(), { who: "compute" });
  const xs = step.get("in.data_v1") as number[];
  step.set(KEY, { sum: xs.reduce((a, b) => a + b, 0) });
  assert.equal(ctx.has(KEY), false, "the context is untouched until apply()");
  ctx.apply(step.delta(), { step: "compute" });
  assert.deepEqual(ctx.get(KEY), { sum: 6 });
  const last = ctx.history().at(-1)!;
  assert.deepEqual([last.key, last.who, last.step, last.op], [KEY, "compute", "compute", "set"]);
});
