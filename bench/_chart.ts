/**
 * Small SVG line charts for the benchmark scripts: one line per series over a numeric x axis
 * (linear or log), each point the median of its rounds with a min-max bar, axes with ticks and
 * labels, a legend. No dependencies beyond the explorer's markup helpers (every label is escaped),
 * no fonts or scripts to fetch: the file renders as it is in a README.
 *
 * The bench scripts write `bench/charts/<name>.svg` next to `bench/charts/<name>.json` (the same
 * figures and the named ratios); `tests/bench/chart_test.ts` checks the committed charts' series
 * and axes, and that each SVG is the drawing of its JSON. After changing the drawing code,
 * `deno run --allow-read --allow-write bench/_chart.ts` redraws every chart from its JSON.
 *
 * @module
 */
import { cut, tag, text } from "../src/explore/_markup.ts";
import { median } from "./_stats.ts";

/** One measured point: the rounds' values at `x`. */
export interface Point {
  readonly x: number;
  /** Every round's value (the chart draws their median and min-max). */
  readonly ys: readonly number[];
  /** The value is a lower bound (a capped count): drawn hollow, with "≥" in its tooltip. */
  readonly atLeast?: boolean | undefined;
}

/** A line of the chart. */
export interface Series {
  readonly name: string;
  readonly points: readonly Point[];
  /** Drawn dashed: the baseline the other series are compared with. */
  readonly baseline?: boolean | undefined;
}

/** An axis: its label, scale and how its ticks read. */
export interface Axis {
  readonly label: string;
  /** Logarithmic (base 10) scale. */
  readonly log?: boolean;
  /** Tick values; chosen from the data when not given. */
  readonly ticks?: readonly number[];
}

/** What to draw. */
export interface Chart {
  readonly title: string;
  /** The run's circumstances: machine, rounds, date. */
  readonly subtitle: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly series: readonly Series[];
}

const W = 760;
const H = 440;
const LEFT = 78;
const RIGHT = 24;
const TOP = 64;
const BOTTOM = 62;
const LEGEND_ROW = 18;
const COLORS = ["#6b7280", "#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777"];

/** Round numbers: 1, 2, 5 x 10^k ticks from at or below `lo` to at or above `hi` (linear). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  for (let k = first; k <= last; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** Powers of ten spanning [lo, hi] (log scale). */
function decadeTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

/** `1.5k`, `2M`, `0.25`: short tick labels. */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  const fmt = (x: number, unit: string) => `${Number(x.toPrecision(3))}${unit}`;
  if (a >= 1e9) return fmt(v / 1e9, "G");
  if (a >= 1e6) return fmt(v / 1e6, "M");
  if (a >= 1e3) return fmt(v / 1e3, "k");
  return String(Number(v.toPrecision(3)));
}

/** Maps data to pixels along one axis. */
function scale(axis: Axis, values: readonly number[], from: number, to: number) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (axis.log) {
    if (!(lo > 0)) throw new RangeError(`Cannot chart: log axis '${axis.label}' needs values > 0`);
    const ticks = axis.ticks ?? decadeTicks(lo, hi);
    lo = Math.min(lo, ...ticks);
    hi = Math.max(hi, ...ticks);
    const [a, b] = [Math.log10(lo), Math.log10(hi)];
    const at = (v: number) => from + (to - from) * (b === a ? 0.5 : (Math.log10(v) - a) / (b - a));
    return { at, ticks };
  }
  if (axis.ticks === undefined) {
    lo = Math.min(lo, 0);
    hi = hi === lo ? lo + 1 : hi;
  }
  const ticks = axis.ticks ?? niceTicks(lo, hi);
  lo = Math.min(lo, ...ticks);
  hi = Math.max(hi, ...ticks);
  const at = (v: number) => from + (to - from) * (hi === lo ? 0.5 : (v - lo) / (hi - lo));
  return { at, ticks };
}

/** The chart as an SVG document. */
export function lineChart(c: Chart): string {
  if (c.series.length === 0 || c.series.some((s) => s.points.length === 0)) {
    throw new RangeError(`Cannot chart '${c.title}': every series needs at least one point`);
  }
  const rows = Math.ceil(c.series.length / 2);
  const height = H + rows * LEGEND_ROW;
  const plotBottom = H - BOTTOM;
  const xs = c.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = c.series.flatMap((s) => s.points.flatMap((p) => p.ys));
  const x = scale(c.x, xs, LEFT + 24, W - RIGHT - 24);
  const y = scale(c.y, ys, plotBottom, TOP);
  const out: string[] = [
    tag("rect", { x: 0, y: 0, width: W, height, fill: "#ffffff" }),
    tag("text", { class: "title", x: LEFT, y: 24 }, text(cut(c.title, 80))),
    tag("text", { class: "subtitle", x: LEFT, y: 42 }, text(cut(c.subtitle, 110))),
  ];
  // Axes: grid lines, ticks, labels.
  const grid = y.ticks.map((t) =>
    tag("line", { x1: LEFT, x2: W - RIGHT, y1: y.at(t), y2: y.at(t), class: "grid" }) +
    tag("text", { x: LEFT - 8, y: y.at(t) + 4, "text-anchor": "end" }, text(shortNumber(t)))
  ).join("");
  out.push(tag(
    "g",
    { class: "axis y", "data-label": c.y.label },
    grid +
      tag("line", { x1: LEFT, x2: LEFT, y1: TOP, y2: plotBottom, class: "spine" }) +
      tag(
        "text",
        {
          class: "label",
          transform: `translate(18 ${(TOP + plotBottom) / 2}) rotate(-90)`,
          "text-anchor": "middle",
        },
        text(c.y.label),
      ),
  ));
  const xTicks = x.ticks.map((t) =>
    tag("line", { x1: x.at(t), x2: x.at(t), y1: plotBottom, y2: plotBottom + 5, class: "spine" }) +
    tag("text", { x: x.at(t), y: plotBottom + 18, "text-anchor": "middle" }, text(shortNumber(t)))
  ).join("");
  out.push(tag(
    "g",
    { class: "axis x", "data-label": c.x.label },
    tag("line", { x1: LEFT, x2: W - RIGHT, y1: plotBottom, y2: plotBottom, class: "spine" }) +
      xTicks +
      tag(
        "text",
        { class: "label", x: (LEFT + W - RIGHT) / 2, y: plotBottom + 38, "text-anchor": "middle" },
        text(c.x.label),
      ),
  ));
  // Series: min-max bars, the line through the medians, the points.
  c.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    // Series side by side at one x are nudged apart, so their min-max bars do not hide each other.
    const dodge = (k - (c.series.length - 1) / 2) * 6;
    const at = pts.map((p) => ({ p, px: x.at(p.x) + dodge, py: y.at(median([...p.ys])) }));
    const bars = at.map(({ p, px }) =>
      p.ys.length > 1
        ? tag("line", {
          class: "range",
          x1: px,
          x2: px,
          y1: y.at(Math.min(...p.ys)),
          y2: y.at(Math.max(...p.ys)),
          stroke: color,
        })
        : ""
    ).join("");
    const line = tag("polyline", {
      class: "line",
      points: at.map(({ px, py }) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" "),
      stroke: color,
      "stroke-dasharray": s.baseline ? "6 4" : undefined,
    });
    const dots = at.map(({ p, px, py }) =>
      tag(
        "circle",
        {
          cx: px,
          cy: py,
          r: 4,
          fill: p.atLeast ? "#ffffff" : color,
          stroke: color,
          "stroke-width": 2,
        },
        tag(
          "title",
          {},
          text(
            `${s.name}, ${c.x.label} ${p.x}: ${p.atLeast ? "≥ " : ""}${
              shortNumber(median([...p.ys]))
            } (min ${shortNumber(Math.min(...p.ys))}, max ${shortNumber(Math.max(...p.ys))})`,
          ),
        ),
      )
    ).join("");
    out.push(tag("g", { class: "series", "data-series": s.name }, bars + line + dots));
    // Legend: two columns under the plot.
    const lx = LEFT + (k % 2) * ((W - LEFT - RIGHT) / 2);
    const ly = H - 8 + Math.floor(k / 2) * LEGEND_ROW;
    out.push(tag(
      "g",
      { class: "legend-item" },
      tag("line", {
        x1: lx,
        x2: lx + 24,
        y1: ly - 4,
        y2: ly - 4,
        stroke: color,
        "stroke-width": 2.5,
        "stroke-dasharray": s.baseline ? "6 4" : undefined,
      }) +
        tag("text", { x: lx + 30, y: ly }, text(cut(s.name, 48))),
    ));
  });
  const style = `
text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  font-size: 11px; fill: #374151; }
.title { font-size: 15px; font-weight: 700; fill: #111827; }
.subtitle { fill: #6b7280; }
.label { font-size: 12px; font-weight: 600; }
.grid { stroke: #e5e7eb; }
.spine { stroke: #6b7280; }
.line { fill: none; stroke-width: 2.5; }
.range { stroke-width: 6; stroke-opacity: 0.25; stroke-linecap: round; }
`;
  return tag(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      width: W,
      height,
      viewBox: `0 0 ${W} ${height}`,
      role: "img",
      "aria-label": `${c.title}. ${c.subtitle}`,
    },
    tag("title", {}, text(c.title)) + tag("style", {}, style) + out.join(""),
  ) + "\n";
}

/** What a bench writes beside its chart: the chart's figures and its named ratios. */
export interface ChartData {
  readonly bench: string;
  readonly chart: Chart;
  /** Named same-run ratios, e.g. `{"interlock/raw-futex@2": 0.95}` (median of per-round ratios). */
  readonly ratios: Readonly<Record<string, number>>;
}

/**
 * Writes `<dir>/<name>.svg` and `<dir>/<name>.json`; returns the SVG's path. (The bench prints its
 * ratios, these among them, as its last line with `printRatios` from `_stats.ts`.)
 */
export async function writeChart(dir: URL, name: string, data: ChartData): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const svg = new URL(`${name}.svg`, dir);
  await Deno.writeTextFile(svg, lineChart(data.chart));
  await Deno.writeTextFile(new URL(`${name}.json`, dir), JSON.stringify(data, null, 2) + "\n");
  return svg.pathname;
}

/** Whether `args` holds `flag` (removed from `args`): e.g. `--chart-only`. */
export function takeFlag(args: string[], flag: string): boolean {
  const k = args.indexOf(flag);
  if (k >= 0) args.splice(k, 1);
  return k >= 0;
}

/** `bench/charts/`, or the directory given by `--charts DIR` (removed from `args`). */
export function chartsDir(args: string[]): URL {
  const k = args.indexOf("--charts");
  if (k < 0) return new URL("./charts/", import.meta.url);
  const dir = args[k + 1];
  if (dir === undefined) throw new RangeError("Flag --charts needs a directory");
  args.splice(k, 2);
  return new URL(dir.endsWith("/") ? dir : `${dir}/`, `file://${Deno.cwd()}/`);
}

if (import.meta.main) {
  const dir = new URL("./charts/", import.meta.url);
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".json")) continue;
    const data = JSON.parse(await Deno.readTextFile(new URL(entry.name, dir))) as ChartData;
    const svg = new URL(entry.name.replace(/\.json$/, ".svg"), dir);
    await Deno.writeTextFile(svg, lineChart(data.chart));
    console.log(`redrew ${svg.pathname}`);
  }
}
