// A fixture's values as `COPY … (FORMAT text)` values, each checked against its field on the way:
// an encoder per field type, which throws `Invalid` with what was expected (a whole number that
// fits, a date that exists, text PostgreSQL can store), so that the loader names the record.

import type { FieldState } from "../orm/mod.ts";

/** A value that does not fit its field: the message says what was expected. */
export class Invalid extends Error {}

/** A value for error messages: JSON, cut short. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

// Also NUL and surrogates, which are checked on the way (rare, so the common case is one test).
const COPY_SPECIAL = /[\\\n\r\t\0\ud800-\udfff]/;
const COPY_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

const NUL_MESSAGE = "contains a NUL character (\\u0000), which PostgreSQL cannot store: remove it";

/** Why a string cannot be stored as it is, naming its first unpaired surrogate. */
function surrogateMessage(code: number): string {
  return `contains an unpaired surrogate (\\u${
    code.toString(16)
  }), which is not a character: fix the escape`;
}

/** The first unpaired surrogate of a string that has one. */
function loneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else return code;
  }
  return -1;
}

/**
 * A string as a value of `COPY … (FORMAT text)`. A NUL, which no PostgreSQL text holds, and an
 * unpaired surrogate, which the driver would turn into U+FFFD on its way out, are refused.
 */
function copyText(text: string): string {
  if (!COPY_SPECIAL.test(text)) return text;
  if (text.includes("\0")) throw new Invalid(NUL_MESSAGE);
  if (!text.isWellFormed()) throw new Invalid(surrogateMessage(loneSurrogate(text)));
  return text.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]);
}

/** A NUL or an unpaired surrogate, as JSON.stringify escapes them (after an even run of \\). */
const JSON_UNSTORABLE = /(?<!\\)(?:\\\\)*\\u(0000|d[89a-f][0-9a-f]{2})/;

/** JSON text as a jsonb value of COPY, refusing what jsonb cannot hold or would change. */
function copyJson(json: string): string {
  const match = json.includes("\\u") ? JSON_UNSTORABLE.exec(json) : null;
  if (match) {
    throw new Invalid(
      match[1] === "0000" ? NUL_MESSAGE : surrogateMessage(parseInt(match[1], 16)),
    );
  }
  return copyText(json);
}

export type Encode = (value: unknown) => string;

/** JSON text of a value, integers beyond 2^53 (read as `bigint`s) exact. */
function stringify(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const raw = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
    return JSON.stringify(value, (_key, v) => typeof v === "bigint" ? raw(v.toString()) : v);
  }
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DJANGO_DATETIME =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function validDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);
}

function integerEncoder(bits: 32 | 64): Encode {
  const [min, max] = bits === 32 ? [-(2 ** 31), 2 ** 31 - 1] : [-(2n ** 63n), 2n ** 63n - 1n];
  const expected = bits === 32 ? "an integer (32-bit)" : "an integer";
  return (value) => {
    if (typeof value === "number" && Number.isInteger(value)) {
      if (value >= min && value <= max) return String(value);
    } else if (typeof value === "bigint") {
      if (value >= BigInt(min) && value <= BigInt(max)) return value.toString();
    } else if (typeof value === "string" && INTEGER.test(value)) {
      const big = BigInt(value);
      if (big >= BigInt(min) && big <= BigInt(max)) return big.toString();
    }
    if (Array.isArray(value)) {
      throw new Invalid(
        `expected ${expected}, got ${show(value)} (natural keys are not supported)`,
      );
    }
    throw new Invalid(`expected ${expected}, got ${show(value)}`);
  };
}

/** How each field type's JSON value becomes COPY text (or why it cannot). */
export function encoderOf(field: FieldState): Encode {
  switch (field.type) {
    case "integer":
      return integerEncoder(32);
    case "bigint":
    case "bigserial":
      return integerEncoder(64);
    case "text":
      return (value) => {
        if (typeof value !== "string") throw new Invalid(`expected a string, got ${show(value)}`);
        return copyText(value);
      };
    case "varchar": {
      const max = field.maxLength ?? Infinity;
      return (value) => {
        if (typeof value !== "string") throw new Invalid(`expected a string, got ${show(value)}`);
        if (value.length > max && [...value].length > max) {
          throw new Invalid(`expected at most ${max} characters, got ${[...value].length}`);
        }
        return copyText(value);
      };
    }
    case "numeric": {
      const whole = field.precision === undefined ? Infinity : field.precision - (field.scale ?? 0);
      const type = `numeric(${field.precision}, ${field.scale ?? 0})`;
      // The common case, a plain decimal string that fits, in one test.
      const plain = !Number.isFinite(whole)
        ? /^-?\d+(?:\.\d+)?$/
        : whole === 0
        ? /^-?(?:0+(?:\.\d+)?|\.\d+)$/
        : new RegExp(`^-?0*\\d{1,${whole}}(?:\\.\\d+)?$`);
      return (value) => {
        if (typeof value === "string" && plain.test(value)) return value;
        const text = (typeof value === "number" && Number.isFinite(value)) ||
            typeof value === "bigint"
          ? String(value)
          : typeof value === "string"
          ? value.trim()
          : undefined;
        const match = text === undefined ? null : DECIMAL.exec(text);
        if (!match || (match[2] === "" && !match[3])) {
          throw new Invalid(`expected a decimal number (such as "12.50"), got ${show(value)}`);
        }
        if (!/[eE]/.test(text!) && match[2].replace(/^0+/, "").length > whole) {
          throw new Invalid(
            `expected at most ${whole} digit(s) before the point (${type}), got ${show(value)}`,
          );
        }
        return text!;
      };
    }
    case "boolean":
      return (value) => {
        if (value === true || value === 1 || value === "true" || value === "True") return "t";
        if (value === false || value === 0 || value === "false" || value === "False") return "f";
        throw new Invalid(`expected true or false, got ${show(value)}`);
      };
    case "timestamptz":
      return (value) => {
        // Django's form, with a day any month has, in one test.
        if (typeof value === "string" && DJANGO_DATETIME.test(value)) return value;
        const match = typeof value === "string" ? DATETIME.exec(value) : null;
        if (
          !match || !validDay(+match[1], +match[2], +match[3]) || +match[4] > 23 ||
          +match[5] > 59 || +(match[6] ?? 0) > 59
        ) {
          throw new Invalid(`expected a date and time (ISO 8601), got ${show(value)}`);
        }
        // Without a time zone, a time is UTC (the load runs with TimeZone UTC).
        return value as string;
      };
    case "date":
      return (value) => {
        const match = typeof value === "string" ? DATE.exec(value) : null;
        if (!match || !validDay(+match[1], +match[2], +match[3])) {
          throw new Invalid(`expected a date (YYYY-MM-DD), got ${show(value)}`);
        }
        return value as string;
      };
    case "uuid":
      return (value) => {
        if (typeof value !== "string" || !UUID.test(value)) {
          throw new Invalid(`expected a UUID, got ${show(value)}`);
        }
        return value;
      };
    case "jsonb":
      return (value) => copyJson(stringify(value));
  }
}
