/**
 * @module
 * One live Python bridge process (bridge.py): starts it, sends it one request at a time over its
 * JSON-lines protocol, forwards what the scriptlet prints, and stops it with its whole process
 * group. Does not judge results; the python executor does.
 */
import type { ContextWrite, JsonValue } from "../context.ts";
import type { StepLog } from "../executors/executor.ts";

/** One request: run `function` of `module` with `params` over `snapshot`. */
export interface BridgeRequest {
  /** The step's name, the default `who` of its writes. */
  step: string;
  /** Dotted module path. */
  module: string;
  /** The scriptlet class. */
  function: string;
  /** The step's args. */
  params: unknown;
  /** The context the scriptlet starts from. */
  snapshot: Record<string, JsonValue>;
  /** Extra sys.path entries, after the working directory. */
  python_path: string[];
}

/** What the bridge reported when the scriptlet finished. */
export interface BridgeDone {
  /** The return code of `run` (None counts as 0); null when it did not return one. */
  rc: number | null;
  /** The scriptlet's ctx.set calls, in order. */
  writes: ContextWrite[];
  /** Why the first refused ctx.set was refused, or null. */
  refused: string | null;
  /** Why the scriptlet could not run or finish, or null. */
  error: { kind: string; message: string } | null;
}

/** How a request ended. */
export type BridgeReply =
  | { kind: "done"; done: BridgeDone }
  | { kind: "aborted" }
  | { kind: "died"; reason: string };

type Message =
  | { t: "ready"; pid: number; python: string }
  | { t: "out"; s: "stdout" | "stderr"; l: string }
  | ({ t: "done"; id: number } & BridgeDone);

/** How long a bridge has to exit after SIGTERM before its process group gets SIGKILL. */
const KILL_GRACE_MS = 1_000;
/** Lines of the bridge's own stderr kept to explain a crash. */
const TAIL_LINES = 5;

/** A running bridge process. */
export class BridgeProcess {
  /** The bridge's pid, also its process group id. */
  readonly pid: number;
  /** Where the scriptlet's lines go: the current attempt's log. */
  log: StepLog;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #listener: ((m: Message) => void) | undefined;
  #onExit: (() => void) | undefined;
  #exited = false;
  #exit: Promise<void>;
  #status: Deno.CommandStatus | undefined;
  #tail: string[] = [];
  #nextId = 1;

  /**
   * Starts a bridge in `cwd` and waits until it is ready. Returns the bridge, or a reason it
   * could not start, or "aborted".
   */
  static async start(
    options: { python: string; source: string; cwd: string },
    log: StepLog,
    signal: AbortSignal,
  ): Promise<BridgeProcess | string> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(options.python, {
        args: ["-B", "-c", options.source, options.cwd],
        cwd: options.cwd,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        return `${options.python} not found on PATH; install Python 3 or put its directory on ` +
          `the PATH orch runs with`;
      }
      return `could not start ${options.python}: ${(err as Error).message}`;
    }
    const bridge = new BridgeProcess(child, log);
    const first = await bridge.#wait(signal, (m) => m.t === "ready");
    if (first === "aborted") {
      await bridge.stop();
      return "aborted";
    }
    if (first === "exited") return `the Python bridge exited while starting: ${bridge.#death()}`;
    return bridge;
  }

  private constructor(child: Deno.ChildProcess, log: StepLog) {
    this.#child = child;
    this.pid = child.pid;
    this.log = log;
    this.#stdin = child.stdin.getWriter();
    this.#stdin.closed.catch(() => {}); // a dead bridge's stdin rejects; #wait reports the death
    this.#exit = this.#readMessages();
    this.#readStderr();
  }

  /** False once the process has exited. */
  get alive(): boolean {
    return !this.#exited;
  }

  /** Runs one request; aborting `signal` returns "aborted" (the caller then stops the bridge). */
  async request(request: BridgeRequest, signal: AbortSignal): Promise<BridgeReply> {
    const id = this.#nextId++;
    const line = JSON.stringify({ id, ...request }) + "\n";
    const reply = this.#wait(signal, (m) => m.t === "done" && m.id === id);
    this.#stdin.write(new TextEncoder().encode(line)).catch(() => {});
    const m = await reply;
    if (m === "aborted") return { kind: "aborted" };
    if (m === "exited") return { kind: "died", reason: this.#death() };
    const { rc, writes, refused, error } = m as Message & { t: "done" };
    return { kind: "done", done: { rc, writes, refused, error } };
  }

  /** Stops the bridge: SIGTERM to its process group, SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.#signal("SIGTERM");
    const timer = setTimeout(() => this.#signal("SIGKILL"), KILL_GRACE_MS);
    await this.#exit;
    clearTimeout(timer);
  }

  /** Kills the bridge's process group now (for the end of a run, when the bridge is idle). */
  kill(): void {
    if (!this.#exited) this.#signal("SIGKILL");
  }

  #signal(signal: Deno.Signal): void {
    try {
      Deno.kill(-this.pid, signal);
    } catch {
      try {
        this.#child.kill(signal); // not yet its own group leader
      } catch { /* already gone */ }
    }
  }

  /** The next message `want` accepts, or "exited"/"aborted"; forwards output meanwhile. */
  #wait(signal: AbortSignal, want: (m: Message) => boolean) {
    return new Promise<Message | "exited" | "aborted">((resolve) => {
      const finish = (value: Message | "exited" | "aborted") => {
        this.#listener = undefined;
        this.#onExit = undefined;
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      };
      const onAbort = () => finish("aborted");
      if (signal.aborted) return finish("aborted");
      if (this.#exited) return finish("exited");
      signal.addEventListener("abort", onAbort, { once: true });
      this.#listener = (m) => want(m) && finish(m);
      this.#onExit = () => finish("exited");
    });
  }

  async #readMessages(): Promise<void> {
    try {
      for await (const line of _lines(this.#child.stdout)) {
        let m: Message;
        try {
          m = JSON.parse(line);
        } catch {
          this.log("stderr", `[orch python bridge] unreadable message: ${line.slice(0, 200)}`);
          continue;
        }
        if (m.t === "out") this.log(m.s, m.l);
        else this.#listener?.(m);
      }
    } catch { /* the pipe broke: the process is gone */ }
    this.#status = await this.#child.status;
    this.#exited = true;
    // Whatever the scriptlets started in the bridge's group goes with it.
    try {
      Deno.kill(-this.pid, "SIGKILL");
    } catch { /* no process left in the group */ }
    this.#onExit?.();
  }

  async #readStderr(): Promise<void> {
    try {
      for await (const line of _lines(this.#child.stderr)) {
        this.#tail.push(line);
        if (this.#tail.length > TAIL_LINES) this.#tail.shift();
        this.log("stderr", line);
      }
    } catch { /* the pipe broke */ }
  }

  /** How the process ended, with the last lines of its own stderr. */
  #death(): string {
    const s = this.#status;
    const how = !s
      ? "it stopped answering"
      : s.signal
      ? `it was killed by ${s.signal}`
      : `it exited with code ${s.code}`;
    const tail = this.#tail.join(" | ").slice(-300);
    return tail ? `${how}; its last stderr: ${tail}` : how;
  }
}

/** The lines of a byte stream (UTF-8), without their newlines. */
async function* _lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}
