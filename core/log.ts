/**
 * @module
 * Human-readable logging on stderr (never stdout), a `getLogger(name)` factory in the spirit of
 * the Python framework's `get_logger`, and `trackResources`, which reports a step's duration.
 */

/** Severity of a log line. */
export type Level = "debug" | "info" | "warn" | "error";

/** A named logger. */
export interface Logger {
  /** Logs `message` at debug level. */
  debug(message: string): void;
  /** Logs `message` at info level. */
  info(message: string): void;
  /** Logs `message` at warn level. */
  warn(message: string): void;
  /** Logs `message` at error level. */
  error(message: string): void;
}

/** Where log lines go; tests inject their own. @default stderr */
export type LineSink = (line: string) => void;

const encoder = new TextEncoder();

/** Writes one line to stderr synchronously, so lines never interleave mid-line. */
export const stderrSink: LineSink = (line) => {
  Deno.stderr.writeSync(encoder.encode(line.endsWith("\n") ? line : line + "\n"));
};

const COLORS: Record<Level, string> = {
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

/** True when colour may be used: stderr is a terminal and NO_COLOR is unset or empty. */
export function useColor(): boolean {
  try {
    const noColor = Deno.env.get("NO_COLOR");
    return !noColor && Deno.stderr.isTerminal();
  } catch {
    return false; // no env permission (e.g. inside a narrowed Worker): stay plain
  }
}

/** Returns a logger whose lines read `[level] name: message`. */
export function getLogger(
  name: string,
  options: { sink?: LineSink; color?: boolean; minLevel?: Level } = {},
): Logger {
  const sink = options.sink ?? stderrSink;
  const color = options.color ?? useColor();
  const order: Level[] = ["debug", "info", "warn", "error"];
  const min = order.indexOf(options.minLevel ?? "info");
  const emit = (level: Level) => (message: string) => {
    if (order.indexOf(level) < min) return;
    const tag = color ? `${COLORS[level]}[${level}]\x1b[0m` : `[${level}]`;
    sink(`${tag} ${name}: ${message}`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/**
 * Wraps a function so each call prints `[resource] duration_sec=<x> peak_rss_mb=<y>` on the sink
 * when it settles (resolved or thrown). Peak RSS comes from /proc/self/status when readable,
 * else the current RSS is shown as `rss_mb`.
 */
export function trackResources<A extends unknown[], R>(
  fn: (...args: A) => Promise<R> | R,
  options: { sink?: LineSink; label?: string } = {},
): (...args: A) => Promise<R> {
  const sink = options.sink ?? stderrSink;
  return async (...args: A): Promise<R> => {
    const start = performance.now();
    try {
      return await fn(...args);
    } finally {
      const secs = ((performance.now() - start) / 1000).toFixed(3);
      const label = options.label ? ` step=${options.label}` : "";
      sink(`[resource]${label} duration_sec=${secs} ${_memory()}`);
    }
  };
}

function _memory(): string {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1]);
    if (kb > 0) return `peak_rss_mb=${(kb / 1024).toFixed(1)}`;
  } catch { /* not Linux, or no read permission: fall back to current RSS */ }
  return `rss_mb=${(Deno.memoryUsage().rss / (1024 * 1024)).toFixed(1)}`;
}
