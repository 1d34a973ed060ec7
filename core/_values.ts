// Turning command-line strings into typed values, with argparse's wording for failures.

import type { ArgSpec, Primitive } from "./arguments.ts";

/** Quotes a value as Python's repr() does in argparse messages: 'abc'. */
export function quote(value: unknown): string {
  const text = String(value);
  if (text.includes("'") && !text.includes('"')) return `"${text}"`;
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
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
      if (!/^\s*[+-]?\d+\s*$/.test(text)) return { error: `invalid int value: ${quote(text)}` };
      value = Number.parseInt(text, 10);
      break;
    case "number": {
      const n = text.trim() === "" ? NaN : Number(text);
      if (Number.isNaN(n)) return { error: `invalid float value: ${quote(text)}` };
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
  if (typeof given === "string" && spec.type !== "string" && spec.type !== "path") {
    return convert(spec, given);
  }
  const ok = (() => {
    switch (spec.type) {
      case "integer":
      case "count":
        return typeof given === "number" && Number.isInteger(given);
      case "number":
      case "duration":
        return typeof given === "number" && Number.isFinite(given);
      case "boolean":
        return typeof given === "boolean";
      case "url":
        return given instanceof URL;
      default:
        return typeof given === "string";
    }
  })();
  if (!ok) {
    return {
      error: `invalid ${spec.type} value: ${
        quote(typeof given === "object" ? JSON.stringify(given) : given)
      }`,
    };
  }
  return checkChoice(spec, given);
}
