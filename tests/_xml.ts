/**
 * @module
 * Test helpers for JUnit files: validation with xmllint against the Jenkins xUnit junit-10.xsd in
 * ../shared/schemas/ and XPath queries (a real XML parser, so checks see what CI tools see).
 */
import assert from "node:assert/strict";

/** The shared schemas sit beside the repository (as in CI, where shared/ is next to the clone). */
export const XSD = new URL("../../shared/schemas/junit/jenkins-xunit-junit-10.xsd", import.meta.url)
  .pathname;

/** Runs xmllint; a missing xmllint is an error saying what to install. */
export async function xmllint(args: string[]) {
  let out;
  try {
    out = await new Deno.Command("xmllint", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    throw new Error(
      `cannot run xmllint (${(err as Error).message}); install Debian's libxml2-utils`,
    );
  }
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Asserts `file` is valid against junit-10.xsd. */
export async function assertValidJunit(file: string): Promise<void> {
  try {
    await Deno.stat(XSD);
  } catch {
    throw new Error(`${XSD} is missing: the tests need ../shared/schemas/ beside the repository`);
  }
  const r = await xmllint(["--noout", "--schema", XSD, file]);
  assert.equal(r.code, 0, `${file} is not valid against junit-10.xsd:\n${r.stderr}`);
}

/** The string value of an XPath expression over `file`. */
export async function xpath(file: string, expr: string): Promise<string> {
  const r = await xmllint(["--xpath", `string(${expr})`, file]);
  return r.code === 0 ? r.stdout.replace(/\n$/, "") : ""; // xmllint ends its answer with \n
}
