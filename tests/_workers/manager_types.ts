/**
 * Types the manager tests register with `manager.register`: they run inside the manager's server.
 *
 * @module
 */
import process from "node:process";

/** A counter whose increment is a non-atomic read-modify-write (safe only because calls are atomic). */
export class Counter {
  #n: number;

  constructor(start = 0) {
    this.#n = start;
  }

  /** Adds `by` with a separate read and write. */
  increment(by = 1): number {
    const seen = this.#n;
    this.#n = seen + by;
    return this.#n;
  }

  /** The count. */
  value(): number {
    return this.#n;
  }

  /** An async method: resolves with the count after an `await`. */
  async later(): Promise<number> {
    await Promise.resolve();
    return this.#n;
  }

  /** Not exposed: starts with `_`. */
  _reset(): void {
    this.#n = 0;
  }
}

/** An error with its own class name, a property and a cause. */
export class InsufficientFunds extends Error {
  /** How much was missing. */
  readonly missing: number;

  constructor(missing: number) {
    super(`Insufficient funds: ${missing} missing`, {
      cause: new RangeError("balance below zero"),
    });
    this.name = "InsufficientFunds";
    this.missing = missing;
  }
}

/** A bank account; `withdraw` throws `InsufficientFunds`. */
export class Account {
  balance = 0;

  deposit(amount: number): number {
    this.balance += amount;
    return this.balance;
  }

  withdraw(amount: number): number {
    if (amount > this.balance) throw new InsufficientFunds(amount - this.balance);
    this.balance -= amount;
    return this.balance;
  }
}

/** A factory function (not a class) making a plain object with methods. */
export function makeStack(
  ...items: number[]
): { push(x: number): number; pop(): number | undefined } {
  const stack = [...items];
  return {
    push: (x: number) => stack.push(x),
    pop: () => stack.pop(),
  };
}

/** An updater: the new value is `max(value, candidate)`. */
export function maxOf(value: number | undefined, candidate: number): number {
  return value === undefined ? candidate : Math.max(value, candidate);
}

/** Methods that end the server worker in each of the ways it can end. */
export class Crasher {
  /** Never settles. */
  hang(): Promise<never> {
    return new Promise(() => {});
  }

  /** Throws outside any call: an uncaught error in the server. */
  throwUncaught(): void {
    queueMicrotask(() => {
      throw new Error("boom");
    });
  }

  /** Rejects a Promise nobody handles. */
  rejectUnhandled(): void {
    Promise.reject(new Error("unhandled boom"));
  }

  /** Ends the server's thread with `process.exit()`. */
  exitProcess(): void {
    process.exit(3);
  }

  /** Ends the server's thread with `Deno.exit()`. */
  exitDeno(): void {
    Deno.exit(4);
  }
}

/** Methods that throw each kind of value a caller must get back as it was thrown. */
export class Thrower {
  /** A TypeError with a cause and own properties. */
  typeError(): never {
    throw Object.assign(new TypeError("bad shape", { cause: new RangeError("too wide") }), {
      code: "E_SHAPE",
      width: 12,
    });
  }

  /** A DOMException named AbortError. */
  abort(): never {
    throw new DOMException("stopped by the caller", "AbortError");
  }

  /** An AggregateError of two errors. */
  aggregate(): never {
    throw new AggregateError([new Error("first"), new SyntaxError("second")], "both failed");
  }

  /** One of Interlock's error classes, with a cause and a property. */
  async queueEmpty(): Promise<never> {
    const { QueueEmptyError } = await import("../../src/errors.ts");
    throw Object.assign(new QueueEmptyError("nothing to take", { cause: "drained" }), { size: 0 });
  }

  /** A value that is not an Error. */
  plainValue(): never {
    throw { code: 7, reason: "not an error" };
  }
}

/**
 * A gate on a BroadcastChannel named `name`: `pass(who)` announces `who` on the channel (the call
 * is then in the server, holding its mailbox slot) and returns once someone posts "open".
 */
export class Gate {
  #channel: BroadcastChannel;
  #open: Promise<void>;

  constructor(name: string) {
    const channel = this.#channel = new BroadcastChannel(name);
    this.#open = new Promise((resolve) => {
      channel.onmessage = (e: MessageEvent) => {
        if (e.data === "open") resolve();
      };
    });
  }

  /** Announces `who`, then waits for the gate to open. */
  async pass(who: number): Promise<number> {
    this.#channel.postMessage(who);
    await this.#open;
    return who;
  }
}
