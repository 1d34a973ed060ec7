/**
 * Server-rendered HTML that escapes by default: the `html` tagged template escapes every value
 * it is given unless the value is itself `Html` (made by `html` or, for markup that was escaped
 * elsewhere, `trusted`), so a page cannot forget to escape.
 *
 * @module
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML content and attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html.ts";
 *
 * console.assert(escapeHtml(`<a href="x">&`) === "&lt;a href=&quot;x&quot;&gt;&amp;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Markup that is safe to put in a page as it is. */
export class Html {
  /** The markup. */
  readonly text: string;
  /** Wraps markup that is already safe. */
  constructor(text: string) {
    this.text = text;
  }
  /** The markup. */
  toString(): string {
    return this.text;
  }
}

/** What `html` accepts as a value: text (escaped), markup, lists of either, or nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/**
 * Builds markup, escaping every interpolated value that is not `Html`.
 *
 * @example
 * ```ts
 * import { html } from "./html.ts";
 *
 * const name = "<script>";
 * console.assert(html`<p>${name}</p>`.text === "<p>&lt;script&gt;</p>");
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Marks markup made elsewhere (already escaped, such as `ansiToHtml`'s) as safe. */
export function trusted(markup: string): Html {
  return new Html(markup);
}
