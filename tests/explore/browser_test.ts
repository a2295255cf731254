/**
 * The HTML view of a failure, in a real browser: headless Chromium (see `tests/_browser.ts`) opens
 * the page, and the test reads what a person would see, moves the step slider with the mouse and
 * the keyboard, and checks a screenshot is not blank. Set `INTERLOCK_SCREENSHOTS` to a directory to
 * keep the screenshots.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { launchChromium, type TestBrowser } from "../_browser.ts";
import { deadlock, lostUpdate } from "./_pictures.ts";

/** Opens `html` in a new page; records requests, errors and dialogs. */
async function open(browser: TestBrowser["browser"], html: string) {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  await page.setViewport({ width: 1280, height: 900 });
  const seen = { requests: [] as string[], errors: [] as string[], dialogs: [] as string[] };
  page.on("request", (r) => seen.requests.push(r.url()));
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") seen.errors.push(m.text());
  });
  page.on("dialog", async (d) => {
    seen.dialogs.push(d.message());
    await d.dismiss();
  });
  await page.setContent(html, { waitUntil: "load" });
  return { page, seen };
}

const memoryText = (page: Page) =>
  page.$eval("#memory tbody", (t) => (t as unknown as { innerText: string }).innerText);
const caption = (page: Page) => page.$eval("#step-text", (o) => o.textContent ?? "");
const sliderValue = (page: Page) =>
  page.$eval("#step", (s) => (s as unknown as { value: string }).value);
/** Takes the focus off the slider, so that keys reach the page's own handler. */
const blur = (page: Page) => page.evaluate("document.activeElement?.blur()");

/** Mean and standard deviation of the luminance of a PNG, decoded by the browser itself. */
async function pixelStats(page: Page, png: string): Promise<{ mean: number; sd: number }> {
  // Browser code, as a string: this project type-checks without the DOM library.
  return await page.evaluate(`(async () => {
    const img = new Image();
    img.src = "data:image/png;base64,${png}";
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, img.width, img.height).data;
    let sum = 0;
    let sq = 0;
    const n = px.length / 4;
    for (let k = 0; k < px.length; k += 4) {
      const y = 0.2126 * px[k] + 0.7152 * px[k + 1] + 0.0722 * px[k + 2];
      sum += y;
      sq += y * y;
    }
    const mean = sum / n;
    return { mean, sd: Math.sqrt(sq / n - mean * mean) };
  })()`) as { mean: number; sd: number };
}

async function lostUpdatePage(chromium: TestBrowser): Promise<void> {
  const failure = lostUpdate();
  const { page, seen } = await open(chromium.browser, failure.toHTML());

  // What a newcomer sees: the reason, one lane per thread, one box per step, the failing write.
  assert.match(await page.$eval("#reason", (h) => h.textContent ?? ""), /^Invariant violated/);
  assert.deepEqual(
    await page.$$eval("#diagram .lane .lanelabel", (ls) => ls.map((l) => l.textContent)),
    ["T0 transfer", "T1 transfer"],
  );
  assert.equal(await page.$$eval("#diagram .box", (bs) => bs.length), 4);
  assert.deepEqual(
    await page.$$eval(
      "#diagram .box.highlight",
      (bs) => bs.map((b) => b.getAttribute("data-step")),
    ),
    ["3"],
  );
  assert.equal(await page.$$eval("#diagram .edge-group.lost", (es) => es.length), 1);
  assert.equal(await page.$eval("#token", (c) => c.textContent), failure.token);
  assert.match(
    await page.$eval("#replay-line", (p) => p.textContent ?? ""),
    new RegExp(`replay\\(scenario, "${failure.token.replaceAll("*", "\\*")}"\\)`),
  );

  // It opens at the failing step: after step 4, T0's 99 over T1's 101.
  assert.equal(await sliderValue(page), "4");
  assert.match(await caption(page), /^step 4 of 4: T0 transfer: write balance\.value ← 99/);
  const atEnd = await memoryText(page);
  assert.match(atEnd, /balance\.value\s+99\s+101\s+T0 at step 4/);

  // The mouse: a click at the slider's left end goes back to before the first step.
  const box = (await (await page.$("#step"))!.boundingBox())!;
  await page.mouse.click(box.x + 2, box.y + box.height / 2);
  assert.equal(await sliderValue(page), "0");
  const atStart = await memoryText(page);
  assert.notEqual(atStart, atEnd);
  assert.match(atStart, /balance\.value\s+100\s+initial/);
  assert.match(await caption(page), /^before step 1/);
  assert.equal(await page.$$eval("#diagram .box.future", (bs) => bs.length), 4);

  // The keyboard: → on the page moves one step (the slider itself is not focused).
  await blur(page);
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  assert.equal(await sliderValue(page), "3");
  assert.match(await caption(page), /^step 3 of 4: T1 transfer: write balance\.value ← 101/);
  assert.match(await memoryText(page), /balance\.value\s+101\s+100\s+T1 at step 3/);
  assert.equal(await page.$$eval("#diagram .box.current", (bs) => bs.length), 1);
  // A click on a step's box goes to that step.
  await page.click('#diagram .box[data-step="1"]');
  assert.match(await caption(page), /^step 2 of 4: T1 transfer: read balance\.value → 100/);

  // A screenshot of the whole page is a picture, not a blank.
  const png = await page.screenshot({ encoding: "base64", fullPage: true });
  const dir = Deno.env.get("INTERLOCK_SCREENSHOTS");
  if (dir) {
    await Deno.writeFile(
      `${dir}/lost_update_page.png`,
      Uint8Array.from(atob(png), (c) => c.charCodeAt(0)),
    );
  }
  const decoder = await chromium.browser.newPage();
  const { mean, sd } = await pixelStats(decoder, png);
  assert.ok(sd > 20, `the screenshot is nearly uniform: luminance ${mean.toFixed(1)} ± ${sd}`);

  // Offline and clean: nothing fetched, no script error, no CSP violation.
  assert.deepEqual(seen.requests, []);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.dialogs, []);
}

async function hostilePage(chromium: TestBrowser): Promise<void> {
  const names: [string, string] = [
    `<img src=x onerror="alert(1)">`,
    "</script><script>globalThis.pwned = 1; alert(2)</script>",
  ];
  const failure = deadlock(names, ["lock", "</title><svg onload=alert(3)>"]);
  const { page, seen } = await open(chromium.browser, failure.toHTML());
  assert.deepEqual(
    await page.$$eval("#diagram .lane > title", (ts) => ts.map((t) => t.textContent)),
    names.map((n, k) => `T${k} ${n}`),
  );
  assert.equal(await page.evaluate(() => "pwned" in globalThis), false);
  assert.equal(await page.$$eval("img", (is) => is.length), 0);
  assert.equal(await page.$$eval("svg", (ss) => ss.length), 1, "only the diagram");
  // The deadlock's cycle is drawn, and the slider still works on this page.
  assert.equal(await page.$$eval(".edge-group.waitsfor.cycle", (es) => es.length), 2);
  assert.equal(await page.$$eval("#diagram .box.highlight", (bs) => bs.length), 2);
  await blur(page);
  await page.keyboard.press("Home");
  assert.equal(await sliderValue(page), "0");
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.requests, []);
}

// One browser for both pages: launching Chromium is most of the time.
Deno.test("the HTML view of a failure in headless Chromium", async (t) => {
  await using chromium = await launchChromium();
  await t.step(
    "the lost update's page shows lanes, steps and the failure, and its slider scrubs the memory view",
    () => lostUpdatePage(chromium),
  );
  await t.step(
    "a page of hostile thread names shows them as text and runs none of them",
    () => hostilePage(chromium),
  );
});
