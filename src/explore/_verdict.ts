/**
 * The verdict of a scenario's check (an invariant or an `always` predicate): it holds unless it
 * throws, returns `false`, or returns a string (the reason).
 *
 * @module
 */

/** `Name: message` of an error, or the value's string form. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  if (e instanceof DOMException) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Runs a check; returns undefined if it held, else the reason (and the error, if one was thrown). */
export function verdict(
  check: () => unknown,
): { reason: string; cause: unknown } | undefined {
  let out: unknown;
  try {
    out = check();
  } catch (e) {
    return { reason: describeError(e), cause: e };
  }
  if (out === false) return { reason: "the check returned false", cause: undefined };
  if (typeof out === "string") return { reason: out, cause: undefined };
  return undefined;
}
