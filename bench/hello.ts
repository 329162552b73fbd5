/**
 * @module
 * The bench's baseline for `orch --version` and `orch --help`: a Deno script that only prints.
 */
console.log("hello");
