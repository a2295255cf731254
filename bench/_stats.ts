/**
 * Helpers the benchmark scripts share: the median of repeated rounds, its "median (min-max)" form,
 * and `--name value` flags.
 *
 * @module
 */

/** The median of `xs` (the mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** "median (min-max)" of `xs`, each figure written by `format`. */
export function spread(xs: number[], format: (x: number) => string): string {
  return `${format(median(xs))} (${format(Math.min(...xs))}-${format(Math.max(...xs))})`;
}

/**
 * Parses `--name value` pairs over `defaults`: every name must be a key of `defaults` and every
 * value a positive integer (they are all counts); throws a `RangeError` otherwise.
 */
export function parseFlags<T extends { [K in keyof T]: number }>(args: string[], defaults: T): T {
  const options = { ...defaults };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]!.replace(/^--/, "") as keyof T;
    const value = Number(args[i + 1]);
    if (!(key in options) || !Number.isInteger(value) || value <= 0) {
      throw new RangeError(`Bad option ${args[i]} ${args[i + 1]}`);
    }
    options[key] = value as T[keyof T];
  }
  return options;
}
