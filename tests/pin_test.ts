import assert from "node:assert/strict";
import { validateRecipeFile } from "../core/api.ts";
import { RecipeValidationError } from "../core/errors.ts";
import { formatLock, LOCK_FILE, pinModules } from "../core/pin.ts";
import { type CliRun, orch, REPO, tempTree } from "./_helpers.ts";

/** A step module writing `hello.msg_v1`, importing a local helper. */
const HELLO = `import { BaseScriptlet } from "${REPO}/core/scriptlet.ts";
import type { ContextView } from "${REPO}/core/context.ts";
import type { Envelope } from "${REPO}/core/envelope.ts";
import { greet } from "./helper.ts";
export class Hello extends BaseScriptlet<Record<string, never>> {
  override run(ctx: ContextView): Promise<Envelope> {
    ctx.set("hello.msg_v1", greet(), { who: "hello" });
    return Promise.resolve(this.ok(["hello.msg_v1"]));
  }
}
`;

const recipe = (module = "my/hello.ts", fn = "Hello") => `
test_meta: {test_id: PIN-1, tester: me, description: pinned modules}
steps:
  - idx: 1
    name: hello
    type: deno
    module: ${module}
    function: ${fn}
  - idx: 2
    name: clean
    type: shell
    script: my/clean.sh
    permissions: {run: true}
`;

const CLEAN = `#!/bin/sh\necho '{"status":"ok","outputs":[]}'\n`;

async function project(): Promise<string> {
  const dir = await tempTree({
    "my/hello.ts": HELLO,
    "my/helper.ts": `export const greet = () => "hi";\n`,
    "my/clean.sh": CLEAN,
    "r.yaml": recipe(),
  });
  await Deno.chmod(`${dir}/my/clean.sh`, 0o755);
  return dir;
}

const run = (dir: string, ...args: string[]) =>
  orch(["run", "r.yaml", "--allow-module", "my", ...args], { cwd: dir });
const pin = (dir: string) => orch(["pin", "--allow-module", "my"], { cwd: dir });

function assertRefused(res: CliRun, module: string, why: RegExp): void {
  assert.equal(res.code, 2, res.stderr);
  const { errors } = res.json as { errors: { message: string; path: string }[] };
  const found = errors.find((e) => e.message.includes(`"${module}"`));
  assert.ok(found, `an error names ${module}: ${JSON.stringify(errors)}`);
  assert.match(found.message, why);
  assert.match(found.message, /orch pin/);
  assert.doesNotMatch(res.stderr, /▶ hello/, "no step started");
}

Deno.test("without orch.lock.json nothing is checked", async () => {
  const dir = await project();
  await Deno.writeTextFile(`${dir}/my/extra.ts`, "export const x = 1;\n");
  const res = await run(dir);
  assert.equal(res.code, 0, res.stderr);
});

Deno.test("orch pin writes sorted sha256 pins of built-in and allowed step files", async () => {
  const dir = await project();
  const res = await pin(dir);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.json.lock, `${dir}/orch.lock.json`);
  const lock = JSON.parse(await Deno.readTextFile(`${dir}/orch.lock.json`));
  assert.equal(lock.version, 1);
  assert.deepEqual(Object.keys(lock.modules), ["my/clean.sh", "my/hello.ts", "my/helper.ts"]);
  assert.ok(Object.hasOwn(lock.builtin, "steps/compute_numbers.ts"));
  assert.ok(Object.hasOwn(lock.builtin, "steps/shell/sanitize_csv.sh"));
  const keys = Object.keys(lock.builtin);
  assert.deepEqual(keys, [...keys].sort());
  const bytes = await Deno.readFile(`${dir}/my/helper.ts`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(lock.modules["my/helper.ts"], hex);
  assert.equal(res.json.modules, 3);
});

Deno.test("a pinned project runs; a changed module or import is refused before any step runs", async () => {
  const dir = await project();
  assert.equal((await pin(dir)).code, 0);
  assert.equal((await run(dir)).code, 0);

  await Deno.writeTextFile(`${dir}/my/helper.ts`, `export const greet = () => "hacked";\n`);
  assertRefused(await run(dir), "my/helper.ts", /changed since it was pinned/);
  const validate = await orch(["validate", "r.yaml", "--allow-module", "my"], { cwd: dir });
  assertRefused(validate, "my/helper.ts", /changed since it was pinned/);

  assert.equal((await pin(dir)).code, 0, "re-pin");
  assert.equal((await run(dir)).code, 0, "runs again after re-pinning");
});

Deno.test("a new module without a pin, and a changed shell script, are refused", async () => {
  const dir = await project();
  assert.equal((await pin(dir)).code, 0);
  await Deno.writeTextFile(`${dir}/my/bye.ts`, HELLO.replace("class Hello", "class Bye"));
  await Deno.writeTextFile(`${dir}/r.yaml`, recipe("my/bye.ts", "Bye"));
  assertRefused(await run(dir), "my/bye.ts", /has no pin/);

  await Deno.writeTextFile(`${dir}/r.yaml`, recipe());
  await Deno.writeTextFile(`${dir}/my/clean.sh`, CLEAN + "rm -rf /tmp/nothing\n");
  const res = await run(dir);
  assertRefused(res, "my/clean.sh", /changed since it was pinned/);
  const errors = (res.json as { errors: { path: string }[] }).errors;
  assert.deepEqual(errors.map((e) => e.path), ["steps[1].script"]);
});

Deno.test("orch step refuses a module whose pin no longer matches", async () => {
  const dir = await project();
  assert.equal((await pin(dir)).code, 0);
  const step = () => orch(["step", "my/hello.ts", "--allow-module", "my"], { cwd: dir });
  assert.equal((await step()).code, 0);
  await Deno.writeTextFile(`${dir}/my/hello.ts`, HELLO + "// changed\n");
  const res = await step();
  assert.equal(res.code, 2, res.stderr);
  assert.match(String(res.json.reason), /"my\/hello\.ts" changed since it was pinned.*orch pin/);
});

Deno.test("an unreadable lock file is refused, naming the fix", async () => {
  const dir = await project();
  await Deno.writeTextFile(`${dir}/orch.lock.json`, `{"version": 1, "builtin": {"a": "nope"}}`);
  const res = await run(dir);
  assert.equal(res.code, 2, res.stderr);
  assert.match(String(res.json.reason), /not a valid lock file.*orch pin/);
});

Deno.test("validateRecipeFile() checks a python module and a helper import against the pins", async () => {
  const dir = await project();
  await Deno.writeTextFile(`${dir}/my/load.py`, "class Load:\n    pass\n");
  await Deno.writeTextFile(
    `${dir}/r.yaml`,
    recipe() + "  - {idx: 3, name: load, type: python, module: my.load, function: Load}\n",
  );
  const allowModules = [`${dir}/my`];
  const lock = await pinModules(allowModules, dir);
  assert.deepEqual(Object.keys(lock.modules), [
    "my/clean.sh",
    "my/hello.ts",
    "my/helper.ts",
    "my/load.py",
  ]);
  await Deno.writeTextFile(`${dir}/${LOCK_FILE}`, formatLock(lock));
  const validate = () => validateRecipeFile(`${dir}/r.yaml`, { baseDir: dir, allowModules });
  assert.equal((await validate()).steps.length, 3);

  await Deno.writeTextFile(`${dir}/my/load.py`, "class Load:\n    x = 1\n");
  await Deno.writeTextFile(`${dir}/my/helper.ts`, `export const greet = () => "x";\n`);
  const err = await validate().then(() => undefined, (e) => e);
  assert.ok(err instanceof RecipeValidationError, String(err));
  assert.deepEqual(
    err.issues.map((i) => [i.path, i.step, /"(my\/[^"]+)" changed/.exec(i.message)?.[1]]),
    [["steps[0].module", "hello", "my/helper.ts"], ["steps[2].module", "load", "my/load.py"]],
  );
});

Deno.test("a lock with a pin for an unrelated changed file does not block other steps", async () => {
  const dir = await project();
  const allowModules = [`${dir}/my`];
  await Deno.writeTextFile(`${dir}/my/other.ts`, "export const y = 1;\n");
  await Deno.writeTextFile(
    `${dir}/${LOCK_FILE}`,
    formatLock(await pinModules(allowModules, dir)),
  );
  await Deno.writeTextFile(`${dir}/my/other.ts`, "export const y = 2;\n");
  await Deno.writeTextFile(`${dir}/my/new_unused.ts`, "export const z = 1;\n");
  const plan = await validateRecipeFile(`${dir}/r.yaml`, { baseDir: dir, allowModules });
  assert.equal(plan.steps.length, 2);
});

Deno.test("orch pin refuses arguments and an unwritable lock path, writing nothing", async () => {
  const dir = await project();
  const extra = await orch(["pin", "r.yaml"], { cwd: dir });
  assert.equal(extra.code, 2, extra.stderr);
  assert.match(String(extra.json.reason), /orch pin takes no arguments/);
  await Deno.writeTextFile(`${dir}/blocker`, "a file, not a directory");
  const blocked = await orch(["pin", "-o", "blocker/orch.lock.json"], { cwd: dir });
  assert.equal(blocked.code, 2, blocked.stderr);
  assert.match(String(blocked.json.reason), /cannot write the lock file/);
  const left = [];
  for await (const e of Deno.readDir(dir)) left.push(e.name);
  assert.deepEqual(left.sort(), ["blocker", "my", "r.yaml"]);
});
