// Run: deno run --allow-read examples/value_array.ts
/**
 * The seed's `Value` and `Array` modified by a child: the child adds 1 to a shared counter and
 * doubles every element of a shared array of doubles; the parent then sees `1` and `[2, 4, 6, 8]`.
 * Unlike a module-level list (`examples/unshared_list.ts`), these live in a `SharedArrayBuffer` that
 * the parent and the child both see. Python's `Array` is `SharedArray` here.
 *
 * @module
 */
import { Process, SharedArray, taskModule, Value } from "@interlock/interlock";

/** The seed's `modify_shared_resources()`. */
export function modifySharedResources(
  sharedValue: Value<"i">,
  sharedArray: SharedArray<"d">,
): void {
  sharedValue.value += 1; // the only writer here, so no lock is needed
  for (let index = 0; index < sharedArray.length; index++) {
    sharedArray.set(index, sharedArray.get(index) * 2);
  }
}

if (import.meta.main) {
  // Initialize shared resources
  const counter = new Value("i", 0); // integer type
  const numberArray = new SharedArray("d", [1.0, 2.0, 3.0, 4.0]); // double-precision array

  // Create and run the modifying process
  const self = taskModule<typeof import("./value_array.ts")>(import.meta.url);
  const modifier = new Process(self, "modifySharedResources", { args: [counter, numberArray] });
  modifier.start();
  await modifier.join();

  // Display results
  console.log(`Modified Counter: ${counter.value}`);
  console.log(`Modified Array: [${numberArray.toArray().join(", ")}]`);
}
