/**
 * The `Disposable` that `acquire` methods return, so `using _ = await lock.acquire();` releases at
 * the end of the block.
 *
 * @module
 */

/** Releases what it guards once, on dispose; later disposals do nothing. */
export class Guard implements Disposable {
  #release: (() => void) | undefined;

  /** Guards a hold that `release` gives back. */
  constructor(release: () => void) {
    this.#release = release;
  }

  /** Releases the hold, unless this guard already did. */
  [Symbol.dispose](): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}
