import assert from "node:assert/strict";

const DEMO = new URL("../examples/demo.ts", import.meta.url);

async function runDemo(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-write", DEMO.pathname, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: decode(stdout), err: decode(stderr) };
}

Deno.test("the demo tells the race, the fix, the explorer's proof and the pool", async () => {
  const dir = await Deno.makeTempDir({ prefix: "interlock-demo-test-" });
  try {
    await checkDemo(`${dir}/race.html`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function checkDemo(html: string): Promise<void> {
  const { code, out, err } = await runDemo(
    "--runs",
    "3",
    "--transactions",
    "2000",
    "--no-color",
    "--html",
    html,
  );
  assert.equal(code, 0, err);
  const [race, fix, why, pool] = out.split(/^\d\. /m).slice(1);
  assert.ok(race && fix && why && pool, out);
  // 1. Ten (here three) unlocked runs, each printing its final balance.
  assert.equal(race.match(/^ {2}Final balance = +-?\d+$/gm)?.length, 3, race);
  // 2. The Lock keeps every run at exactly 100.
  assert.equal(fix.match(/^ {2}Final balance = +100$/gm)?.length, 3, fix);
  assert.match(fix, /3 of 3 runs ended at exactly 100/);
  // 3. The shrunk lost update: two threads reading the same balance, then the locked proof, both
  // in the very functions the workers of 1 and 2 run.
  assert.match(why, /^Why: the explorer ran the very functions your workers run/);
  assert.match(why, /scenario examples\/bank\/accounts\.ts: withdraw, deposit, 2 threads/);
  assert.match(why, /shrank it to 2 threads, 4 steps, 1 preemption/);
  assert.equal(why.match(/read balance\.value → 100/g)?.length, 2, why);
  assert.match(why, /write balance\.value ← 99/);
  assert.match(why, /write balance\.value ← 101/);
  assert.match(why, /replay token: ix\d+:/);
  // The same race as a page, next to the terminal diagram: its path, and the same token in it.
  assert.ok(
    why.includes(`The same schedule as a page, with a step slider over shared memory: ${html}`),
  );
  const page = await Deno.readTextFile(html);
  const token = /replay token: (\S+)/.exec(why)![1]!;
  assert.match(page, /^<!doctype html>/);
  assert.ok(
    page.includes(`<code id="token">${token}</code>`),
    "the page's token is the terminal's",
  );
  assert.match(page, /the balance is (99|101), not 100: an update was lost/);
  assert.match(why, /balance preserved in all [\d,]+ executions \(every interleaving covered/);
  // 4. The pool's squares, in input order, each with the worker that computed it.
  assert.match(pool, /pool\.map\("square", \[1, 2, 3, 4, 5\]\) → \[1, 4, 9, 16, 25\]/);
  assert.equal(pool.match(/computed by worker \d+/g)?.length, 5, pool);
  assert.match(pool, /speedup \d+\.\d\dx/);
}

Deno.test("the demo rejects unknown flags and bad sizes with a clear message", async () => {
  const unknown = await runDemo("--bogus");
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.err, /Unknown flag: --bogus/);
  const bad = await runDemo("--runs", "0");
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--runs needs a positive integer/);
});
