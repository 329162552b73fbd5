import assert from "node:assert/strict";
import { RecipeSyntaxError } from "../core/errors.ts";
import { loadRecipe, validateRecipe } from "../core/recipe.ts";
import { decodeUtf8, readRecipeBytes } from "../core/recipe_file.ts";
import { fastYamlValue } from "../core/yaml_fast.ts";
import { parseYaml, parseYamlCarefully } from "../core/yaml_source.ts";
import { tempTree } from "./_helpers.ts";

/** The single issue of a RecipeSyntaxError thrown by `fn`. */
function syntaxIssues(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RecipeSyntaxError, `expected RecipeSyntaxError, got ${err}`);
    return err.issues;
  }
  assert.fail("expected a RecipeSyntaxError");
}

async function loadIssues(file: string, maxBytes?: number) {
  try {
    await loadRecipe(file, { maxBytes });
  } catch (err) {
    assert.ok(err instanceof RecipeSyntaxError, `expected RecipeSyntaxError, got ${err}`);
    return err.issues;
  }
  assert.fail("expected a RecipeSyntaxError");
}

const enc = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: (Uint8Array | number[])[]) => {
  const out: number[] = [];
  for (const p of parts) out.push(...p);
  return new Uint8Array(out);
};
const BOM = [0xef, 0xbb, 0xbf];

// --- UTF-8 ---

Deno.test("decodeUtf8() names the byte offset and line:col of the first invalid sequence", () => {
  const [i] = syntaxIssues(() => decodeUtf8(cat(enc("a: 1\nb: x"), [0xff], enc("\n")), "r.yaml"));
  assert.match(i.message, /not valid UTF-8.*byte offset 9\b/);
  assert.deepEqual([i.file, i.line, i.col], ["r.yaml", 2, 5]);
});

Deno.test("decodeUtf8() counts a leading BOM in the byte offset", () => {
  const [i] = syntaxIssues(() => decodeUtf8(cat(BOM, enc("a: "), [0xc3, 0x28]), "r.yaml"));
  assert.match(i.message, /byte offset 6\b/);
  assert.deepEqual([i.line, i.col], [1, 4]);
});

Deno.test("decodeUtf8() skips a genuine U+FFFD and reports the real bad byte after it", () => {
  const text = "a: \uFFFD\uFFFD é\nb: ";
  const [i] = syntaxIssues(() => decodeUtf8(cat(BOM, enc(text), [0xe2, 0x82]), "r.yaml"));
  const offset = 3 + enc(text).length;
  assert.match(i.message, new RegExp(`byte offset ${offset}\\b`));
  assert.equal(i.line, 2);
});

Deno.test("decodeUtf8() accepts a genuine U+FFFD and strips the BOM", () => {
  assert.equal(decodeUtf8(cat(BOM, enc("a: \uFFFD")), "r.yaml"), "a: \uFFFD");
});

Deno.test("decodeUtf8() refuses overlong forms, surrogates and truncated sequences", () => {
  for (const bad of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
    const [i] = syntaxIssues(() => decodeUtf8(cat(enc("ab"), bad), "r.yaml"));
    assert.match(i.message, /byte offset 2\b/, JSON.stringify(bad));
  }
});

// --- YAML syntax and hardening ---

const syntax = (text: string) => syntaxIssues(() => parseYaml(text, "r.yaml"));

Deno.test("duplicate keys are a syntax error pointing at the second key", () => {
  const [i] = syntax("a: 1\nb:\n  c: 1\n  c: 2\n");
  assert.deepEqual([i.line, i.col], [4, 3]);
  assert.match(i.message, /duplicate key "c" \(first at line 3, col 3\)/);
});

Deno.test("keys that collide once converted (1 and '1') are duplicates, not silently merged", () => {
  const [i] = syntax("1: a\n'1': b\n");
  assert.match(i.message, /duplicate key "1"/);
});

Deno.test("a wide mapping is parsed in linear time (no pairwise duplicate check)", () => {
  const keys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}: ${i}\n`).join("");
  const time = (n: number) => {
    const text = keys(n);
    const t = performance.now();
    parseYaml(text, "r.yaml");
    return performance.now() - t;
  };
  time(2000); // warm up
  const small = time(4000);
  const big = time(40000);
  console.log(`wide mapping: 4k keys ${small.toFixed(0)} ms, 40k keys ${big.toFixed(0)} ms`);
  assert.ok(big / Math.max(small, 1) < 25, `${big} ms vs ${small} ms`);
});

Deno.test("mapping keys must be plain scalars (no lists, mappings, aliases or nulls)", () => {
  for (const text of ["? [a, b]\n: 1\n", "? {a: 1}\n: 1\n", "a: &k x\n*k : 1\n", "~: 1\n"]) {
    const [i] = syntax(text);
    assert.match(i.message, /keys must be plain strings or numbers/, text);
    assert.ok(i.line && i.col);
  }
});

Deno.test("a billion-laughs alias bomb is rejected quickly with a message about aliases", () => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let l = 1; l < 10; l++) {
    const p = String.fromCharCode(96 + l);
    const c = String.fromCharCode(97 + l);
    lines.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(",")}]`);
  }
  const t = performance.now();
  const [i] = syntax(lines.join("\n") + "\n");
  const ms = performance.now() - t;
  assert.ok(ms < 1000, `took ${ms} ms`);
  assert.match(i.message, /alias/);
  assert.ok(i.line! > 1 && i.col! > 1, "points at the alias that went over the budget");
});

Deno.test("many plain aliases are resolved in linear time", () => {
  const anchors = Array.from({ length: 1000 }, (_, i) => `  a${i}: &a${i} ${i}\n`).join("");
  const uses = Array.from({ length: 1000 }, (_, i) => `  u${i}: [${Array(50).fill(`*a${i}`)}]\n`);
  const t = performance.now();
  const { value } = parseYaml(`x:\n${anchors}y:\n${uses.join("")}`, "r.yaml");
  const ms = performance.now() - t;
  console.log(`50k aliases: ${ms.toFixed(0)} ms`);
  assert.deepEqual((value as { y: Record<string, number[]> }).y.u7[49], 7);
  assert.ok(ms < 10_000, `took ${ms} ms`);
});

Deno.test("an alias without an earlier anchor, or inside its own anchor, is an error", () => {
  assert.match(syntax("a: *nope\n")[0].message, /alias \*nope has no anchor/);
  assert.match(syntax("a: &s [1, *s]\n")[0].message, /alias \*s has no anchor/);
});

for (
  const [tag, text] of [
    ["!foo", "a: !foo bar\n"],
    ["!!python/object", "a: !!python/object:os.system [ls]\n"],
    ["!!binary", "a: !!binary aGVsbG8=\n"],
    ["!!timestamp", "a: !!timestamp 2001-12-14\n"],
    ["!!set", "a: !!set {x}\n"],
  ]
) {
  Deno.test(`the tag ${tag} is rejected with line:col`, () => {
    const [i] = syntax(text);
    assert.match(i.message, /custom tags are not allowed/);
    assert.ok(i.message.includes(tag), i.message);
    assert.deepEqual([i.line, i.col], [1, 4], "points at the tag");
  });
}

Deno.test("a tag after an anchor is still located at the tag", () => {
  const [i] = syntax("a: 1\nc: &z !foo x\n");
  assert.deepEqual([i.line, i.col], [2, 7]);
});

Deno.test("core tags are allowed, but a value that does not fit its tag is an error", () => {
  assert.deepEqual(parseYaml("a: !!str 1\nb: !!int '2'\n", "r.yaml").value, { a: "1", b: 2 });
  assert.match(syntax("a: !!float x\n")[0].message, /cannot be read as !!float/);
});

Deno.test("YAML 1.1 spellings stay strings (yes, timestamps, merge keys are plain keys)", () => {
  const { value } = parseYaml("%YAML 1.1\n---\na: yes\nb: 2001-12-14\nc: {<<: {x: 1}}\n", "r");
  assert.deepEqual(value, { a: "yes", b: "2001-12-14", c: { "<<": { x: 1 } } });
});

for (
  const [what, text, line, col, pattern] of [
    ["a tab as indentation", "a:\n\tb: 1\n", 2, 1, /tab used for indentation/],
    ["an unclosed quote", 'a: 1\nb: "abc\nc: 1\n', 2, 4, /unclosed quote/],
    ["bad indentation", "a:\n  b: 1\n c: 2\n", 3, 1, /invalid YAML: All mapping items/],
    ["an unclosed flow list", "a: [1, 2\nb: 3\n", 2, 1, /invalid YAML: Flow sequence/],
    ["two documents", "a: 1\n---\nb: 2\n", 2, 1, /one YAML document/],
    ["a control character", "a: 1\nb: x\u0007y\n", 2, 5, /control character U\+0007/],
    ["a NUL byte", "a: b\u0000", 1, 5, /control character U\+0000/],
  ] as const
) {
  Deno.test(`${what} is a YAML error with line:col`, () => {
    const [i] = syntax(text);
    assert.match(i.message, pattern);
    assert.deepEqual([i.file, i.line, i.col], ["r.yaml", line, col]);
  });
}

Deno.test("deep nesting is a YAML error, never a stack overflow", () => {
  const issues = syntax("a: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n");
  assert.match(issues[0].message, /nested too deeply/);
});

Deno.test("__proto__ and constructor keys become own properties and pollute nothing", () => {
  const { value } = parseYaml(
    "__proto__: {polluted: 1}\nconstructor: {prototype: {polluted: 1}}\n" +
      "a: {__proto__: {polluted: 1}}\n",
    "r.yaml",
  );
  const v = value as Record<string, Record<string, unknown>>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.ok(Object.hasOwn(v, "__proto__"));
  assert.deepEqual(Object.keys(v), ["__proto__", "constructor", "a"]);
  assert.ok(Object.hasOwn(v.a, "__proto__"));
  assert.equal(v.a.polluted, undefined);
});

Deno.test("locate() finds keys and values, and the closest ancestor of a missing field", () => {
  const src = parseYaml("a:\n  - x: 1\n    y: [10, 20]\nb: 2\n", "r.yaml");
  assert.deepEqual(src.locate(["a", 0, "y", 1]), { line: 3, col: 13 });
  assert.deepEqual(src.locate(["a", 0, "y"], "key"), { line: 3, col: 5 });
  assert.deepEqual(src.locate(["a", 0, "nope"]), { line: 2, col: 5 });
  assert.deepEqual(src.locate(["b"]), { line: 4, col: 4 });
});

// --- reading files ---

Deno.test("a file over the size limit is refused before it is parsed", async () => {
  // Invalid UTF-8 and invalid YAML: only the size check may speak.
  const dir = await tempTree({ "big.yaml": cat(enc('a: "'.repeat(40)), [0xff]) });
  const [i] = await loadIssues(`${dir}/big.yaml`, 64);
  assert.match(i.message, /recipe is 161 bytes, over the limit of 64 bytes/);
  await assert.rejects(() => readRecipeBytes(`${dir}/big.yaml`, 64), RecipeSyntaxError);
  assert.equal((await readRecipeBytes(`${dir}/big.yaml`, 161)).length, 161);
});

Deno.test("a device that never ends is read only up to the limit", async () => {
  const err = await readRecipeBytes("/dev/zero", 1000).catch((e) => e);
  assert.ok(err instanceof RecipeSyntaxError);
  assert.match(err.message, /over the limit of 1000 bytes/);
});

Deno.test("unreadable inputs are clear errors, never uncaught exceptions", async () => {
  const garbage = new Uint8Array(4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
  const dir = await tempTree({
    "empty.yaml": "",
    "scalar.yaml": "hello\n",
    "list.yaml": "- a\n- b\n",
    "garbage.bin": garbage,
    "sub/x.yaml": "a: 1\n",
  });
  const cases: [string, RegExp][] = [
    ["missing.yaml", /file not found/],
    ["sub", /it is a directory/],
    ["garbage.bin", /not valid UTF-8/],
  ];
  for (const [file, pattern] of cases) {
    const [i] = await loadIssues(`${dir}/${file}`);
    assert.match(i.message, pattern);
    assert.equal(i.file, `${dir}/${file}`);
  }
  const notRecipes: [string, RegExp][] = [
    ["empty.yaml", /the recipe is empty/],
    ["scalar.yaml", /expected a mapping with test_meta and steps.*found string "hello"/],
    ["list.yaml", /expected a mapping with test_meta and steps.*found a list/],
  ];
  for (const [file, pattern] of notRecipes) {
    const err = await loadRecipe(`${dir}/${file}`).catch((e) => e);
    assert.equal(err.name, "RecipeValidationError");
    assert.match(err.issues[0].message, pattern);
    assert.deepEqual([err.issues[0].line, err.issues[0].col], [1, 1]);
  }
});

// --- the fast reader (large files) ---

Deno.test("a large recipe the fast reader misreads gets the careful reader's syntax error", async () => {
  // js-yaml reads `- {a: 1}  src: x` as a value; npm:yaml refuses it (tests/fuzz/yaml_fast_fuzz_test.ts)
  const text = "# " + "padding ".repeat(10_000) + "\n" +
    "test_meta: {test_id: T, tester: t, description: d}\n" +
    "steps:\n" +
    "  - idx: 1\n" +
    "    name: a\n" +
    "    type: deno\n" +
    "    module: steps/compute_numbers.ts\n" +
    "    function: ComputeNumbers\n" +
    "    args:\n" +
    "    - {a: 1}  src: data/numbers.csv\n";
  assert.equal(
    parseYaml(text, "big.yaml", { fastReader: fastYamlValue }).fast,
    true,
    "the fast reader must take this text",
  );
  const dir = await tempTree({ "big.yaml": text });
  const issues = await loadIssues(`${dir}/big.yaml`);
  assert.equal(issues[0].line, 10);
  assert.match(issues[0].message, /invalid YAML/);
});

Deno.test("a large valid recipe reads fast and gives the same recipe as the careful reader", async () => {
  const steps = Array.from(
    { length: 800 },
    (_, i) =>
      `  - {idx: ${i + 1}, name: s${i + 1}, type: shell, run: "echo '{}'", ` +
      `permissions: {run: [sh]}, x-note: generated}`,
  );
  const text = "test_meta: {test_id: T, tester: t, description: d}\nsteps:\n" + steps.join("\n");
  assert.equal(parseYaml(text, "big.yaml", { fastReader: fastYamlValue }).fast, true);
  const dir = await tempTree({ "big.yaml": text });
  const recipe = await loadRecipe(`${dir}/big.yaml`);
  assert.equal(recipe.steps.length, 800);
  assert.equal(recipe.steps[799].name, "s800");
  assert.deepEqual(recipe.steps, validateRecipe(parseYamlCarefully(text, "big.yaml")).steps);
  assert.deepEqual(recipe.locate(["steps", 799, "name"]), { line: 802, col: 22 });
});
