import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import {
  type CacheEntry,
  explainParts,
  NO_EARLIER_ENTRY,
  openCache,
  type StepCache,
  stepId,
} from "../core/cache.ts";
import {
  canonicalJson,
  type Fingerprint,
  fingerprint,
  type FingerprintSubject,
} from "../core/fingerprint.ts";
import type { JsonValue } from "../core/json_safe.ts";
import { NO_RETRY, type Step } from "../core/recipe.ts";
import { tempTree } from "./_helpers.ts";

const ID = stepId("/r/recipe.yaml", "compute");

/** A temp project: a deno step importing a helper and zod, a shell script, a python module. */
function project(): Promise<string> {
  return tempTree({
    "steps/compute.ts": 'import { z } from "zod";\nimport { helper } from "./_helper.ts";\n',
    "steps/_helper.ts": "export const helper = 1;\n",
    "data/numbers.csv": "1,2,3\n",
    "data/other.csv": "9\n",
    "extra.txt": "extra\n",
    "run.sh": "#!/bin/sh\necho ok\n",
    "pkg/mod.py": "class Step: pass\n",
  });
}

/** A deno step with `cache_key: auto` reading data/numbers.csv (by arg) and one context key. */
function denoStep(dir: string, change: Partial<Step> = {}): FingerprintSubject {
  const step = {
    index: 0,
    idx: 1,
    name: "compute",
    type: "deno",
    module: "steps/compute.ts",
    function: "Compute",
    args: { src: "data/numbers.csv", n: 3 },
    success: { ctxHasKeys: [] },
    retry: NO_RETRY,
    cacheKey: "auto",
    inputs: { files: ["extra.txt"], ctx: ["numbers.values_v1"] },
    ...change,
  } as Step;
  const moduleUrl = pathToFileURL(`${dir}/steps/compute.ts`).href;
  return { step, target: { type: "deno", moduleUrl, exportName: "Compute" } };
}

const SNAPSHOT: Record<string, JsonValue> = {
  "numbers.values_v1": [1, 2, 3],
  "other.key_v1": "x",
};

function entryOf(fp: Fingerprint, name = "compute"): CacheEntry {
  return {
    ...fp,
    stepId: ID,
    step: name,
    envelope: { status: "ok", outputs: ["numbers.stats_v1"] },
    writes: [{ key: "numbers.stats_v1", value: { mean: 2 }, who: name }],
    created: "2026-01-01T00:00:00.000Z",
  };
}

/** Stores the step's entry, applies `change`, and returns the cache and the new fingerprint. */
async function afterChange(
  change: (dir: string) => Promise<{ subject?: FingerprintSubject; snapshot?: typeof SNAPSHOT }>,
): Promise<{ before: Fingerprint; after: Fingerprint; cache: StepCache }> {
  const dir = await project();
  const cache = openCache(`${dir}/.orch`);
  const before = await fingerprint(denoStep(dir), { snapshot: SNAPSHOT, baseDir: dir });
  await cache.store(entryOf(before));
  const { subject, snapshot } = await change(dir);
  const after = await fingerprint(subject ?? denoStep(dir), {
    snapshot: snapshot ?? SNAPSHOT,
    baseDir: dir,
  });
  return { before, after, cache };
}

Deno.test("an auto fingerprint has exactly the documented parts and is stable", async () => {
  const dir = await project();
  const fp = await fingerprint(denoStep(dir), { snapshot: SNAPSHOT, baseDir: dir });
  assert.deepEqual(Object.keys(fp.parts), [
    "args",
    "ctx:numbers.values_v1",
    "file:data/numbers.csv",
    "file:extra.txt",
    "function",
    "module source",
    "type",
  ]);
  assert.match(fp.hash, /^[0-9a-f]{64}$/);
  const again = await fingerprint(denoStep(dir), { snapshot: { ...SNAPSHOT }, baseDir: dir });
  assert.deepEqual(again, fp);
});

const MISSES: [string, Parameters<typeof afterChange>[0], string[]][] = [
  ["the module's source", async (dir) => {
    await Deno.writeTextFile(`${dir}/steps/compute.ts`, "// edited\n", { append: true });
    return {};
  }, ["module source changed"]],
  ["the source of a module it imports", async (dir) => {
    await Deno.writeTextFile(`${dir}/steps/_helper.ts`, "export const helper = 2;\n");
    return {};
  }, ["module source changed"]],
  [
    "an arg",
    (dir) =>
      Promise.resolve({ subject: denoStep(dir, { args: { src: "data/numbers.csv", n: 4 } }) }),
    [
      "args changed",
    ],
  ],
  ["the bytes of a file named in args", async (dir) => {
    await Deno.writeTextFile(`${dir}/data/numbers.csv`, "1,2,4\n");
    return {};
  }, ["file:data/numbers.csv changed"]],
  ["the bytes of a declared input file", async (dir) => {
    await Deno.writeTextFile(`${dir}/extra.txt`, "more\n");
    return {};
  }, ["file:extra.txt changed"]],
  ["a declared input file disappearing", async (dir) => {
    await Deno.remove(`${dir}/extra.txt`);
    return {};
  }, ["file:extra.txt changed (now absent)"]],
  [
    "the value of a context key it reads",
    () => Promise.resolve({ snapshot: { ...SNAPSHOT, "numbers.values_v1": [1, 2] } }),
    [
      "ctx:numbers.values_v1 changed",
    ],
  ],
  ["a context key it reads disappearing", () => Promise.resolve({ snapshot: {} }), [
    "ctx:numbers.values_v1 changed (now absent)",
  ]],
  ["an arg pointing at another file", (dir) =>
    Promise.resolve({
      subject: denoStep(dir, { args: { src: "data/other.csv", n: 3 } }),
    }), [
    "args changed",
    "file:data/numbers.csv is no longer an input",
    "file:data/other.csv is a new input",
  ]],
];

for (const [what, change, explained] of MISSES) {
  Deno.test(`changing ${what} misses, and the miss names it`, async () => {
    const { before, after, cache } = await afterChange(change);
    assert.notEqual(after.hash, before.hash);
    assert.equal(await cache.lookup(after.hash), undefined);
    assert.deepEqual(await cache.explainMiss(ID, after.parts), explained);
  });
}

const HITS: [string, Parameters<typeof afterChange>[0]][] = [
  ["a file it neither names nor declares", async (dir) => {
    await Deno.writeTextFile(`${dir}/data/other.csv`, "changed\n");
    return {};
  }],
  [
    "a context key it does not declare",
    () => Promise.resolve({ snapshot: { ...SNAPSHOT, "other.key_v1": "y", "new.key_v1": 1 } }),
  ],
  ["the step's name, idx, retry, timeout and depends_on", (dir) =>
    Promise.resolve({
      subject: denoStep(dir, {
        name: "renamed",
        idx: 7,
        retry: { ...NO_RETRY, max: 3 },
        timeoutMs: 1000,
        dependsOn: ["x"],
      }),
    })],
  [
    "the order of keys in args",
    (dir) =>
      Promise.resolve({ subject: denoStep(dir, { args: { n: 3, src: "data/numbers.csv" } }) }),
  ],
];

for (const [what, change] of HITS) {
  Deno.test(`changing ${what} still hits`, async () => {
    const { before, after, cache } = await afterChange(change);
    assert.equal(after.hash, before.hash);
    assert.deepEqual(await cache.lookup(after.hash), entryOf(before));
  });
}

Deno.test("a stored entry round-trips through lookup", async () => {
  const dir = await project();
  const cache = openCache(`${dir}/.orch`);
  const fp = await fingerprint(denoStep(dir), { snapshot: SNAPSHOT, baseDir: dir });
  const entry = entryOf(fp);
  await cache.store(entry);
  assert.deepEqual(await cache.lookup(fp.hash), entry);
  assert.ok((await Deno.stat(`${dir}/.orch/cache/${fp.hash}.json`)).isFile);
});

Deno.test("explainMiss() says when the step was never stored", async () => {
  const dir = await project();
  const fp = await fingerprint(denoStep(dir), { snapshot: SNAPSHOT, baseDir: dir });
  assert.deepEqual(await openCache(`${dir}/.orch`).explainMiss(ID, fp.parts), [NO_EARLIER_ENTRY]);
});

Deno.test("with an explicit cache_key only the key, type, function and module identity count", async () => {
  const dir = await project();
  const explicit = (key: string) => denoStep(dir, { cacheKey: key });
  const options = { snapshot: SNAPSHOT, baseDir: dir };
  const fp = await fingerprint(explicit("v1"), options);
  assert.deepEqual(Object.keys(fp.parts), ["cache_key", "function", "module", "type"]);
  await Deno.writeTextFile(`${dir}/steps/_helper.ts`, "export const helper = 2;\n");
  await Deno.writeTextFile(`${dir}/data/numbers.csv`, "7\n");
  const same = await fingerprint(denoStep(dir, { cacheKey: "v1", args: { n: 9 } }), {
    snapshot: {},
    baseDir: dir,
  });
  assert.equal(same.hash, fp.hash, "source, args, files and context are the author's business");
  const cache = openCache(`${dir}/.orch`);
  await cache.store(entryOf(fp));
  const bumped = await fingerprint(explicit("v2"), options);
  assert.notEqual(bumped.hash, fp.hash);
  assert.deepEqual(await cache.explainMiss(ID, bumped.parts), ["cache_key changed"]);
  const auto = await fingerprint(denoStep(dir), options);
  assert.notEqual(auto.hash, fp.hash);
});

Deno.test("a shell step's fingerprint covers its script bytes, run string, args and env", async () => {
  const dir = await project();
  const shell = (change: Record<string, unknown>): FingerprintSubject => ({
    step: {
      index: 0,
      idx: 1,
      name: "sh",
      type: "shell",
      script: "run.sh",
      args: ["data/numbers.csv"],
      env: {},
      success: { ctxHasKeys: [] },
      retry: NO_RETRY,
      cacheKey: "auto",
      ...change,
    } as Step,
    target: { type: "shell", command: [`${dir}/run.sh`], env: {}, cwd: dir },
  });
  const options = { snapshot: {}, baseDir: dir };
  const fp = await fingerprint(shell({}), options);
  assert.deepEqual(Object.keys(fp.parts), [
    "args",
    "env",
    "file:data/numbers.csv",
    "module source",
    "type",
  ]);
  const diff = async (change: Record<string, unknown>) =>
    explainParts(fp.parts, (await fingerprint(shell(change), options)).parts);
  assert.deepEqual(await diff({ env: { A: "1" } }), ["env changed"]);
  assert.deepEqual(await diff({ script: undefined, run: "echo ok" }), ["module source changed"]);
  await Deno.writeTextFile(`${dir}/run.sh`, "#!/bin/sh\necho changed\n");
  assert.deepEqual(await diff({}), ["module source changed"]);
  const run = await fingerprint(shell({ script: undefined, run: "echo a" }), options);
  const run2 = await fingerprint(shell({ script: undefined, run: "echo b" }), options);
  assert.deepEqual(explainParts(run.parts, run2.parts), ["module source changed"]);
});

Deno.test("a python step's module source is its file under cwd or python_path", async () => {
  const dir = await project();
  const python = (module: string): FingerprintSubject => ({
    step: {
      index: 0,
      idx: 1,
      name: "py",
      type: "python",
      module,
      function: "Step",
      args: {},
      pythonPath: [],
      isolate: false,
      success: { ctxHasKeys: [] },
      retry: NO_RETRY,
      cacheKey: "auto",
    },
    target: { type: "python", module, function: "Step", pythonPath: [], isolate: false, cwd: dir },
  });
  const options = { snapshot: {}, baseDir: dir };
  const fp = await fingerprint(python("pkg.mod"), options);
  await Deno.writeTextFile(`${dir}/pkg/mod.py`, "class Step: x = 1\n");
  const edited = await fingerprint(python("pkg.mod"), options);
  assert.deepEqual(explainParts(fp.parts, edited.parts), ["module source changed"]);
  const unresolved = await fingerprint(python("not.there"), options);
  assert.equal(unresolved.hash, (await fingerprint(python("not.there"), options)).hash);
});

for (
  const [what, text] of [
    ["not JSON", "{not json"],
    ["truncated", '{"hash": "'],
    ["the wrong shape", '{"hash": 1}'],
    ["empty", ""],
  ]
) {
  Deno.test(`an entry that is ${what} is a miss, not a crash`, async () => {
    const dir = await project();
    const cache = openCache(`${dir}/.orch`);
    const fp = await fingerprint(denoStep(dir), { snapshot: SNAPSHOT, baseDir: dir });
    await cache.store(entryOf(fp));
    await Deno.writeTextFile(`${dir}/.orch/cache/${fp.hash}.json`, text);
    assert.equal(await cache.lookup(fp.hash), undefined);
    assert.deepEqual(await cache.list(), []);
    assert.deepEqual(await cache.explainMiss(ID, fp.parts), [
      "nothing changed since the last stored entry, but that entry is missing or unreadable",
    ]);
  });
}

Deno.test("an entry stored under another hash's name is a miss", async () => {
  const dir = await project();
  const cache = openCache(`${dir}/.orch`);
  const fp = await fingerprint(denoStep(dir), { snapshot: SNAPSHOT, baseDir: dir });
  await cache.store(entryOf(fp));
  const other = "0".repeat(64);
  await Deno.copyFile(`${dir}/.orch/cache/${fp.hash}.json`, `${dir}/.orch/cache/${other}.json`);
  assert.equal(await cache.lookup(other), undefined);
  assert.equal(await cache.lookup("../../etc/passwd"), undefined, "not a hash: never read");
});

Deno.test("store() writes through a temp file and a rename, leaving no temp behind", async () => {
  const dir = await project();
  const ids = ["a", "b", "c", "d"];
  const cache = openCache(`${dir}/.orch`, { randomId: () => ids.shift()! });
  const fp = await fingerprint(denoStep(dir), { snapshot: SNAPSHOT, baseDir: dir });
  // A temp file left by a crash in the middle of a write is never read as an entry.
  await Deno.mkdir(`${dir}/.orch/cache`, { recursive: true });
  await Deno.writeTextFile(`${dir}/.orch/cache/.${fp.hash}.json.z.tmp`, '{"torn');
  await cache.store(entryOf(fp));
  await cache.store({ ...entryOf(fp), step: "again" });
  const names = [];
  for await (const e of Deno.readDir(`${dir}/.orch/cache`)) names.push(e.name);
  assert.deepEqual(names.sort(), [`.${fp.hash}.json.z.tmp`, `${fp.hash}.json`, "index"]);
  assert.equal((await cache.lookup(fp.hash))?.step, "again", "the rename replaced the entry");
  assert.equal((await cache.list()).length, 1);
});

Deno.test("store() fails and removes its temp file when the rename is impossible", async () => {
  const dir = await project();
  const cache = openCache(`${dir}/.orch`);
  const fp = await fingerprint(denoStep(dir), { snapshot: SNAPSHOT, baseDir: dir });
  await Deno.mkdir(`${dir}/.orch/cache/${fp.hash}.json`, { recursive: true });
  await Deno.writeTextFile(`${dir}/.orch/cache/${fp.hash}.json/x`, "");
  await assert.rejects(cache.store(entryOf(fp)));
  const names = [];
  for await (const e of Deno.readDir(`${dir}/.orch/cache`)) names.push(e.name);
  assert.deepEqual(names, [`${fp.hash}.json`], "the temp file was removed");
});

Deno.test("store() concurrent writes of one hash leave one whole entry", async () => {
  const dir = await project();
  const cache = openCache(`${dir}/.orch`);
  const fp = await fingerprint(denoStep(dir), { snapshot: SNAPSHOT, baseDir: dir });
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => cache.store({ ...entryOf(fp), step: `s${i}` })),
  );
  assert.match((await cache.lookup(fp.hash))!.step, /^s\d+$/);
});

Deno.test("list() returns entries oldest first and clear() removes them and the index", async () => {
  const dir = await project();
  const cache = openCache(`${dir}/.orch`);
  assert.deepEqual(await cache.list(), [], "no cache directory yet");
  assert.equal(await cache.clear(), 0);
  const fps = await Promise.all(
    [1, 2, 3].map((n) =>
      fingerprint(denoStep(dir, { args: { n } }), { snapshot: SNAPSHOT, baseDir: dir })
    ),
  );
  for (const [i, fp] of fps.entries()) {
    await cache.store({ ...entryOf(fp), created: `2026-01-0${3 - i}T00:00:00.000Z` });
  }
  assert.deepEqual((await cache.list()).map((e) => e.hash), [...fps].reverse().map((f) => f.hash));
  assert.equal(await cache.clear(), 3);
  assert.deepEqual(await cache.list(), []);
  assert.equal(await cache.lookup(fps[0].hash), undefined);
  assert.deepEqual(await cache.explainMiss(ID, fps[0].parts), [NO_EARLIER_ENTRY]);
});

Deno.test("canonicalJson() sorts object keys at every depth and keeps list order", () => {
  assert.equal(
    canonicalJson({ b: [2, { d: 1, c: 0 }], a: null }),
    '{"a":null,"b":[2,{"c":0,"d":1}]}',
  );
});
