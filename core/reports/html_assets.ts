/**
 * @module
 * The HTML report's inline assets: its stylesheet, its one small script (expand/collapse the
 * context tree) and the Content-Security-Policy that forbids every network request and lets
 * only that script run (by its sha256), so text that slipped through as markup still could not
 * execute. No fonts or images are loaded: system font stacks only.
 */
import { createHash } from "node:crypto";

/** The page's script: the context tree's "Expand all" / "Collapse all" buttons. */
export const SCRIPT = `document.querySelectorAll("button[data-tree]").forEach((b) => {
  b.addEventListener("click", () => {
    const open = b.dataset.tree === "open";
    document.querySelectorAll("#context details").forEach((d) => { d.open = open; });
  });
});`;

/** The CSP `<meta>` value: nothing from the network, inline styles, and only `SCRIPT`. */
export const CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${createHash("sha256").update(SCRIPT).digest("base64")}'`,
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/** Status colours: text and background per status (steps, attempts and runs). */
const STATUS = {
  ok: ["#1a7f37", "#dafbe1"],
  cached: ["#0969da", "#ddf4ff"],
  failed: ["#cf222e", "#ffebe9"],
  timeout: ["#bc4c00", "#fff1e5"],
  cancelled: ["#8250df", "#fbefff"],
  skipped: ["#59636e", "#eaeef2"],
  "not-run": ["#6e7781", "#f6f8fa"],
  running: ["#9a6700", "#fff8c5"],
  interrupted: ["#bc4c00", "#fff1e5"],
} as const;

const STATUS_CSS = Object.entries(STATUS).map(([s, [fg, bg]]) => `.s-${s}{--fg:${fg};--bg:${bg}}`)
  .join("\n");

/** The stylesheet. */
export const CSS = `
:root{--text:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--card:#fff;--page:#eef1f4;
--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;
--sans:system-ui,-apple-system,"Segoe UI","Noto Sans",Helvetica,Arial,"DejaVu Sans",sans-serif}
${STATUS_CSS}
*{box-sizing:border-box}
body{margin:0;background:var(--page);color:var(--text);font:14px/1.45 var(--sans)}
main{max-width:1180px;margin:0 auto;padding:24px 20px 40px}
h1,h2{margin:0;font-weight:600}h1{font-size:22px}h2{font-size:16px}
a{color:inherit}
.muted{color:var(--muted)}.spacer{flex:1}
code,.mono{font-family:var(--mono);font-size:12.5px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:0 0 16px;
padding:16px 18px;box-shadow:0 1px 2px rgba(31,35,40,.04)}
.card-head{display:flex;align-items:baseline;gap:12px;margin-bottom:12px;flex-wrap:wrap}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;
color:var(--fg);background:var(--bg);border:1px solid color-mix(in srgb,var(--fg) 28%,transparent);
white-space:nowrap}
.run-head{border-top:5px solid var(--fg)}
.eyebrow{font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
.title-row{display:flex;align-items:center;gap:12px;margin:4px 0 6px;flex-wrap:wrap}
.title-row .badge{font-size:14px;padding:3px 14px}
.test-id{font-family:var(--mono);font-size:20px;font-weight:700}
.desc{margin:0 0 14px;max-width:900px}
.facts{display:flex;flex-wrap:wrap;gap:10px 40px;margin:0}
.facts dt{font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.facts dd{margin:2px 0 0;font-weight:600;overflow-wrap:anywhere}
.counts{display:flex;gap:8px;flex-wrap:wrap;margin-top:14px}
.count{display:flex;align-items:baseline;gap:6px;padding:4px 12px;border-radius:8px;
background:var(--bg);color:var(--fg);font-weight:600}
.count b{font-size:18px}.count.zero{opacity:.45}
.tl{--grid:10%;position:relative}
.tl-row{display:grid;grid-template-columns:190px 1fr;align-items:center;min-height:30px}
.tl-row:not(.tl-axis):hover{background:var(--soft)}
.tl-label{font-family:var(--mono);font-size:12.5px;padding-right:12px;text-align:right;
white-space:nowrap;overflow:hidden;text-overflow:ellipsis;text-decoration:none}
.tl-label:hover{text-decoration:underline}
.tl-track{position:relative;height:30px;border-left:1px solid var(--line);
background-image:linear-gradient(to right,var(--line) 1px,transparent 1px);
background-size:var(--grid) 100%;background-repeat:repeat-x}
.tl-axis .tl-track{height:22px;background:none;border-left:0;border-bottom:1px solid var(--line)}
.tick{position:absolute;bottom:3px;transform:translateX(-50%);font-size:11px;color:var(--muted);
white-space:nowrap}.tick:first-child{transform:none}.tick.end{transform:translateX(-100%)}
.tl-bar{position:absolute;top:7px;height:16px;min-width:3px;border-radius:4px;background:var(--fg);
box-shadow:inset 0 0 0 1px rgba(0,0,0,.08)}
.tl-bar.slowest{outline:2px solid color-mix(in srgb,var(--fg) 40%,transparent);outline-offset:2px}
.tl-bar.s-running{background:repeating-linear-gradient(45deg,var(--fg) 0 6px,var(--bg) 6px 12px)}
.tl-bar:has(.tl-seg){background:color-mix(in srgb,var(--fg) 18%,transparent)}
.tl-seg{position:absolute;top:0;bottom:0;min-width:2px;border-radius:3px;background:var(--fg)}
.tl-time{position:absolute;top:6px;font-size:11.5px;color:var(--muted);white-space:nowrap}
.tl-time.inside{color:#fff;font-weight:600}
.tl-legend{display:flex;gap:16px;flex-wrap:wrap;margin:10px 0 0 190px;font-size:12px;color:var(--muted)}
.lg i{display:inline-block;width:18px;height:9px;border-radius:3px;background:var(--fg);margin-right:6px}
.lg.wait i{background:color-mix(in srgb,var(--fg) 18%,transparent)}
.tl-marker{position:absolute;top:5px}.tl-marker .badge{font-weight:500;font-style:italic}
.tag{font-size:10.5px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;
color:#9a6700;background:#fff8c5;border-radius:4px;padding:0 5px;margin-left:4px}
table{width:100%;border-collapse:collapse}
.table-wrap{overflow-x:auto}
table.steps{table-layout:fixed;min-width:960px}
.c-idx{width:40px}.c-step{width:27%}.c-status{width:96px}.c-att{width:150px}.c-dur{width:92px}
.c-out{width:17%}
th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);
font-weight:600;border-bottom:1px solid var(--line);padding:6px 10px}
td{border-bottom:1px solid var(--soft);padding:8px 10px;vertical-align:top}
tr:last-child td{border-bottom:0}
tr:target td{background:#fff8c5}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.step-name{font-family:var(--mono);font-weight:600}
.step-sub{font-size:12px;color:var(--muted);font-family:var(--mono);white-space:nowrap;overflow:hidden;
text-overflow:ellipsis}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chip{font-family:var(--mono);font-size:12px;background:var(--soft);border:1px solid var(--line);
border-radius:5px;padding:0 6px}
.attempt{font-size:12px;white-space:nowrap}
.attempt::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;
background:var(--fg);margin-right:5px}
.reason{white-space:pre-wrap;overflow-wrap:break-word;font-size:13px}
tr[data-status=failed] td,tr[data-status=timeout] td{background:#fffafa}
tr[data-status=failed] td:first-child,tr[data-status=timeout] td:first-child{box-shadow:inset 3px 0 0 #cf222e}
td .s-failed.reason,td .s-timeout.reason{color:var(--fg)}
details.tail summary{cursor:pointer;font-size:12px;color:var(--muted)}
pre{font-family:var(--mono);font-size:12px;background:var(--soft);border:1px solid var(--line);
border-radius:6px;padding:8px;margin:6px 0 0;white-space:pre-wrap;overflow-wrap:anywhere;
max-height:260px;overflow:auto}
button{font:inherit;font-size:12.5px;padding:3px 10px;border-radius:6px;border:1px solid var(--line);
background:var(--soft);cursor:pointer}button:hover{background:#eaeef2}
.tree{list-style:none;margin:0;padding-left:18px;font-family:var(--mono);font-size:12.5px}
.tree.root{padding-left:0}
.tree li{padding:1px 0}
.tree summary{cursor:pointer;list-style:none}
.tree summary::-webkit-details-marker{display:none}
.tree summary::before{content:"\\25B8";display:inline-block;width:14px;color:var(--muted)}
.tree details[open]>summary::before{content:"\\25BE"}
.tree li:not(:has(details)){padding-left:14px}
.k{color:#0550ae;font-weight:600}.k::after{content:": ";color:var(--muted);font-weight:400}
.root>li>details>summary>.k,.root>li>.k{color:#6639ba}
.preview{color:var(--muted)}details[open]>summary>.preview{opacity:.6}
.t-str{color:#0a3069}.t-num{color:#953800}.t-bool,.t-null{color:#cf222e}
.note{margin:10px 0 0;font-size:12.5px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:18px}
`;
