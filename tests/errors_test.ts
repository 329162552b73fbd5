import assert from "node:assert/strict";
import {
  ContextError,
  ExitCode,
  formatIssue,
  InterruptedError,
  issuesOf,
  OrchError,
  RecipeSyntaxError,
  RecipeValidationError,
  StepFailedError,
  StepLoadError,
  UsageError,
} from "../core/errors.ts";
import * as errors from "../core/errors.ts";

const issue = { file: "r.yaml", line: 3, col: 5, path: "steps[0].module", message: "bad" };

const CASES: [string, OrchError, number][] = [
  ["UsageError", new UsageError("m", "h"), 2],
  ["RecipeSyntaxError", new RecipeSyntaxError([issue]), 2],
  ["RecipeValidationError", new RecipeValidationError([issue]), 2],
  ["StepLoadError", new StepLoadError("m", { step: "s" }, "h"), 2],
  ["StepFailedError", new StepFailedError("m", "s"), 1],
  ["ContextError", new ContextError("m"), 1],
  ["InterruptedError", new InterruptedError("SIGINT"), 130],
];

for (const [name, err, exitCode] of CASES) {
  Deno.test(`${name} is an OrchError and an Error with exit code ${exitCode}`, () => {
    assert.ok(err instanceof OrchError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, name);
    assert.equal(err.exitCode, exitCode);
    assert.equal(typeof err.where, "object");
  });
}

Deno.test("every error class core/errors.ts exports is covered above", () => {
  const exported = Object.entries(errors)
    .filter(([, v]) => typeof v === "function" && v.prototype instanceof OrchError)
    .map(([k]) => k)
    .sort();
  assert.deepEqual(exported, CASES.map(([n]) => n).sort());
});

Deno.test("exit codes are 0 ok, 1 step failed, 2 invalid, 130 interrupted", () => {
  assert.deepEqual(ExitCode, { ok: 0, stepFailed: 1, invalid: 2, interrupted: 130 });
});

Deno.test("a validation error keeps every issue and summarises the first", () => {
  const err = new RecipeValidationError([issue, { ...issue, line: 4, message: "worse" }]);
  assert.equal(err.issues.length, 2);
  assert.equal(err.message, "r.yaml:3:5: steps[0].module: bad (and 1 more)");
  assert.deepEqual(err.where, issue);
  assert.deepEqual(issuesOf(err), err.issues);
});

Deno.test("issuesOf() turns a StepLoadError into one issue and ignores other errors", () => {
  const err = new StepLoadError("cannot load", { step: "s", path: "steps[0].module" });
  assert.deepEqual(issuesOf(err), [{ step: "s", path: "steps[0].module", message: "cannot load" }]);
  const hinted = new StepLoadError("cannot load", { step: "s" }, "move it under steps/");
  assert.equal(issuesOf(hinted)?.[0].message, "cannot load; move it under steps/");
  assert.equal(issuesOf(new UsageError("x")), undefined);
  assert.equal(issuesOf(new Error("x")), undefined);
});

Deno.test("formatIssue() reads file:line:col: path: message and drops missing parts", () => {
  assert.equal(formatIssue(issue), "r.yaml:3:5: steps[0].module: bad");
  assert.equal(formatIssue({ message: "only" }), "only");
});
