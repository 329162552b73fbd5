/**
 * @module
 * Floor for python steps through a persistent process: a plain Python loop that reads one JSON
 * request line and answers with two lines (the envelope output and "done"), as orch's bridge
 * does, driven from Deno one request at a time. No scriptlet, no orchestrator.
 * Usage: `deno run -P=orch bench/floors/python_floor.ts N`. Prints `{"run_ms": ..., "steps": N}`.
 */
const n = Number(Deno.args[0]);
const script = `import sys, json
for line in sys.stdin:
    request = json.loads(line)
    print(json.dumps({"t": "out", "l": '{"status": "ok", "outputs": []}'}), flush=True)
    print(json.dumps({"t": "done", "id": request["id"]}), flush=True)
`;
const child = new Deno.Command("python3", {
  args: ["-u", "-c", script],
  stdin: "piped",
  stdout: "piped",
}).spawn();
const writer = child.stdin.getWriter();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
const encoder = new TextEncoder();
let buffer = "";
async function line(): Promise<string> {
  for (;;) {
    const nl = buffer.indexOf("\n");
    if (nl >= 0) {
      const out = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      return out;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error("python exited");
    buffer += value;
  }
}
const ask = async (id: number) => {
  await writer.write(
    encoder.encode(JSON.stringify({ id, module: "noop_step", snapshot: {} }) + "\n"),
  );
  JSON.parse(await line());
  JSON.parse(await line());
};
await ask(-1); // started and answering
const start = performance.now();
for (let i = 0; i < n; i++) await ask(i);
const runMs = performance.now() - start;
await writer.close();
await child.status;
console.log(JSON.stringify({ run_ms: runMs, steps: n }));
