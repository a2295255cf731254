/**
 * What every Redis primitive gets from its context ({@linkcode Core}), and the option checks they
 * share.
 *
 * @module
 */
import { RuntimeError } from "../errors.ts";
import { deadlineOf, type WaitOptions } from "../options.ts";
import type { Engine } from "./_engine.ts";
import { checkName, keyBase } from "./_names.ts";

/** What the context gives back when it closes: a hold, a queue consumer, a pool server. */
export interface Tracked {
  /** Stops its timers (lease watchdogs) at once. */
  stop(): void;
  /** Gives back in Redis what it holds, ignoring failures. */
  releaseQuietly(): Promise<void>;
}

/** The context's services, as its primitives see them. */
export interface Core {
  /** The connection layer. */
  readonly engine: Engine;
  /** The key namespace. */
  readonly namespace: string;
  /** A random id of this context, unique among contexts (part of every waiter and holder id). */
  readonly id: string;
  /** The default lease in ms. */
  readonly lease: number;
  /** A new id, unique in this context: `<context id>.<n>`. */
  nextId(): string;
  /** Registers a hold to release on close. */
  track(hold: Tracked): void;
  /** Forgets a released hold. */
  untrack(hold: Tracked): void;
  /** Throws `RedisConnectionError` if the context is closed. */
  checkOpen(what: string): void;
  /** Whether the context is closed (or closing). */
  closedNow(): boolean;
}

/** The shortest lease accepted, in ms (the watchdog renews every third of it). */
export const MIN_LEASE = 30;

/** Validates a lease option (ms); `undefined` gives `fallback`. */
export function checkLease(what: string, lease: unknown, fallback: number): number {
  if (lease === undefined) return fallback;
  if (typeof lease !== "number") {
    throw new TypeError(`Cannot ${what}: 'lease' must be a number, received ${typeof lease}`);
  }
  if (!Number.isInteger(lease) || lease < MIN_LEASE || lease > 2 ** 31 - 1) {
    throw new RangeError(
      `Cannot ${what}: 'lease' must be an integer number of ms from ${MIN_LEASE} to 2^31-1, received ${lease}`,
    );
  }
  return lease;
}

/** Validates an options bag (an object or undefined). */
export function checkOptions<T extends object>(what: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${what}: options must be an object, received ${typeof options}`);
  }
  return options;
}

/** `deadlineOf` of the local primitives, after checking the context is open. */
export function deadline(core: Core, what: string, options: WaitOptions | undefined): number {
  core.checkOpen(what);
  return deadlineOf(what, options);
}

/** The name and key base of a primitive, validated. */
export function named(core: Core, kind: string, name: unknown): { name: string; base: string } {
  const checked = checkName(kind, name);
  return { name: checked, base: keyBase(core.namespace, checked, kind) };
}

/** The `RuntimeError` of releasing what this object does not hold. */
export function notHeld(what: string): RuntimeError {
  return new RuntimeError(`Cannot release ${what}: this object holds no hold of it`);
}
