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

/** The 1, 5 and 15 minute load averages, or `null` without `--allow-sys`. */
function loads(): number[] | null {
  try {
    return Deno.loadavg().map((x) => Number(x.toFixed(2)));
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return null;
    }
    throw error;
  }
}

/**
 * The 1, 5 and 15 minute load averages, as `load 2.81 3.56 6.88` (every figure is printed with
 * it); `load unknown (run with --allow-sys)` without the permission.
 */
export function loadAverage(): string {
  return `load ${loads()?.join(" ") ?? "unknown (run with --allow-sys)"}`;
}

/** When one worker of a timed run started and stopped (ms, on a clock all workers share). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * How much the workers of one run overlapped: the time all of them were running, over the time
 * any of them was (1 = all started and stopped together; near 0 = they ran one after the other,
 * and a "contended" figure was really an uncontended one).
 */
export function overlap(spans: readonly Span[]): number {
  const first = Math.min(...spans.map((s) => s.start));
  const last = Math.max(...spans.map((s) => s.end));
  const together = Math.min(...spans.map((s) => s.end)) - Math.max(...spans.map((s) => s.start));
  return last > first ? Math.max(0, together) / (last - first) : 0;
}

/**
 * Prints a bench's closing line: one JSON object with its named same-run ratios (rounded to 3
 * digits; a ratio that could not be measured is left out, never `NaN`) and the load average, e.g.
 * `{"bench":"lock","ratios":{"contended_vs_futex_2w":1.01},"load":[1.2,1.5,2]}`. Call it last:
 * trend scripts read the last line of the output.
 */
export function printRatios(bench: string, ratios: Readonly<Record<string, number>>): void {
  const named: Record<string, number> = {};
  for (const [name, value] of Object.entries(ratios)) {
    if (Number.isFinite(value)) named[name] = Number(value.toPrecision(3));
  }
  console.log(JSON.stringify({ bench, ratios: named, load: loads() }));
}
