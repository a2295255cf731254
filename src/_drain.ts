/**
 * The async iteration of every queue, local or in Redis: take items until the queue says it is
 * closed and drained.
 *
 * @module
 */

/**
 * Yields what `get` resolves to, again and again, until it rejects with an error that `closed`
 * recognises as the end of the queue (the iteration then ends quietly); any other error is thrown.
 */
export async function* drain<T>(
  get: () => Promise<T>,
  closed: (error: unknown) => boolean,
): AsyncGenerator<T, void, undefined> {
  for (;;) {
    let item: T;
    try {
      item = await get();
    } catch (error) {
      if (closed(error)) return;
      throw error;
    }
    yield item;
  }
}
