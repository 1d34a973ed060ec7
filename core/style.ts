/**
 * ANSI styles by role (`SUCCESS`, `ERROR`, `SQL_KEYWORD`…), with palettes chosen as Django's
 * `DJANGO_COLORS` chooses them: `MANAGE_COLORS="light;error=yellow/blue,blink"`.
 *
 * @module
 */

/** The style roles a command can use, as Django's `termcolors` roles. */
export const ROLES = [
  "ERROR",
  "SUCCESS",
  "WARNING",
  "NOTICE",
  "SQL_FIELD",
  "SQL_COLTYPE",
  "SQL_KEYWORD",
  "SQL_TABLE",
  "HTTP_INFO",
  "HTTP_SUCCESS",
  "HTTP_REDIRECT",
  "HTTP_NOT_MODIFIED",
  "HTTP_BAD_REQUEST",
  "HTTP_NOT_FOUND",
  "HTTP_SERVER_ERROR",
  "MIGRATE_HEADING",
  "MIGRATE_LABEL",
] as const;

/** One style role's name. */
export type Role = typeof ROLES[number];

/** A function that wraps text in a role's ANSI codes (or returns it as it is, without colour). */
export type StyleFunc = (text: string) => string;

/** A style function for each role: `style.SUCCESS("Done")`. */
export type Style = Readonly<Record<Role, StyleFunc>>;

/** How one role looks: foreground, background and options (`bold`, `underscore`, …). */
export interface RoleLook {
  /** Foreground colour name. */
  fg?: string;
  /** Background colour name. */
  bg?: string;
  /** Options: `bold`, `underscore`, `blink`, `reverse`, `conceal`. */
  opts?: readonly string[];
}

/** A palette: the look of each role. */
export type Palette = Readonly<Partial<Record<Role, RoleLook>>>;

const COLORS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
const OPTIONS: Record<string, number> = {
  bold: 1,
  underscore: 4,
  blink: 5,
  reverse: 7,
  conceal: 8,
};

const bold = ["bold"];

/** The default palette, for dark terminals. */
export const DARK_PALETTE: Palette = {
  ERROR: { fg: "red", opts: bold },
  SUCCESS: { fg: "green", opts: bold },
  WARNING: { fg: "yellow", opts: bold },
  NOTICE: { fg: "red" },
  SQL_FIELD: { fg: "green", opts: bold },
  SQL_COLTYPE: { fg: "green" },
  SQL_KEYWORD: { fg: "yellow" },
  SQL_TABLE: { opts: bold },
  HTTP_INFO: { opts: bold },
  HTTP_SUCCESS: {},
  HTTP_REDIRECT: { fg: "green" },
  HTTP_NOT_MODIFIED: { fg: "cyan" },
  HTTP_BAD_REQUEST: { fg: "red", opts: bold },
  HTTP_NOT_FOUND: { fg: "yellow" },
  HTTP_SERVER_ERROR: { fg: "magenta", opts: bold },
  MIGRATE_HEADING: { fg: "cyan", opts: bold },
  MIGRATE_LABEL: { opts: bold },
};

/** A palette for light terminals. */
export const LIGHT_PALETTE: Palette = {
  ...DARK_PALETTE,
  SQL_KEYWORD: { fg: "blue" },
  HTTP_REDIRECT: { fg: "green", opts: bold },
  HTTP_NOT_MODIFIED: { fg: "green" },
  HTTP_NOT_FOUND: { fg: "red" },
};

/** No colour at all. */
export const NOCOLOR_PALETTE: Palette = {};

const PALETTES: Record<string, Palette> = {
  dark: DARK_PALETTE,
  light: LIGHT_PALETTE,
  nocolor: NOCOLOR_PALETTE,
};

/**
 * Reads a `MANAGE_COLORS` value: palette names and `role=fg/bg,opt` overrides separated by `;`.
 * Returns the resulting palette, or `undefined` when it has no colour at all. Unknown parts are
 * ignored, as Django ignores them.
 *
 * @example
 * ```ts
 * import { parseColorSetting } from "./style.ts";
 *
 * const palette = parseColorSetting("light;error=yellow/blue,blink");
 * console.assert(palette?.ERROR?.fg === "yellow");
 * ```
 */
export function parseColorSetting(setting: string | undefined): Palette | undefined {
  if (!setting) return DARK_PALETTE;
  let palette: Partial<Record<Role, RoleLook>> = { ...DARK_PALETTE };
  for (const raw of setting.toLowerCase().split(";")) {
    const part = raw.trim();
    if (part in PALETTES) {
      palette = { ...PALETTES[part] };
      continue;
    }
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const role = part.slice(0, eq).trim().toUpperCase() as Role;
    if (!ROLES.includes(role)) continue;
    const [colorPart, ...optParts] = part.slice(eq + 1).split(",");
    const [fg, bg] = colorPart.split("/").map((c) => c.trim());
    const look: RoleLook = {
      fg: COLORS.includes(fg) ? fg : undefined,
      bg: COLORS.includes(bg) ? bg : undefined,
      opts: optParts.map((o) => o.trim()).filter((o) => o in OPTIONS),
    };
    if (look.fg || look.bg || look.opts?.length) palette[role] = look;
  }
  const hasColour = Object.values(palette).some((look) =>
    look && (look.fg || look.bg || look.opts?.length)
  );
  return hasColour ? palette : undefined;
}

function codesFor(look: RoleLook | undefined): string {
  if (!look) return "";
  const codes: number[] = [];
  if (look.fg) codes.push(30 + COLORS.indexOf(look.fg));
  if (look.bg) codes.push(40 + COLORS.indexOf(look.bg));
  for (const opt of look.opts ?? []) codes.push(OPTIONS[opt]);
  return codes.join(";");
}

const plain: StyleFunc = (text) => text;

/**
 * Builds the style functions for a palette; without one (or with `color: false`) every role
 * returns its text unchanged.
 *
 * @example
 * ```ts
 * import { DARK_PALETTE, makeStyle } from "./style.ts";
 *
 * const style = makeStyle(DARK_PALETTE);
 * console.assert(style.SUCCESS("ok") === "\x1b[32;1mok\x1b[0m");
 * console.assert(makeStyle(undefined).SUCCESS("ok") === "ok");
 * ```
 */
export function makeStyle(palette: Palette | undefined): Style {
  const style = {} as Record<Role, StyleFunc>;
  for (const role of ROLES) {
    const codes = palette ? codesFor(palette[role]) : "";
    style[role] = codes ? (text) => `\x1b[${codes}m${text}\x1b[0m` : plain;
  }
  return style;
}

/** Everything that decides whether output is coloured. */
export interface ColorChoice {
  /** `--no-color` was given. */
  noColor?: boolean;
  /** `--force-color` was given. */
  forceColor?: boolean;
  /** The stream is a terminal. */
  isTerminal?: boolean;
  /** The environment (`NO_COLOR`, `FORCE_COLOR`, `MANAGE_COLORS`, `TERM`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Decides the palette for a stream: `--no-color`, then `--force-color`, then `NO_COLOR`, then
 * `FORCE_COLOR` (`0` turns colour off), then whether the stream is a terminal (and `TERM` is not
 * `dumb`). The palette is `MANAGE_COLORS`'s, or undefined for no colour.
 *
 * @example
 * ```ts
 * import { choosePalette } from "./style.ts";
 *
 * console.assert(choosePalette({ isTerminal: false }) === undefined);
 * console.assert(choosePalette({ forceColor: true }) !== undefined);
 * ```
 */
export function choosePalette(choice: ColorChoice): Palette | undefined {
  const env = choice.env ?? {};
  if (choice.noColor) return undefined;
  const setting = parseColorSetting(env.MANAGE_COLORS);
  if (choice.forceColor) return setting;
  // As no-color.org and force-color.org: set and not empty.
  if (env.NO_COLOR) return undefined;
  if (env.FORCE_COLOR) return env.FORCE_COLOR === "0" ? undefined : setting;
  if (!choice.isTerminal || env.TERM === "dumb") return undefined;
  return setting;
}

/** Removes ANSI escape sequences from text. */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
