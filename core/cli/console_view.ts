/**
 * @module
 * The console view: renders run events for humans on stderr. It owns how the output of
 * concurrent steps is kept from interleaving (`prefixed` or `grouped`), the live progress line
 * on a terminal, and the failure summary that closes a failed run. It reads no environment: the
 * CLI says whether stderr is a terminal, whether to use colour and whether it runs in GitHub
 * Actions. It decides nothing about the run.
 */
import { formatMs } from "../duration.ts";
import type { RunEvent } from "../events.ts";
import type { LineSink } from "../log.ts";

/** How the output of concurrent steps is kept apart. */
export type OutputMode = "prefixed" | "grouped";

/** Every output mode, for validating `--output`. */
export const OUTPUT_MODES: readonly OutputMode[] = ["prefixed", "grouped"];

/** Options of {@linkcode consoleView}. */
export interface ConsoleViewOptions {
  /** Receives raw text: lines end in "\n"; on a terminal, "\r" redraws the progress line. */
  write?: (text: string) => void;
  /** Paint with ANSI colours. @default false */
  color?: boolean;
  /** `prefixed`: each output line tagged `[step] `; `grouped`: a step's output printed together
   * when it ends. @default "prefixed" */
  output?: OutputMode;
  /** stderr is a terminal: keep a live progress line below the log lines. @default false */
  tty?: boolean;
  /** Wrap grouped output in `::group::`/`::endgroup::` (GitHub Actions). @default false */
  githubActions?: boolean;
  /** Terminal width; the progress line is cut to fit (0: unknown, not cut). @default Infinity */
  columns?: number;
  /** The clock, in ms. @default performance.now */
  now?: () => number;
  /** How often the progress line redraws its elapsed time (0: only on events). @default 1000 */
  tickMs?: number;
}

const encoder = new TextEncoder();

/** The defaults of {@linkcode ConsoleViewOptions}. */
export const CONSOLE_VIEW_DEFAULTS = {
  write: (text: string) => {
    const bytes = encoder.encode(text);
    for (let n = 0; n < bytes.length;) n += Deno.stderr.writeSync(bytes.subarray(n));
  },
  color: false,
  output: "prefixed",
  tty: false,
  githubActions: false,
  columns: Infinity,
  now: () => performance.now(),
  tickMs: 1000,
} satisfies Required<ConsoleViewOptions>;

/** An event sink that can also print a line of its own (kept above the progress line). */
export interface ConsoleView {
  /** Renders one event. */
  (event: RunEvent): void;
  /** Prints a line that is not an event (e.g. a warning), without breaking the progress line. */
  print: LineSink;
}

type Paint = (code: string, text: string) => string;
type StepEnd = Extract<RunEvent, { kind: "step-end" }>;
type Formatters = { [K in RunEvent["kind"]]: (e: Extract<RunEvent, { kind: K }>) => string };

const RED = "31", GREEN = "32", YELLOW = "33", CYAN = "36";

/** Returns a sink rendering run events as human lines (see {@linkcode ConsoleViewOptions}). */
export function consoleView(options: ConsoleViewOptions = {}): ConsoleView {
  const o = { ...CONSOLE_VIEW_DEFAULTS, ...options };
  const paint: Paint = (code, text) => o.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const format = _formatters(paint);
  const screen = o.tty ? _ttyScreen(o.write, o.color) : _plainScreen(o.write);
  const progress = _progress(o.now);
  const buffered = new Map<string, string[]>();
  const ends: StepEnd[] = [];
  let live = false; // the progress line is shown: a terminal, between run-start and run-end
  let ticker: Timer | undefined;
  const status = () => live ? _cut(progress.line(), o.columns) : null;

  const flush = (step: string): string[] => {
    const lines = buffered.get(step) ?? [];
    buffered.delete(step);
    if (lines.length === 0) return [];
    if (o.githubActions) return [`::group::${step}`, ...lines, "::endgroup::"];
    return lines.map((line) => `[${step}] ${line}`);
  };
  const linesFor = (e: RunEvent): string[] => {
    if (e.kind === "step-output" && o.output === "grouped") {
      buffered.set(e.step, [...(buffered.get(e.step) ?? []), e.line]);
      return [];
    }
    if (e.kind === "step-end") ends.push(e);
    const before = e.kind === "step-end"
      ? flush(e.step)
      : e.kind === "run-end"
      ? [...buffered.keys()].flatMap(flush)
      : [];
    const after = e.kind === "run-end" && e.status !== "ok" ? _summary(ends, paint) : [];
    return [...before, (format[e.kind] as (e: RunEvent) => string)(e), ...after];
  };

  const view = (event: RunEvent) => {
    progress.update(event);
    if (event.kind === "run-start" && o.tty) {
      live = true;
      ticker = _tick(o.tickMs, () => screen(status(), []));
    }
    if (event.kind === "run-end") {
      live = false;
      clearInterval(ticker);
    }
    screen(status(), linesFor(event));
  };
  return Object.assign(view, { print: (line: string) => screen(status(), [line]) });
}

/** The one-line rendering of each event kind. */
function _formatters(paint: Paint): Formatters {
  return {
    "run-start": (e) => {
      const at = e.concurrency > 1 ? `, up to ${e.concurrency} at once` : "";
      return `orch: running ${e.file} (${e.testId}, ${e.steps} step(s)${at})`;
    },
    "step-start": (e) =>
      `${paint(CYAN, "▶")} ${e.step}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`,
    "step-output": (e) => `[${e.step}] ${e.line}`,
    "step-warning": (e) => `[${e.step}] ${paint(YELLOW, "warning:")} ${e.message}`,
    "cache-hit": (e) => `${e.step}: cache hit ${e.hash.slice(0, 12)}`,
    "cache-miss": (e) => `${e.step}: cache miss: ${e.reasons.join("; ")}`,
    "step-retry": (e) =>
      `${paint(YELLOW, "↻")} ${e.step} attempt ${e.attempt} failed: ${e.reason}; retrying in ` +
      formatMs(e.delayMs),
    "step-end": (e) => _stepEnd(e, paint),
    "run-end": (e) => {
      const counts = Object.entries(e.counts).filter(([, n]) => n > 0)
        .map(([status, n]) => `${n} ${status}`).join(", ");
      const word = paint(e.status === "ok" ? GREEN : RED, e.status);
      return `orch: ${word} in ${formatMs(e.durationMs)}${counts ? ` (${counts})` : ""}`;
    },
  };
}

function _stepEnd(e: StepEnd, paint: Paint): string {
  const took = formatMs(e.durationMs);
  const reason = e.envelope.status === "error" ? `: ${e.envelope.reason}` : "";
  const tries = e.attempts.length > 1 ? `, ${e.attempts.length} attempts` : "";
  switch (e.status) {
    case "ok":
      return `${paint(GREEN, "✓")} ${e.step} (${took}${tries})`;
    case "cached":
      return `${paint(GREEN, "✓")} ${e.step} cached (replayed its stored result)`;
    case "skipped":
      return `- ${e.step} skipped${reason}`;
    case "cancelled":
      return `- ${e.step} cancelled after ${took}`;
    case "failed":
      return `${paint(RED, "✗")} ${e.step} failed after ${took}${tries}${reason}`;
    case "timeout":
      return `${paint(RED, "✗")} ${e.step} timed out after ${took}${tries}${reason}`;
  }
}

/**
 * The lines that close a failed run: the first failure (the root cause), any later ones, then a
 * short list of the steps that did not run because of them.
 */
function _summary(ends: StepEnd[], paint: Paint): string[] {
  const failures = ends.filter((e) => e.status === "failed" || e.status === "timeout");
  const lines = failures.map((e, i) => {
    const what = e.status === "timeout" ? "timed out" : "failed";
    const reason = e.envelope.status === "error" ? `: ${e.envelope.reason}` : "";
    const label = i === 0 ? paint(RED, "root cause:") : "also failed:";
    return `orch: ${label} step "${e.step}" ${what}${reason}`;
  });
  const notRun = (["cancelled", "skipped"] as const).flatMap((status) => {
    const names = ends.filter((e) => e.status === status).map((e) => e.step);
    return names.length === 0 ? [] : [`${status} ${_names(names)}`];
  });
  if (notRun.length > 0) lines.push(`orch: ${notRun.join("; ")}`);
  return lines;
}

/** Which steps are running and how many are done, for the progress line. */
function _progress(now: () => number) {
  const running = new Map<string, string>();
  let total = 0, done = 0, start = now();
  return {
    update(e: RunEvent) {
      if (e.kind === "run-start") [total, done, start] = [e.steps, 0, now()];
      if (e.kind === "step-start") running.set(e.step, e.step);
      if (e.kind === "step-retry") running.set(e.step, `${e.step} ↻`);
      if (e.kind === "step-end") {
        running.delete(e.step);
        done++;
      }
    },
    line(): string {
      const what = running.size > 0 ? `running ${[...running.values()].join(", ")}` : "waiting";
      return `[${done}/${total}] ${_elapsed(now() - start)} · ${what}`;
    },
  };
}

/** Draws lines and the progress line (null: none) with one write. */
type Screen = (status: string | null, lines: string[]) => void;

function _plainScreen(write: (text: string) => void): Screen {
  return (_status, lines) => {
    if (lines.length > 0) write(lines.map((l) => l + "\n").join(""));
  };
}

/** Log lines go above the progress line: clear it, print them, draw it again. */
function _ttyScreen(write: (text: string) => void, color: boolean): Screen {
  let shown = "";
  return (status, lines) => {
    const next = status ?? "";
    if (lines.length === 0 && next === shown) return;
    // without colour, blank the line with spaces so no escape code reaches a NO_COLOR terminal
    const clear = shown === "" ? "" : color ? "\r\x1b[2K" : `\r${" ".repeat([...shown].length)}\r`;
    write(clear + lines.map((l) => l + "\n").join("") + next);
    shown = next;
  };
}

type Timer = ReturnType<typeof setInterval>;

function _tick(ms: number, redraw: () => void): Timer | undefined {
  if (ms <= 0) return undefined; // redrawn only on events
  const id = setInterval(redraw, ms);
  Deno.unrefTimer(Number(id)); // never keeps the process alive
  return id;
}

function _cut(line: string, columns: number): string {
  const chars = [...line];
  // a pseudo-terminal without a size reports 0 columns: do not cut then
  return columns <= 0 || chars.length < columns
    ? line
    : chars.slice(0, Math.max(columns - 2, 0)).join("") + "…";
}

function _names(names: string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

function _elapsed(n: number): string {
  const s = Math.floor(n / 1000);
  if (s < 60) return `${(n / 1000).toFixed(1)} s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
