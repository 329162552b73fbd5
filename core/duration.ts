/**
 * @module
 * Durations in recipes: a number of seconds (`30`, `0.5`) or a string with a unit (`"500ms"`,
 * `"30s"`, `"2m"`, `"1h"`). Parses them to milliseconds, and formats milliseconds for people.
 */
import { z } from "zod";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)$/;

/** Milliseconds of a duration given as seconds or as a string with a unit; NaN if malformed. */
export function durationMs(value: number | string): number {
  if (typeof value === "number") return value * 1000;
  const m = DURATION_RE.exec(value.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
}

/** zod schema of a positive duration (seconds, or a string such as "500ms", "2m"). */
export const Duration = z.union([
  z.number().positive(),
  z.string().regex(DURATION_RE, {
    error: 'expected seconds (a number) or a duration such as "500ms", "30s", "2m", "1h"',
    abort: true, // a malformed string is not also "not longer than 0"
  }).refine((s) => durationMs(s) > 0, { error: "a duration must be longer than 0" }),
], { error: 'expected seconds (a number) or a duration such as "500ms", "30s", "2m", "1h"' });

/** Milliseconds for people: `"850 ms"` below a second, else seconds with two decimals (`"1.50 s"`). */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
