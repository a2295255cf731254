/**
 * The wire form of a batch of tasks ({@linkcode RunMessage}): written by the pool (`_member.ts`),
 * read by the worker (`_worker_pool.ts`). Imports only the protocol, so both sides may load it.
 *
 * - **Why packed.** A batch used to travel as parallel arrays (ids, slots, generations, names, kinds,
 *   argument lists): its structured clone cost ~0.4 µs per tiny task to write on the pool's thread
 *   and more to read in the worker, most of it for the argument lists (one array object each) and
 *   the names (one string each). Now the numbers of every task sit in one `Float64Array` table,
 *   each name travels once per batch, and the arguments of a Call whose arguments are all numbers
 *   (at most {@linkcode MAX_PACKED_ARITY}) join one `Float64Array`: a few flat copies.
 * - **Exact.** A `Float64Array` holds every number as it is (`-0`, `NaN`, integers up to 2^53, so
 *   task ids too). Argument lists that hold anything else travel as they are, in `args`.
 *
 * @module
 */
import { CALL, type Kind, RUN_WORDS, type RunMessage, type WireArgs } from "./protocol.ts";

/** Most arguments a Call may have for them to travel packed among the batch's numbers. */
export const MAX_PACKED_ARITY = 8;

/** One task of a batch, as both sides see it. */
export interface RunEntry {
  readonly id: number;
  readonly slot: number;
  readonly gen: number;
  readonly kind: Kind;
  readonly name: string;
  readonly args: WireArgs;
}

/** The message that sends `tasks`, in order. */
export function encodeRun(tasks: readonly RunEntry[]): RunMessage {
  const n = tasks.length;
  const table = new Float64Array(n * RUN_WORDS);
  const names: string[] = [];
  const args: WireArgs[] = [];
  let count = 0;
  let lastName: string | undefined;
  let lastIndex = -1;
  for (let i = 0, w = 0; i < n; i++, w += RUN_WORDS) {
    const task = tasks[i]!;
    if (task.name !== lastName) {
      lastName = task.name;
      lastIndex = names.indexOf(lastName);
      if (lastIndex < 0) lastIndex = names.push(lastName) - 1;
    }
    const arity = numbersOnly(task);
    table[w] = task.id;
    table[w + 1] = task.slot;
    table[w + 2] = task.gen;
    table[w + 3] = task.kind;
    table[w + 4] = lastIndex;
    table[w + 5] = arity;
    if (arity < 0) args.push(task.args);
    else count += arity;
  }
  const numbers = new Float64Array(count);
  for (let i = 0, w = 0, at = 0; i < n; i++, w += RUN_WORDS) {
    const arity = table[w + 5]!;
    const list = tasks[i]!.args as number[];
    for (let k = 0; k < arity; k++) numbers[at++] = list[k]!;
  }
  return { type: "run", table, names, numbers, args };
}

/** The tasks `message` sends, in order, each passed to `each`. */
export function decodeRun(message: RunMessage, each: (entry: RunEntry) => void): void {
  const { table, names, numbers, args } = message;
  let at = 0;
  let next = 0;
  for (let w = 0; w < table.length; w += RUN_WORDS) {
    const arity = table[w + 5]!;
    let list: WireArgs;
    if (arity < 0) list = args[next++]!;
    else {
      list = new Array<number>(arity);
      for (let k = 0; k < arity; k++) list[k] = numbers[at++]!;
    }
    each({
      id: table[w]!,
      slot: table[w + 1]!,
      gen: table[w + 2]!,
      kind: table[w + 3]! as Kind,
      name: names[table[w + 4]!]!,
      args: list,
    });
  }
}

/** How many numbers `task`'s arguments are, if it is a Call whose arguments all are; else -1. */
function numbersOnly(task: RunEntry): number {
  const list = task.args;
  if (task.kind !== CALL || !Array.isArray(list) || list.length > MAX_PACKED_ARITY) return -1;
  for (let k = 0; k < list.length; k++) if (typeof list[k] !== "number") return -1;
  return list.length;
}
