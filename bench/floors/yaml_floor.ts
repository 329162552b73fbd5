/**
 * @module
 * Floor for parsing a recipe: js-yaml's `load` (the parser orch's fast reader uses, see
 * core/yaml_fast.ts) on the file alone, no checks, validation or planning.
 * Usage: `deno run -P=orch bench/floors/yaml_floor.ts FILE`. Prints `{"parse_ms": ...}`.
 */
import { CORE_SCHEMA, load } from "js-yaml";

const text = await Deno.readTextFile(Deno.args[0]);
const start = performance.now();
load(text, { schema: CORE_SCHEMA });
console.log(JSON.stringify({ parse_ms: performance.now() - start }));
