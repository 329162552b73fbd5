/**
 * @module
 * The HTML report's timeline: one row per step, a bar from the step's start to its end placed
 * on one time axis from the run's start, coloured by status, so steps that ran in parallel
 * overlap and the slowest step stands out. Retried steps show their attempts as segments.
 * Steps that never started get a marker instead of a bar. Pure: report in, HTML out.
 */
import { badge, fmtDuration, h, ms } from "./_html.ts";
import type { ReportStep, RunReport } from "./model.ts";

/** The time axis: where the run starts and how long it spans (ms). */
interface Scale {
  t0: number;
  span: number;
}

/** A step's bar interval on the axis, in ms since t0. */
interface Interval {
  start: number;
  end: number;
}

/** The timeline section. `slowest` is the name of the longest-running step, if any. */
export function renderTimeline(report: RunReport, slowest: string | undefined): string {
  const scale = _scale(report);
  const rows = report.steps.map((s, i) => _row(s, i, scale, s.name === slowest)).join("\n");
  const peak = peakConcurrency(report);
  return `<section class="card" id="timeline">
<div class="card-head"><h2>Timeline</h2><span class="muted" title="bars span each step's start to its end, retries and waits included">${
    h(fmtDuration(scale.span))
  } from the run's start${peak > 1 ? ` · up to <b>${peak}</b> steps at once` : ""}</span></div>
<div class="tl" style="--grid:${((_tickStep(scale.span) / scale.span) * 100).toFixed(3)}%">
<div class="tl-row tl-axis"><div class="tl-label"></div><div class="tl-track">${
    _ticks(scale.span)
  }</div></div>
${rows}
</div>
${_legend(report)}
</section>`;
}

/** Swatches for the statuses on the page, and for the wait between attempts if any. */
function _legend(report: RunReport): string {
  const order = ["ok", "cached", "failed", "timeout", "cancelled", "running"];
  const present = new Set(
    report.steps.flatMap((s) => [s.status, ...s.attempts.map((a) => a.status)]),
  );
  const items = order.filter((s) => present.has(s as ReportStep["status"]))
    .map((s) => `<span class="lg s-${s}"><i></i>${s}</span>`);
  if (report.steps.some((s) => s.attempts.length > 1)) {
    items.push(`<span class="lg s-ok wait"><i></i>wait before a retry</span>`);
  }
  return items.length > 0 ? `<div class="tl-legend">${items.join("")}</div>` : "";
}

/** The step whose bar is longest (wall time, retries and waits included), when two or more ran. */
export function slowestStep(report: RunReport): string | undefined {
  const ran = report.steps.flatMap((s) => {
    const iv = s.attempts.length > 0 ? _interval(s, 0) : undefined;
    return iv ? [{ name: s.name, wall: iv.end - iv.start }] : [];
  });
  if (ran.length < 2) return undefined;
  return ran.reduce((a, b) => (b.wall > a.wall ? b : a)).name;
}

/** The largest number of step bars that overlap at one instant. */
export function peakConcurrency(report: RunReport): number {
  const edges: [number, number][] = [];
  for (const s of report.steps) {
    const iv = _interval(s, 0);
    if (iv && iv.end > iv.start) edges.push([iv.start, 1], [iv.end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0, peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, now += d);
  return peak;
}

function _scale(report: RunReport): Scale {
  // loops, not Math.min(...steps): spreading ~125k arguments overflows the stack
  let t0 = ms(report.startedAt) ?? Infinity;
  for (const s of report.steps) t0 = Math.min(t0, ms(s.startedAt) ?? Infinity);
  if (t0 === Infinity) t0 = 0;
  let tEnd = Math.max(ms(report.endedAt) ?? -Infinity, t0 + report.durationMs);
  for (const s of report.steps) tEnd = Math.max(tEnd, ms(s.endedAt) ?? -Infinity);
  return { t0, span: Math.max(tEnd - t0, 1) };
}

/** A step's interval relative to `t0`; a running step's bar reaches its start plus duration. */
function _interval(s: ReportStep, t0: number): Interval | undefined {
  const start = ms(s.startedAt);
  if (start === undefined) return undefined;
  const end = ms(s.endedAt) ?? start + s.durationMs;
  return { start: start - t0, end: Math.max(end, start) - t0 };
}

function _pct(value: number, scale: Scale): string {
  return `${Math.min(100, Math.max(0, (value / scale.span) * 100)).toFixed(3)}%`;
}

function _row(s: ReportStep, i: number, scale: Scale, slowest: boolean): string {
  const iv = _interval(s, scale.t0);
  const label = `<a class="tl-label" href="#step-${i}" title="${h(s.name)}">${h(s.name)}</a>`;
  const track = iv ? _bar(s, iv, scale, slowest) : _marker(s, scale);
  return `<div class="tl-row" data-step="${
    h(s.name)
  }">${label}<div class="tl-track">${track}</div></div>`;
}

function _bar(s: ReportStep, iv: Interval, scale: Scale, slowest: boolean): string {
  const wall = iv.end - iv.start;
  const left = _pct(iv.start, scale);
  const width = _pct(wall, scale);
  const tip = `${s.name}: ${s.status}, from +${fmtDuration(iv.start)} to +${fmtDuration(iv.end)}` +
    (s.attempts.length > 1 ? ` in ${s.attempts.length} attempts` : "");
  const segments = s.attempts.length > 1 ? _segments(s, wall) : "";
  const cls = `tl-bar s-${h(s.status)}${slowest ? " slowest" : ""}`;
  const text = `${h(fmtDuration(wall))}${slowest ? ` <span class="tag">slowest</span>` : ""}`;
  return `<div class="${cls}" style="left:${left};width:${width}" title="${
    h(tip)
  }">${segments}</div>` + _label(text, iv, scale);
}

/** The duration label: right of the bar, or left of it near the end, or inside a wide bar. */
function _label(text: string, iv: Interval, scale: Scale): string {
  const left = _pct(iv.start, scale), right = _pct(iv.end, scale);
  if (iv.end / scale.span <= 0.8) {
    return `<span class="tl-time" style="left:calc(${right} + 6px)">${text}</span>`;
  }
  if (iv.start / scale.span >= 0.2) {
    return `<span class="tl-time" style="right:calc(100% - ${left} + 6px)">${text}</span>`;
  }
  return `<span class="tl-time inside" style="right:calc(100% - ${right} + 6px)">${text}</span>`;
}

/** Attempt segments inside a retried step's bar, laid out in order with the waits between. */
function _segments(s: ReportStep, wall: number): string {
  const run = s.attempts.reduce((sum, a) => sum + a.durationMs, 0);
  const gap = Math.max(0, wall - run) / Math.max(1, s.attempts.length - 1);
  let at = 0;
  return s.attempts.map((a) => {
    const left = wall > 0 ? (at / wall) * 100 : 0;
    const width = wall > 0 ? (a.durationMs / wall) * 100 : 100;
    at += a.durationMs + gap;
    const tip = `attempt ${a.attempt}: ${a.status}, ${fmtDuration(a.durationMs)}` +
      (a.reason ? ` (${a.reason})` : "");
    return `<div class="tl-seg s-${h(a.status)}" style="left:${left.toFixed(3)}%;width:${
      Math.min(100 - left, width).toFixed(3)
    }%" title="${h(tip)}"></div>`;
  }).join("");
}

/** A step with no bar: skipped at the moment it was decided, or never reached. */
function _marker(s: ReportStep, scale: Scale): string {
  const at = ms(s.endedAt);
  const offset = at === undefined ? 0 : at - scale.t0;
  const pos = offset / scale.span > 0.85
    ? `right:calc(100% - ${_pct(offset, scale)})`
    : `left:${_pct(offset, scale)}`;
  return `<span class="tl-marker" style="${pos}">${badge(s.status)}</span>`;
}

/** Tick intervals (ms) that read well: 1, 2, 5, ... ms, then whole seconds, minutes, hours. */
const NICE = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  250,
  500,
  1e3,
  2e3,
  5e3,
  1e4,
  15e3,
  3e4,
  6e4,
  12e4,
  3e5,
]
  .concat([6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5]);

/** Axis labels at a "nice" interval (about seven ticks); the grid lines follow `--grid`. */
function _ticks(span: number): string {
  const step = _tickStep(span);
  const out: string[] = [];
  for (let i = 0; i * step <= span * 1.0001; i++) {
    const t = i * step;
    const edge = t / span > 0.95 ? " end" : "";
    const pct = ((t / span) * 100).toFixed(3);
    out.push(`<span class="tick${edge}" style="left:${pct}%">${h(_tickLabel(t))}</span>`);
  }
  return out.join("");
}

function _tickStep(span: number): number {
  const raw = span / 7;
  return NICE.find((v) => v >= raw) ?? Math.ceil(raw / 864e5) * 864e5;
}

/** `0`, `250 ms`, `1.5 s`, `2m 30s`, `1h 30m`. */
function _tickLabel(t: number): string {
  if (t === 0) return "0";
  if (t < 1000) return `${t} ms`;
  if (t < 6e4) return `${Number((t / 1000).toFixed(3))} s`;
  if (t < 36e5) return _pair(Math.floor(t / 6e4), "m", Math.round((t % 6e4) / 1e3), "s");
  return _pair(Math.floor(t / 36e5), "h", Math.round((t % 36e5) / 6e4), "m");
}

function _pair(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small ? `${big}${bigUnit} ${small}${smallUnit}` : `${big}${bigUnit}`;
}
