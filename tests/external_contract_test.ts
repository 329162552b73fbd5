import assert from "node:assert/strict";
import {
  exitMeaning,
  type ExternalRun,
  judgeEnvelope,
  judgeRun,
  readEnvelopeLine,
  shown,
} from "../core/external_contract.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

function ran(stdout: string, extra: Partial<ExternalRun> = {}): ExternalRun {
  return { command: '"/x/step.sh"', code: 0, stdout: bytes(stdout), stderrTail: [], ...extra };
}

function reason(outcome: ReturnType<typeof judgeRun>): string {
  assert.equal(outcome.status, "error");
  assert.equal(outcome.envelope.status, "error");
  return outcome.envelope.status === "error" ? outcome.envelope.reason : "";
}

Deno.test("readEnvelopeLine() accepts one JSON object line, blank lines around it included", () => {
  assert.deepEqual(readEnvelopeLine('\n  \n{"status":"ok"}\r\n\n'), {
    envelope: { status: "ok" },
  });
});

Deno.test("readEnvelopeLine() names each broken rule", () => {
  const problem = (stdout: string) => {
    const r = readEnvelopeLine(stdout);
    assert.ok("problem" in r, `accepted ${JSON.stringify(stdout)}`);
    return r.problem;
  };
  assert.match(problem(""), /one JSON envelope line .* got none/);
  assert.match(problem("\n \n"), /got none/);
  assert.match(problem('{"status":"ok"}\n{"status":"ok"}\n'), /exactly one non-empty line, got 2/);
  assert.match(problem("done"), /the stdout line is not JSON/);
  assert.match(problem("[]"), /must be a JSON object \(the envelope\), got an array/);
  assert.match(problem("null"), /got null/);
  assert.match(problem('"ok"'), /got string/);
  assert.match(problem("{}"), /the envelope has no "status"/);
  assert.match(problem('{"status":"OK"}'), /"status" must be "ok" or "error", got "OK"/);
});

Deno.test("judgeRun() shows the first 200 bytes of what was printed with a contract failure", () => {
  const long = "x".repeat(500);
  const r = reason(judgeRun("s", ran(`${long}\n`), { snapshot: {} }));
  assert.match(r, /^the stdout line is not JSON .*; printed: "x{200}" \(first 200 of 501 bytes\)$/);
});

Deno.test("judgeRun() explains a non-zero exit without an envelope: code, meaning, stderr tail", () => {
  const tail = ["one", "two", "three", "four", "five", "six"];
  const r = reason(judgeRun("s", ran("", { code: 127, stderrTail: tail }), { snapshot: {} }));
  assert.equal(
    r,
    '"/x/step.sh" exited with code 127 (command not found) and no JSON envelope; ' +
      "stderr tail: two | three | four | five | six",
  );
  const withOut = reason(judgeRun("s", ran("partial", { code: 2 }), { snapshot: {} }));
  assert.equal(withOut, '"/x/step.sh" exited with code 2 and no JSON envelope; stdout: "partial"');
});

Deno.test("judgeRun() uses an error envelope's reason even when the process exited non-zero", () => {
  const outcome = judgeRun(
    "s",
    ran('{"status":"error","reason":"no rows"}', { code: 3 }),
    { snapshot: {} },
  );
  assert.deepEqual(outcome.envelope, {
    status: "error",
    reason: "no rows",
    exit_code: 3,
    step: "s",
  });
});

Deno.test("judgeRun() refuses an ok envelope from a process that exited non-zero", () => {
  const r = reason(judgeRun("s", ran('{"status":"ok"}', { code: 1 }), { snapshot: {} }));
  assert.equal(
    r,
    'the envelope says "ok" but the process exited with code 1; printed: ' +
      '"{\\"status\\":\\"ok\\"}"',
  );
});

Deno.test("judgeRun() fails a run whose stdout went past the limit", () => {
  const r = reason(judgeRun("s", ran("y\n".repeat(300), { overflow: true, stdoutLimit: 600 }), {
    snapshot: {},
  }));
  assert.match(r, /printed more than 600 bytes on stdout, so it was stopped/);
  assert.match(r, /it began with: "(y\\n){100}"$/);
});

Deno.test("an ok envelope's ctx becomes the delta, attributed to the step, outputs defaulting to its keys", () => {
  const outcome = judgeRun(
    "clean",
    ran('{"status":"ok","ctx":{"numbers.clean_v1":[1,2],"numbers.meta_v1":{"n":2}}}'),
    { snapshot: {} },
  );
  assert.deepEqual(outcome, {
    status: "ok",
    envelope: { status: "ok", outputs: ["numbers.clean_v1", "numbers.meta_v1"] },
    delta: {
      writes: [
        { key: "numbers.clean_v1", value: [1, 2], who: "clean" },
        { key: "numbers.meta_v1", value: { n: 2 }, who: "clean" },
      ],
    },
  });
});

Deno.test("outputs must exist after the step: in the snapshot or in ctx", () => {
  const env = { status: "ok", outputs: ["a.b_v1", "c.d_v1"], ctx: { "c.d_v1": 1 } };
  assert.equal(judgeEnvelope("s", env, { snapshot: { "a.b_v1": 0 } }).status, "ok");
  const missing = judgeEnvelope("s", env, { snapshot: {} });
  assert.match(reason(missing), /lists outputs "a\.b_v1" that are not in the context/);
  assert.match(
    reason(judgeEnvelope("s", { status: "ok", outputs: "a.b_v1" }, { snapshot: {} })),
    /"outputs" must be an array of context keys/,
  );
});

Deno.test("ctx entries go through the context's key and JSON-safety rules", () => {
  const judge = (ctx: unknown) => judgeEnvelope("s", { status: "ok", ctx }, { snapshot: {} });
  assert.match(reason(judge({ "Bad Key": 1 })), /"ctx" entry "Bad Key" was refused: .*invalid/);
  assert.match(reason(judge([1])), /"ctx" must be an object/);
  const warnings: string[] = [];
  const outcome = judgeEnvelope("s", { status: "ok", ctx: { "a.b": 1 } }, {
    snapshot: {},
    onWarning: (m) => warnings.push(m),
  });
  assert.equal(outcome.status, "ok");
  assert.match(warnings[0], /"a\.b" has no version suffix/);
});

Deno.test("writes made by other means come first and a bad one in ctx drops them all", () => {
  const writes = [{ key: "py.set_v1", value: 1, who: "helper" }];
  const ok = judgeEnvelope("s", { status: "ok", ctx: { "a.b_v1": 2 } }, { snapshot: {}, writes });
  assert.deepEqual(ok.delta.writes.map((w) => [w.key, w.who]), [
    ["py.set_v1", "helper"],
    ["a.b_v1", "s"],
  ]);
  const bad = judgeEnvelope("s", { status: "ok", ctx: { "a.b_v1": {}, x: 1 } }, {
    snapshot: {},
    writes,
  });
  assert.deepEqual(bad.delta.writes, []);
});

Deno.test("an error envelope needs a non-empty reason", () => {
  assert.match(
    reason(judgeEnvelope("s", { status: "error" }, { snapshot: {} })),
    /needs a non-empty "reason"/,
  );
});

Deno.test("exitMeaning() names the usual exit codes and signals", () => {
  assert.equal(exitMeaning(127), "code 127 (command not found)");
  assert.equal(exitMeaning(126), "code 126 (found but not executable)");
  assert.equal(exitMeaning(124), "code 124 (timed out)");
  assert.equal(exitMeaning(137), "code 137 (killed by SIGKILL; out of memory?)");
  assert.equal(exitMeaning(143, "SIGTERM"), "code 143 (killed by signal SIGTERM)");
  assert.equal(exitMeaning(139), "code 139 (killed by signal SIGSEGV)");
  assert.equal(exitMeaning(2), "code 2");
});

Deno.test("shown() cuts at 200 bytes without leaving half a character", () => {
  assert.equal(shown(new Uint8Array()), "(nothing)");
  const text = "é".repeat(150); // 300 bytes; byte 200 ends a character, byte 199 would not
  assert.equal(shown(bytes(text)), `"${"é".repeat(100)}" (first 200 of 300 bytes)`);
  assert.equal(shown(bytes("a" + text)), `"a${"é".repeat(99)}" (first 200 of 301 bytes)`);
});
