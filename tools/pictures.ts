/**
 * The pictures of counterexamples that the README shows, drawn by the explorer itself:
 * `docs/lost_update.svg` is the demo's lost update (the unlocked bank, replayed from a fixed
 * token so that it is the same picture on every run).
 *
 * Usage: `deno task pictures` (writes), `deno task pictures --check` (exits 1 if a picture is stale:
 * regenerate after changing the drawing code). `tests/tools/pictures_test.ts` runs the check in CI.
 *
 * @module
 */
import { bankScenario } from "../examples/bank/scenario.ts";
import { replay } from "../src/explore/mod.ts";

/** The demo's race: T0 reads 100, T1 reads 100 and writes 101, T0 writes 99 over it. */
export const LOST_UPDATE_TOKEN = "ix1:2:0.1*2.0:6810724d";

/** Every picture: where it goes and what it holds. */
export function pictures(): Map<URL, string> {
  const lost = replay(bankScenario(false, 2, 1), LOST_UPDATE_TOKEN).failure;
  if (lost === undefined) {
    throw new Error(`The lost update's token ${LOST_UPDATE_TOKEN} no longer fails`);
  }
  return new Map([[new URL("../docs/lost_update.svg", import.meta.url), lost.toSVG() + "\n"]]);
}

/** The pictures whose file differs from what the code draws now. */
export async function stale(): Promise<URL[]> {
  const out: URL[] = [];
  for (const [url, svg] of pictures()) {
    const now = await Deno.readTextFile(url).catch(() => "");
    if (now !== svg) out.push(url);
  }
  return out;
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const old = await stale();
    for (const url of old) console.error(`stale: ${url.pathname} (run deno task pictures)`);
    Deno.exit(old.length === 0 ? 0 : 1);
  }
  for (const [url, svg] of pictures()) {
    await Deno.mkdir(new URL(".", url), { recursive: true });
    await Deno.writeTextFile(url, svg);
    console.log(`wrote ${url.pathname}`);
  }
}
