/**
 * @module
 * orch's command-line entry point: a thin shell over the library. Parses nothing heavy up
 * front (help and version never load zod or yaml), turns results and errors into exactly one
 * JSON line on stdout and an exit code. The only place that exits the process.
 */
import { HELP, VERSION } from "./core/cli/help.ts";

const args = Deno.args;
const print = (text: string) => console.log(text);

if (args[0] === "--version" || args[0] === "-V" || args[0] === "version") {
  print(`orch ${VERSION}`);
  Deno.exit(0);
}
if (args.length === 0 || args[0] === "--help" || args[0] === "-h" || args[0] === "help") {
  print(HELP[args[0] === "help" && args[1] ? args[1] : ""] ?? HELP[""]);
  Deno.exit(0);
}
if (args.includes("--help") || args.includes("-h")) {
  if (HELP[args[0]]) {
    print(HELP[args[0]]);
    Deno.exit(0);
  }
}

const { runCli, errorResult } = await import("./core/cli/commands.ts");
let outcome: { json: unknown; exitCode: number };
try {
  outcome = await runCli(args);
} catch (err) {
  outcome = errorResult(err);
}
print(JSON.stringify(outcome.json));
Deno.exit(outcome.exitCode);
