import assert from "node:assert/strict";
import { Lock } from "../../mod.ts";
import { diagramOf } from "../../src/explore/_diagram.ts";
import { explore, sim } from "../../src/explore/mod.ts";
import { deadlock, lostUpdate, wakeUp } from "./_pictures.ts";

const HOSTILE_THREADS: [string, string] = [
  `<img src=x onerror="alert(1)">`,
  "</script><script>globalThis.pwned = 1</script>",
];
const HOSTILE_LOCKS: [string, string] = [`a"'&<b>`, "</title><svg onload=alert(2)>"];

/** The JSON data block of a page. */
function dataOf(html: string): {
  steps: { text: string }[];
  lanes: string[];
  addresses: string[];
  values: string[][];
} {
  const m = /<script type="application\/json" id="ix-data">(.*?)<\/script>/s.exec(html);
  assert.ok(m, "the page carries its data in a JSON block");
  return JSON.parse(m[1]!);
}

Deno.test("the lost update's diagram shows both reads of 100, the overwritten write and the memory timeline", () => {
  const failure = lostUpdate();
  const d = diagramOf(failure);
  assert.deepEqual(d.lanes, ["T0 transfer", "T1 transfer"]);
  assert.deepEqual(d.steps.map((s) => [s.thread, s.op]), [
    [0, "load"],
    [1, "load"],
    [1, "store"],
    [0, "store"],
  ]);
  assert.deepEqual(d.boxes[0], ["read", "balance.value", "→ 100"]);
  assert.deepEqual(d.boxes[3], ["write", "balance.value", "← 99"]);
  // The lost update: T0's write (step 4) overwrites T1's (step 3), which T0 never read.
  assert.deepEqual(d.edges.map((e) => [e.kind, e.from, e.to]), [["lost", 2, 3]]);
  assert.deepEqual(d.highlight, [3]);
  assert.match(d.verdict, /T0 overwrites T1's balance\.value = 101 without having read it/);
  // Step 2 preempted T0, which could have gone on.
  assert.deepEqual(d.preempted, [-1, 0, -1, -1]);
  // Memory before step 1 and after each step; it ends at the failure's final state.
  assert.deepEqual(d.addresses, ["balance.value"]);
  assert.deepEqual(d.values.map((row) => row[0]), [100, 100, 100, 101, 99]);
  assert.deepEqual(failure.initial, { "balance.value": 100 });
  assert.equal(d.values.at(-1)![0], failure.final["balance.value"]);
  assert.equal(d.replayLine, `replay(scenario, "${failure.token}")`);
});

Deno.test("a deadlock's diagram names the sleepers and their wait-for cycle", () => {
  const failure = deadlock();
  const d = diagramOf(failure, { kernelSteps: true });
  assert.deepEqual(d.sleepers.map((s) => [s.thread, s.address, s.waitsFor?.thread]), [
    [0, "b.state", 1],
    [1, "a.state", 0],
  ]);
  assert.deepEqual(d.cycle, [0, 1]);
  assert.deepEqual(d.highlight, d.sleepers.map((s) => s.step));
  assert.ok(d.highlight.every((k) => d.steps[k]!.op === "wait"));
  assert.match(d.verdict, /^wait-for cycle T0 → T1 → T0: /);
  // Each thread's failed compare-exchange read the lock word the other thread had set.
  const reads = d.edges.filter((e) => e.kind === "reads");
  assert.deepEqual(
    reads.map((e) => [d.steps[e.from]!.thread, d.steps[e.to]!.thread, d.steps[e.to]!.address]),
    [[0, 1, "a.state"], [1, 0, "b.state"]],
  );
  const svg = failure.toSVG({ kernelSteps: true });
  assert.equal(svg.match(/class="edge-group waitsfor cycle"/g)?.length, 2);
  assert.equal(svg.match(/class="endbox asleep"/g)?.length, 2);
});

Deno.test("the ABBA deadlock's pictures fold each lock call into one box, as the text trace folds it", () => {
  const failure = deadlock();
  const d = diagramOf(failure);
  // Calls of one step keep their kernel box; the sleeping acquires are one box each.
  assert.deepEqual(d.boxes, [
    ["cas ✓", "a.state", "0 → 2"],
    ["cas ✓", "b.state", "0 → 4"],
    ["acquire(): sleeps", "a", "steps 3-6"],
    ["acquire(): sleeps", "b", "steps 7-10"],
  ]);
  assert.deepEqual(d.steps.map((s) => [s.step, s.thread]), [[1, 0], [2, 1], [3, 1], [7, 0]]);
  // The sleepers sleep in their acquire boxes, each waiting for the other's first box.
  assert.deepEqual(d.highlight, [3, 2]);
  assert.deepEqual(
    d.sleepers.map((s) => [s.thread, s.step, s.waitsFor?.step]),
    [[0, 3, 1], [1, 2, 0]],
  );
  assert.deepEqual(d.edges.map((e) => [e.kind, e.from, e.to]), [["reads", 0, 2], ["reads", 1, 3]]);
  // Memory after each box is memory after its last step (a.state, b.state, then each lock's waiter
  // count); the preemption stays on box 2.
  assert.deepEqual(d.values, [[0, 0, 0, 0], [2, 0, 0, 0], [2, 4, 0, 0], [3, 4, 1, 0], [
    3,
    5,
    1,
    1,
  ]]);
  assert.deepEqual(d.preempted, [-1, 0, -1, -1]);
  // The SVG and the page draw those 4 boxes; kernelSteps draws the 10 steps.
  const boxes = (svg: string) => svg.match(/<g class="box /g)?.length;
  assert.equal(boxes(failure.toSVG()), 4);
  assert.equal(boxes(failure.toSVG({ kernelSteps: true })), 10);
  assert.match(failure.toSVG(), /acquire\(\): sleeps/);
  assert.deepEqual(dataOf(failure.toHTML()).steps.map((s) => s.text), [
    "a.acquire()",
    "b.acquire()",
    "a.acquire(): sleeps",
    "b.acquire(): sleeps",
  ]);
  assert.equal(dataOf(failure.render({ format: "html", kernelSteps: true })).steps.length, 10);
});

Deno.test("a notify that wakes a sleeper is drawn as a wake-up edge into the sleeper's lane", () => {
  const failure = wakeUp();
  const d = diagramOf(failure, { kernelSteps: true });
  const wakes = d.edges.filter((e) => e.kind === "wakes");
  assert.equal(wakes.length, 1, failure.message);
  assert.equal(d.steps[wakes[0]!.from]!.op, "notify");
  assert.equal(d.steps[wakes[0]!.from]!.thread, 1);
  assert.equal(wakes[0]!.lane, 0);
  assert.match(failure.toSVG({ kernelSteps: true }), /class="pill woken-mark"/);
});

Deno.test("a word first written blind still shows its value before step 1, in both reset modes", () => {
  for (const reset of ["snapshot", "setup"] as const) {
    const failure = explore({
      setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)).fill(7) }),
      threads: [function* blind({ n }: { n: Int32Array }) {
        yield* sim(n).store(0, 1);
      }],
      invariant: ({ n }) => n[0] === 7,
    }, { reset }).failure!;
    assert.deepEqual(failure.initial, { n: 7 }, reset);
    assert.deepEqual(diagramOf(failure).values, [[7], [1]], reset);
  }
});

Deno.test("a long trace is drawn from its last maxSteps steps, memory carried over", () => {
  const failure = explore({
    setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
    threads: [function* spin({ n }: { n: Int32Array }) {
      for (;;) yield* sim(n).add(0, 1);
    }],
  }, { maxSteps: 50 }).failure!;
  assert.equal(failure.kind, "livelock");
  const d = diagramOf(failure, { maxSteps: 10 });
  assert.equal(d.steps.length, 10);
  assert.equal(d.elided, 40);
  assert.equal(d.steps[0]!.step, 41);
  assert.deepEqual(d.values.map((row) => row[0]), [40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
  assert.match(failure.toSVG({ maxSteps: 10 }), />40 steps before</);
  assert.throws(() => failure.toHTML({ maxSteps: 0 }), RangeError);
});

Deno.test("render({ format }) returns the page, the SVG or the text report, and refuses other formats", () => {
  const failure = lostUpdate();
  assert.equal(failure.render({ format: "html" }), failure.toHTML());
  assert.equal(failure.render({ format: "svg" }), failure.toSVG());
  assert.equal(failure.render({ format: "text" }), failure.message);
  assert.throws(
    () => failure.render({ format: "pdf" as "svg" }),
    { name: "TypeError", message: /'format' must be "text", "html" or "svg", received pdf/ },
  );
});

Deno.test("the page is self-contained: no URL to fetch, and a CSP that allows only its own script", async () => {
  const html = lostUpdate().toHTML();
  const urls = html.match(/[a-z]+:\/\/[^\s"'<>)]*/g) ?? [];
  assert.deepEqual([...new Set(urls)], ["http://www.w3.org/2000/svg"]); // the SVG namespace only
  assert.doesNotMatch(html, /\s(?:src|href|action)=/);
  assert.deepEqual(
    [...new Set(html.match(/url\([^)]*\)/g))].every((u) => u.startsWith("url(#")),
    true,
  );
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1]
    ?.replaceAll("&#39;", "'");
  assert.ok(csp);
  assert.match(csp, /default-src 'none'/);
  const scripts = [...html.matchAll(/<script>(.*?)<\/script>/gs)].map((m) => m[1]!);
  assert.equal(scripts.length, 1, "one executable script");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(scripts[0]));
  const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
  assert.match(csp, new RegExp(`script-src 'sha256-${hash.replace(/[+/]/g, "\\$&")}'`));
});

Deno.test("hostile thread names and setup() keys reach the page and the SVG only as escaped text", () => {
  const failure = deadlock(HOSTILE_THREADS, HOSTILE_LOCKS);
  for (const out of [failure.toHTML(), failure.toSVG()]) {
    assert.doesNotMatch(out, /<img|<svg onload|<\/title><svg|<script>globalThis/);
    assert.doesNotMatch(out, /onerror="alert/);
    assert.match(out, /&#60;img src=x onerror=&#34;alert\(1\)&#34;&#62;/);
  }
  const html = failure.toHTML();
  assert.equal(html.match(/<script/g)?.length, 2, "the JSON block and the page's own script");
  assert.equal(html.match(/<\/script>/g)?.length, 2);
  // The data block still carries the names exactly.
  const data = dataOf(html);
  assert.deepEqual(data.lanes, HOSTILE_THREADS.map((name, k) => `T${k} ${name}`));
  assert.ok(data.addresses.includes(`${HOSTILE_LOCKS[0]}.state`), data.addresses.join());
});

Deno.test("the page's data gives the memory view every step's values", () => {
  const failure = lostUpdate();
  const data = dataOf(failure.toHTML());
  assert.deepEqual(data.steps.map((s) => s.text), failure.trace.map((s) => s.text));
  assert.deepEqual(data.values, [["100"], ["100"], ["100"], ["101"], ["99"]]);
});

Deno.test("a failure with no shared access still draws", () => {
  const failure = explore({
    setup: () => ({ lock: new Lock() }),
    threads: [function* quiet() {
      yield* [];
    }],
    invariant: () => false,
  }).failure!;
  assert.equal(failure.trace.length, 0);
  assert.match(failure.toSVG(), /\(no shared access\)/);
  assert.match(failure.toHTML(), /^<!doctype html>/);
});
