/**
 * The engine's side of specification-level steps (`_spec_step.ts`): the current state of each unit
 * in an execution, whether a pending call is blocked, running a call (storing and mirroring the new
 * state, recording what the thread now holds), and the calls a step blocked (for optimal DPOR).
 *
 * @module
 */
import type { Pending } from "./_event.ts";
import { hold, type Holding } from "./_holding.ts";
import { attempt, type Parts, type SpecRecord, type SpecRun, TIMED_OUT } from "./_spec_step.ts";
import { addressOf, RUNNABLE, SPEC, type Thread } from "./_thread.ts";

/** What of an execution the specification level reads and changes. */
export interface SpecUnits {
  /** The specification-level state of each unit touched, by key address. */
  readonly units: Map<number, Parts>;
  /** What each thread holds at the specification level. */
  readonly holding: Holding;
  /** The execution's threads. */
  readonly threads: readonly Thread[];
}

/** The current state of the unit a specification-level call of `t` works on (loaded at first use). */
export function specState(ex: SpecUnits, t: Thread): Parts {
  const target = t.spec!.target;
  const addr = addressOf(target.unit, target.index);
  let parts = ex.units.get(addr);
  if (parts === undefined) {
    parts = target.load();
    ex.units.set(addr, parts);
  }
  return parts;
}

/** Whether runnable thread `t`'s pending specification-level call cannot move (no deadline). */
export function specBlocked(ex: SpecUnits, t: Thread): boolean {
  const call = t.spec!;
  if (call.timed) return false;
  const parts = specState(ex, t);
  if (t.specSeen !== parts) {
    t.specSeen = parts;
    t.specBlocked = attempt(call, parts).blocked;
  }
  return t.specBlocked;
}

/** Runs `t`'s specification-level call; the new state is stored and mirrored. */
export function runSpec(ex: SpecUnits, t: Thread): SpecRun {
  const call = t.spec!;
  const before = specState(ex, t);
  const o = attempt(call, before);
  const wrote = o.after !== before;
  const addr = addressOf(t.a, t.i);
  let result = o.result;
  let threw = o.threw;
  if (wrote) {
    ex.units.set(addr, o.after);
    call.target.mirror?.(o.after);
  }
  if (o.blocked) {
    result = TIMED_OUT;
  } else if (!threw && call.effect !== undefined) {
    try {
      result = call.effect(result);
    } catch (e) {
      result = e;
      threw = true;
    }
  }
  if (!o.blocked && !threw) hold(ex.holding, t, t, call.name, result);
  const record: SpecRecord = { call, addr, before, after: o.after, wrote, timedOut: o.blocked };
  return { result, threw, record };
}

/**
 * Specification-level calls of threads other than `t` that could move before `rec`'s step and
 * cannot after it (their blocked state before the step is still cached in `specSeen`/`specBlocked`).
 */
export function blockedBy(ex: SpecUnits, t: Thread, rec: SpecRecord): Pending[] | undefined {
  let out: Pending[] | undefined;
  for (const u of ex.threads) {
    if (u === t || u.status !== RUNNABLE || u.op !== SPEC || u.spec!.timed) continue;
    if (addressOf(u.a, u.i) !== rec.addr) continue;
    const before = u.specSeen === rec.before ? u.specBlocked : attempt(u.spec!, rec.before).blocked;
    if (!before && specBlocked(ex, u)) (out ??= []).push(pendingOf(u));
  }
  return out;
}

/** Thread `t`'s pending specification-level call, as a step it could make. */
export function pendingOf(t: Thread): Pending {
  return { thread: t.id, op: SPEC, a: t.a, i: t.i, x: 0, watch: undefined, spec: t.spec };
}
