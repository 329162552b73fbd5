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
const isHelp = (a: string) => a === "--help" || a === "-h";
if (args.length === 0 || isHelp(args[0]) || (args[0] === "help" && args.length === 1)) {
  print(HELP[""]);
  Deno.exit(0);
}
// `orch help CMD` and `orch CMD ... --help`; an unknown CMD falls through to its usage error
const topic = args[0] === "help" ? args[1] : args[0];
if ((args[0] === "help" || args.some(isHelp)) && Object.hasOwn(HELP, topic)) {
  print(HELP[topic]);
  Deno.exit(0);
}
const cliArgs = args[0] === "help" ? [topic] : args;

const { runCli, errorResult } = await import("./core/cli/commands.ts");
let outcome: { json: unknown; exitCode: number };
try {
  outcome = await runCli(cliArgs);
} catch (err) {
  outcome = errorResult(err);
}
print(JSON.stringify(outcome.json));
Deno.exit(outcome.exitCode);
