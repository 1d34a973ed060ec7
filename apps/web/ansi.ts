/**
 * Command output as HTML: ANSI SGR codes (the styles `ctx.style` writes, and 256-colour and
 * true-colour ones) become `<span>`s, every character of text is escaped, other escape
 * sequences (cursor moves) are dropped, and a carriage return starts its line again, as a
 * terminal shows a progress bar.
 *
 * @module
 */

import { escapeHtml } from "./html.ts";

const COLOURS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

/** The style in effect at a point of the output. */
interface SgrState {
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  blink: boolean;
  reverse: boolean;
  conceal: boolean;
  /** A class suffix (`red`, `bright-red`) or a CSS colour (`#ff8800`). */
  fg?: string;
  bg?: string;
}

function plain(): SgrState {
  return {
    bold: false,
    dim: false,
    italic: false,
    underline: false,
    blink: false,
    reverse: false,
    conceal: false,
  };
}

function hex(r: number, g: number, b: number): string {
  const part = (n: number) => Math.max(0, Math.min(255, n | 0)).toString(16).padStart(2, "0");
  return `#${part(r)}${part(g)}${part(b)}`;
}

/** The xterm 256-colour palette: 16 named, a 6×6×6 cube, 24 greys. */
function colour256(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 255) return undefined;
  if (n < 8) return COLOURS[n];
  if (n < 16) return `bright-${COLOURS[n - 8]}`;
  if (n < 232) {
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    const i = n - 16;
    return hex(level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6));
  }
  const grey = 8 + (n - 232) * 10;
  return hex(grey, grey, grey);
}

/** Applies one SGR sequence's parameters (`1;31`) to the state. */
function applySgr(state: SgrState, params: string): SgrState {
  const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  let next = { ...state };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === 0) next = plain();
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 5 || code === 6) next.blink = true;
    else if (code === 7) next.reverse = true;
    else if (code === 8) next.conceal = true;
    else if (code === 22) next.bold = next.dim = false;
    else if (code === 23) next.italic = false;
    else if (code === 24) next.underline = false;
    else if (code === 25) next.blink = false;
    else if (code === 27) next.reverse = false;
    else if (code === 28) next.conceal = false;
    else if (code >= 30 && code <= 37) next.fg = COLOURS[code - 30];
    else if (code === 39) next.fg = undefined;
    else if (code >= 40 && code <= 47) next.bg = COLOURS[code - 40];
    else if (code === 49) next.bg = undefined;
    else if (code >= 90 && code <= 97) next.fg = `bright-${COLOURS[code - 90]}`;
    else if (code >= 100 && code <= 107) next.bg = `bright-${COLOURS[code - 100]}`;
    else if (code === 38 || code === 48) {
      let colour: string | undefined;
      if (codes[i + 1] === 5) {
        colour = colour256(codes[i + 2]);
        i += 2;
      } else if (codes[i + 1] === 2) {
        colour = hex(codes[i + 2], codes[i + 3], codes[i + 4]);
        i += 4;
      }
      if (colour !== undefined) {
        if (code === 38) next.fg = colour;
        else next.bg = colour;
      }
    }
  }
  return next;
}

/** The opening tag for a state, or "" when it is plain. */
function openTag(state: SgrState): string {
  const classes: string[] = [];
  const styles: string[] = [];
  for (
    const flag of ["bold", "dim", "italic", "underline", "blink", "reverse", "conceal"] as const
  ) {
    if (state[flag]) classes.push(`a-${flag}`);
  }
  for (const [kind, value] of [["fg", state.fg], ["bg", state.bg]] as const) {
    if (value === undefined) continue;
    if (value.startsWith("#")) {
      styles.push(`${kind === "fg" ? "color" : "background-color"}:${value}`);
    } else classes.push(`a-${kind}-${value}`);
  }
  if (classes.length === 0 && styles.length === 0) return "";
  return `<span${classes.length ? ` class="${classes.join(" ")}"` : ""}${
    styles.length ? ` style="${styles.join(";")}"` : ""
  }>`;
}

// CSI sequences (ESC [ params final), OSC sequences (ESC ] … BEL or ESC \), other two-byte
// escapes, a carriage return, a newline, and text without any of these.
const TOKEN =
  // deno-lint-ignore no-control-regex -- escape sequences are what this matches
  /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\r\n?|\n|[^\x1b\r\n]+/g;

/**
 * Converts text with ANSI escape codes to HTML: text escaped, styles as spans with `a-*` classes
 * (and inline colours for 256-colour and true-colour codes).
 *
 * @example
 * ```ts
 * import { ansiToHtml } from "./ansi.ts";
 *
 * console.assert(
 *   ansiToHtml("\x1b[32;1mOK\x1b[0m <b>") ===
 *     '<span class="a-bold a-fg-green">OK</span> &lt;b&gt;',
 * );
 * ```
 */
export function ansiToHtml(text: string): string {
  const lines: string[] = [];
  let line = "";
  let state = plain();
  let tag = "";
  const open = () => {
    tag = openTag(state);
    if (tag) line += tag;
  };
  const close = () => {
    if (tag) line += "</span>";
    tag = "";
  };
  for (const match of text.matchAll(TOKEN)) {
    const token = match[0];
    if (match[2] !== undefined) {
      if (match[2] === "m" && !match[1].startsWith("?")) {
        close();
        state = applySgr(state, match[1]);
        open();
      }
      // Other CSI sequences move the cursor or clear the screen: nothing to show.
    } else if (token.startsWith("\x1b")) {
      continue;
    } else if (token === "\n" || token === "\r\n") {
      close();
      lines.push(line);
      line = "";
      open();
    } else if (token === "\r") {
      // A bare carriage return: what follows writes over the line (a progress bar).
      close();
      line = "";
      open();
    } else {
      line += escapeHtml(token);
    }
  }
  close();
  lines.push(line);
  // Spans that were opened and closed with nothing between them are noise.
  return lines.join("\n").replace(/<span[^>]*><\/span>/g, "");
}
