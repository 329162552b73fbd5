import assert from "node:assert/strict";
import { ExitCode, RecipeValidationError, UsageError } from "../core/errors.ts";
import {
  checkGrants,
  computeGrant,
  parseMaxPermissions,
  PERMISSION_KINDS,
  type PermissionKind,
  type PermissionQuery,
  type PermissionSpec,
} from "../core/permissions.ts";
import { planRun } from "../core/plan.ts";
import { loadRecipe } from "../core/recipe.ts";
import { orch, REPO, tempTree } from "./_helpers.ts";

/** A process that holds every permission, so only the recipe and operator ceilings decide. */
const holdsAll: PermissionQuery = () => ({ state: "granted" }) as Deno.PermissionStatus;
const FIXTURE_STEPS = `${REPO}/tests/fixtures/steps`;

/** A recipe of one step running the `Logs` fixture, with the given permission blocks (YAML). */
function recipeYaml(blocks: { recipe?: string; step?: string } = {}): string {
  const indent = (text: string, by: string) => text.replace(/^/gm, by);
  return `test_meta: {test_id: P-1, tester: t, description: d}
${blocks.recipe ? `permissions:\n${indent(blocks.recipe, "  ")}\n` : ""}steps:
  - idx: 1
    name: only
    type: deno
    module: ${FIXTURE_STEPS}/logs.ts
    function: Logs
${blocks.step ? `    permissions:\n${indent(blocks.step, "      ")}\n` : ""}`;
}

/** 1-based line and column of the `nth` occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string, nth = 0): [number, number] {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  assert.ok(at >= 0, `${needle} not in the YAML`);
  const before = text.slice(0, at).split("\n");
  return [before.length, before.at(-1)!.length + 1];
}

async function loadTemp(yaml: string) {
  const dir = await tempTree({ "r.yaml": yaml });
  return { dir, recipe: await loadRecipe(`${dir}/r.yaml`) };
}

const denyAll = { read: false, write: false, net: false, env: false, run: false } as const;

Deno.test("a step entry is granted only when it lies within the ceiling's entry", () => {
  // [kind, ceiling, asked, allowed]
  const table: [PermissionKind, PermissionSpec[PermissionKind], string | true, boolean][] = [
    ["read", ["/a"], "/a", true],
    ["read", ["/a"], "/a/b/c", true],
    ["read", ["/a"], "/a/b/../c", true],
    ["read", ["/a"], "/ab", false],
    ["read", ["/a"], "/a/../b", false],
    ["read", ["/a"], "/a/b/../../etc", false],
    ["read", ["/a"], "/", false],
    ["read", ["/a/"], "/a/x", true],
    ["read", ["/base/data"], "data/x.csv", true], // relative to the base dir /base
    ["read", ["/base/data"], "data/../secret", false],
    ["read", ["/a"], true, false],
    ["read", true, true, true],
    ["write", true, "/anything", true],
    ["write", false, "/tmp", false],
    ["write", undefined, "/tmp", false], // a kind the ceiling omits is false
    ["net", ["example.com"], "example.com", true],
    ["net", ["example.com"], "example.com:443", true],
    ["net", ["example.com"], "EXAMPLE.com:8080", true],
    ["net", ["example.com"], "api.example.com", false],
    ["net", ["example.com"], "example.com.evil.net", false],
    ["net", ["example.com:443"], "example.com:443", true],
    ["net", ["example.com:443"], "example.com", false],
    ["net", ["example.com:443"], "example.com:80", false],
    ["net", ["[::1]"], "[::1]:8000", true],
    ["env", ["HOME"], "HOME", true],
    ["env", ["HOME"], "HOMEDIR", false],
    ["env", ["HOME"], "home", false],
    ["run", ["git"], "git", true],
    ["run", ["git"], "/usr/bin/git", false],
    ["ffi", ["/lib"], "/lib/x.so", true],
    ["ffi", ["/lib"], "/libx.so", false],
    ["sys", ["hostname"], "hostname", true],
    ["sys", ["hostname"], "uid", false],
  ];
  for (const [kind, ceiling, asked, allowed] of table) {
    const { problems } = computeGrant(
      { [kind]: asked === true ? true : [asked] },
      { baseDir: "/base", recipe: { [kind]: ceiling }, query: holdsAll },
    );
    const row = `${kind}: ${JSON.stringify(asked)} within ${JSON.stringify(ceiling)}`;
    assert.equal(problems.length === 0, allowed, `${row}: ${JSON.stringify(problems)}`);
  }
});

Deno.test("a step with its own block is granted exactly it, every kind explicit", () => {
  const { grant, problems } = computeGrant(
    { read: ["data", "./out/../data/x"], net: ["example.com:443"], env: [], sys: true },
    { baseDir: "/base", query: holdsAll },
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(grant, {
    import: false,
    read: ["/base/data", "/base/data/x"],
    write: false,
    net: ["example.com:443"],
    env: false,
    run: false,
    ffi: false,
    sys: true,
  });
});

Deno.test("a step that declares nothing may read the base directory and nothing else", () => {
  const { grant, problems } = computeGrant(undefined, { baseDir: "/base", query: holdsAll });
  assert.deepEqual(problems, []);
  assert.deepEqual(grant, { ...denyAll, read: ["/base"], ffi: false, sys: false, import: false });
});

Deno.test("the default grant is narrowed to each ceiling, never refused", () => {
  const read = (options: Parameters<typeof computeGrant>[1]) =>
    computeGrant(undefined, options).grant.read;
  // the recipe ceiling keeps the part of the base dir it allows
  assert.deepEqual(read({ baseDir: "/b", recipe: { read: ["data"] }, query: holdsAll }), [
    "/b/data",
  ]);
  assert.deepEqual(read({ baseDir: "/b", recipe: { read: true }, query: holdsAll }), ["/b"]);
  // a recipe block that omits read grants no read
  assert.equal(read({ baseDir: "/b", recipe: { net: ["x.org"] }, query: holdsAll }), false);
  // the operator ceiling and the process narrow it too
  assert.deepEqual(
    read({ baseDir: "/b", maxPermissions: { read: ["/b/in", "/elsewhere"] }, query: holdsAll }),
    ["/b/in"],
  );
  assert.equal(read({ baseDir: "/b", maxPermissions: { write: true }, query: holdsAll }), false);
  const noRead: PermissionQuery = (d) =>
    ({ state: d.name === "read" ? "prompt" : "granted" }) as Deno.PermissionStatus;
  assert.equal(read({ baseDir: "/b", query: noRead }), false);
  // nothing but read is ever added by default, whatever the ceilings allow
  const all = Object.fromEntries(PERMISSION_KINDS.map((k) => [k, true]));
  const { grant } = computeGrant(undefined, { baseDir: "/b", recipe: all, maxPermissions: all });
  assert.deepEqual({ ...grant, read: "-" }, {
    ...denyAll,
    ffi: false,
    sys: false,
    read: "-",
    import: false,
  });
});

const ASKS: Record<PermissionKind, string> = {
  read: "/etc/passwd",
  write: "/etc",
  net: "example.com:443",
  env: "AWS_SECRET_ACCESS_KEY",
  run: "curl",
  ffi: "/lib/libc.so.6",
  sys: "hostname",
};

Deno.test("each kind is refused above the recipe ceiling, at the entry's position", async () => {
  for (const kind of PERMISSION_KINDS) {
    const yaml = recipeYaml({ recipe: `${kind}: []`, step: `${kind}: ["${ASKS[kind]}"]` });
    const { dir, recipe } = await loadTemp(yaml);
    const { issues } = checkGrants(recipe, { baseDir: dir, query: holdsAll });
    assert.equal(issues.length, 1, `${kind}: ${JSON.stringify(issues)}`);
    const [issue] = issues;
    assert.equal(issue.path, `steps[0].permissions.${kind}[0]`);
    assert.equal(issue.file, `${dir}/r.yaml`);
    assert.deepEqual([issue.line, issue.col], positionOf(yaml, `"${ASKS[kind]}"`));
    assert.equal(issue.step, "only");
    assert.match(issue.message, new RegExp(`^step "only" asks for ${kind} access to "[^"]+`));
    assert.match(issue.message, new RegExp(`above the recipe ceiling \\(${kind}: false\\)`));
    assert.match(issue.message, new RegExp(`widen the recipe's permissions\\.${kind}$`));
  }
});

Deno.test("each kind is refused above the operator ceiling, for the recipe and for a step", async () => {
  for (const kind of PERMISSION_KINDS) {
    const entry = `${kind}: ["${ASKS[kind]}"]`;
    const yaml = recipeYaml({ recipe: entry, step: entry });
    const { dir, recipe } = await loadTemp(yaml);
    const { issues } = checkGrants(recipe, {
      baseDir: dir,
      maxPermissions: { [kind]: false },
      query: holdsAll,
    });
    assert.deepEqual(
      issues.map((i) => [i.path, i.line, i.col]),
      [
        [`permissions.${kind}[0]`, ...positionOf(yaml, `"${ASKS[kind]}"`)],
        [`steps[0].permissions.${kind}[0]`, ...positionOf(yaml, `"${ASKS[kind]}"`, 1)],
      ],
      kind,
    );
    assert.match(issues[0].message, /^the recipe asks for /);
    for (const issue of issues) {
      assert.match(issue.message, new RegExp(`above the operator ceiling --max-permissions`));
      assert.match(issue.message, /run with a wider --max-permissions$/);
    }
  }
});

Deno.test("an entry this process was not started with is refused, naming the flag", async () => {
  // the tests run with -P=orch, which holds no net
  const { dir, recipe } = await loadTemp(recipeYaml({ step: `net: ["example.com"]` }));
  const { issues } = checkGrants(recipe, { baseDir: dir });
  assert.equal(issues.length, 1);
  assert.equal(issues[0].path, "steps[0].permissions.net[0]");
  assert.match(
    issues[0].message,
    /net access to "example.com", which this orch process was not started with; remove it or start orch with --allow-net=example.com$/,
  );
});

Deno.test("unrestricted access is refused under a listed ceiling", async () => {
  const { dir, recipe } = await loadTemp(
    recipeYaml({ recipe: `read: [data]`, step: `read: true` }),
  );
  const { issues } = checkGrants(recipe, { baseDir: dir, query: holdsAll });
  assert.equal(issues.length, 1);
  assert.equal(issues[0].path, "steps[0].permissions.read");
  assert.match(issues[0].message, /asks for unrestricted read access, above the recipe ceiling/);
});

Deno.test("a relative path is shown as written and as resolved when refused", async () => {
  const { dir, recipe } = await loadTemp(recipeYaml({
    recipe: `read: [data]`,
    step: `read: [data/../secrets]`,
  }));
  const { issues } = checkGrants(recipe, { baseDir: dir, query: holdsAll });
  assert.equal(issues.length, 1);
  assert.ok(issues[0].message.includes(`read access to "data/../secrets" (${dir}/secrets)`));
});

Deno.test("malformed net and sys entries are refused with the expected shape", async () => {
  const { dir, recipe } = await loadTemp(recipeYaml({
    step: `net: ["https://example.com/x", "example.com:99999"]\nsys: [hostnme]`,
  }));
  const { issues } = checkGrants(recipe, { baseDir: dir, query: holdsAll });
  assert.deepEqual(issues.map((i) => i.path), [
    "steps[0].permissions.net[0]",
    "steps[0].permissions.net[1]",
    "steps[0].permissions.sys[0]",
  ]);
  assert.match(issues[0].message, /is not a host or host:port/);
  assert.match(issues[2].message, /unknown sys kind "hostnme"; use one of .*hostname/);
});

Deno.test("planRun() gives each step its computed grant", async () => {
  const { dir, recipe } = await loadTemp(recipeYaml({ recipe: `read: [data]\nwrite: [out]` }));
  const plan = await planRun(recipe, { baseDir: dir, allowModules: [FIXTURE_STEPS] });
  assert.deepEqual(plan.steps[0].permissions, {
    ...denyAll,
    read: [`${dir}/data`],
    ffi: false,
    sys: false,
    import: false,
  });
});

Deno.test("planRun() refuses a grant above --max-permissions with RecipeValidationError", async () => {
  const { dir, recipe } = await loadTemp(recipeYaml({ step: `write: [out]` }));
  await assert.rejects(
    planRun(recipe, {
      baseDir: dir,
      allowModules: [FIXTURE_STEPS],
      maxPermissions: { write: ["/tmp/elsewhere"] },
    }),
    (err: unknown) => {
      assert.ok(err instanceof RecipeValidationError);
      assert.equal(err.issues[0].path, "steps[0].permissions.write[0]");
      return true;
    },
  );
});

Deno.test("parseMaxPermissions() resolves relative paths against the cwd", () => {
  assert.deepEqual(
    parseMaxPermissions('{"read":["data","/abs"],"write":false,"net":["x.org"]}', "/work"),
    { read: ["/work/data", "/abs"], write: false, net: ["x.org"] },
  );
});

Deno.test("parseMaxPermissions() refuses bad JSON, unknown kinds and malformed entries", () => {
  for (
    const [text, why] of [
      ["{read:true}", /not valid JSON/],
      ['{"wrte":["/tmp"]}', /Unrecognized key: "wrte"/],
      ['{"read":"yes"}', /read: expected true, false or a list of strings/],
      ['{"net":["http://x.org"]}', /not a host or host:port/],
    ] as const
  ) {
    assert.throws(() => parseMaxPermissions(text, "/"), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, why);
      return true;
    });
  }
});

Deno.test("orch validate refuses write /etc under --max-permissions write /tmp and exits 2", async () => {
  const yaml = recipeYaml({ step: `write: ["/etc"]` });
  const dir = await tempTree({ "r.yaml": yaml });
  const [line, col] = positionOf(yaml, `"/etc"`);
  const args = ["validate", "r.yaml", "--allow-module", FIXTURE_STEPS];
  const r = await orch([...args, "--max-permissions", '{"read":true,"write":["/tmp"]}'], {
    cwd: dir,
  });
  assert.equal(r.code, ExitCode.invalid, r.stderr);
  const errors = r.json.errors as Record<string, unknown>[];
  assert.equal(errors.length, 1);
  assert.deepEqual(
    { ...errors[0], message: undefined },
    {
      file: "r.yaml",
      line,
      col,
      path: "steps[0].permissions.write[0]",
      step: "only",
      message: undefined,
    },
  );
  assert.match(
    String(errors[0].message),
    /write access to "\/etc", above the operator ceiling --max-permissions \(write: \["\/tmp"\]\)/,
  );
  assert.ok(r.stderr.includes(`r.yaml:${line}:${col}: steps[0].permissions.write[0]: `));

  const ok = await orch([...args, "--max-permissions", '{"read":true,"write":["/"]}'], {
    cwd: dir,
  });
  // within the ceiling now; what may remain is /etc's symlinks leading out (grant_links.ts)
  const left = ok.code === ExitCode.ok ? [] : ok.json.errors as { message: string }[];
  if (ok.code !== ExitCode.ok) {
    assert.equal(ok.code, ExitCode.invalid, ok.stderr);
    assert.ok(left.length > 0, `exit ${ok.code} names no error: ${ok.stdout}`);
  }
  for (const e of left) assert.match(e.message, /holds the symlink "\/etc\/.*outside every path/);
});

Deno.test("orch run, validate and list exit 2 on a malformed --max-permissions", async () => {
  const dir = await tempTree({ "r.yaml": recipeYaml() });
  for (const cmd of ["run", "validate", "list"]) {
    const r = await orch([cmd, "r.yaml", "--max-permissions", '{"read":'], { cwd: dir });
    assert.equal(r.code, ExitCode.invalid, `${cmd}: ${r.stderr}`);
    assert.match(String(r.json.reason), /^--max-permissions is not valid JSON/);
  }
});
