/**
 * @module
 * End-to-end tests of `secrets:`: a run whose steps print, write, return and fail with secret
 * values leaves no trace of them in any artefact (stdout, stderr, run directory, cache,
 * --context-out, reports), while the same run without `secrets:` does — so the search can fail.
 */
import assert from "node:assert/strict";
import { orch, REPO, stepCounts, tempTree } from "./_helpers.ts";

/** A deno step module that leaks its secrets every way a step can. */
const LEAK_TS = `
import { BaseScriptlet } from "${REPO}/core/scriptlet.ts";
import type { ContextView } from "${REPO}/core/context.ts";
import type { Envelope } from "${REPO}/core/envelope.ts";

const get = (name: string) => Deno.env.get(name) ?? "";

export class Leak extends BaseScriptlet {
  override run(ctx: ContextView): Envelope {
    console.log("console.log says " + get("S_PLAIN"));
    console.error("console.error says " + JSON.stringify({ token: get("S_QUOTED") }));
    ctx.set("leak.deno_v1", {
      plain: get("S_PLAIN"),
      list: ["x", get("S_QUOTED")],
      [get("S_PLAIN")]: Number(get("S_NUM")),
    }, { who: "leak by " + get("S_PLAIN") });
    return this.ok(["leak.deno_v1"]);
  }
}

export class LeakFail extends BaseScriptlet {
  override run(): Envelope {
    throw new Error("cannot log in with " + get("S_PLAIN") + " and " + get("S_QUOTED"));
  }
}
`;

const SHELL_OK = `#!/bin/sh
echo "shell stderr says $S_PLAIN" >&2
echo "{\\"status\\":\\"ok\\",\\"outputs\\":[\\"leak.shell_v1\\"],\\"ctx\\":{\\"leak.shell_v1\\":\\"$S_PLAIN\\"}}"
`;
const SHELL_ERROR = `#!/bin/sh
echo "{\\"status\\":\\"error\\",\\"reason\\":\\"token $S_PLAIN rejected\\"}"
exit 1
`;
const SHELL_CRASH = `#!/bin/sh
echo "dying with $S_PLAIN" >&2
exit 3
`;

/** A python scriptlet (original framework style) that leaks too. */
const LEAK_PY = `import json, os, sys
from orchestrator.scriptlets.python.core.base import BaseScriptlet


class LeakPy(BaseScriptlet):
    def run(self, ctx, params):
        print("python stderr says " + os.environ["S_PLAIN"], file=sys.stderr)
        ctx.set("leak.python_v1", [os.environ["S_QUOTED"]], who="leak_py")
        print(json.dumps({"status": "ok", "outputs": ["leak.python_v1"]}))
        return 0


class LeakPyRaise(BaseScriptlet):
    def run(self, ctx, params):
        raise RuntimeError("python cannot use " + os.environ["S_PLAIN"])
`;

function recipe(secrets: boolean): string {
  const denoPerm = "permissions: {env: [S_PLAIN, S_QUOTED, S_NUM]}";
  return `test_meta: {test_id: SEC-1, tester: t, description: secrets}
${secrets ? "secrets: [S_PLAIN, S_QUOTED, S_NUM]\n" : ""}steps:
  - {idx: 1, name: leak, type: deno, module: steps/leak.ts, function: Leak, depends_on: [],
     cache_key: auto, ${denoPerm}}
  - {idx: 2, name: leak_fail, type: deno, module: steps/leak.ts, function: LeakFail,
     depends_on: [], ${denoPerm}}
  - {idx: 3, name: shell_ok, type: shell, script: ./shell_ok.sh, depends_on: [],
     cache_key: auto, permissions: {run: [shell_ok.sh]}}
  - {idx: 4, name: shell_error, type: shell, script: ./shell_error.sh, depends_on: [],
     permissions: {run: [shell_error.sh]}}
  - {idx: 5, name: shell_crash, type: shell, script: ./shell_crash.sh, depends_on: [],
     permissions: {run: [shell_crash.sh]}}
  - {idx: 6, name: leak_py, type: python, module: leak_py, function: LeakPy, depends_on: []}
  - {idx: 7, name: leak_py_raise, type: python, module: leak_py, function: LeakPyRaise,
     depends_on: []}
`;
}

/** Random secrets: a plain one, one that JSON escapes differently, and a number. */
function makeSecrets() {
  const hex = crypto.randomUUID().replaceAll("-", "");
  const digits = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b % 10).join("");
  return {
    S_PLAIN: `plain_${hex.slice(0, 16)}`,
    S_QUOTED: `q"uo\\te/${hex.slice(16)}`,
    S_NUM: `9${digits.slice(1)}`,
  };
}

/** Runs the leaking recipe in a fresh tree; returns every artefact's text by name. */
async function runLeaky(secrets: boolean, env: Record<string, string>) {
  const dir = await tempTree({
    "r.yaml": recipe(secrets),
    "steps/leak.ts": LEAK_TS,
    "shell_ok.sh": SHELL_OK,
    "shell_error.sh": SHELL_ERROR,
    "shell_crash.sh": SHELL_CRASH,
    "leak_py.py": LEAK_PY,
  });
  await Deno.mkdir(`${dir}/out`);
  for (const f of ["shell_ok.sh", "shell_error.sh", "shell_crash.sh"]) {
    await Deno.chmod(`${dir}/${f}`, 0o755);
  }
  const out = `${dir}/out`;
  const reports = `junit=${out}/junit.xml,html=${out}/report.html,md=${out}/report.md`;
  const res = await orch([
    "run",
    "r.yaml",
    "--keep-going",
    "--allow-module",
    "steps",
    "--context-out",
    "ctx_out.json",
    "--report",
    reports,
  ], { cwd: dir, env: { ...env, ORCH_HOME: `${dir}/home` } });
  const artefacts: Record<string, string> = { stdout: res.stdout, stderr: res.stderr };
  for await (const file of walk(dir)) {
    if (/\.(ts|sh|yaml|py|pyc)$/.test(file)) continue; // the inputs written above
    artefacts[file.slice(dir.length + 1)] = await Deno.readTextFile(file);
  }
  return { res, artefacts };
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(path);
    else if (e.isFile) yield path;
  }
}

/**
 * Where each secret occurs: "artefact: NAME". Looks for the raw value, its JSON-escaped form
 * and its random part alone (which survives HTML, XML and other escaping).
 */
function leaks(artefacts: Record<string, string>, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(secrets)) {
    const random = value.match(/[0-9a-f]{12,}/g) ?? [];
    assert.equal(random.length, 1, value);
    const forms = new Set([value, JSON.stringify(value).slice(1, -1), ...random]);
    for (const [file, text] of Object.entries(artefacts)) {
      if ([...forms].some((f) => text.includes(f))) found.push(`${file}: ${name}`);
    }
  }
  return found;
}

Deno.test("a run with secrets: leaves no secret value in any artefact, only ***", async () => {
  const secrets = makeSecrets();
  const { res, artefacts } = await runLeaky(true, secrets);
  assert.equal(res.code, 1, res.stderr);
  assert.deepEqual(res.json.steps, stepCounts({ ok: 3, failed: 4 }));
  const files = Object.keys(artefacts);
  for (const f of ["journal.jsonl", "context.json", "run.json"]) {
    assert.ok(files.some((n) => n.startsWith("home/runs/") && n.endsWith(f)), `no ${f}`);
  }
  assert.ok(files.some((n) => n.startsWith("home/cache/")), `no cache entry in ${files}`);
  assert.ok(files.includes("ctx_out.json"));
  for (const f of ["out/junit.xml", "out/report.html", "out/report.md"]) {
    assert.ok(files.includes(f), `no ${f} in ${files}`);
  }
  assert.deepEqual(leaks(artefacts, secrets), []);
  // the values became ***, where they were
  const ctx = JSON.parse(artefacts["ctx_out.json"]).data;
  assert.deepEqual(ctx["leak.deno_v1"], { plain: "***", list: ["x", "***"], "***": "***" });
  assert.equal(ctx["leak.shell_v1"], "***");
  assert.deepEqual(ctx["leak.python_v1"], ["***"]);
  assert.ok(res.stderr.includes("python stderr says ***"), res.stderr);
  assert.ok(res.stderr.includes("python cannot use ***"), res.stderr);
  assert.ok(res.stderr.includes("[leak] console.log says ***"), res.stderr);
  assert.ok(res.stderr.includes("shell stderr says ***"), res.stderr);
  assert.ok(res.stderr.includes("dying with ***"), res.stderr);
  const journal = Object.entries(artefacts).find(([n]) => n.endsWith("journal.jsonl"))![1];
  assert.ok(journal.includes("cannot log in with *** and ***"), journal);
  assert.ok(journal.includes("token *** rejected"), journal);
  assert.ok(journal.includes('"who":"leak by ***"'), journal);
});

Deno.test("without secrets: the same run leaves the values everywhere (the search can fail)", async () => {
  const secrets = makeSecrets();
  const { res, artefacts } = await runLeaky(false, secrets);
  assert.equal(res.code, 1, res.stderr);
  const found = leaks(artefacts, secrets);
  const expected = ["stderr: S_PLAIN", "stderr: S_QUOTED", "ctx_out.json: S_NUM"];
  expected.push("out/junit.xml: S_QUOTED", "out/report.md: S_PLAIN");
  for (const where of expected) {
    assert.ok(found.includes(where), `${where} not in ${found}`);
  }
  assert.ok(found.some((f) => /^home\/runs\/.*journal\.jsonl: S_PLAIN$/.test(f)), `${found}`);
  assert.ok(found.some((f) => /^home\/cache\/.*: S_PLAIN$/.test(f)), `${found}`);
});

Deno.test("a secret that is not set, empty or too short stops the run before any step, at its line", async () => {
  const dir = await tempTree({
    "r.yaml": `test_meta: {test_id: SEC-2, tester: t, description: secrets}
secrets:
  - S_SET
  - S_MISSING
  - S_EMPTY
  - S_SHORT
steps:
  - {idx: 1, name: touch, type: shell, run: "touch ran", permissions: {run: [sh], write: true}}
`,
  });
  const res = await orch(["run", "r.yaml"], {
    cwd: dir,
    env: { S_SET: "long enough", S_EMPTY: "", S_SHORT: "abc" },
  });
  assert.equal(res.code, 2, res.stderr);
  const errors = res.json.errors as { path: string; line: number; message: string }[];
  assert.deepEqual(errors.map((e) => [e.path, e.line]), [
    ["secrets[1]", 4],
    ["secrets[2]", 5],
    ["secrets[3]", 6],
  ]);
  assert.match(errors[0].message, /secret "S_MISSING" is not set .*export S_MISSING/);
  assert.match(errors[1].message, /secret "S_EMPTY" is empty/);
  assert.match(errors[2].message, /secret "S_SHORT" is shorter than 4 characters/);
  await assert.rejects(Deno.stat(`${dir}/ran`));
});

Deno.test("secrets: must be environment variable names (validate, exit 2)", async () => {
  const dir = await tempTree({
    "r.yaml": `test_meta: {test_id: SEC-3, tester: t, description: secrets}
secrets: [GOOD_1, 1BAD, "has-dash"]
steps:
  - {idx: 1, name: s, type: shell, run: "true", permissions: {run: [sh]}}
`,
  });
  const res = await orch(["validate", "r.yaml"], { cwd: dir });
  assert.equal(res.code, 2, res.stderr);
  const errors = res.json.errors as { path: string; message: string }[];
  assert.deepEqual(errors.map((e) => e.path), ["secrets[1]", "secrets[2]"]);
  assert.match(errors[0].message, /environment variable names/);
});

Deno.test("orch step --recipe redacts the recipe's secrets too", async () => {
  const secret = makeSecrets().S_PLAIN;
  const dir = await tempTree({
    "r.yaml": `test_meta: {test_id: SEC-4, tester: t, description: secrets}
secrets: [S_PLAIN]
steps:
  - {idx: 1, name: say, type: shell, permissions: {run: [sh]},
     run: 'echo "said $S_PLAIN" >&2; echo "{\\"status\\":\\"ok\\",\\"outputs\\":[\\"s.said_v1\\"],\\"ctx\\":{\\"s.said_v1\\":\\"$S_PLAIN\\"}}"'}
`,
  });
  const res = await orch(
    ["step", "--recipe", "r.yaml", "--name", "say", "--context-out", "o.json"],
    {
      cwd: dir,
      env: { S_PLAIN: secret },
    },
  );
  assert.equal(res.code, 0, res.stderr);
  const out = await Deno.readTextFile(`${dir}/o.json`);
  assert.equal(JSON.parse(out).data["s.said_v1"], "***");
  assert.ok(res.stderr.includes("said ***"), res.stderr);
  assert.deepEqual(leaks({ stdout: res.stdout, stderr: res.stderr, out }, { S_PLAIN: secret }), []);
});
