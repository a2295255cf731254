import assert from "node:assert/strict";
import { pictures, stale } from "../../tools/pictures.ts";

Deno.test("the README's counterexample picture is what the explorer draws now", async () => {
  assert.deepEqual((await stale()).map((u) => u.pathname), [], "run `deno task pictures`");
});

Deno.test("the lost update's picture shows two lanes, four steps, the lost write and the memory", () => {
  const [svg] = [...pictures().values()];
  assert.ok(svg);
  assert.equal(svg.match(/class="lane"/g)?.length, 2);
  assert.equal(svg.match(/<g class="box /g)?.length, 4);
  assert.equal(svg.match(/class="box op-store highlight"/g)?.length, 1);
  assert.equal(svg.match(/class="edge-group lost"/g)?.length, 1);
  assert.match(svg, /the balance is 99, not 100: an update was lost/);
  assert.deepEqual(
    [...svg.matchAll(/<g class="mem"[^>]*>.*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]),
    [
      "100",
      "101",
      "99",
    ],
  );
});
