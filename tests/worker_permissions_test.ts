/**
 * Tests that a TS step's Worker holds exactly its grant (core/executors/deno_worker.ts): loading
 * the step's code never needs its read grant, and each permission kind is denied when not
 * granted and allowed when granted. Real Workers; the per-kind cases run in a child Deno that
 * has the net and sys permissions `-P=orch` lacks (a Worker gets at most what its process has).
 */
import assert from "node:assert/strict";
import { denoWorkerExecutor } from "../core/executors/deno_worker.ts";
import type { StepOutcome } from "../core/executors/executor.ts";
import { REPO, tempTree } from "./_helpers.ts";

const reasonOf = (o: { envelope: StepOutcome["envelope"] }) =>
  o.envelope.status === "error" ? o.envelope.reason : "(ok)";

Deno.test("a step granted only read: [its data dir] still loads from steps/ and reads its data", async () => {
  const dir = await tempTree({ "data/n.csv": "1\n2\n3\n" });
  const ex = denoWorkerExecutor();
  try {
    const attempt = {
      step: "compute_numbers",
      target: {
        type: "deno" as const,
        moduleUrl: new URL("../steps/compute_numbers.ts", import.meta.url).href,
        exportName: "ComputeNumbers",
      },
      snapshot: {},
      baseDir: dir,
      permissions: { read: [`${dir}/data`] },
    };
    const signal = new AbortController().signal;
    const ok = await ex.run({ ...attempt, params: { src: "data/n.csv" } }, signal, () => {});
    assert.equal(ok.status, "ok", reasonOf(ok));
    assert.deepEqual(ok.delta.writes.map((w) => [w.key, w.value]), [
      ["numbers.stats_v1", { count: 3, sum: 6, mean: 2, min: 1, max: 3 }],
    ]);
    // the same grant is exact: the repo's own data is outside it
    const outside = `${REPO}/data/numbers.csv`;
    const denied = await ex.run({ ...attempt, params: { src: outside } }, signal, () => {});
    assert.equal(denied.status, "error");
    assert.match(reasonOf(denied), new RegExp(`read access to "${outside}"`));
  } finally {
    ex.close();
  }
});

type Kind = "read" | "write" | "net" | "env" | "run" | "sys";
type Case = { kind: Kind; target: string; permissions: Deno.PermissionOptionsObject };

const dir = await tempTree({ "data/allowed.txt": "yes", "secret/s.txt": "no" });
await Deno.mkdir(`${dir}/out`);
const TARGETS: Record<Kind, { target: string; grant: Deno.PermissionOptionsObject }> = {
  read: { target: `${dir}/secret/s.txt`, grant: { read: [`${dir}/secret`] } },
  write: { target: `${dir}/out/w.txt`, grant: { write: [`${dir}/out`] } },
  net: { target: "127.0.0.1:FREE", grant: { net: ["127.0.0.1:FREE"] } },
  env: { target: "ORCH_PROBE_VAR", grant: { env: ["ORCH_PROBE_VAR"] } },
  run: { target: "true", grant: { run: ["true"] } },
  sys: { target: "hostname", grant: { sys: ["hostname"] } },
};
const KINDS = Object.keys(TARGETS) as Kind[];
// denied: a grant of the same kind elsewhere (read also proves loading needs no read grant)
const DENY: Record<Kind, Deno.PermissionOptionsObject> = {
  read: { read: [`${dir}/data`] },
  write: { write: [`${dir}/data`] },
  net: { net: ["127.0.0.2:1"] },
  env: { env: ["ORCH_OTHER_VAR"] },
  run: { run: ["false"] },
  sys: { sys: ["osRelease"] },
};
const CASES: Case[] = KINDS.flatMap((kind) => [
  { kind, target: TARGETS[kind].target, permissions: DENY[kind] },
  { kind, target: TARGETS[kind].target, permissions: TARGETS[kind].grant },
]);

let probed: Promise<{ status: string; reason?: string }[]> | undefined;
/** Runs every case once in a child Deno with net and sys allowed; memoised. */
function probe() {
  probed ??= (async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        "--config",
        `${REPO}/deno.json`,
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        "--allow-net=127.0.0.1,127.0.0.2",
        "--allow-sys=hostname,osRelease",
        `${REPO}/tests/fixtures/workers/probe.ts`,
        JSON.stringify(CASES),
      ],
      env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "", ORCH_PROBE_VAR: "set" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    return JSON.parse(new TextDecoder().decode(out.stdout));
  })();
  return probed;
}

for (const [i, c] of CASES.entries()) {
  const granted = c.permissions === TARGETS[c.kind].grant;
  Deno.test(
    `a step ${granted ? "granted" : "not granted"} ${c.kind} access to its target is ${
      granted ? "allowed" : "denied, naming the access"
    }`,
    async () => {
      const got = (await probe())[i];
      if (granted) return assert.equal(got.status, "ok", got.reason);
      assert.equal(got.status, "error");
      const target = c.kind === "net" ? "127\\.0\\.0\\.1:\\d+" : c.target.replace(/\./g, "\\.");
      assert.match(got.reason!, new RegExp(`^${c.kind} access to "${target}" denied; grant it`));
    },
  );
}

Deno.test("a granted write really writes the file", async () => {
  await probe();
  assert.equal(await Deno.readTextFile(`${dir}/out/w.txt`), "written by a step");
});
