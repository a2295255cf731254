/**
 * A counterexample as an SVG diagram (for READMEs, issues and the HTML view): one lane per thread,
 * time running left to right, each step a box in its thread's lane at its time; arrows across lanes
 * for the edges that matter; preemptions marked; the shared words as a timeline under the lanes; the
 * failure highlighted; a legend. Self-contained: inline styles, no fonts or images to fetch.
 *
 * Every string that comes from the user (thread names, addresses, values, the reason) is escaped on
 * its way into the markup: elements are built by `tag` (`_markup.ts`), which escapes attribute
 * values, and text goes through `text`.
 *
 * @module
 */
import { type Diagram, wrote } from "./_diagram.ts";
import { cut, tag, text } from "./_markup.ts";
import { show } from "./_trace_step.ts";

/** Options of {@linkcode svgOf}. */
export interface SvgOptions {
  /** Draw the title, subtitle and verdict above the lanes (the HTML page has its own). */
  header: boolean;
}

// Geometry (px).
const PAD = 16;
const LABEL_W = 170;
const START_W = 70;
const COL_W = 150;
const BOX_W = 136;
const BOX_H = 58;
const LANE_H = 92;
const BOX_TOP = 22;
const AXIS_H = 22;
const HEADER_H = 80;
const MEM_GAP = 18;
const MEM_H = 26;
const LEGEND_H = 40;
/** Narrowest diagram, so that the header and the legend fit. */
const MIN_W = 1000;
/** Characters of monospace 11px text that fit in a box. */
const BOX_CHARS = 19;

/** Thread accents, by lane (cycling). */
export const LANE_COLORS = [
  "#2563eb",
  "#d97706",
  "#059669",
  "#7c3aed",
  "#db2777",
  "#0891b2",
  "#65a30d",
  "#9333ea",
] as const;

/** A lane's accent colour. */
export function laneColor(lane: number): string {
  return LANE_COLORS[lane % LANE_COLORS.length]!;
}

const STYLE = `
.ix { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.ix .mono, .ix .box text { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.ix .title { font-size: 16px; font-weight: 700; fill: #111827; }
.ix .sub { font-size: 12px; fill: #4b5563; }
.ix .verdict { font-size: 12px; fill: #b91c1c; font-weight: 600; }
.ix .axis { font-size: 11px; fill: #6b7280; }
.ix .lanelabel { font-size: 13px; font-weight: 600; }
.ix .box rect.frame { fill: #ffffff; stroke-width: 1.5; }
.ix .box.op-load rect.frame { fill: #eff6ff; }
.ix .box.op-store rect.frame { fill: #fff7ed; }
.ix .box.op-rmw rect.frame { fill: #f5f3ff; }
.ix .box.op-wait rect.frame { fill: #f3f4f6; }
.ix .box.op-notify rect.frame { fill: #ecfdf5; }
.ix .box.sleeps rect.frame { stroke-dasharray: 5 3; }
.ix .box text { font-size: 11px; fill: #111827; }
.ix .box text.verb { font-weight: 700; }
.ix .box.highlight rect.frame { stroke: #dc2626; stroke-width: 3.5; }
.ix .box.holds rect.frame { stroke: #dc2626; stroke-width: 2.5; stroke-dasharray: 4 2; }
.ix .preempt { font-size: 10px; fill: #c2410c; font-weight: 600; }
.ix .pill text { font-size: 10px; }
.ix .edge { fill: none; stroke-width: 1.8; }
.ix .edge.reads { stroke: #2563eb; }
.ix .edge.wakes { stroke: #059669; }
.ix .edge.lost { stroke: #dc2626; stroke-dasharray: 6 4; stroke-width: 2.2; }
.ix .edge.waitsfor { stroke: #dc2626; stroke-width: 2.2; }
.ix .mem text { font-size: 11px; }
.ix .memlabel { font-size: 11px; fill: #374151; }
.ix .legend text { font-size: 11px; fill: #374151; }
`;

/** Geometry of one diagram. */
class Layout {
  readonly d: Diagram;
  readonly top: number;
  readonly lanesTop: number;
  readonly memTop: number;
  readonly legendTop: number;
  readonly width: number;
  readonly height: number;

  constructor(d: Diagram, header: boolean) {
    this.d = d;
    this.top = header ? HEADER_H : PAD;
    this.lanesTop = this.top + AXIS_H;
    this.memTop = this.lanesTop + d.lanes.length * LANE_H + MEM_GAP;
    this.legendTop = this.memTop + (d.addresses.length + 1) * MEM_H + 8;
    this.width = Math.max(
      MIN_W,
      PAD + LABEL_W + START_W + (d.steps.length + 1) * COL_W + 60 + PAD,
    );
    const places = legendPlaces(d, this.width, this.legendTop);
    this.height = (places.at(-1)?.y ?? this.legendTop) + LEGEND_H / 2;
  }

  /** Left edge of step column `k` (k = steps.length: the end column). */
  col(k: number): number {
    return PAD + LABEL_W + START_W + k * COL_W;
  }
  boxX(k: number): number {
    return this.col(k) + (COL_W - BOX_W) / 2;
  }
  laneTop(lane: number): number {
    return this.lanesTop + lane * LANE_H;
  }
  laneMid(lane: number): number {
    return this.laneTop(lane) + BOX_TOP + BOX_H / 2;
  }
}

const ARROWS = ["reads", "wakes", "lost", "waitsfor"].map((kind) =>
  tag(
    "marker",
    {
      id: `ix-arrow-${kind}`,
      viewBox: "0 0 10 10",
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: "auto-start-reverse",
    },
    tag("path", {
      d: "M0,0 L10,5 L0,10 z",
      fill: kind === "reads" ? "#2563eb" : kind === "wakes" ? "#059669" : "#dc2626",
    }),
  )
).join("");

/** The operation family of a step, for its box colour. */
function family(op: string): string {
  if (op === "load") return "load";
  if (op === "store") return "store";
  if (op === "wait" || op === "timeout" || op === "abort") return "wait";
  if (op === "notify") return "notify";
  if (op === "pause") return "pause";
  return "rmw";
}

/** The diagram as an SVG document (no XML declaration: it also embeds in HTML as is). */
export function svgOf(d: Diagram, options: SvgOptions): string {
  const g = new Layout(d, options.header);
  const parts: string[] = [
    tag("style", {}, STYLE),
    tag("defs", {}, ARROWS),
    tag("rect", { x: 0, y: 0, width: g.width, height: g.height, fill: "#ffffff" }),
  ];
  if (options.header) parts.push(header(d, g));
  parts.push(axis(d, g), lanes(d, g), memory(d, g), edges(d, g), boxes(d, g), ending(d, g));
  parts.push(legend(d, g));
  parts.push(
    tag("line", {
      id: "ix-cursor",
      class: "cursor",
      x1: 0,
      x2: 0,
      y1: g.top,
      y2: g.legendTop - 4,
      stroke: "#111827",
      "stroke-width": 2,
      "stroke-dasharray": "3 3",
      visibility: "hidden",
    }),
  );
  return tag(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      class: "ix",
      width: g.width,
      height: g.height,
      viewBox: `0 0 ${g.width} ${g.height}`,
      role: "img",
      "aria-label": `${d.title}. ${d.subtitle}`,
      // Where step columns start and how wide they are, for the HTML page's cursor.
      "data-first-col": g.col(0),
      "data-col-width": COL_W,
    },
    tag("title", {}, text(d.title)) + parts.join(""),
  );
}

function header(d: Diagram, g: Layout): string {
  const chars = Math.floor((g.width - 2 * PAD) / 8);
  return tag("text", { class: "title", x: PAD, y: 28 }, text(cut(d.title, chars))) +
    tag("text", { class: "sub", x: PAD, y: 48 }, text(cut(d.subtitle, chars + 20))) +
    tag("text", { class: "verdict", x: PAD, y: 66 }, text(cut(d.verdict, chars + 20)));
}

function axis(d: Diagram, g: Layout): string {
  const y = g.top + 15;
  const out = [
    tag("text", { class: "axis", x: PAD, y }, d.elided > 0 ? text(`${d.elided} steps before`) : ""),
    tag("text", { class: "axis", x: g.col(0) - START_W / 2, y, "text-anchor": "middle" }, "start"),
    tag(
      "text",
      { class: "axis", x: g.col(d.steps.length) + COL_W / 2, y, "text-anchor": "middle" },
      "end",
    ),
  ];
  d.steps.forEach((s, k) => {
    out.push(
      tag(
        "text",
        { class: "axis", x: g.col(k) + COL_W / 2, y, "text-anchor": "middle" },
        `step ${s.step}`,
      ),
    );
  });
  return tag("g", { class: "axis-row" }, out.join(""));
}

function lanes(d: Diagram, g: Layout): string {
  return d.lanes.map((name, lane) => {
    const y = g.laneTop(lane);
    return tag(
      "g",
      { class: "lane", "data-thread": lane },
      tag("title", {}, text(name)) +
        tag("rect", {
          x: PAD,
          y,
          width: g.width - 2 * PAD,
          height: LANE_H,
          fill: lane % 2 === 0 ? "#f9fafb" : "#ffffff",
        }) +
        tag("rect", { x: PAD, y, width: 4, height: LANE_H, fill: laneColor(lane) }) +
        tag(
          "text",
          { class: "lanelabel", x: PAD + 12, y: g.laneMid(lane) + 4, fill: laneColor(lane) },
          text(cut(name, 20)),
        ),
    );
  }).join("");
}

function boxes(d: Diagram, g: Layout): string {
  const hl = new Set(d.highlight);
  // A deadlock's waited-for writes: the step that left each sleeper's word set.
  const holds = new Set(d.sleepers.flatMap((s) => s.waitsFor ? [s.waitsFor.step] : []));
  return d.steps.map((s, k) => {
    const [verb, address, rest] = d.boxes[k]!;
    const x = g.boxX(k);
    const y = g.laneTop(s.thread) + BOX_TOP;
    const classes = ["box", `op-${family(s.op)}`];
    if (s.op === "wait" && s.result === undefined) classes.push("sleeps");
    if (hl.has(k)) classes.push("highlight");
    if (holds.has(k)) classes.push("holds");
    if (s.preempted) classes.push("preempting");
    let body = tag("title", {}, text(`step ${s.step}, T${s.thread}: ${s.text}`)) +
      tag("rect", {
        class: "frame",
        x,
        y,
        width: BOX_W,
        height: BOX_H,
        rx: 6,
        stroke: laneColor(s.thread),
      }) +
      tag("text", { class: "verb", x: x + 8, y: y + 16 }, text(cut(verb, BOX_CHARS))) +
      tag("text", { x: x + 8, y: y + 32 }, text(cut(address, BOX_CHARS))) +
      tag("text", { x: x + 8, y: y + 48 }, text(cut(rest, BOX_CHARS)));
    const victim = d.preempted[k]!;
    if (victim >= 0) {
      body += tag(
        "text",
        { class: "preempt", x: x + 2, y: y - 6 },
        text(`↯ preempts T${victim}`),
      ) + pill(g, k, victim, "preempted", "#c2410c", "preempted-mark");
    }
    return tag("g", { class: classes.join(" "), "data-step": k }, body);
  }).join("");
}

/** A small rounded label in `lane` at column `k`. */
function pill(g: Layout, k: number, lane: number, label: string, color: string, cls: string) {
  const w = 64;
  const x = g.col(k) + (COL_W - w) / 2;
  const y = g.laneMid(lane) - 9;
  return tag(
    "g",
    { class: `pill ${cls}` },
    tag("rect", {
      x,
      y,
      width: w,
      height: 18,
      rx: 9,
      fill: "#ffffff",
      stroke: color,
      "stroke-dasharray": "3 2",
    }) +
      tag("text", { x: x + w / 2, y: y + 13, "text-anchor": "middle", fill: color }, text(label)),
  );
}

function edges(d: Diagram, g: Layout): string {
  return d.edges.map((e) => {
    const from = d.steps[e.from]!;
    if (e.kind === "wakes") {
      const x = g.col(e.from) + COL_W / 2;
      const down = e.lane > from.thread;
      const y1 = g.laneTop(from.thread) + BOX_TOP + (down ? BOX_H : 0);
      const y2 = g.laneMid(e.lane) + (down ? -9 : 9);
      return tag(
        "g",
        { class: "edge-group wakes", "data-step": e.from },
        tag("title", {}, text(e.label)) +
          tag("line", {
            class: "edge wakes",
            x1: x,
            y1,
            x2: x,
            y2,
            "marker-end": "url(#ix-arrow-wakes)",
          }) + pill(g, e.from, e.lane, "woken", "#059669", "woken-mark"),
      );
    }
    // From the writer's box edge facing the reader's lane to the reader's facing edge, so the
    // arrow crosses the gap between lanes (clear of the "preempts" label, which sits at the left).
    const down = e.lane > from.thread;
    const x1 = g.boxX(e.from) + BOX_W * 0.5;
    const y1 = g.laneTop(from.thread) + BOX_TOP + (down ? BOX_H : 0);
    const x2 = g.boxX(e.to) + BOX_W * 0.8;
    const y2 = g.laneTop(e.lane) + BOX_TOP + (down ? 0 : BOX_H);
    const bend = (y2 - y1) / 2;
    return tag(
      "g",
      { class: `edge-group ${e.kind}`, "data-step": e.to },
      tag("title", {}, text(e.label)) +
        tag("path", {
          class: `edge ${e.kind}`,
          d: `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`,
          "marker-end": `url(#ix-arrow-${e.kind})`,
        }),
    );
  }).join("");
}

/** The end column: where every thread stands when the failure is declared. */
function ending(d: Diagram, g: Layout): string {
  const k = d.steps.length;
  const x = g.boxX(k);
  const out: string[] = [];
  const box = (lane: number, lines: string[], cls: string, color: string) =>
    tag(
      "g",
      { class: `endbox ${cls}` },
      tag("title", {}, text(lines.join(" "))) +
        tag("rect", {
          x,
          y: g.laneTop(lane) + BOX_TOP,
          width: BOX_W,
          height: BOX_H,
          rx: 6,
          fill: "#fef2f2",
          stroke: color,
          "stroke-dasharray": "5 3",
        }) +
        lines.map((l, i) =>
          tag(
            "text",
            {
              class: "mono",
              x: x + 8,
              y: g.laneTop(lane) + BOX_TOP + 16 + 16 * i,
              "font-size": 11,
            },
            text(cut(l, BOX_CHARS)),
          )
        ).join(""),
    );
  if (d.kind === "deadlock") {
    for (const s of d.sleepers) {
      const on = s.waitsFor === undefined ? "nobody will" : `waits for T${s.waitsFor.thread}`;
      out.push(box(s.thread, ["asleep on", s.address, on], "asleep", "#dc2626"));
    }
    // Wait-for arrows between the sleepers' end boxes, bowed out to the right.
    for (const s of d.sleepers) {
      if (s.waitsFor === undefined) continue;
      const a = s.thread;
      const b = s.waitsFor.thread;
      const inCycle = d.cycle.includes(a) && d.cycle.includes(b);
      // Downward arrows bow out less than upward ones, so a two-thread cycle shows two arrows.
      const xr = x + BOX_W;
      const ya = g.laneMid(a) + (a < b ? 12 : -12);
      const yb = g.laneMid(b) + (a < b ? -12 : 12);
      const bow = (a < b ? 22 : 44) + 6 * Math.abs(a - b);
      out.push(tag(
        "g",
        { class: `edge-group waitsfor${inCycle ? " cycle" : ""}` },
        tag("title", {}, text(`T${a} waits for T${b} (it last set ${s.address})`)) +
          tag("path", {
            class: "edge waitsfor",
            d: `M${xr},${ya} C${xr + bow},${ya} ${xr + bow},${yb} ${xr},${yb}`,
            "marker-end": "url(#ix-arrow-waitsfor)",
          }),
      ));
    }
  } else if (d.kind === "invariant" || d.kind === "livelock" || d.kind === "divergence") {
    const label = d.kind === "invariant"
      ? ["✗ invariant", "violated"]
      : d.kind === "livelock"
      ? ["✗ no end", "(livelock)"]
      : ["✗ replay", "diverged"];
    const y = g.laneTop(0) + BOX_TOP;
    const h = (d.lanes.length - 1) * LANE_H + BOX_H;
    out.push(tag(
      "g",
      { class: "endbox verdict-box" },
      tag("rect", {
        x,
        y,
        width: BOX_W,
        height: h,
        rx: 6,
        fill: "#fef2f2",
        stroke: "#dc2626",
        "stroke-width": 2,
      }) +
        label.map((l, i) =>
          tag(
            "text",
            {
              x: x + BOX_W / 2,
              y: y + h / 2 - 4 + 16 * i,
              "text-anchor": "middle",
              fill: "#b91c1c",
              "font-weight": 700,
              "font-size": 13,
            },
            text(l),
          )
        ).join(""),
    ));
  } else if (d.kind === "error") {
    const lane = d.steps[d.highlight[0] ?? -1]?.thread ?? 0;
    out.push(box(lane, ["✗ throws", ...d.title.split(" threw ").slice(1)], "threw", "#dc2626"));
  }
  return out.join("");
}

function memory(d: Diagram, g: Layout): string {
  const out: string[] = [
    tag("text", { class: "memlabel", x: PAD, y: g.memTop + 16, "font-weight": 700 }, "memory"),
  ];
  if (d.addresses.length === 0) {
    out.push(
      tag("text", { class: "memlabel", x: g.col(0), y: g.memTop + 16 }, "(no shared access)"),
    );
  }
  d.addresses.forEach((address, j) => {
    const y = g.memTop + (j + 1) * MEM_H;
    out.push(tag(
      "text",
      { class: "memlabel mono", x: PAD + 12, y: y + 17 },
      tag("title", {}, text(address)) + text(cut(address, 24)),
    ));
    // Segments: a new one at every write of the word (even of the same value).
    let start = 0; // column index: 0 = "start", k + 1 = after step k
    let writer = -1;
    const flush = (end: number) => {
      const x1 = start === 0 ? g.col(0) - START_W + 4 : g.col(start - 1) + COL_W / 2;
      const x2 = end === d.steps.length + 1 ? g.col(d.steps.length) : g.col(end - 1) + COL_W / 2;
      const v = d.values[start]![j];
      const fill = writer < 0 ? "#e5e7eb" : laneColor(d.steps[writer]!.thread);
      const label = v === undefined ? "?" : show(v);
      out.push(tag(
        "g",
        // Faded in the page until the write that starts it has happened.
        { class: "mem", "data-address": j, "data-step": writer < 0 ? undefined : writer },
        tag("title", {}, text(`${address} = ${label}`)) +
          tag("rect", {
            x: x1,
            y: y + 3,
            width: Math.max(2, x2 - x1 - 2),
            height: MEM_H - 6,
            rx: 4,
            fill,
            "fill-opacity": writer < 0 ? 1 : 0.18,
            stroke: writer < 0 ? "#d1d5db" : fill,
          }) +
          tag(
            "text",
            { class: "mono", x: x1 + 6, y: y + 17, fill: "#111827" },
            text(cut(label, Math.max(1, Math.floor((x2 - x1 - 10) / 6.6)))),
          ),
      ));
    };
    d.steps.forEach((s, k) => {
      if (s.address === address && wrote(s)) {
        flush(k + 1);
        start = k + 1;
        writer = k;
      }
    });
    flush(d.steps.length + 1);
  });
  return tag("g", { class: "memory" }, out.join(""));
}

/** The legend's entries: only what the diagram shows. */
function legendItems(d: Diagram): { swatch: (x: number, y: number) => string; label: string }[] {
  const arrow = (kind: string) => (x: number, y: number) =>
    tag("line", {
      class: `edge ${kind}`,
      x1: x,
      y1: y,
      x2: x + 28,
      y2: y,
      "marker-end": `url(#ix-arrow-${kind})`,
    });
  // Swatches spell their strokes out: a `box` class would make them count as steps.
  const frame = (dash: string | undefined, width: number) => (x: number, y: number) =>
    tag("rect", {
      x,
      y: y - 8,
      width: 26,
      height: 16,
      rx: 4,
      fill: "#ffffff",
      stroke: "#dc2626",
      "stroke-width": width,
      "stroke-dasharray": dash,
    });
  const items: { swatch: (x: number, y: number) => string; label: string }[] = [];
  const has = (kind: string) => d.edges.some((e) => e.kind === kind);
  if (has("reads")) {
    items.push({ swatch: arrow("reads"), label: "reads a value another thread wrote" });
  }
  if (has("wakes")) items.push({ swatch: arrow("wakes"), label: "notify wakes a sleeper" });
  if (has("lost")) {
    items.push({ swatch: arrow("lost"), label: "lost update: overwrites a write it never read" });
  }
  if (d.preempted.some((t) => t >= 0)) {
    items.push({
      swatch: (x, y) => tag("text", { class: "preempt", x: x + 8, y: y + 4 }, "↯"),
      label: "preemption: switched away from a thread that could go on",
    });
  }
  if (d.sleepers.length > 0) {
    items.push({ swatch: arrow("waitsfor"), label: "waits for (last other writer of its word)" });
    items.push({ swatch: frame("4 2", 2.5), label: "the write a sleeper waits on" });
  }
  items.push({ swatch: frame(undefined, 3.5), label: "the failure" });
  return items;
}

/** Where each legend entry goes: rows that wrap at the diagram's width. */
function legendPlaces(d: Diagram, width: number, top: number) {
  let x = PAD;
  let y = top + 16;
  return legendItems(d).map((item) => {
    const w = 34 + item.label.length * 6.2 + 22;
    if (x > PAD && x + w > width - PAD) {
      x = PAD;
      y += 20;
    }
    const at = { ...item, x, y };
    x += w;
    return at;
  });
}

function legend(d: Diagram, g: Layout): string {
  return tag(
    "g",
    { class: "legend" },
    legendPlaces(d, g.width, g.legendTop).map(({ swatch, label, x, y }) =>
      swatch(x, y) + tag("text", { x: x + 34, y: y + 4 }, text(label))
    ).join(""),
  );
}
