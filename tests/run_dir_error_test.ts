import assert from "node:assert/strict";
import { ExitCode, UsageError } from "../core/errors.ts";
import { RunDirError, runDirError } from "../core/run_dir_error.ts";

const osError = (message: string, code?: string) => Object.assign(new Error(message), { code });

Deno.test("runDirError() names the action, the path and the cause in words, with the hint", () => {
  const err = runDirError(
    osError("No space left on device (os error 28)", "ENOSPC"),
    "append to",
    "/s/runs/r1/journal.jsonl",
    "free some space",
  );
  assert.ok(err instanceof RunDirError);
  assert.equal(err.exitCode, ExitCode.invalid);
  assert.equal((err as RunDirError).code, "ENOSPC");
  assert.equal(
    err.message,
    "cannot append to /s/runs/r1/journal.jsonl: no space left on the device " +
      "(No space left on device (os error 28))",
  );
  assert.equal(err.hint, "free some space");
});

Deno.test("runDirError() reads the cause from '(os error N)' when the error has no code", () => {
  const cases: [string, RegExp][] = [
    ["File too large (os error 27)", /file size limit \(ulimit -f\)/],
    ["Read-only file system (os error 30): mkdir '/x'", /: the file system is read-only \(/],
    ["Disk quota exceeded (os error 122)", /: the disk quota is exceeded \(/],
    ["something else", /^cannot write to \/x: something else$/],
  ];
  for (const [message, want] of cases) {
    assert.match(runDirError(osError(message), "write to", "/x", "h").message, want);
  }
});

Deno.test("runDirError() passes an orch error (a held lock) through unchanged", () => {
  const locked = new UsageError("run directory /x is locked by process 1");
  assert.equal(runDirError(locked, "write to", "/x", "h"), locked);
});
