/**
 * The documentation as a user sees it (`deno doc`, `deno doc --html`, the JSR page), read from
 * `deno doc --json` of every export of the package: no `{@link}` that points nowhere, no internal
 * type in a public signature, no private constructor with its internal parameter types on show,
 * and no parameter whose default `deno doc` drops (it would look required).
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** A node of `deno doc --json` output: walked generically. */
type Json = { [key: string]: unknown };

interface Symbol {
  name: string;
  declarations: { kind: string; def?: Json; jsDoc?: Json }[];
}

/** The package's entry points (deno.json `exports`), as paths from the root. */
async function entryPoints(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  return Object.values(config.exports as Record<string, string>).map((p) => p.slice(2));
}

/** The exported symbols of `entry`, as `deno doc --json` gives them. */
async function symbolsOf(entry: string): Promise<Symbol[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const doc = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<string, { symbols: Symbol[] }>;
  };
  return Object.values(doc.nodes).flatMap((node) => node.symbols);
}

/** Every JSON object under `value`, depth first. */
function* objects(value: unknown): Generator<Json> {
  if (Array.isArray(value)) {
    for (const item of value) yield* objects(item);
  } else if (value !== null && typeof value === "object") {
    yield value as Json;
    for (const item of Object.values(value)) yield* objects(item);
  }
}

/** The members of a class or interface definition, by name. */
function memberNames(def: Json | undefined): Set<string> {
  const names = new Set<string>(["prototype"]);
  for (const key of ["constructors", "properties", "methods", "callSignatures"]) {
    for (const member of (def?.[key] as Json[] | undefined) ?? []) names.add(String(member.name));
  }
  return names;
}

/** The public parts of a definition: private members, and `@ignore`d ones, are not shown. */
function publicParts(def: Json): unknown[] {
  const parts: unknown[] = [];
  for (const [key, value] of Object.entries(def)) {
    if (Array.isArray(value) && ["properties", "methods"].includes(key)) {
      parts.push(value.filter((m: Json) => m.accessibility !== "private"));
    } else if (key !== "constructors") {
      parts.push(value);
    }
  }
  return parts;
}

/** What a user of `entry` would see wrong in its rendered documentation. */
function problems(entry: string, symbols: Symbol[], publicTypes: Set<string>): string[] {
  const found: string[] = [];
  const exported = new Map(symbols.map((s) => [s.name, s]));
  for (const symbol of symbols) {
    for (const declaration of symbol.declarations) {
      const where = `${entry}: ${symbol.name}`;
      // 1. Links: {@link X}, {@link X.member}, {@linkcode X#member} must reach a documented symbol.
      for (const node of objects(declaration)) {
        if (typeof node.doc !== "string") continue;
        for (const [, target] of node.doc.matchAll(/\{@link(?:code|plain)?\s+([^\s}|]+)/g)) {
          if (/^[a-z]+:\/\//.test(target!)) continue;
          const [head, member] = target!.split(/[.#]/, 2) as [string, string | undefined];
          const owner = exported.get(head);
          // A global of the platform (`RangeError`) that the package does not export under its name.
          if (owner === undefined && !publicTypes.has(head) && head in globalThis) continue;
          if (owner === undefined) {
            found.push(`${where}: {@link ${target}} points to nothing this entry point exports`);
          } else if (
            member !== undefined &&
            !owner.declarations.some((d) => memberNames(d.def).has(member))
          ) {
            found.push(`${where}: {@link ${target}}: ${head} has no member ${member}`);
          }
        }
      }
      const def = declaration.def;
      if (def === undefined) continue;
      // 2. A private constructor is rendered with its parameters: hide it (`@ignore`).
      for (const constructor of (def.constructors as Json[] | undefined) ?? []) {
        const params = (constructor.params as Json[] | undefined) ?? [];
        if (constructor.accessibility === "private" && params.length > 0) {
          found.push(`${where}: a private constructor with parameters is shown (mark it @ignore)`);
        }
      }
      const constructors = ((def.constructors as Json[] | undefined) ?? []).filter((c) =>
        c.accessibility !== "private"
      );
      for (const node of objects([publicParts(def), constructors])) {
        // 3. Types a user cannot name: declared in the package (local or imported) but exported
        // by none of its entry points.
        if (node.kind === "typeRef") {
          const value = node.value as { typeName: string; resolution?: { kind: string } };
          const kind = value.resolution?.kind;
          const head = value.typeName.split(".")[0]!;
          if ((kind === "local" || kind === "import") && !publicTypes.has(head)) {
            found.push(`${where}: its signature shows the internal type ${value.typeName}`);
          }
        }
        // 4. `deno doc` prints `x = 5` as `x: number`, which reads as required: write `x?: number`
        // and state the default in its @param.
        if (node.kind === "assign" && node.left !== undefined && "right" in node) {
          const left = node.left as Json;
          found.push(
            `${where}: parameter ${String(left.name ?? left.kind)} has a default deno doc drops`,
          );
        }
      }
    }
  }
  return found;
}

Deno.test("the rendered docs of every entry point have no dangling link, internal type, shown private constructor or dropped default", async () => {
  const entries = await entryPoints();
  assert.ok(entries.includes("mod.ts") && entries.length >= 4, entries.join());
  const byEntry = new Map<string, Symbol[]>();
  for (const entry of entries) byEntry.set(entry, await symbolsOf(entry));
  const publicTypes = new Set([...byEntry.values()].flat().map((s) => s.name));
  const found = [...byEntry].flatMap(([entry, symbols]) => problems(entry, symbols, publicTypes));
  assert.deepEqual(found, []);
});

Deno.test("the rendered-docs check finds each kind of problem it looks for", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/mod.ts`,
      [
        "interface Hidden { a: number }",
        "/** See {@linkcode Nowhere} and {@link Shown.missing}. */",
        "export class Shown {",
        "  /** Internal. */",
        "  private constructor(h: Hidden) {}",
        "  /** Leaks. @param h h @param n n */",
        "  static make(h: Hidden, n = 5): void {}",
        "}",
      ].join("\n"),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["doc", "--json", `${dir}/mod.ts`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const doc = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      nodes: Record<string, { symbols: Symbol[] }>;
    };
    const symbols = Object.values(doc.nodes).flatMap((node) => node.symbols);
    assert.deepEqual(problems("mod.ts", symbols, new Set(["Shown"])), [
      "mod.ts: Shown: {@link Nowhere} points to nothing this entry point exports",
      "mod.ts: Shown: {@link Shown.missing}: Shown has no member missing",
      "mod.ts: Shown: a private constructor with parameters is shown (mark it @ignore)",
      "mod.ts: Shown: its signature shows the internal type Hidden",
      "mod.ts: Shown: parameter n has a default deno doc drops",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno doc --html gives every public member of every class of mod.ts its page (Value.value included)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["doc", "--html", "--name=interlock", `--output=${dir}`, "mod.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const pages = new Set<string>();
    for await (const entry of Deno.readDir(`${dir}/~`)) pages.add(entry.name);
    const missing: string[] = [];
    let members = 0;
    for (const symbol of await symbolsOf("mod.ts")) {
      for (const { kind, def } of symbol.declarations) {
        if (kind !== "class" || def === undefined) continue;
        for (const key of ["properties", "methods"]) {
          for (const member of (def[key] as Json[] | undefined) ?? []) {
            const name = String(member.name);
            if (member.accessibility === "private" || name.startsWith("[")) continue;
            members++;
            const page = `${symbol.name}.${member.isStatic ? "" : "prototype."}${name}.html`;
            if (!pages.has(page)) missing.push(page);
          }
        }
      }
    }
    assert.ok(pages.has("Value.prototype.value.html"), "the main member of Value");
    assert.ok(members > 100, `${members} members`);
    assert.deepEqual(missing, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
