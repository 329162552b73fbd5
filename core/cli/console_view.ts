/**
 * @module
 * The console sink: renders run events as human lines on stderr. One formatter per event kind,
 * so adding a kind fails to compile until this view handles it.
 */
import type { EventSink, RunEvent } from "../events.ts";
import { type LineSink, stderrSink, useColor } from "../log.ts";

type Formatters = { [K in RunEvent["kind"]]: (e: Extract<RunEvent, { kind: K }>) => string | null };

/** Returns a sink printing one line per event (step output prefixed with the step name). */
export function consoleView(options: { sink?: LineSink; color?: boolean } = {}): EventSink {
  const sink = options.sink ?? stderrSink;
  const color = options.color ?? useColor();
  const paint = (code: string, text: string) => color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const ms = (n: number) => n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`;
  const f: Formatters = {
    "run-start": (e) => `orch: running ${e.file} (${e.testId}, ${e.steps} step(s))`,
    "step-start": (e) => `${paint("36", "▶")} ${e.step}`,
    "step-output": (e) => `[${e.step}] ${e.line}`,
    "step-warning": (e) => `[${e.step}] ${paint("33", "warning:")} ${e.message}`,
    "step-end": (e) => {
      if (e.status === "ok") return `${paint("32", "✓")} ${e.step} (${ms(e.durationMs)})`;
      if (e.status === "skipped") return `- ${e.step} skipped`;
      const reason = e.envelope.status === "error" ? e.envelope.reason : e.status;
      return `${paint("31", "✗")} ${e.step} ${e.status} after ${ms(e.durationMs)}: ${reason}`;
    },
    "run-end": (e) =>
      e.status === "ok"
        ? `orch: ${paint("32", "ok")} in ${ms(e.durationMs)}`
        : `orch: ${paint("31", e.status)} in ${ms(e.durationMs)}`,
  };
  const failures: string[] = [];
  return (event: RunEvent) => {
    const line = (f[event.kind] as (e: RunEvent) => string | null)(event);
    if (event.kind === "step-end" && event.status !== "ok" && event.status !== "skipped") {
      failures.push(line ?? "");
    }
    if (line !== null) sink(line);
    if (event.kind === "run-end" && failures.length > 0) {
      sink(`orch: failed step: ${failures[0].replace(/^\S+ /, "")}`);
    }
  };
}
