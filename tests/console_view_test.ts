import assert from "node:assert/strict";
import { orch, stepCounts, tempTree } from "./_helpers.ts";
import { consoleView, type ConsoleViewOptions } from "../core/cli/console_view.ts";
import type { RunEvent, StepStatus } from "../core/events.ts";
import { fail, ok } from "../core/envelope.ts";

const at = new Date(0);
const STEPS = new URL("./fixtures/steps", import.meta.url).pathname;

const ev = {
  runStart: (steps: number, concurrency = 2): RunEvent => ({
    kind: "run-start",
    at,
    file: "r.yaml",
    testId: "T-1",
    steps,
    concurrency,
  }),
  start: (step: string, attempt = 1): RunEvent => ({
    kind: "step-start",
    at,
    step,
    idx: 1,
    attempt,
  }),
  out: (step: string, line: string): RunEvent => ({
    kind: "step-output",
    at,
    step,
    stream: "stdout",
    line,
  }),
  end: (step: string, status: StepStatus, durationMs: number, reason = ""): RunEvent => ({
    kind: "step-end",
    at,
    step,
    status,
    envelope: status === "ok" ? ok([]) : fail(step, reason),
    durationMs,
    attempts: [],
  }),
  runEnd: (status: "ok" | "failed", counts: Partial<Record<StepStatus, number>>): RunEvent => ({
    kind: "run-end",
    at,
    status,
    durationMs: 1500,
    counts: stepCounts(counts),
  }),
};

/** A view writing into memory; `chunks` are the separate writes, `text` all of them. */
function recorded(options: ConsoleViewOptions = {}) {
  const chunks: string[] = [];
  const view = consoleView({ write: (t) => chunks.push(t), tickMs: 0, ...options });
  return {
    view,
    chunks,
    feed(events: RunEvent[]) {
      for (const e of events) view(e);
    },
    get lines() {
      return chunks.join("").split("\n").slice(0, -1);
    },
  };
}

/** Two steps whose output arrives interleaved, then both succeed. */
const interleaved: RunEvent[] = [
  ev.runStart(2),
  ev.start("a"),
  ev.start("b"),
  ev.out("a", "a1"),
  ev.out("b", "b1"),
  ev.out("a", "a2"),
  ev.end("b", "ok", 20),
  ev.out("a", "a3"),
  ev.end("a", "ok", 1234),
  ev.runEnd("ok", { ok: 2 }),
];

Deno.test("prefixed output tags every line with its step, in arrival order", () => {
  const r = recorded({ output: "prefixed" });
  r.feed(interleaved);
  assert.deepEqual(r.lines, [
    "orch: running r.yaml (T-1, 2 step(s), up to 2 at once)",
    "▶ a",
    "▶ b",
    "[a] a1",
    "[b] b1",
    "[a] a2",
    "✓ b (20 ms)",
    "[a] a3",
    "✓ a (1.23 s)",
    "orch: ok in 1.50 s (2 ok)",
  ]);
  assert.ok(r.chunks.every((c) => c.endsWith("\n")), "every write is whole lines");
});

Deno.test("grouped output prints a step's lines together when the step ends", () => {
  const r = recorded({ output: "grouped" });
  r.feed(interleaved);
  assert.deepEqual(r.lines, [
    "orch: running r.yaml (T-1, 2 step(s), up to 2 at once)",
    "▶ a",
    "▶ b",
    "[b] b1",
    "✓ b (20 ms)",
    "[a] a1",
    "[a] a2",
    "[a] a3",
    "✓ a (1.23 s)",
    "orch: ok in 1.50 s (2 ok)",
  ]);
});

Deno.test("grouped output under GitHub Actions wraps each step's lines in ::group::", () => {
  const r = recorded({ output: "grouped", githubActions: true });
  r.feed([...interleaved.slice(0, 9), ev.start("quiet"), ev.end("quiet", "ok", 1)]);
  assert.deepEqual(r.lines.slice(3), [
    "::group::b",
    "b1",
    "::endgroup::",
    "✓ b (20 ms)",
    "::group::a",
    "a1",
    "a2",
    "a3",
    "::endgroup::",
    "✓ a (1.23 s)",
    "▶ quiet",
    "✓ quiet (1 ms)", // a step that printed nothing gets no empty group
  ]);
});

Deno.test("GitHub Actions does not change prefixed output", () => {
  const r = recorded({ output: "prefixed", githubActions: true });
  r.feed(interleaved);
  assert.equal(r.lines[3], "[a] a1");
  assert.ok(!r.lines.some((l) => l.startsWith("::")));
});

Deno.test("grouped output of a step that never ended is printed before the run's last line", () => {
  const r = recorded({ output: "grouped" });
  r.feed([ev.runStart(1), ev.start("a"), ev.out("a", "late"), ev.runEnd("failed", {})]);
  assert.deepEqual(r.lines.slice(2), ["[a] late", "orch: failed in 1.50 s"]);
});

Deno.test("on a terminal, log lines print above a progress line that is redrawn in place", () => {
  let clock = 0;
  const r = recorded({ tty: true, now: () => clock });
  r.view(ev.runStart(3));
  clock = 400;
  r.view(ev.start("a"));
  clock = 900;
  r.view(ev.start("b"));
  clock = 2500;
  r.view(ev.out("a", "hello"));
  r.view(ev.end("a", "ok", 2100));
  clock = 61_000;
  r.view.print("[warn] orch: a note");
  r.view(ev.runEnd("ok", { ok: 3 }));
  const blank = (s: string) => `\r${" ".repeat(s.length)}\r`;
  const p0 = "[0/3] 0.0 s · waiting";
  const p1 = "[0/3] 0.4 s · running a";
  const p2 = "[0/3] 0.9 s · running a, b";
  const p3 = "[0/3] 2.5 s · running a, b";
  const p4 = "[1/3] 2.5 s · running b";
  const p5 = "[1/3] 1m01s · running b";
  assert.deepEqual(r.chunks, [
    "orch: running r.yaml (T-1, 3 step(s), up to 2 at once)\n" + p0,
    blank(p0) + "▶ a\n" + p1,
    blank(p1) + "▶ b\n" + p2,
    blank(p2) + "[a] hello\n" + p3,
    blank(p3) + "✓ a (2.10 s)\n" + p4,
    blank(p4) + "[warn] orch: a note\n" + p5,
    blank(p5) + "orch: ok in 1.50 s (3 ok)\n", // the run's last line leaves no progress behind
  ]);
  assert.ok(!r.chunks.join("").includes("\x1b"), "no colour: no escape code at all");
});

Deno.test("with colour, the progress line is cleared with an erase-line escape", () => {
  const r = recorded({ tty: true, color: true, now: () => 0 });
  r.feed([ev.runStart(1), ev.start("a")]);
  assert.equal(r.chunks[1], "\r\x1b[2K\x1b[36m▶\x1b[0m a\n[0/1] 0.0 s · running a");
});

Deno.test("the progress line is cut to the terminal width", () => {
  const r = recorded({ tty: true, columns: 20, now: () => 0 });
  r.feed([ev.runStart(2), ev.start("a_long_step_name"), ev.start("another_one")]);
  const progress = r.chunks.at(-1)!.split("\n").at(-1)!;
  assert.equal(progress, "[0/2] 0.0 s · runn…");
});

Deno.test("a terminal that reports 0 columns (no known size) gets the whole progress line", () => {
  const r = recorded({ tty: true, columns: 0, now: () => 0 });
  r.feed([ev.runStart(1), ev.start("a")]);
  assert.ok(r.chunks.at(-1)!.endsWith("\n[0/1] 0.0 s · running a"), r.chunks.at(-1));
});

Deno.test("the progress line's elapsed time ticks between events and stops at run-end", async () => {
  let clock = 0;
  const r = recorded({ tty: true, now: () => clock, tickMs: 5 });
  r.feed([ev.runStart(1), ev.start("slow")]);
  clock = 3000;
  const before = r.chunks.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(r.chunks.length > before, "a tick redrew the line");
  assert.ok(r.chunks.at(-1)!.endsWith("[0/1] 3.0 s · running slow"), r.chunks.at(-1));
  r.view(ev.runEnd("ok", { ok: 1 }));
  const after = r.chunks.length;
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(r.chunks.length, after, "no redraw after the run ended");
});

Deno.test("off a terminal there is no progress line, one line per event", () => {
  const r = recorded({ tty: false, now: () => 0 });
  r.feed(interleaved);
  assert.ok(!r.chunks.join("").includes("\r"));
  assert.ok(!r.chunks.join("").includes("running a"));
});

Deno.test("a retry, a timeout, a restart and a skip each get a line that says so", () => {
  const r = recorded();
  r.feed([
    ev.start("flaky"),
    {
      kind: "step-retry",
      at,
      step: "flaky",
      attempt: 1,
      reason: "boom",
      delayMs: 2000,
    },
    ev.start("flaky", 2),
    {
      ...(ev.end("flaky", "ok", 30) as Extract<RunEvent, { kind: "step-end" }>),
      attempts: [
        { attempt: 1, status: "failed", reason: "boom", durationMs: 10 },
        { attempt: 2, status: "ok", durationMs: 20 },
      ],
    },
    ev.end("slow", "timeout", 500, "timed out after 500 ms"),
    ev.end("later", "skipped", 0, "dependency slow did not succeed"),
    ev.end("side", "cancelled", 40, "cancelled"),
  ]);
  assert.deepEqual(r.lines, [
    "▶ flaky",
    "↻ flaky attempt 1 failed: boom; retrying in 2.00 s",
    "▶ flaky (attempt 2)",
    "✓ flaky (30 ms, 2 attempts)",
    "✗ slow timed out after 500 ms: timed out after 500 ms",
    "- later skipped: dependency slow did not succeed",
    "- side cancelled after 40 ms",
  ]);
});

Deno.test("a failed run ends with the root cause, later failures, then what did not run", () => {
  const r = recorded({ output: "grouped" });
  r.feed([
    ev.runStart(6),
    ev.start("load"),
    ev.end("load", "ok", 5),
    ev.start("mean"),
    ev.start("median"),
    ev.start("std"),
    ev.end("mean", "failed", 12, "division by zero"),
    ev.out("median", "noise from a cancelled step"),
    ev.end("median", "cancelled", 13, "cancelled"),
    ev.end("std", "timeout", 30, "timed out after 30 ms"),
    ev.end("aggregate", "skipped", 0, "dependency mean failed"),
    ev.end("report", "skipped", 0, "dependency aggregate was skipped"),
    ev.runEnd("failed", { ok: 1, failed: 1, timeout: 1, cancelled: 1, skipped: 2 }),
  ]);
  assert.deepEqual(r.lines.slice(-4), [
    "orch: failed in 1.50 s (1 ok, 1 failed, 2 skipped, 1 timeout, 1 cancelled)",
    'orch: root cause: step "mean" failed: division by zero',
    'orch: also failed: step "std" timed out: timed out after 30 ms',
    "orch: cancelled median; skipped aggregate, report",
  ]);
});

Deno.test("the list of steps that did not run stays short", () => {
  const r = recorded();
  const names = ["s1", "s2", "s3", "s4", "s5", "s6", "s7"];
  r.feed([
    ev.end("root", "failed", 1, "bad input"),
    ...names.map((n) => ev.end(n, "skipped", 0)),
    ev.runEnd("failed", { failed: 1, skipped: 7 }),
  ]);
  assert.equal(r.lines.at(-1), "orch: skipped s1, s2, s3, s4, s5 and 2 more");
});

Deno.test("a successful run prints no failure summary", () => {
  const r = recorded();
  r.feed(interleaved);
  assert.ok(!r.lines.some((l) => /root cause|skipped|cancelled/.test(l)), r.lines.join("\n"));
});

Deno.test("orch run --output grouped under GITHUB_ACTIONS=true groups a step's output", async () => {
  const recipe = [
    "test_meta: {test_id: T-1, tester: test, description: fixture}",
    "steps:",
    `  - {idx: 1, name: compute_numbers, type: deno, module: ${STEPS}/logs.ts, function: Logs}`,
  ].join("\n") + "\n";
  const dir = await tempTree({ "recipe.yaml": recipe });
  const args = ["run", "recipe.yaml", "--allow-module", STEPS, "--output", "grouped"];
  const r = await orch(args, { cwd: dir, env: { GITHUB_ACTIONS: "true" } });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split("\n");
  const open = lines.indexOf("::group::compute_numbers");
  assert.ok(open >= 0, r.stderr);
  assert.deepEqual(lines.slice(open, open + 3), [
    "::group::compute_numbers",
    "hello from log",
    "two",
  ]);
  const close = lines.indexOf("::endgroup::");
  assert.ok(close > open && lines[close + 1].startsWith("✓ compute_numbers"), r.stderr);

  const plain = await orch(args, { cwd: dir });
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(!plain.stderr.includes("::group::"), "no group markers outside GitHub Actions");
  assert.match(plain.stderr, /^\[compute_numbers\] hello from log$/m);
});

Deno.test("orch run refuses an unknown --output mode and suggests the right one", async () => {
  const r = await orch(["run", "recipes/example_numbers.yaml", "--output", "grouped2"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.json.reason as string, /unknown --output "grouped2" \(did you mean "grouped"\?\)/);
  assert.doesNotMatch(r.stderr, /▶/, "nothing ran");
});
