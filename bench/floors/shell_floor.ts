/**
 * @module
 * Floor for the shell workloads: what orch's shell steps do at the least, with no orchestrator.
 * Spawns `/bin/sh -c <command>` N times, at most C at once (C = 1: one after another, like a
 * chain), captures each stdout and parses it as the JSON envelope. With a 4th argument `setsid`,
 * each command starts through setsid(1) as orch's shell steps do (their own process group, so a
 * timeout or the run's end can stop every process a step started).
 * Usage: `deno run -P=orch bench/floors/shell_floor.ts N C COMMAND [setsid]`. Prints
 * `{"run_ms": ...}`.
 */
const [n, concurrency, command] = [Number(Deno.args[0]), Number(Deno.args[1]), Deno.args[2]];
const setsid = Deno.args[3] === "setsid";
const decoder = new TextDecoder();

async function one(): Promise<void> {
  const argv = ["/bin/sh", "-c", command];
  const out = await new Deno.Command(setsid ? "/usr/bin/setsid" : argv[0], {
    args: setsid ? argv : argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const envelope = JSON.parse(decoder.decode(out.stdout).trim());
  if (!out.success || envelope.status !== "ok") throw new Error("a step failed");
}

const start = performance.now();
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < n) {
    next++;
    await one();
  }
}));
console.log(JSON.stringify({ run_ms: performance.now() - start }));
