import assert from "node:assert/strict";
import type { JsonValue } from "../core/json_safe.ts";
import {
  type Expression,
  parseTemplate,
  resolveTemplate,
  type Scope,
  type Template,
} from "../core/template.ts";

function parsed(text: string): Template {
  const r = parseTemplate(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${r.message}`);
  return r.template;
}

function parseError(text: string): string {
  const r = parseTemplate(text);
  assert.equal(r.ok, false, `expected ${text} to be refused`);
  return r.ok ? "" : r.message;
}

function scope(data: Record<string, JsonValue>, extra: Partial<Scope> = {}): Scope {
  const map = new Map(Object.entries(data));
  return {
    ctx: {
      has: (k) => map.has(k),
      get: (k) => structuredClone(map.get(k)),
      keys: () => [...map.keys()],
    },
    env: (name) => ({ ORCH_T: "from env" } as Record<string, string>)[name],
    meta: { test_id: "NUM-001", tester: "ann", description: "d" },
    runId: "20261129-000000000-abcdef",
    step: "use_it",
    ...extra,
  };
}

function resolve(text: string, s: Scope): JsonValue {
  const r = resolveTemplate(parsed(text), s);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

function resolveError(text: string, s: Scope): string {
  const r = resolveTemplate(parsed(text), s);
  assert.equal(r.ok, false, `expected ${text} to fail`);
  return r.ok ? "" : r.message;
}

const STATS = { count: 5, mean: 2.5, ok: true, none: null, tags: ["a", "b"], by: { x: 1 } };

Deno.test("parseTemplate() splits text and expressions; spaces inside the braces are optional", () => {
  const t = parsed("n=${{ctx.numbers.stats_v1.count}}, id ${{  meta.test_id  }}");
  assert.equal(t.whole, false);
  assert.deepEqual(t.parts.map((p) => typeof p === "string" ? p : (p as Expression).path), [
    "n=",
    ["numbers", "stats_v1", "count"],
    ", id ",
    ["test_id"],
  ]);
});

Deno.test("parseTemplate() reads [N] as a list index and .0 as a field name", () => {
  const [e] = parsed("${{ ctx.a.b_v1.items[2].0 }}").parts as Expression[];
  assert.deepEqual(e.path, ["a", "b_v1", "items", 2, "0"]);
});

Deno.test("parseTemplate() marks a string that is exactly one expression as whole", () => {
  assert.equal(parsed("${{ ctx.a.b_v1 }}").whole, true);
  assert.equal(parsed(" ${{ ctx.a.b_v1 }}").whole, false);
  assert.equal(parsed("${{ ctx.a.b_v1 }}${{ ctx.a.b_v1 }}").whole, false);
});

Deno.test("parseTemplate() turns $${{ into a literal ${{", () => {
  assert.deepEqual(parsed("echo $${{ not.an_expression }}").parts, [
    "echo ${{ not.an_expression }}",
  ]);
});

Deno.test("parseTemplate() refuses an unknown root, naming it and the roots there are", () => {
  assert.equal(
    parseError("${{ foo.bar }}"),
    'unknown root "foo" in ${{ foo.bar }}; use ctx., env., meta., run. or step.',
  );
  assert.match(parseError("${{ cxt.a.b }}"), /unknown root "cxt" .*\(did you mean "ctx"\?\)/);
});

Deno.test("parseTemplate() refuses code, naming the expression", () => {
  for (const text of ["${{ ctx.a.b + 1 }}", "${{ ctx.a.b() }}", "${{ ctx['a'] }}"]) {
    const message = parseError(text);
    assert.match(message, /^unexpected ".*" in \$\{\{ .* \}\}; an expression is a path/, text);
  }
  assert.match(parseError("${{ 'x' }}"), /unexpected "'" at the start of \$\{\{ 'x' \}\}/);
});

Deno.test("parseTemplate() refuses an unterminated or empty expression", () => {
  assert.match(parseError("a ${{ ctx.a.b"), /unterminated "\$\{\{" in "\$\{\{ ctx\.a\.b": close/);
  assert.match(parseError("${{ }}"), /^empty expression \$\{\{ \}\}/);
});

Deno.test("parseTemplate() refuses paths no scope can have", () => {
  assert.match(parseError("${{ ctx.numbers }}"), /needs a context key of two or more segments/);
  assert.match(parseError("${{ ctx.a[0] }}"), /needs a context key of two or more segments/);
  assert.match(parseError("${{ env }}"), /must name one environment variable/);
  assert.match(parseError("${{ env.A.B }}"), /must name one environment variable/);
  assert.equal(
    parseError("${{ meta.owner }}"),
    '${{ meta.owner }} asks meta for "owner"; meta has meta.test_id, meta.tester, ' +
      "meta.description",
  );
  assert.match(parseError("${{ run.name }}"), /run has run\.id$/);
  assert.match(parseError("${{ step.idx }}"), /step has step\.name$/);
});

Deno.test("a whole-string expression keeps the value's JSON type", () => {
  const s = scope({ "numbers.stats_v1": STATS });
  assert.equal(resolve("${{ ctx.numbers.stats_v1.count }}", s), 5);
  assert.equal(resolve("${{ ctx.numbers.stats_v1.ok }}", s), true);
  assert.equal(resolve("${{ ctx.numbers.stats_v1.none }}", s), null);
  assert.deepEqual(resolve("${{ ctx.numbers.stats_v1.tags }}", s), ["a", "b"]);
  assert.deepEqual(resolve("${{ ctx.numbers.stats_v1 }}", s), STATS);
});

Deno.test("inside a longer string a string is inserted as is, anything else as JSON text", () => {
  const s = scope({ "numbers.stats_v1": STATS, "a.name_v1": "Ann" });
  assert.equal(
    resolve(
      "${{ ctx.a.name_v1 }}: ${{ ctx.numbers.stats_v1.count }} ${{ ctx.numbers.stats_v1.mean }} " +
        "${{ ctx.numbers.stats_v1.ok }} ${{ ctx.numbers.stats_v1.none }} " +
        "${{ ctx.numbers.stats_v1.tags }} ${{ ctx.numbers.stats_v1.by }}",
      s,
    ),
    'Ann: 5 2.5 true null ["a","b"] {"x":1}',
  );
});

Deno.test("ctx. resolves by the longest context key present, the rest is a path in its value", () => {
  const s = scope({ "a.b": { c: { d: "short key" } }, "a.b.c": { d: "long key" } });
  assert.equal(resolve("${{ ctx.a.b.c.d }}", s), "long key");
  const only = scope({ "a.b": { c: { d: "short key" } } });
  assert.equal(resolve("${{ ctx.a.b.c.d }}", only), "short key");
});

Deno.test("list indices use [N]; .N on a list and an index out of range are errors", () => {
  const s = scope({ "numbers.stats_v1": STATS });
  assert.equal(resolve("${{ ctx.numbers.stats_v1.tags[1] }}", s), "b");
  assert.match(
    resolveError("${{ ctx.numbers.stats_v1.tags.0 }}", s),
    /numbers\.stats_v1\.tags is a list; index it with \[N\], not \.0/,
  );
  assert.match(
    resolveError("${{ ctx.numbers.stats_v1.tags[2] }}", s),
    /numbers\.stats_v1\.tags has 2 item\(s\); \[2\] is out of range/,
  );
  assert.match(
    resolveError("${{ ctx.numbers.stats_v1.count[0] }}", s),
    /numbers\.stats_v1\.count is a number, not a list/,
  );
});

Deno.test("an unknown field names the expression, the place and a near miss", () => {
  const s = scope({ "numbers.stats_v1": STATS });
  assert.equal(
    resolveError("${{ ctx.numbers.stats_v1.cout }}", s),
    '${{ ctx.numbers.stats_v1.cout }}: numbers.stats_v1 has no field "cout" (did you mean ' +
      '"count"?); fields: count, mean, ok, none, tags, by',
  );
});

Deno.test("an unknown context key names the expression, the keys tried and the keys present", () => {
  const s = scope({ "numbers.stats_v1": STATS });
  assert.equal(
    resolveError("${{ ctx.numbers.stats_v2.count }}", s),
    '${{ ctx.numbers.stats_v2.count }}: the context holds no key "numbers.stats_v2.count" or ' +
      '"numbers.stats_v2" when the step starts (did you mean "numbers.stats_v1"?); keys: ' +
      "numbers.stats_v1",
  );
});

Deno.test("env., meta., run. and step. read the scope", () => {
  const s = scope({});
  assert.equal(
    resolve("${{ env.ORCH_T }}/${{ meta.test_id }}/${{ run.id }}/${{ step.name }}", s),
    "from env/NUM-001/20261129-000000000-abcdef/use_it",
  );
  assert.match(resolveError("${{ env.NOT_SET }}", s), /environment variable "NOT_SET" is not set/);
  assert.match(
    resolveError("${{ run.id }}", scope({}, { runId: undefined })),
    /this run has no id/,
  );
});

Deno.test("pending expressions stay as written and are listed", () => {
  const s = scope({}, { pending: (e) => e.root === "ctx" });
  const r = resolveTemplate(parsed("${{ ctx.a.b_v1 }} by ${{ step.name }}"), s);
  assert.deepEqual(r, {
    ok: true,
    value: "${{ ctx.a.b_v1 }} by use_it",
    pending: ["${{ ctx.a.b_v1 }}"],
  });
});
