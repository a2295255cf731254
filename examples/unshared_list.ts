// Run: deno run --allow-read examples/unshared_list.ts
/**
 * The seed's lesson on memory: a child that appends to a module-level list appends to *its own*
 * copy of the module, so the parent's list is still empty afterwards (`[]`). Each worker imports
 * the module afresh, with its own globals, exactly as each Python process has its own. To share
 * data, use shared memory (`Value`, `SharedArray`), a `Queue`, a `Pipe`, or the task's return value
 * (see `examples/value_array.ts`).
 *
 * @module
 */
import { Process, taskModule } from "@interlock/interlock";

/** A module-level list: every thread that imports this module gets its own. */
export const result: number[] = [];

/** Appends the squares to this thread's `result` and prints it there. */
export function squareOfList(mylist: number[]): number[] {
  for (const num of mylist) result.push(num ** 2);
  console.log(`In the child: [${result.join(", ")}]`);
  return result;
}

if (import.meta.main) {
  const mylist = [1, 3, 4, 5];
  const self = taskModule<typeof import("./unshared_list.ts")>(import.meta.url);

  const p1 = new Process(self, "squareOfList", { args: [mylist] });
  p1.start();
  await p1.join();

  console.log(`In the parent: [${result.join(", ")}]`); // [] empty list
}
