/**
 * @module
 * The HTML report's context view: the final context rendered server-side as a collapsible tree
 * of `<details>`/`<summary>` elements (no script needed to browse it), each container with a
 * one-line preview. Very large values are cut (children per container, string length, nodes in
 * all) with a visible note; the full context stays in the run's `context.json`.
 */
import type { ContextJson, JsonValue } from "../context.ts";
import { h } from "./_html.ts";

/** Children shown per object or array. */
const MAX_CHILDREN = 500;
/** Characters shown of one string. */
const MAX_STRING = 4000;
/** Nodes rendered in all. */
const MAX_NODES = 20_000;

interface Budget {
  nodes: number;
  cut: boolean;
}

/** The context section: the tree of every key's value and the expand/collapse buttons. */
export function renderContext(context: ContextJson): string {
  const keys = Object.keys(context.data);
  const budget: Budget = { nodes: 0, cut: false };
  const items = keys.map((k) => _node(k, context.data[k], budget)).join("\n");
  const body = keys.length === 0
    ? `<p class="muted">The context is empty.</p>`
    : `<ul class="tree root">\n${items}\n</ul>`;
  const note = budget.cut
    ? `<p class="muted note">Large values are shortened here; the run's context.json holds them whole.</p>`
    : "";
  return `<section class="card" id="context">
<div class="card-head"><h2>Final context</h2><span class="muted">${keys.length} key${
    keys.length === 1 ? "" : "s"
  }</span><span class="spacer"></span>
<button type="button" data-tree="open">Expand all</button><button type="button" data-tree="close">Collapse all</button></div>
${body}${note}
</section>`;
}

function _node(name: string, value: JsonValue, budget: Budget): string {
  const key = `<span class="k">${h(name)}</span>`;
  if (++budget.nodes > MAX_NODES) {
    budget.cut = true;
    return "";
  }
  if (value === null || typeof value !== "object") {
    return `<li>${key}${_scalar(value, budget)}</li>`;
  }
  // only the shown children are listed: an array of a million items costs MAX_CHILDREN pairs
  const keys = Array.isArray(value) ? undefined : Object.keys(value);
  const count = keys?.length ?? (value as JsonValue[]).length;
  if (count === 0) {
    return `<li>${key}<span class="v">${Array.isArray(value) ? "[]" : "{}"}</span></li>`;
  }
  const entries: [string, JsonValue][] = Array.isArray(value)
    ? value.slice(0, MAX_CHILDREN).map((v, i) => [String(i), v])
    : keys!.slice(0, MAX_CHILDREN).map((k) => [k, (value as Record<string, JsonValue>)[k]]);
  const shown = entries.map(([k, v]) => _node(k, v, budget)).join("");
  const more = count - entries.length;
  if (more > 0) budget.cut = true;
  const rest = more > 0 ? `<li class="muted">… ${more} more</li>` : "";
  return `<li><details><summary>${key}<span class="preview">${
    h(_preview(value))
  }</span></summary>` +
    `<ul class="tree">${shown}${rest}</ul></details></li>`;
}

function _scalar(value: string | number | boolean | null, budget: Budget): string {
  if (typeof value !== "string") {
    const cls = value === null ? "t-null" : typeof value === "number" ? "t-num" : "t-bool";
    return `<span class="v ${cls}">${h(String(value))}</span>`;
  }
  const cut = value.length > MAX_STRING;
  if (cut) budget.cut = true;
  const shown = JSON.stringify(cut ? value.slice(0, MAX_STRING) : value);
  const more = cut ? `<span class="muted"> … ${value.length - MAX_STRING} more chars</span>` : "";
  return `<span class="v t-str">${h(shown)}</span>${more}`;
}

/** A short one-line summary: `{count: 10, mean: 5.5, …}` or `[3] [1, 2, 3]`. */
function _preview(value: JsonValue, budget = 70): string {
  const parts: string[] = [];
  let used = 0;
  // false (after adding "…") once the budget is spent: the items are never all visited
  const add = (part: string) => {
    if (used + part.length > budget && parts.length > 0) {
      parts.push("…");
      return false;
    }
    parts.push(part);
    used += part.length + 2;
    return true;
  };
  if (Array.isArray(value)) {
    for (const v of value) if (!add(_short(v))) break;
    return `(${value.length}) [${parts.join(", ")}]`;
  }
  const object = value as Record<string, JsonValue>;
  for (const k in object) if (Object.hasOwn(object, k) && !add(`${k}: ${_short(object[k])}`)) break;
  return `{${parts.join(", ")}}`;
}

function _short(v: JsonValue): string {
  if (v === null || typeof v !== "object") {
    const s = JSON.stringify(v);
    return s.length > 24 ? `${s.slice(0, 21)}…` : s;
  }
  return Array.isArray(v) ? `[…${v.length}]` : "{…}";
}
