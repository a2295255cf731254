/**
 * Ping-pong bodies shared by the lock benches' workers (`./lock_worker.ts`, `./lock_ab_worker.ts`):
 * two workers pass the turn back and forth, one round trip being two hand-offs; `p` is the player
 * (0 or 1). Each kind is its own function, so that V8 compiles it for its own primitive only. The
 * Interlock forms take the classes to revive their objects with, so that a bench can run two copies
 * of Interlock side by side.
 *
 * @module
 */

/** A lock as the ping-pongs use it. */
interface PingLock {
  acquireSync(): unknown;
  release(): void;
}

/** The classes (of one copy of Interlock) that revive the objects a ping-pong was given. */
export interface PingClasses {
  readonly Lock: { from(value: unknown): PingLock };
  readonly Event: { from(value: unknown): { set(): void; clear(): void; waitSync(): unknown } };
  readonly Condition: {
    from(value: unknown): PingLock & { waitSync(): unknown; notify(): void };
  };
}

/**
 * Turn 2i+p belongs to player p; spin while it is the other's turn. Fast (~0.3 µs per round trip)
 * only while both players hold a core: the benches use it to tell that regime from the one in
 * which the two share a core (milliseconds per round trip).
 */
export function rawSpinPing(p: number, rounds: number, turn: Int32Array): void {
  for (let i = 0; i < rounds; i++) {
    const mine = 2 * i + p;
    while (Atomics.load(turn, 0) !== mine) Atomics.pause();
    Atomics.store(turn, 0, mine + 1);
  }
}

/** Turn 2i+p belongs to player p; sleep while it is the other's turn. */
export function rawWaitPing(p: number, rounds: number, turn: Int32Array): void {
  for (let i = 0; i < rounds; i++) {
    const mine = 2 * i + p;
    let v: number;
    while ((v = Atomics.load(turn, 0)) !== mine) Atomics.wait(turn, 0, v);
    Atomics.store(turn, 0, mine + 1);
    Atomics.notify(turn, 0, 1);
  }
}

/**
 * Two locks, both held at the start, passed back and forth as binary semaphores (a Lock may be
 * released by any thread): player 0 releases a and takes b; player 1 takes a, releases b.
 */
export function lockPing(
  C: PingClasses,
  p: number,
  rounds: number,
  _turn: Int32Array,
  pair: readonly unknown[],
): void {
  const a = C.Lock.from(pair[0]);
  const b = C.Lock.from(pair[1]);
  if (p === 0) {
    for (let i = 0; i < rounds; i++) {
      a.release();
      b.acquireSync();
    }
  } else {
    for (let i = 0; i < rounds; i++) {
      a.acquireSync();
      b.release();
    }
  }
}

/** Two Events: player 0 sets a and waits for b; player 1 waits for a, clears it, sets b. */
export function eventPing(
  C: PingClasses,
  p: number,
  rounds: number,
  _turn: Int32Array,
  pair: readonly unknown[],
): void {
  const a = C.Event.from(pair[0]);
  const b = C.Event.from(pair[1]);
  if (p === 0) {
    for (let i = 0; i < rounds; i++) {
      a.set();
      b.waitSync();
      b.clear();
    }
  } else {
    for (let i = 0; i < rounds; i++) {
      a.waitSync();
      a.clear();
      b.set();
    }
  }
}

/**
 * A Condition hand-off (the textbook form): under the condition's lock, wait until `turn[0]` is
 * mine, take the turn, notify the other. One round trip is two hand-offs, as above.
 */
export function conditionPing(
  C: PingClasses,
  p: number,
  rounds: number,
  turn: Int32Array,
  pair: readonly unknown[],
): void {
  const cond = C.Condition.from(pair[0]);
  for (let i = 0; i < rounds; i++) {
    const mine = 2 * i + p;
    cond.acquireSync();
    while (turn[0] !== mine) cond.waitSync();
    turn[0] = mine + 1;
    cond.notify();
    cond.release();
  }
}
