/**
 * @module
 * Bad-input cases for TS steps at run time: steps that throw, reject, exit, spin, hang, print
 * too much, return non-envelopes or store non-JSON-safe values. Each runs a three-step recipe
 * (`before`, `bad`, `after`) and checks that `bad` left nothing in the context and that the run
 * directory agrees.
 */
import { BAD_KEYS, type BadCase, misbehave, RUN, runtimeCase, runtimeRecipe } from "./case.ts";

const tsCases: BadCase[] = [
  runtimeCase(
    "a step that throws → exit 1, the error's one line",
    misbehave("throw"),
    "RangeError: thrown on purpose",
  ),
  runtimeCase(
    "a step that throws a multi-line message → exit 1, its first line only on stdout",
    misbehave("throw-multiline"),
    "first line (+2 lines)",
    { stderr: /first line\nsecond line\n {4}at fake/ },
  ),
  runtimeCase(
    "a step that throws a string → exit 1, threw ...",
    misbehave("throw-string"),
    "threw a bare string",
  ),
  runtimeCase(
    "a step that throws a BigInt → exit 1, no crash",
    misbehave("throw-bigint"),
    "threw a bigint that cannot be shown",
  ),
  runtimeCase(
    "a step whose promise rejects → exit 1",
    misbehave("reject"),
    "TypeError: rejected on purpose",
  ),
  runtimeCase(
    "a step that rejects after a timer → exit 1",
    misbehave("reject-later"),
    "rejected after 50 ms",
  ),
  runtimeCase(
    "a step whose timer throws while it runs → exit 1, names the error",
    misbehave("timer-throw"),
    "thrown from a timer",
  ),
  runtimeCase(
    "a step leaving a rejected promise unawaited → exit 1, names the error",
    misbehave("unawaited-reject"),
    "nobody awaited me",
  ),
  runtimeCase(
    "a step calling Deno.exit(0) → exit 1, names Deno.exit",
    misbehave("exit-0"),
    /Deno\.exit\(0\)/,
  ),
  runtimeCase(
    "a step calling Deno.exit(3) → exit 1, names Deno.exit",
    misbehave("exit-3"),
    /Deno\.exit\(3\)/,
  ),
  runtimeCase("a step closing its Worker → exit 1, names close()", misbehave("close"), /close\(\)/),
  runtimeCase(
    "an infinite loop with a 300 ms timeout → exit 1, timeout, Worker terminated",
    misbehave("spin", { timeout: "300ms" }),
    /timed? ?out|timeout/i,
    { withinMs: 15_000 },
  ),
  runtimeCase(
    "a never-settling promise with a 300 ms timeout → exit 1, timeout",
    misbehave("hang", { timeout: "300ms" }),
    /timed? ?out|timeout/i,
    { withinMs: 15_000 },
  ),
  runtimeCase(
    "an infinite loop retried on timeout → exit 1 after every attempt timed out",
    misbehave("spin", { timeout: "200ms", retry: { max: 1, delay_sec: 0, on: ["timeout"] } }),
    /timed? ?out|timeout/i,
    { withinMs: 15_000 },
  ),
  {
    name: "an infinite loop without a timeout → runs until SIGINT, then exit 130, interrupted",
    files: { "recipe.yaml": runtimeRecipe(misbehave("spin")) },
    argv: RUN,
    code: 130,
    reason: "interrupted",
    step: "bad",
    stop: { when: /spinning/, signal: "SIGINT" },
    run: { status: "interrupted", has: ["good.before_v1"], lacks: BAD_KEYS },
    withinMs: 15_000,
  },
  {
    name: "a hung step stopped with SIGTERM → exit 130, interrupted",
    files: { "recipe.yaml": runtimeRecipe(misbehave("hang")) },
    argv: RUN,
    code: 130,
    reason: "interrupted",
    stop: { when: /hanging/, signal: "SIGTERM" },
    run: { status: "interrupted", has: ["good.before_v1"], lacks: BAD_KEYS },
    withinMs: 15_000,
  },
  runtimeCase(
    "run() returning a number → exit 1, must return an envelope",
    misbehave("return-number"),
    "must return an envelope object, got number",
  ),
  runtimeCase(
    "run() returning undefined → exit 1, must return an envelope",
    misbehave("return-undefined"),
    "got undefined",
  ),
  runtimeCase(
    "an envelope missing its status key → exit 1",
    misbehave("no-status"),
    'envelope "status" must be "ok" or "error", got undefined',
  ),
  runtimeCase(
    'an envelope with status "done" → exit 1',
    misbehave("status-done"),
    '"status" must be "ok" or "error", got "done"',
  ),
  runtimeCase(
    "an error envelope without a reason → exit 1",
    misbehave("error-no-reason"),
    'needs a non-empty "reason"',
  ),
  runtimeCase(
    "an ok envelope listing an unwritten key → exit 1, names it",
    misbehave("unwritten-output"),
    "bad.never_written_v1",
  ),
  runtimeCase(
    "a success.ctx_has_keys key the step never wrote → exit 1, success assertion failed",
    misbehave("ok", { success: { ctx_has_keys: ["bad.partial_v1", "bad.missing_v1"] } }),
    /ctx_has_keys .*"bad\.missing_v1"/,
  ),
  runtimeCase(
    "a context key that is not dotted → exit 1, names the key rule",
    misbehave("bad-key"),
    "NotDotted",
  ),
  runtimeCase(
    "a step that writes then returns an error envelope → exit 1, no write kept",
    misbehave("fail"),
    "gave up on purpose",
  ),
  runtimeCase(
    "a step printing a forged ok envelope on stdout, then failing → exit 1, stdout stays orch's",
    misbehave("stdout-write"),
    "wrote to stdout, then failed",
  ),
  {
    name: "a step printing 8 MiB of logs → exit 0, logs on stderr, stdout one line",
    files: { "recipe.yaml": runtimeRecipe(misbehave("huge-log")) },
    argv: RUN,
    code: 0,
    reason: "",
    run: { status: "ok", has: ["good.before_v1", "bad.partial_v1"] },
    withinMs: 30_000,
  },
  {
    name: "a step storing a 16 MiB string → exit 0, stored and journaled",
    files: { "recipe.yaml": runtimeRecipe(misbehave("huge-value")) },
    argv: RUN,
    code: 0,
    reason: "",
    run: { status: "ok", has: ["good.before_v1", "bad.huge_v1"] },
    withinMs: 30_000,
  },
];

const UNSAFE_KINDS: [string, string | RegExp][] = [
  ["undefined", "bad.value_v1: undefined is not JSON-safe"],
  ["nan", "bad.value_v1.mean: NaN is not JSON-safe"],
  ["infinity", "bad.value_v1: Infinity is not JSON-safe"],
  ["-infinity", "bad.value_v1[1]: -Infinity is not JSON-safe"],
  ["bigint", "bad.value_v1: BigInt is not JSON-safe"],
  ["function", "bad.value_v1.f: a function is not JSON-safe"],
  ["symbol", "bad.value_v1: a symbol is not JSON-safe"],
  ["date", "bad.value_v1: a Date is not JSON-safe"],
  ["map", "bad.value_v1: a Map is not JSON-safe"],
  ["set", "bad.value_v1: a Set is not JSON-safe"],
  ["class", "bad.value_v1: an instance of class Point is not JSON-safe"],
  ["typed-array", "bad.value_v1: a typed array or ArrayBuffer is not JSON-safe"],
  ["regexp", "bad.value_v1: a RegExp is not JSON-safe"],
  ["error", "bad.value_v1: an Error is not JSON-safe"],
  ["circular", "bad.value_v1.self: circular reference is not JSON-safe"],
  ["symbol-key", "bad.value_v1: an object with symbol keys is not JSON-safe"],
  ["sparse", "bad.value_v1[1]: a hole in a sparse array is not JSON-safe"],
  ["deep", /nesting deeper than 1000 levels is not JSON-safe/],
];

const unsafeCases: BadCase[] = UNSAFE_KINDS.map(([kind, reason]) =>
  runtimeCase(
    `a step storing ${kind} in the context → exit 1, names the path`,
    misbehave(`unsafe:${kind}`),
    reason,
  )
);

export const RUNTIME_CASES: BadCase[] = [...tsCases, ...unsafeCases];
