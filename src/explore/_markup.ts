/**
 * Building XML/HTML markup from strings that may come from users (thread names, `setup()` keys,
 * values): every attribute value and every piece of text is escaped on its way in.
 *
 * @module
 */

/** Escapes `&`, `<`, `>`, `"` and `'` for XML/HTML text and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escaped text content. */
export function text(s: string): string {
  return escapeXml(s);
}

/** Attribute values of {@linkcode tag}; `undefined` leaves the attribute out. */
export type Attrs = Record<string, string | number | undefined>;

/** An element: attribute values escaped, `body` inserted as markup (build it with tag/text). */
export function tag(name: string, attrs: Attrs, body?: string): string {
  let a = "";
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined) a += ` ${k}="${escapeXml(String(v))}"`;
  }
  return body === undefined ? `<${name}${a}/>` : `<${name}${a}>${body}</${name}>`;
}

/** Cuts `s` to `n` characters with an ellipsis. */
export function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, Math.max(0, n - 1)) + "…";
}
