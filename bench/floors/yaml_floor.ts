/**
 * @module
 * Floor for parsing a recipe: the yaml library alone (`parseDocument`, as orch calls it, with a
 * line counter for error positions) on the file, no validation or planning.
 * Usage: `deno run -P=orch bench/floors/yaml_floor.ts FILE`. Prints `{"parse_ms": ...}`.
 */
import { LineCounter, parseDocument } from "yaml";

const text = await Deno.readTextFile(Deno.args[0]);
const start = performance.now();
const doc = parseDocument(text, { lineCounter: new LineCounter(), schema: "core", strict: true });
doc.toJS();
console.log(JSON.stringify({ parse_ms: performance.now() - start }));
