import assert from "node:assert/strict";
import { isInside, realFileSync, shownFrom } from "../core/paths.ts";
import { tempTree } from "./_helpers.ts";

Deno.test("isInside: a directory holds itself and what lies below it, not its namesakes", () => {
  assert.equal(isInside("/a", "/a"), true);
  assert.equal(isInside("/a/b/c", "/a"), true);
  assert.equal(isInside("/a/..x", "/a"), true, "a name starting with two dots is still inside");
  assert.equal(isInside("/ab", "/a"), false);
  assert.equal(isInside("/a/../b", "/a"), false);
  assert.equal(isInside("/", "/a"), false);
});

Deno.test("shownFrom: relative below the directory, as given elsewhere", () => {
  assert.equal(shownFrom("/base/steps/x.ts", "/base"), "steps/x.ts");
  assert.equal(shownFrom("/base/..x/y.ts", "/base"), "..x/y.ts");
  assert.equal(shownFrom("/other/y.ts", "/base"), "/other/y.ts");
  assert.equal(shownFrom("/base", "/base"), "/base");
});

Deno.test("realFileSync: the real path of a file, undefined for a directory or nothing", async () => {
  const dir = await tempTree({ "f.txt": "x" });
  await Deno.symlink(`${dir}/f.txt`, `${dir}/link.txt`);
  const real = Deno.realPathSync(`${dir}/f.txt`);
  assert.equal(realFileSync(`${dir}/link.txt`), real);
  assert.equal(realFileSync(dir), undefined);
  assert.equal(realFileSync(`${dir}/missing`), undefined);
});
