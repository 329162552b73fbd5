/**
 * Symlinks leading a TS step out of its grant (core/grant_links.ts): found in the granted
 * directories on real files, refused at validation for TS steps, ignored for shell steps.
 */
import assert from "node:assert/strict";
import { grantLinkChecker } from "../core/grant_links.ts";
import { orch, tempTree } from "./_helpers.ts";

const grant = (read: string[] | boolean, write: string[] | boolean = false) => ({ read, write });

/** A cwd-like dir with `data/`, and a sibling `outside/secret.txt`. */
async function dirs(): Promise<{ work: string; outside: string }> {
  const root = await Deno.realPath(
    await tempTree({ "work/data/kept.txt": "kept", "outside/secret.txt": "secret" }),
  );
  return { work: `${root}/work`, outside: `${root}/outside` };
}

Deno.test("a link in a read-granted directory to a file outside the grant is refused", async () => {
  const { work, outside } = await dirs();
  await Deno.symlink(`${outside}/secret.txt`, `${work}/data/link`);
  const [p, ...more] = await grantLinkChecker()(grant([work]));
  assert.equal(more.length, 0);
  assert.equal(p.kind, "read");
  assert.equal(
    p.message,
    `is granted read access to "${work}", which holds the symlink "${work}/data/link" pointing ` +
      `to ${outside}/secret.txt, outside every path the step may read; Deno follows links, so ` +
      `the step could read ${outside}/secret.txt`,
  );
  assert.match(p.hint, /remove the link, or grant its target explicitly/);
});

Deno.test("links whose target is granted, inside or explicitly, pass", async () => {
  const { work, outside } = await dirs();
  await Deno.symlink(`${work}/data/kept.txt`, `${work}/inside_link`);
  await Deno.symlink("data", `${work}/relative_dir_link`);
  assert.deepEqual(await grantLinkChecker()(grant([work])), []);
  await Deno.symlink(`${outside}/secret.txt`, `${work}/data/link`);
  assert.deepEqual(await grantLinkChecker()(grant([work, `${outside}/secret.txt`])), []);
  assert.deepEqual(await grantLinkChecker()(grant(true)), [], "read: true has nothing to leave");
  assert.equal((await grantLinkChecker()(grant([`${work}/data`]))).length, 1);
});

Deno.test("links to directories and dangling links are judged by where they lead", async () => {
  const { work, outside } = await dirs();
  await Deno.symlink(outside, `${work}/dir_link`);
  const [dir, ...more] = await grantLinkChecker()(grant([work]));
  assert.equal(more.length, 0, "one problem per granted directory");
  assert.match(dir.message, new RegExp(`dir_link" pointing to ${outside}, outside`));
  await Deno.symlink(`${outside}/not_yet.txt`, `${work}/dangling`);
  await Deno.remove(`${work}/dir_link`);
  const [dangling] = await grantLinkChecker()(grant([work]));
  assert.match(dangling.message, new RegExp(`dangling" pointing to ${outside}/not_yet.txt, out`));
  await Deno.symlink(outside, `${work}/dir_link`);
  const [both] = await grantLinkChecker()(grant([work]));
  assert.match(both.message, /\(and 1 more such links\), outside every path/);
});

Deno.test("a link in a write-granted directory must lead inside the write grant", async () => {
  const { work, outside } = await dirs();
  await Deno.symlink(`${outside}/secret.txt`, `${work}/data/link`);
  const [p, ...more] = await grantLinkChecker()(grant([outside], [`${work}/data`]));
  assert.equal(more.length, 0);
  assert.equal(p.kind, "write");
  assert.match(p.message, /outside every path the step may write; .* could write /);
});

Deno.test("links under .git, node_modules and .orch are not checked (documented bound)", async () => {
  const { work, outside } = await dirs();
  for (const skipped of [".git", "node_modules/pkg", ".orch/runs/r1"]) {
    await Deno.mkdir(`${work}/${skipped}`, { recursive: true });
    await Deno.symlink(`${outside}/secret.txt`, `${work}/${skipped}/link`);
  }
  assert.deepEqual(await grantLinkChecker()(grant([work])), []);
});

Deno.test("a granted directory with more entries than the bound is refused as too big", async () => {
  const { work } = await dirs();
  for (let i = 0; i < 12; i++) await Deno.writeTextFile(`${work}/f${i}`, "");
  const [p] = await grantLinkChecker(10)(grant([work]));
  assert.match(p.message, /holds more than 10 entries: too many to check for symlinks/);
  assert.match(p.hint, /grant narrower directories/);
});

const RECIPE = "test_meta: {test_id: T, tester: t, description: d}\nsteps:\n";

Deno.test("orch run refuses a TS step whose default grant holds a link out (exit 2)", async () => {
  const { work, outside } = await dirs();
  await Deno.symlink(`${outside}/secret.txt`, `${work}/data/link`);
  await Deno.writeTextFile(
    `${work}/r.yaml`,
    RECIPE + "  - {idx: 1, name: mean, type: deno, module: steps/compute_mean.ts, " +
      "function: ComputeMean, args: {}}\n" +
      "  - {idx: 2, name: sh, type: shell, script: /bin/true, permissions: {run: [/bin/true]}}\n",
  );
  const r = await orch(["run", "r.yaml"], { cwd: work });
  assert.equal(r.code, 2, r.stderr);
  const errors = r.json.errors as { step: string; path: string; line: number; message: string }[];
  assert.deepEqual(errors.map((e) => [e.step, e.path, e.line]), [["mean", "steps[0]", 3]]);
  assert.match(errors[0].message, /^step "mean" is granted read access to .*data\/link" pointing/);
  assert.match(errors[0].message, /; remove the link, or grant its target explicitly/);
});

Deno.test("orch step refuses a module run with a default grant holding a link out", async () => {
  const { work, outside } = await dirs();
  await Deno.symlink(`${outside}/secret.txt`, `${work}/data/link`);
  const r = await orch(
    ["step", "steps/compute_mean.ts", "--params", "{}"],
    { cwd: work },
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /is granted read access to .* holds the symlink .*data\/link/);
  assert.match(r.stderr, /remove the link/);
});
