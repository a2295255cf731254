import assert from "node:assert/strict";
import { type ChartData, lineChart, niceTicks, shortNumber } from "../../bench/_chart.ts";

const CHARTS = new URL("../../bench/charts/", import.meta.url);
/** The charts the bench scripts write, by the script that writes each. */
const EXPECTED: Record<string, string> = {
  lock_workers: "bench/lock_bench.ts",
  queue_workers: "bench/queue_bench.ts",
  pool_task_size: "bench/pool_bench.ts",
  explore_size: "bench/explore_bench.ts",
};

/** The series names and axis labels an SVG chart carries. */
function anatomy(svg: string) {
  const attr = (re: RegExp) => [...svg.matchAll(re)].map((m) => unescape(m[1]!));
  return {
    series: attr(/<g class="series" data-series="([^"]*)"/g),
    axes: [
      ...attr(/<g class="axis x" data-label="([^"]*)"/g),
      ...attr(/<g class="axis y" data-label="([^"]*)"/g),
    ],
    points: svg.match(/<circle /g)?.length ?? 0,
    lines: svg.match(/<polyline /g)?.length ?? 0,
    // Tick labels of the x axis (its last text is the axis label).
    xTicks:
      ((/<g class="axis x"[^>]*>(.*?)<\/g>/s.exec(svg)?.[1] ?? "").match(/<text /g)?.length ?? 1) -
      1,
  };
}

function unescape(s: string): string {
  return s.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)));
}

Deno.test("a chart draws one line per series with its points, both axes with ticks, and a legend", () => {
  const svg = lineChart({
    title: "Pool <tasks/s> & size",
    subtitle: "test",
    x: { label: "task size", log: true },
    y: { label: "tasks/s" },
    series: [
      {
        name: "piscina (baseline)",
        baseline: true,
        points: [{ x: 10, ys: [5, 6, 7] }, { x: 1000, ys: [4] }],
      },
      {
        name: `Interlock "Pool"`,
        points: [{ x: 10, ys: [20, 25] }, { x: 1000, ys: [9], atLeast: true }],
      },
    ],
  });
  const a = anatomy(svg);
  assert.deepEqual(a.series, ["piscina (baseline)", `Interlock "Pool"`]);
  assert.deepEqual(a.axes, ["task size", "tasks/s"]);
  assert.equal(a.points, 4);
  assert.equal(a.lines, 2);
  assert.equal(a.xTicks, 3, "decades 10, 100, 1k");
  assert.match(svg, /Pool &#60;tasks\/s&#62; &#38; size/);
  assert.match(svg, /stroke-dasharray="6 4"/); // the baseline
  assert.match(
    svg,
    /fill="#ffffff" stroke="[^"]+" stroke-width="2"><title>Interlock &#34;Pool&#34;, task size 1000: ≥ 9/,
  );
  assert.throws(
    () =>
      lineChart({
        title: "t",
        subtitle: "",
        x: { label: "x" },
        y: { label: "y", log: true },
        series: [{ name: "s", points: [{ x: 1, ys: [0] }] }],
      }),
    RangeError,
  );
});

Deno.test("ticks are round numbers and labels are short", () => {
  assert.deepEqual(niceTicks(0, 9.3), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0, 0.42), [0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.deepEqual([999, 1500, 2_000_000, 0.25].map(shortNumber), ["999", "1.5k", "2M", "0.25"]);
});

Deno.test("the committed benchmark charts show their series and axes, as their JSON says", async () => {
  for (const [name, script] of Object.entries(EXPECTED)) {
    const svg = await Deno.readTextFile(new URL(`${name}.svg`, CHARTS));
    const data = JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, CHARTS))) as ChartData;
    const a = anatomy(svg);
    assert.deepEqual(a.series, data.chart.series.map((s) => s.name), `${name} (from ${script})`);
    assert.ok(a.series.length >= 2, `${name}: a baseline and at least one series`);
    assert.ok(data.chart.series.some((s) => s.baseline), `${name}: a baseline series`);
    assert.deepEqual(a.axes, [data.chart.x.label, data.chart.y.label], name);
    assert.equal(a.points, data.chart.series.reduce((n, s) => n + s.points.length, 0), name);
    assert.ok(Object.keys(data.ratios).length > 0, `${name}: named ratios`);
    assert.equal(svg, lineChart(data.chart), `${name}.svg is the chart of ${name}.json`);
  }
});
