import assert from "node:assert/strict";
import { LOST_UPDATE_TOKEN } from "../../tools/pictures.ts";

const ROOT = new URL("../../", import.meta.url);

/** Runs `deno task explore:html`'s script with the task's permissions. */
async function exploreHtml(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-write", "tools/explore_html.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: decode(stdout), err: decode(stderr) };
}

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "interlock-explore-html-test-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("explore:html writes the page and the SVG of the failure an exhaustive search finds", async () => {
  await inTempDir(async (dir) => {
    const { code, out, err } = await exploreHtml(
      "tests/explore/_pictures.ts",
      "--export",
      "deadlockScenario",
      "--strategy",
      "explore",
      "--out",
      `${dir}/deadlock.html`,
      "--svg",
      `${dir}/deadlock.svg`,
    );
    assert.equal(code, 0, err);
    assert.match(out, /^exhaustive: FAILED \(deadlock\)/);
    assert.ok(out.includes(`page: ${dir}/deadlock.html`), out);
    const html = await Deno.readTextFile(`${dir}/deadlock.html`);
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /wait-for cycle T0 → T1 → T0/);
    assert.match(await Deno.readTextFile(`${dir}/deadlock.svg`), /^<svg /);
  });
});

Deno.test("explore:html replays a token into a page", async () => {
  await inTempDir(async (dir) => {
    const { code, out, err } = await exploreHtml(
      "examples/bank/scenario.ts",
      "--export",
      "bankScenario",
      "--token",
      LOST_UPDATE_TOKEN,
      "--out",
      `${dir}/race.html`,
    );
    assert.equal(code, 0, err);
    assert.match(out, /^replay: FAILED \(invariant\)/);
    const html = await Deno.readTextFile(`${dir}/race.html`);
    assert.ok(html.includes(`<code id="token">${LOST_UPDATE_TOKEN}</code>`));
  });
});

Deno.test("explore:html writes nothing and exits 1 when the scenario holds", async () => {
  const { code, out } = await exploreHtml(
    "tests/explore/_pictures.ts",
    "--export",
    "lockedBank",
    "--strategy",
    "explore",
  );
  assert.equal(code, 1);
  assert.match(out, /every interleaving covered/);
  assert.match(out, /No failure found: no page written/);
});

Deno.test("explore:html rejects a missing export and bad flags with exit code 2", async () => {
  const missing = await exploreHtml("examples/bank/scenario.ts", "--export", "nope");
  assert.equal(missing.code, 2);
  assert.match(missing.err, /exports no scenario named 'nope'.*it exports bankScenario/);
  const bad = await exploreHtml("examples/bank/scenario.ts", "--strategy", "guess");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--strategy must be search, explore or sample, received guess/);
  const none = await exploreHtml();
  assert.equal(none.code, 2);
  assert.match(none.err, /A module is required/);
});
