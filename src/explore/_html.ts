/**
 * A counterexample as one self-contained HTML page: the SVG diagram of `_svg.ts`, a step slider
 * (and keys) that scrubs the schedule, shared memory at the chosen step, the replay token with the
 * line that replays it, and the text report.
 *
 * - Self-contained and offline: styles, script and data are inline; the Content Security Policy
 *   (`default-src 'none'`) lets the page fetch nothing and run only its own script, by hash.
 * - Safe for hostile names: markup is built by `tag`/`text` (escaped); the data travels as JSON in
 *   a `<script type="application/json">` block with `<`, `>`, `&` and line separators escaped; the
 *   script writes only `textContent`, never markup.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type Diagram, wrote } from "./_diagram.ts";
import { tag, text } from "./_markup.ts";
import { svgOf } from "./_svg.ts";
import { show } from "./_trace_step.ts";

/** What the page needs of a failure beyond its diagram. */
export interface PageSource {
  /** The text report (`render()`). */
  render(): string;
}

/**
 * The page's script: reads the JSON data block and the geometry on the `<svg>`, and moves a cursor
 * over the diagram and the memory table when the slider, a key or a click picks a step. Position
 * `v` (0..n) means "after v steps"; a step's box is `[data-step=k]` with k = v - 1.
 */
const SCRIPT = `(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("ix-data").textContent);
  const n = data.steps.length;
  const svg = document.querySelector("#diagram svg");
  const first = Number(svg.dataset.firstCol);
  const colW = Number(svg.dataset.colWidth);
  const slider = document.getElementById("step");
  const caption = document.getElementById("step-text");
  const when = document.getElementById("mem-when");
  const tbody = document.querySelector("#memory tbody");
  const cursor = document.getElementById("ix-cursor");
  const marks = Array.from(svg.querySelectorAll("[data-step]"));
  const cell = (row, value, cls) => {
    const td = document.createElement("td");
    td.textContent = value;
    if (cls) td.className = cls;
    row.appendChild(td);
  };
  const go = (v) => {
    v = Math.max(0, Math.min(n, Math.trunc(Number(v)) || 0));
    slider.value = String(v);
    const x = first + v * colW;
    cursor.setAttribute("x1", String(x));
    cursor.setAttribute("x2", String(x));
    cursor.setAttribute("visibility", "visible");
    for (const m of marks) {
      const k = Number(m.getAttribute("data-step"));
      m.classList.toggle("future", k >= v);
      if (m.classList.contains("box")) m.classList.toggle("current", k === v - 1);
    }
    const s = data.steps[v - 1];
    caption.textContent = s
      ? "step " + s.step + " of " + data.total + ": T" + s.thread + " " + data.lanes[s.thread].replace(/^T\\d+ /, "") + ": " + s.text
      : "before step " + (data.steps.length ? data.steps[0].step : 1) + " (the initial state)";
    when.textContent = s ? "after step " + s.step : "before the first step";
    const rows = [];
    data.addresses.forEach((address, j) => {
      const row = document.createElement("tr");
      const changed = s !== undefined && s.address === address && s.wrote;
      if (changed) row.className = "changed";
      const w = data.writers[v][j];
      cell(row, address, "mono");
      cell(row, data.values[v][j], "mono value");
      cell(row, v > 0 ? data.values[v - 1][j] : "", "mono before");
      cell(row, w < 0 ? "initial" : "T" + data.steps[w].thread + " at step " + data.steps[w].step);
      rows.push(row);
    });
    tbody.replaceChildren(...rows);
  };
  slider.addEventListener("input", () => go(slider.value));
  document.getElementById("prev").addEventListener("click", () => go(Number(slider.value) - 1));
  document.getElementById("next").addEventListener("click", () => go(Number(slider.value) + 1));
  document.addEventListener("keydown", (e) => {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) return;
    const v = Number(slider.value);
    const to = { ArrowRight: v + 1, ArrowLeft: v - 1, Home: 0, End: n }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    go(to);
  });
  for (const box of svg.querySelectorAll(".box")) {
    box.addEventListener("click", () => go(Number(box.getAttribute("data-step")) + 1));
  }
  go(slider.value);
})();
`;

let scriptHash: string | undefined;

/** The CSP source of {@linkcode SCRIPT}: `'sha256-…'`. */
function scriptSource(): string {
  scriptHash ??= createHash("sha256").update(SCRIPT, "utf8").digest("base64");
  return `'sha256-${scriptHash}'`;
}

const CSS = `
:root { color-scheme: light; }
body { margin: 0; padding: 20px 24px 40px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
  Roboto, "DejaVu Sans", sans-serif; color: #111827; background: #f3f4f6; }
h1 { font-size: 20px; margin: 0 0 4px; color: #b91c1c; }
h2 { font-size: 15px; margin: 0 0 8px; }
.sub { margin: 0; color: #4b5563; }
.verdict { margin: 6px 0 0; padding: 6px 10px; background: #fef2f2; border-left: 4px solid #dc2626;
  color: #7f1d1d; }
.mono, code, pre { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
#diagram { margin: 14px 0 10px; overflow-x: auto; background: #fff; border: 1px solid #e5e7eb;
  border-radius: 8px; }
#diagram svg { display: block; }
#diagram .box { cursor: pointer; }
#diagram .future { opacity: 0.28; }
#diagram .box.current rect.frame { stroke: #111827; stroke-width: 3.5; }
#diagram .box.current.highlight rect.frame { stroke: #dc2626; stroke-width: 4.5; }
.controls { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; background: #fff;
  border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 14px; }
.controls input[type=range] { flex: 1 1 320px; }
.controls output { flex: 1 1 100%; font-family: ui-monospace, Menlo, Consolas, monospace; }
.hint { color: #6b7280; font-size: 12px; flex: 1 1 100%; margin: 0; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 14px;
  margin-top: 14px; }
.panels > div { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 14px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #f3f4f6; }
th { font-size: 12px; color: #6b7280; font-weight: 600; }
tr.changed td { background: #fef9c3; font-weight: 600; }
td.before { color: #9ca3af; }
pre { background: #111827; color: #f9fafb; padding: 10px 12px; border-radius: 6px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
details { margin-top: 14px; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px;
  padding: 10px 14px; }
details pre { background: #f9fafb; color: #111827; }
`;

/** JSON that is safe inside a `<script>` element (no `<`, `>`, `&` or line separators). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** For each position v (0..n) and address j: the drawn step that last wrote it, or -1. */
function writersOf(d: Diagram): number[][] {
  const now = d.addresses.map(() => -1);
  const out = [[...now]];
  d.steps.forEach((s, k) => {
    const j = d.addresses.indexOf(s.address);
    if (j >= 0 && wrote(s)) now[j] = k;
    out.push([...now]);
  });
  return out;
}

/** The page of a failure whose diagram is `d`. */
export function htmlOf(failure: PageSource, d: Diagram): string {
  const n = d.steps.length;
  const start = d.highlight.length > 0 ? Math.max(...d.highlight) + 1 : n;
  const values = d.values.map((row) => row.map((v) => v === undefined ? "?" : show(v)));
  const writers = writersOf(d);
  const data = {
    total: d.steps.length + d.elided,
    lanes: d.lanes,
    steps: d.steps.map((s) => ({
      step: s.step,
      thread: s.thread,
      text: s.text,
      address: s.address,
      wrote: wrote(s),
    })),
    addresses: d.addresses,
    values,
    writers,
  };
  const svg = svgOf(d, { header: false });
  const memoryRows = d.addresses.map((address, j) =>
    tag(
      "tr",
      {},
      tag("td", { class: "mono" }, text(address)) +
        tag("td", { class: "mono value" }, text(values[start]![j]!)) +
        tag("td", { class: "mono before" }, start > 0 ? text(values[start - 1]![j]!) : "") +
        tag("td", {}, ""),
    )
  ).join("");
  const replay = `import { replay } from "@interlock/interlock/explore";\n\n` +
    `const again = ${d.replayLine}; // the same interleaving, step by step`;
  const found = d.searchLine === undefined ? "" : tag(
    "p",
    {},
    "Found again by the same search: " + tag("code", { id: "search-line" }, text(d.searchLine)),
  );
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src ${scriptSource()}; ` +
    "base-uri 'none'; form-action 'none'";
  return "<!doctype html>\n" + tag(
    "html",
    { lang: "en" },
    tag(
      "head",
      {},
      tag("meta", { charset: "utf-8" }) +
        tag("meta", { "http-equiv": "Content-Security-Policy", content: csp }) +
        tag("meta", { name: "viewport", content: "width=device-width, initial-scale=1" }) +
        tag("title", {}, text(`Interlock explorer: ${d.title}`)) +
        tag("style", {}, CSS),
    ) +
      tag(
        "body",
        {},
        tag(
          "header",
          {},
          tag("h1", { id: "reason" }, text(d.title)) +
            tag("p", { class: "sub" }, text(d.subtitle)) +
            tag("p", { class: "verdict", id: "verdict" }, text(d.verdict)),
        ) +
          tag(
            "section",
            { id: "diagram", "aria-label": "the schedule, one lane per thread" },
            svg,
          ) +
          tag(
            "section",
            { class: "controls" },
            tag("label", { for: "step" }, "Step") +
              tag("button", { id: "prev", type: "button", "aria-label": "previous step" }, "◀") +
              tag("input", {
                id: "step",
                type: "range",
                min: 0,
                max: n,
                step: 1,
                value: start,
                "aria-describedby": "step-text",
              }) +
              tag("button", { id: "next", type: "button", "aria-label": "next step" }, "▶") +
              tag("output", { id: "step-text", for: "step" }, "") +
              tag(
                "p",
                { class: "hint" },
                "← and → move one step, Home and End jump to the ends; click a step to go there. " +
                  "Faded steps have not happened yet at the chosen step.",
              ),
          ) +
          tag(
            "section",
            { class: "panels" },
            tag(
              "div",
              {},
              tag("h2", {}, "Shared memory " + tag("span", { id: "mem-when" }, "")) +
                tag(
                  "table",
                  { id: "memory" },
                  tag(
                    "thead",
                    {},
                    tag(
                      "tr",
                      {},
                      "<th>word</th><th>value</th><th>before this step</th><th>last written by</th>",
                    ),
                  ) + tag("tbody", {}, memoryRows),
                ),
            ) +
              tag(
                "div",
                {},
                tag("h2", {}, "Replay") +
                  tag("p", {}, "Token: " + tag("code", { id: "token" }, text(d.token))) +
                  tag("pre", { id: "replay-line" }, tag("code", {}, text(replay))) + found,
              ),
          ) +
          tag(
            "details",
            {},
            tag("summary", {}, "The trace as text") + tag("pre", {}, text(failure.render())),
          ) +
          tag("script", { type: "application/json", id: "ix-data" }, scriptJson(data)) +
          tag("script", {}, SCRIPT),
      ),
  ) + "\n";
}
