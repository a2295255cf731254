/**
 * `deno task explore:html`: runs a strategy of the interleaving explorer on a scenario exported by
 * any module and writes the failure it finds as an HTML page (and, with `--svg`, as an SVG image).
 *
 * ```sh
 * deno task explore:html examples/bank/scenario.ts --export bankScenario
 * deno task explore:html my_scenarios.ts --export queueScenario --strategy explore --out race.html
 * deno task explore:html my_scenarios.ts --token ix1:2:0.1*2.0:6810724d   # replay a token
 * ```
 *
 * - `--export NAME` (default `scenario`): an exported `Scenario`, or a function that returns one
 *   when called with no arguments.
 * - `--strategy search|explore|sample` (default `search`: fast-check, which shrinks the failure);
 *   `--seed N` for `search` and `sample`; `--bound N` (preemption bound) for `explore`;
 *   `--token T` replays a failure's token instead.
 * - `--out PATH` (default: `failure.html` in a new temporary directory), `--svg PATH`.
 *
 * Prints the report's summary and the page's path. Exit code 0 when a failure was written, 1 when
 * the strategy found none, 2 for bad arguments.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { explore, replay, type Report, sample, type Scenario, search } from "../src/explore/mod.ts";

/** Parsed command line. */
export interface Args {
  module: string;
  exportName: string;
  strategy: "search" | "explore" | "sample";
  seed: number | undefined;
  bound: number | undefined;
  token: string | undefined;
  out: string | undefined;
  svg: string | undefined;
}

const USAGE = "Usage: deno task explore:html <module> [--export NAME] " +
  "[--strategy search|explore|sample] [--seed N] [--bound N] [--token T] [--out PATH] [--svg PATH]";

/** Parses the command line; throws a `TypeError` (with the usage) for anything malformed. */
export function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    module: "",
    exportName: "scenario",
    strategy: "search",
    seed: undefined,
    bound: undefined,
    token: undefined,
    out: undefined,
    svg: undefined,
  };
  const integer = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0) {
      throw new TypeError(`Flag ${flag} needs a non-negative integer, received ${v}\n${USAGE}`);
    }
    return n;
  };
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    const value = () => {
      const v = argv[++k];
      if (v === undefined) throw new TypeError(`Flag ${arg} needs a value\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case "--export":
        args.exportName = value();
        break;
      case "--strategy": {
        const s = value();
        if (s !== "search" && s !== "explore" && s !== "sample") {
          throw new TypeError(`Flag --strategy must be search, explore or sample, received ${s}`);
        }
        args.strategy = s;
        break;
      }
      case "--seed":
        args.seed = integer(arg, argv[++k]);
        break;
      case "--bound":
        args.bound = integer(arg, argv[++k]);
        break;
      case "--token":
        args.token = value();
        break;
      case "--out":
        args.out = value();
        break;
      case "--svg":
        args.svg = value();
        break;
      default:
        if (arg.startsWith("--") || args.module !== "") {
          throw new TypeError(`Unknown argument: ${arg}\n${USAGE}`);
        }
        args.module = arg;
    }
  }
  if (args.module === "") throw new TypeError(`A module is required\n${USAGE}`);
  return args;
}

/** The scenario `args` name: the export itself, or what the exported function returns. */
export async function loadScenario(args: Args): Promise<Scenario<unknown>> {
  const url = /^[a-z]+:/.test(args.module) ? args.module : pathToFileURL(resolve(args.module)).href;
  const mod = await import(url) as Record<string, unknown>;
  const value = mod[args.exportName];
  const scenario = typeof value === "function" ? (value as () => unknown)() : value;
  if (typeof (scenario as Scenario<unknown>)?.setup !== "function") {
    throw new TypeError(
      `Cannot load the scenario: ${args.module} exports no scenario named '${args.exportName}' ` +
        `(an object with setup() and threads, or a function returning one); it exports ${
          Object.keys(mod).join(", ") || "nothing"
        }`,
    );
  }
  return scenario as Scenario<unknown>;
}

/** Runs what `args` asks for. */
export function run(scenario: Scenario<unknown>, args: Args): Report {
  if (args.token !== undefined) return replay(scenario, args.token);
  const seed = args.seed === undefined ? {} : { seed: args.seed };
  switch (args.strategy) {
    case "explore":
      return explore(scenario, args.bound === undefined ? {} : { preemptionBound: args.bound });
    case "sample":
      return sample(scenario, seed);
    default:
      return search(scenario, seed);
  }
}

async function main(): Promise<number> {
  let args: Args;
  let scenario: Scenario<unknown>;
  try {
    args = parseArgs(Deno.args);
    scenario = await loadScenario(args);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return 2;
  }
  const report = run(scenario, args);
  console.log(report.summary);
  if (report.failure === undefined) {
    console.log("No failure found: no page written");
    return 1;
  }
  const out = args.out ??
    `${await Deno.makeTempDir({ prefix: "interlock-explore-" })}/failure.html`;
  await Deno.writeTextFile(out, report.failure.toHTML());
  console.log(`${report.failure.reason}\npage: ${out}`);
  if (args.svg !== undefined) {
    await Deno.writeTextFile(args.svg, report.failure.toSVG());
    console.log(`svg: ${args.svg}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
