/**
 * Turning command-line strings into typed values (integers, numbers, booleans, choices, paths,
 * URLs, dates, durations such as `10m`), with argparse's wording for failures: what the parser
 * and the signature's defaults use, and what schedules read their intervals with.
 *
 * @module
 */

import type { ArgSpec, Primitive, ValueType } from "./arguments.ts";

// What Python's repr() escapes: control and format characters, separators other than the space,
// surrogates, private-use and unassigned code points.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu;

function escapeChar(char: string): string {
  if (char === "\n") return "\\n";
  if (char === "\r") return "\\r";
  if (char === "\t") return "\\t";
  const code = char.codePointAt(0)!;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, "0")}`;
  return `\\U${code.toString(16).padStart(8, "0")}`;
}

/**
 * Escapes the characters Python's repr() escapes (newlines, tabs, other control characters…),
 * so that a word from the command line shown in a message keeps the message on one line.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

/** Quotes a value as Python's repr() does in argparse messages: 'abc'. */
export function quote(value: unknown): string {
  const text = printable(String(value).replace(/\\/g, "\\\\"));
  if (text.includes("'") && !text.includes('"')) return `"${text}"`;
  return `'${text.replace(/'/g, "\\'")}'`;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Reads `90s`, `10m`, `1h30m`, `500ms` or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  for (const match of trimmed.matchAll(re)) {
    total += Number(match[1]) * DURATION_UNITS[match[2]];
    end = match.index! + match[0].length;
  }
  return end > 0 && end === trimmed.length ? total : undefined;
}

const FLOAT = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

const TRUE = new Set(["1", "true", "yes", "on", "y", "t"]);
const FALSE = new Set(["0", "false", "no", "off", "n", "f", ""]);

/**
 * Converts one string for `spec`. Returns the value, or an error sentence without the
 * `argument X:` prefix.
 */
export function convert(spec: ArgSpec, text: string): { value: unknown } | { error: string } {
  let value: unknown;
  switch (spec.type) {
    case "integer":
    case "count":
      if (!/^\s*[+-]?\d+\s*$/.test(text)) return { error: `invalid int value: ${quote(text)}` };
      value = Number.parseInt(text, 10);
      break;
    case "number": {
      // Decimal notation only: JavaScript's Number() would also take 0x10, 0b1 and Infinity.
      const n = FLOAT.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(n)) return { error: `invalid float value: ${quote(text)}` };
      value = n;
      break;
    }
    case "duration":
      value = parseDuration(text);
      if (value === undefined) {
        return {
          error: `invalid duration value: ${
            quote(text)
          } (use a number with ms, s, m, h or d, such as 10m)`,
        };
      }
      break;
    case "url":
      if (!URL.canParse(text)) return { error: `invalid URL value: ${quote(text)}` };
      value = new URL(text);
      break;
    case "boolean": {
      const lower = text.trim().toLowerCase();
      if (TRUE.has(lower)) value = true;
      else if (FALSE.has(lower)) value = false;
      else return { error: `invalid boolean value: ${quote(text)} (use true or false)` };
      break;
    }
    case "path":
      if (text === "") return { error: `invalid path value: '' (give a file or folder path)` };
      value = text;
      break;
    default:
      value = text;
  }
  return checkChoice(spec, value);
}

/** Shows a value as Python's repr() does: strings quoted, numbers as they are. */
export function repr(value: unknown): string {
  return typeof value === "string" ? quote(value) : String(value);
}

/** Checks a converted value against the spec's choices. */
export function checkChoice(spec: ArgSpec, value: unknown): { value: unknown } | { error: string } {
  if (spec.choices && !spec.choices.includes(value as Primitive)) {
    const listed = spec.choices.map(repr).join(", ");
    return { error: `invalid choice: ${repr(value)} (choose from ${listed})` };
  }
  return { value };
}

/**
 * Checks a value given by name (through `callCommand`) for `spec`: strings are converted as on
 * the command line; other values must already have the right type.
 */
export function acceptNamed(spec: ArgSpec, given: unknown): { value: unknown } | { error: string } {
  const many = spec.action === "append" || spec.nargs === "*" || spec.nargs === "+" ||
    typeof spec.nargs === "number";
  if (many) {
    const items = Array.isArray(given) ? given : [given];
    if (spec.nargs === "+" && items.length === 0) {
      return { error: "expected at least one argument" };
    }
    if (typeof spec.nargs === "number" && items.length !== spec.nargs) {
      return {
        error: spec.nargs === 1 ? "expected one argument" : `expected ${spec.nargs} arguments`,
      };
    }
    const out: unknown[] = [];
    for (const item of items) {
      const one = acceptOne(spec, item);
      if ("error" in one) return one;
      out.push(one.value);
    }
    return { value: out };
  }
  if (spec.action === "count" && typeof given === "number" && Number.isInteger(given)) {
    return { value: given };
  }
  return acceptOne(spec, given);
}

function acceptOne(spec: ArgSpec, given: unknown): { value: unknown } | { error: string } {
  if (typeof given === "string" && spec.type !== "string") {
    return convert(spec, given);
  }
  if (!hasType(spec.type, given)) {
    return { error: `invalid ${spec.type} value: ${quote(shown(given))}` };
  }
  return checkChoice(spec, given);
}

/** Whether `value` is a converted value of `type` (what the parser gives for it). */
export function hasType(type: ValueType, value: unknown): boolean {
  switch (type) {
    case "integer":
    case "count":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
    case "duration":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "url":
      return value instanceof URL;
    default:
      return typeof value === "string";
  }
}

/** A value given by name as text for a message (objects as JSON, when they can be). */
function shown(given: unknown): string {
  if (typeof given !== "object" || given === null) return String(given);
  try {
    return JSON.stringify(given) ?? String(given);
  } catch {
    return Object.prototype.toString.call(given);
  }
}
