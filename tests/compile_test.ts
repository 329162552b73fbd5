/**
 * @module
 * Packaging: `deno compile` (run with the exact flags of deno.json's "compile" task, output in a
 * temp dir) embeds every step module, the step Worker, the recipes, the data and the npm
 * packages, and keeps orch's permission set and unstable features. The compiled binary cannot be
 * run here (DENORT_BIN points at the full deno CLI), so the test reads compile's "Embedded Files"
 * tree and the binary's metadata. Also checks that no code locates orch's own files from the cwd.
 */
import assert from "node:assert/strict";
import { orch, REPO, tempTree } from "./_helpers.ts";

const config = JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`));

/** The commands the compile task runs before `deno compile` (writing the pins it embeds). */
function preCompileCommands(): string[][] {
  const parts = String(config.tasks.compile).split("&&").map((p) => p.trim().split(/\s+/));
  return parts.slice(0, -1);
}

/** The compile task's argv with its `-o` output swapped for `out`. */
function compileArgs(out: string): string[] {
  const argv = String(config.tasks.compile).split("&&").at(-1)!.trim().split(/\s+/);
  assert.deepEqual(argv.slice(0, 2), ["deno", "compile"], `unexpected compile task: ${argv}`);
  const o = argv.indexOf("-o");
  assert.ok(o > 0 && argv[o + 1] === "dist/orch", "the compile task should write -o dist/orch");
  argv[o + 1] = out;
  return argv.slice(1);
}

interface Compiled {
  /** Paths of the leaves of the Embedded Files tree; `dir/*` means all of dir was embedded. */
  leaves: string[];
  /** The binary's metadata (deno's standalone JSON). */
  metadata: Record<string, unknown>;
  size: number;
}

let compiled: Promise<Compiled> | undefined;

/** Compiles once per test file (the tests share the result). */
function compile(): Promise<Compiled> {
  return compiled ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "orch_compile_" });
    try {
      const out = `${dir}/orch`;
      for (const [cmd, ...args] of preCompileCommands()) {
        assert.equal(cmd, "deno", `unexpected command before compile: ${cmd}`);
        const pre = await new Deno.Command(Deno.execPath(), { args, cwd: REPO, stdin: "null" })
          .output();
        assert.ok(pre.success, `${args.join(" ")}: ${new TextDecoder().decode(pre.stderr)}`);
      }
      const res = await new Deno.Command(Deno.execPath(), {
        args: compileArgs(out),
        cwd: REPO,
        env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
      }).output();
      const text = _stripAnsi(
        new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr),
      );
      if (!res.success) {
        throw new Error(
          `deno compile exited ${res.code}. If it tried to download denort or an npm package, ` +
            `this machine is offline or the deno cache is cold (run \`deno install\` first); ` +
            `DENORT_BIN was ${Deno.execPath()}. Output:\n${text}`,
        );
      }
      const info = await Deno.stat(out);
      assert.ok(info.isFile && info.size > 0, `compile produced no binary at ${out}`);
      return { leaves: _embeddedLeaves(text), metadata: await _metadata(out), size: info.size };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  })();
}

/** True when `path` (repo-relative) is in the tree, itself or through an embedded `dir/*`. */
function embedded(leaves: string[], path: string): boolean {
  return leaves.some((l) => l === path || (l.endsWith("/*") && path.startsWith(l.slice(0, -1))));
}

async function _filesIn(dir: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${REPO}/${dir}`)) {
    if (e.isFile && e.name.endsWith(ext)) out.push(`${dir}/${e.name}`);
  }
  return out.sort();
}

Deno.test("deno compile embeds every step, the step Worker, recipes, data and npm deps", async () => {
  const { leaves, size } = await compile();
  assert.ok(size > 0);
  const wanted = [
    "main.ts",
    "core/worker/step_worker.ts",
    "core/executors/deno_worker.ts",
    "core/python/bridge.py",
    "data/numbers.csv",
    "dist/orch.lock.json",
    ...await _filesIn("steps", ".ts"),
    ...await _filesIn("recipes", ".yaml"),
  ];
  assert.ok(wanted.some((p) => p.startsWith("steps/")), "no steps/*.ts found on disk");
  assert.ok(wanted.some((p) => p.startsWith("recipes/")), "no recipes/*.yaml found on disk");
  const missing = wanted.filter((p) => !embedded(leaves, p));
  assert.deepEqual(missing, [], `not embedded: ${missing.join(", ")}\ntree: ${leaves.join("\n")}`);
  for (const name of ["zod", "yaml"]) {
    const version = String(config.imports[name]).replace(/^npm:[^@]+@/, "");
    const npm = new RegExp(`^\\.deno_compile_node_modules/.*\\b${name}/${version}(/|$)`);
    assert.ok(leaves.some((l) => npm.test(l)), `npm:${name}@${version} is not embedded`);
  }
});

Deno.test("the compile task pins every built-in step in the lock it embeds", async () => {
  await compile();
  const lock = JSON.parse(await Deno.readTextFile(`${REPO}/dist/orch.lock.json`));
  const steps = await _filesIn("steps", ".ts");
  assert.deepEqual(steps.filter((s) => !Object.hasOwn(lock.builtin, s)), []);
  assert.match(String(config.tasks.compile), /--include dist\/orch\.lock\.json/);
});

Deno.test("the compiled binary keeps orch's permission set and the worker-options feature", async () => {
  const { metadata } = await compile();
  const unstable = metadata.unstable_config as { features: string[] };
  for (const feature of config.unstable) {
    assert.ok(unstable.features.includes(feature), `unstable "${feature}" is not in the binary`);
  }
  const perms = metadata.permissions as Record<string, unknown>;
  for (const [name, granted] of Object.entries(config.permissions.orch)) {
    // deno's flags: [] = granted to everything, null = not granted
    assert.deepEqual(perms[`allow_${name}`], granted ? [] : null, `permission "${name}"`);
  }
});

Deno.test("no code locates orch's steps, recipes or data from the cwd", async () => {
  // Deno.cwd() may only be the default base directory for the user's own relative paths.
  const allowed = new Set([
    "core/api.ts",
    "core/standalone.ts",
    // the CLI layer: commands.ts and the modules it was split into
    "core/cli/commands.ts",
    "core/cli/flags.ts",
    "core/cli/run_cmd.ts",
    "core/cli/report_cmd.ts",
    "core/cli/new_cmd.ts",
  ]);
  const bad: string[] = [];
  const files = ["main.ts", "mod.ts", ...await _walk("core"), ...await _walk("steps")];
  for (const file of files) {
    const lines = (await Deno.readTextFile(`${REPO}/${file}`)).split("\n");
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\*|\/\*)/.test(line) || !/\bDeno\.cwd\(\)/.test(line)) return;
      if (!allowed.has(file) || !/baseDir/.test(line)) bad.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(bad, [], "Deno.cwd() used outside a baseDir default");
  const loader = await Deno.readTextFile(`${REPO}/core/loader.ts`);
  assert.match(
    loader,
    /ORCH_ROOT[^\n]*=[^\n]*import\.meta\.url/,
    "ORCH_ROOT must come from import.meta.url",
  );
  const worker = await Deno.readTextFile(`${REPO}/core/executors/deno_worker.ts`);
  assert.match(worker, /WORKER_URL = new URL\([^)]*import\.meta\.url\)/);
});

Deno.test("orch runs its built-in recipe from an unrelated cwd", async () => {
  const cwd = await tempTree();
  try {
    const r = await orch(["run", "recipes/example_numbers.yaml"], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.status, "ok", r.stdout);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

async function _walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${REPO}/${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await _walk(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

function _stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/**
 * Reads the tree after "Embedded Files": each level indents by two columns, `├─┬`/`└─┬` opens a
 * directory, `├──`/`└──` is a leaf (a file, a collapsed `a/b/c` path or a whole `dir/*`).
 */
function _embeddedLeaves(text: string): string[] {
  const start = text.indexOf("Embedded Files");
  assert.ok(start >= 0, `compile printed no "Embedded Files" tree:\n${text}`);
  const stack: string[] = [];
  const leaves: string[] = [];
  for (const line of text.slice(start).split("\n")) {
    const m = line.match(/^([│ ]*)[├└]─([┬─]) (.+?)(?: \([^()]*\))?$/);
    if (!m) continue;
    const depth = m[1].length / 2;
    stack.length = depth;
    if (m[2] === "┬") stack.push(m[3]);
    else leaves.push([...stack, m[3]].join("/"));
  }
  assert.ok(leaves.length > 0, `could not read the Embedded Files tree:\n${text}`);
  return leaves;
}

/** deno's standalone metadata: the JSON object starting `{"argv":` in the binary. */
async function _metadata(binary: string): Promise<Record<string, unknown>> {
  const bytes = await Deno.readFile(binary);
  const text = new TextDecoder("latin1").decode(bytes);
  const start = text.lastIndexOf('{"argv":');
  assert.ok(start >= 0, `no standalone metadata found in ${binary}`);
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) {
      // the metadata is UTF-8; re-decode the byte range before parsing
      return JSON.parse(new TextDecoder().decode(bytes.subarray(start, i + 1)));
    }
  }
  throw new Error(`unterminated standalone metadata in ${binary}`);
}
