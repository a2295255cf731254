/**
 * User-level operations in traces: `sim(x)` hands out a view of `x`'s wrapper whose every method
 * call runs inside a {@linkcode Frame} (`lock.acquire()`, `q.put(1)`), recorded on each step the
 * call takes, so traces can show the operation the user wrote with the kernel's loads and
 * compare-exchanges folded under it (`_fold.ts`). Calls a wrapper makes itself (a condition's
 * lock, a value's lock) run inside the user's call, which is the outermost frame.
 *
 * @module
 */
import { currentExecution, currentThread } from "../_engine.ts";
import type { Frame } from "../_event.ts";
import { valueText } from "../_fold.ts";
import { hold } from "../_holding.ts";
import { atSpecLevel } from "../_spec_step.ts";
import { isGenerator, type Step } from "./_common.ts";

/** Calls made so far in each execution: ids are per execution, so replays record the same ones. */
const calls = new WeakMap<object, number>();

/** Runs `inner` (a call of `method` on `object`) as the running thread's user-level operation. */
export function* framed<R>(
  object: Frame["object"],
  method: string,
  args: readonly unknown[],
  inner: Step<R>,
): Step<R> {
  const t = currentThread();
  if (t.frame !== undefined) return yield* inner;
  const ex = currentExecution();
  const id = (calls.get(ex) ?? 0) + 1;
  calls.set(ex, id);
  const frame: Frame = { object, method, args, id };
  t.frame = frame;
  let result: R;
  try {
    result = yield* inner;
    frame.returned = { value: result };
    frame.ended = result === undefined ? "" : ` → ${valueText(result)}`;
  } catch (error) {
    frame.ended = ` → throws ${(error as Error)?.name ?? String(error)}`;
    throw error;
  } finally {
    t.frame = undefined;
    t.ended = frame;
  }
  // At the specification level the engine keeps what threads hold itself (`_spec_run.ts`).
  if (!atSpecLevel(object)) hold(ex.holding, t, keyOf(object), method, result);
  return result;
}

const keys = new WeakMap<object, { a: Int32Array; i: number }>();

/** The word that stands for `object` in what threads hold: its first. */
function keyOf(object: Frame["object"]): { a: Int32Array; i: number } {
  let key = keys.get(object);
  if (key === undefined) {
    key = { a: new Int32Array(object.buffer, object.byteOffset, 1), i: 0 };
    keys.set(object, key);
  }
  return key;
}

/**
 * A view of `wrapper` (the `sim()` wrapper of `object`) whose generator methods run inside a
 * {@linkcode Frame}; anything else passes through.
 */
export function framedView<W extends object>(object: Frame["object"], wrapper: W): W {
  const methods = new Map<PropertyKey, unknown>();
  return new Proxy(wrapper, {
    get(target, key) {
      const v = Reflect.get(target, key, target);
      if (typeof v !== "function" || typeof key !== "string") return v;
      let m = methods.get(key);
      if (m === undefined) {
        m = (...args: unknown[]) => {
          const r = v.apply(target, args);
          return isGenerator(r) ? framed(object, key, args, r as Step<unknown>) : r;
        };
        methods.set(key, m);
      }
      return m;
    },
  });
}
