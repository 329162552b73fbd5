/**
 * @module
 * Opens an HTML report in headless Chromium (Debian's `/usr/bin/chromium`, driven by
 * playwright-core), exercises it (clicks a context-tree node, then "Expand all") and prints what
 * it saw as one JSON line: console errors, page errors, requests, step rows, timeline bars and
 * markers, the tree's state before and after the clicks, whether injected markup ran. Saves a
 * full-page screenshot to each SCREENSHOT path given. The assertions live in
 * `tests/html_report_test.ts`, which runs this script as a subprocess:
 *
 *   deno run -P=orch --allow-sys=homedir,osRelease tests/browser/check_html.ts REPORT.html SHOT.png...
 *
 * Why a subprocess: playwright-core reads `os.homedir()` and `os.release()` (`sys`, which the
 * test suite's `-P=orch` lacks) and probes `/proc/sys/fs/binfmt_misc/WSLInterop` for WSL, a
 * path Deno lets only `--allow-all` read. The probe is answered "absent" below (this is not
 * WSL), so the narrow flags above suffice; no network permission is needed (the browser is
 * driven over a pipe).
 */
import fs from "node:fs";

/** Where Debian installs Chromium. */
const CHROMIUM = "/usr/bin/chromium";

/** Flags: headless, no sandbox (root in CI), and no background traffic of any kind. */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--no-first-run",
  "--disable-extensions",
];

async function launch() {
  const exists = fs.existsSync;
  fs.existsSync =
    ((p: fs.PathLike) =>
      String(p).startsWith("/proc/sys/") ? false : exists(p)) as typeof fs.existsSync;
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
}

async function main(htmlPath: string, shots: string[]): Promise<void> {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [], pageErrors: string[] = [], requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("request", (r) => requests.push(r.url()));
    const url = new URL(`file://${htmlPath}`).href;
    await page.goto(url, { waitUntil: "load" });
    const seen = await page.evaluate(_observe);
    // the first closed node of the context tree: its children show only after a click
    const node = page.locator("#context .root > li > details").first();
    const child = node.locator(":scope > ul > li").first();
    const before = await child.isVisible();
    await node.locator(":scope > summary").click();
    const afterClick = await child.isVisible();
    await page.click("button[data-tree=open]");
    const tree = {
      details: await page.locator("#context details").count(),
      open: await page.locator("#context details[open]").count(),
    };
    await page.click("button[data-tree=close]");
    await node.locator(":scope > summary").click(); // leave one node open for the screenshot
    for (const path of shots) await page.screenshot({ path, fullPage: true });
    const out = { url, consoleErrors, pageErrors, requests, ...seen, tree, before, afterClick };
    console.log(JSON.stringify(out));
  } finally {
    await browser.close();
  }
}

/** The little of the DOM `_observe` uses (the project's type check has no DOM lib). */
interface Node {
  textContent: string | null;
  querySelector(selector: string): Node | null;
  querySelectorAll(selector: string): ArrayLike<Node> & Iterable<Node>;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { x: number; width: number };
}

/** Runs in the page: what the DOM shows. */
function _observe() {
  const document =
    (globalThis as unknown as { document: Node & { title: string; scripts: ArrayLike<unknown> } })
      .document;
  const text = (e: Node | null) => e?.textContent?.trim() ?? "";
  return {
    title: document.title,
    runStatus: text(document.querySelector("#run .badge")),
    rows: [...document.querySelectorAll("#steps tbody tr")].map((tr) => ({
      name: text(tr.querySelector(".step-name")),
      status: text(tr.querySelector("td.status")),
      reason: text(tr.querySelector(".reason")),
    })),
    bars: [...document.querySelectorAll(".tl-row[data-step]")].map((row) => ({
      step: row.getAttribute("data-step"),
      bars: row.querySelectorAll(".tl-bar").length,
      segments: row.querySelectorAll(".tl-seg").length,
      marker: text(row.querySelector(".tl-marker")),
      x: row.querySelector(".tl-bar")?.getBoundingClientRect().x ?? 0,
      width: row.querySelector(".tl-bar")?.getBoundingClientRect().width ?? 0,
    })),
    contextKeys: [...document.querySelectorAll("#context .root > li")].map((li) =>
      text(li.querySelector(".k"))
    ),
    historyRows: document.querySelectorAll("#history tbody tr").length,
    scripts: document.scripts.length,
    pwned: (globalThis as { __pwned?: unknown }).__pwned ?? null,
  };
}

if (import.meta.main) {
  const [html, ...shots] = Deno.args;
  if (!html) throw new Error("usage: check_html.ts REPORT.html [SCREENSHOT.png...]");
  await main(html, shots);
}
