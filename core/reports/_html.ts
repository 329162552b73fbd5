/**
 * @module
 * Small helpers shared by the HTML report's parts: escaping (the `entities` library), duration
 * and time formatting, and status badges. Private to `core/reports/html*.ts`.
 */
import { escapeUTF8 } from "entities/escape";

/** Escapes text for HTML text and double- or single-quoted attribute values (`& < > " '`). */
export function h(value: unknown): string {
  return escapeUTF8(String(value));
}

/** A duration for humans: `0 ms`, `<1 ms`, `340 ms`, `1.25 s`, `2m 03s`, `1h 05m`. */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0 ms";
  if (ms < 1) return "<1 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** An ISO timestamp as `2026-11-29 06:23:45 UTC` (no locale, so output is deterministic). */
export function fmtTime(iso: string | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Milliseconds since the epoch of an ISO time, or undefined. */
export function ms(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/** A status badge; the CSS class `s-<status>` picks its colour; `label` defaults to the status. */
export function badge(status: string, label = status.replace("-", " ")): string {
  return `<span class="badge s-${h(status)}">${h(label)}</span>`;
}

/** A step's time from its start to its end (retries and waits included); else its duration. */
export function wallMs(s: { startedAt?: string; endedAt?: string; durationMs: number }): number {
  const start = ms(s.startedAt), end = ms(s.endedAt);
  return start !== undefined && end !== undefined ? Math.max(0, end - start) : s.durationMs;
}
