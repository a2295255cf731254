/**
 * Headless Chromium for tests, driven over the DevTools protocol by `puppeteer-core` (which
 * downloads no browser): Debian's `chromium` package, which `.ci/run` installs when it is missing.
 * A test that needs it fails (never skips) when it is not there.
 *
 * Every browser gets a fresh profile directory, removed when it is disposed, and flags that keep it
 * off the network (no background networking, component updates, sync or QUIC).
 *
 * @module
 */
import puppeteer, { type Browser } from "puppeteer-core";

/** Where Chromium is: `$CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
}

/** A launched browser; `await using` closes it and removes its profile. */
export interface TestBrowser extends AsyncDisposable {
  readonly browser: Browser;
}

/** Launches headless Chromium; throws if it is not installed. */
export async function launchChromium(): Promise<TestBrowser> {
  const path = chromiumPath();
  try {
    await Deno.stat(path);
  } catch {
    throw new Error(
      `Cannot launch Chromium: ${path} not found (.ci/run installs Debian's chromium package; ` +
        "run `apt-get install -y chromium`, or set CHROMIUM to a Chromium binary)",
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "interlock-chromium-" });
  try {
    const browser = await puppeteer.launch({
      executablePath: path,
      headless: true,
      timeout: 15_000,
      protocolTimeout: 15_000,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
      ],
    });
    return {
      browser,
      async [Symbol.asyncDispose]() {
        try {
          await browser.close();
        } finally {
          await Deno.remove(profile, { recursive: true });
        }
      },
    };
  } catch (e) {
    await Deno.remove(profile, { recursive: true });
    throw e;
  }
}
