/**
 * @module
 * The HTML report (`core/reports/html.ts`): rendered from real runs of real recipes through the
 * CLI, then opened in headless Chromium (`tests/browser/check_html.ts`, a subprocess with
 * `--allow-sys=homedir,osRelease`, see there why) to check what a reader sees: no console or
 * page errors, no requests, one row per step with its status, one bar per executed step, a
 * context tree that opens on click, and hostile text shown as text. Screenshots go to
 * `tests/artifacts/`; with `ORCH_UPDATE_DOCS=1` the demo run's also replaces
 * `docs/html-report.png`. Without `/usr/bin/chromium` the browser tests are skipped, except
 * under CI (`CI` set), where they fail.
 */
import assert from "node:assert/strict";
import { decodeHTML } from "entities";
import { renderHtml } from "../core/reports/html.ts";
import type { RunReport } from "../core/reports/model.ts";
import { orch, REPO, stepCounts, tempTree } from "./_helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = `${REPO}/tests/artifacts`;
const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
const inCI = (Deno.env.get("CI") ?? "") !== "";
if (!hasChromium && !inCI) {
  console.error(
    `html_report_test: ${CHROMIUM} is missing, browser tests skipped (apt-get install chromium)`,
  );
}
const browser = { ignore: !hasChromium && !inCI };

/** What `tests/browser/check_html.ts` reports about a page. */
interface Seen {
  url: string;
  consoleErrors: string[];
  pageErrors: string[];
  requests: string[];
  title: string;
  runStatus: string;
  rows: { name: string; status: string; reason: string }[];
  bars: {
    step: string;
    bars: number;
    segments: number;
    marker: string;
    x: number;
    width: number;
  }[];
  contextKeys: string[];
  historyRows: number;
  scripts: number;
  pwned: unknown;
  tree: { details: number; open: number };
  before: boolean;
  afterClick: boolean;
}

/** Opens `html` in headless Chromium; saves a screenshot to each of `shots`. */
async function openInBrowser(html: string, shots: string[]): Promise<Seen> {
  assert.ok(hasChromium, `${CHROMIUM} is missing: CI must install it (.ci/run)`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--config",
      `${REPO}/deno.json`,
      "-P=orch",
      "--allow-sys=homedir,osRelease",
      `${REPO}/tests/browser/check_html.ts`,
      html,
      ...shots,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `check_html.ts failed:\n${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Runs `recipe` through the CLI with an HTML report; returns the report's path. */
async function runWithReport(recipe: string, dir: string, args: string[] = []): Promise<string> {
  const html = `${dir}/report.html`;
  const run = await orch(["run", recipe, "--report", `html=${html}`, ...args], {
    env: { DEMO_STATE: dir },
  });
  assert.equal(
    run.json.reports && (run.json.reports as Record<string, string>).html,
    html,
    run.stderr,
  );
  return html;
}

async function assertPng(path: string): Promise<void> {
  const bytes = await Deno.readFile(path);
  assert.deepEqual([...bytes.slice(1, 4)], [0x50, 0x4e, 0x47], `${path} is not a PNG`);
  assert.ok(bytes.length > 10_000, `${path} is only ${bytes.length} bytes`);
}

Deno.test({
  name: "the HTML report of a real run shows every step, its status and bar, with no errors",
  ...browser,
  async fn() {
    const dir = await tempTree();
    const recipe = `${REPO}/tests/fixtures/html_report/demo.yaml`;
    const html = await runWithReport(recipe, dir, ["--keep-going", "--concurrency", "8"]);
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const shots = [`${ARTIFACTS}/html_report.png`];
    if (Deno.env.get("ORCH_UPDATE_DOCS") === "1") shots.push(`${REPO}/docs/html-report.png`);
    const seen = await openInBrowser(html, shots);

    assert.deepEqual(seen.consoleErrors, []);
    assert.deepEqual(seen.pageErrors, []);
    assert.deepEqual(seen.requests, [seen.url], "the page must load nothing but itself");
    assert.equal(seen.runStatus, "failed");
    assert.match(seen.title, /^NUM-042 · failed · orch run /);
    const expected: Record<string, string> = {
      fetch_dataset: "ok",
      load_numbers: "ok",
      normalize_numbers: "ok",
      compute_mean: "ok",
      median_of: "ok",
      compute_std: "ok",
      render_histogram: "ok",
      upload_artifacts: "ok",
      aggregate_stats: "ok",
      check_thresholds: "failed",
      publish_summary: "skipped",
    };
    assert.deepEqual(Object.fromEntries(seen.rows.map((r) => [r.name, r.status])), expected);
    assert.deepEqual(seen.rows.map((r) => r.name), Object.keys(expected), "recipe order");
    assert.match(seen.rows[9].reason, /exceeds the limit 2\.5/);
    // one bar per executed step, a "skipped" marker for the step that never started
    assert.deepEqual(
      seen.bars.map((b) => b.step),
      Object.keys(expected),
      "a timeline row per step",
    );
    for (const bar of seen.bars) {
      const ran = bar.step !== "publish_summary";
      assert.equal(bar.bars, ran ? 1 : 0, `bars of ${bar.step}`);
      if (!ran) assert.equal(bar.marker, "skipped");
    }
    const at = (name: string) => seen.bars.find((b) => b.step === name)!;
    assert.equal(at("upload_artifacts").segments, 2, "a failed and an ok attempt");
    // the slow parallel branches overlap on the time axis
    const a = at("render_histogram"), b = at("upload_artifacts");
    assert.ok(a.x < b.x + b.width && b.x < a.x + a.width, JSON.stringify([a, b]));
    assert.ok(a.width > at("fetch_dataset").width, "the 0.8 s step has the longest bar");

    assert.equal(seen.contextKeys.length, 9);
    assert.equal(seen.historyRows, 9);
    assert.equal(seen.before, false, "context nodes start closed");
    assert.equal(seen.afterClick, true, "a click opens a context node");
    assert.ok(seen.tree.details > 9 && seen.tree.open === seen.tree.details, "Expand all");
    for (const shot of shots) await assertPng(shot);
  },
});

Deno.test({
  name: "markup in a reason, a description or a context value is shown as text and never runs",
  ...browser,
  async fn() {
    const payload = JSON.stringify({
      status: "error",
      reason: `bad input ${HOSTILE}`,
    });
    const ctx = JSON.stringify({
      status: "ok",
      ctx: { "evil.value_v1": { "</script><script>window.__pwned=3</script>": `<!-- ${HOSTILE}` } },
    });
    const dir = await tempTree({
      "hostile.yaml": [
        "test_meta:",
        "  test_id: XSS-001",
        "  tester: mallory",
        `  description: ${JSON.stringify(`</title><b>not bold</b> ${HOSTILE}`)}`,
        "steps:",
        "  - { idx: 1, name: writes_markup, type: shell, permissions: { run: [sh] },",
        `      run: ${JSON.stringify(`echo '${ctx}'`)} }`,
        "  - { idx: 2, name: fails_with_markup, type: shell, permissions: { run: [sh] },",
        `      run: ${JSON.stringify(`echo '${payload}'; exit 1`)} }`,
      ].join("\n"),
    });
    const html = await runWithReport(`${dir}/hostile.yaml`, dir);
    const text = await Deno.readTextFile(html);
    assert.equal(text.match(/<script/gi)?.length, 1, "only the report's own script tag");
    assert.ok(!text.includes("<img"), "no img element from the payload");

    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const seen = await openInBrowser(html, [`${ARTIFACTS}/html_report_hostile.png`]);
    assert.equal(seen.pwned, null, "injected script ran");
    assert.deepEqual(seen.consoleErrors, []);
    assert.deepEqual(seen.pageErrors, []);
    assert.deepEqual(seen.requests, [seen.url]);
    assert.equal(seen.scripts, 1);
    assert.deepEqual(seen.rows.map((r) => r.status), ["ok", "failed"]);
    assert.ok(seen.rows[1].reason.includes(HOSTILE), seen.rows[1].reason);
  },
});

/** A hand-made report: every status, a running step, an empty context. */
function fixture(): RunReport {
  const t = (ms: number) => new Date(Date.UTC(2026, 10, 29, 6, 0, 0, ms)).toISOString();
  const base = {
    attempts: [],
    outputs: [],
    stderrTail: [],
    stdoutTail: [],
    dependsOn: [],
    type: "deno" as const,
  };
  return {
    runId: "20261129-060000000-abcdef",
    recipe: "/r/x.yaml",
    testId: "T-1",
    tester: "t",
    description: "d",
    status: "running",
    startedAt: t(0),
    durationMs: 1000,
    counts: stepCounts({ ok: 1, cached: 1 }),
    steps: [
      {
        ...base,
        name: "a",
        idx: 1,
        status: "ok",
        startedAt: t(0),
        endedAt: t(500),
        durationMs: 500,
      },
      {
        ...base,
        name: "b",
        idx: 2,
        status: "cached",
        startedAt: t(500),
        endedAt: t(500),
        durationMs: 0,
      },
      { ...base, name: "c", idx: 3, status: "running", startedAt: t(500), durationMs: 500 },
      { ...base, name: "d", idx: 4, status: "not-run", durationMs: 0 },
    ],
    context: { data: {}, history: [] },
    dir: "/r/runs/x",
    sessions: 1,
  };
}

Deno.test("renderHtml() draws a bar per started step and a marker for one never reached", () => {
  const html = renderHtml(fixture());
  const bars = [
    ...html.matchAll(
      /<div class="tl-bar s-(\w[\w-]*)[^"]*" style="left:([\d.]+)%;width:([\d.]+)%/g,
    ),
  ]
    .map((m) => [m[1], Number(m[2]), Number(m[3])]);
  assert.deepEqual(bars, [["ok", 0, 50], ["cached", 50, 0], ["running", 50, 50]]);
  assert.match(html, /class="tl-marker"[^>]*><span class="badge s-not-run">not run<\/span>/);
  assert.match(html, /The context is empty\./);
  assert.match(html, /No writes were recorded\./);
});

Deno.test("renderHtml() allows no network and only its own script, by hash", async () => {
  const html = renderHtml(fixture());
  const csp = decodeHTML(
    html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? "",
  );
  assert.match(csp, /default-src 'none'/);
  const script = html.match(/<script>([\s\S]*?)<\/script>/)?.[1] ?? "";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(script));
  const b64 = btoa(String.fromCharCode(...new Uint8Array(digest)));
  assert.ok(csp.includes(`script-src 'sha256-${b64}'`), csp);
  assert.doesNotMatch(html, /https?:\/\//, "no external URL anywhere");
});

Deno.test("renderHtml() shortens huge context values and says so", () => {
  const report = fixture();
  report.context = {
    data: {
      "big.list_v1": Array.from({ length: 600 }, (_, i) => i),
      "big.text_v1": "x".repeat(5000),
    },
    history: [],
  };
  const html = renderHtml(report);
  assert.match(html, /<li class="muted">… 100 more<\/li>/);
  assert.match(html, /… 1000 more chars/);
  assert.match(html, /context\.json holds them whole/);
  assert.match(html, /\(600\) \[0, 1, 2, /, "a preview of the first items");
});
