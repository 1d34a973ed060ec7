/**
 * Reading fixture files record by record, in constant memory: a JSON array of objects (Django's
 * `json`, on one line or indented) or one object per line (`jsonl`), as the file's name says, or
 * told apart by the first character when it does not. Broken JSON is reported with its record
 * number, line and column; bytes that are not UTF-8 with the record and the byte's offset (they
 * are refused, never replaced).
 *
 * @module
 */

import { concat, firstInvalid, heldBack } from "./_utf8.ts";

/** A fixture that is not valid JSON (or not a list of objects) at a record. */
export class FixtureSyntaxError extends Error {
  /** The record's number, from 1. */
  readonly record: number;

  /** `reason` should say where (`line 3, column 7`) and what. */
  constructor(record: number, reason: string) {
    super(reason);
    this.name = "FixtureSyntaxError";
    this.record = record;
  }
}

/** The fixture's bytes could not be read (a damaged gzip file, a disk error): see `cause`. */
export class FixtureReadError extends Error {
  /** The record being read, from 1. */
  readonly record: number;

  /** `cause` is the stream's error. */
  constructor(record: number, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "FixtureReadError";
    this.record = record;
  }
}

/** The shapes of fixture: an array of objects, or one object per line. */
export type FixtureFormat = "json" | "jsonl";

/** Options of {@linkcode readFixture}. */
export interface ReadOptions {
  /** The shape the file's name gives; when left out, the first character tells. */
  format?: FixtureFormat;
  /** The bytes were gunzipped: offsets in messages are in the uncompressed data. */
  gzipped?: boolean;
}

/**
 * Whether the text has a run of 16 digits, long enough for an integer beyond 2^53 (a regular
 * expression takes five times as long: this runs on every byte of a fixture).
 */
function hasLongDigits(text: string): boolean {
  // A run of 16 digits covers one position in every 16: look there, then measure the run.
  for (let i = 15; i < text.length; i += 16) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) continue;
    let start = i;
    let end = i;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    while (end + 1 < text.length && isDigit(text.charCodeAt(end + 1))) end++;
    if (end - start + 1 >= 16) return true;
    i = end;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** JSON.parse, with integers beyond 2^53 exact (as `bigint`s) when there may be some. */
function parseJson(text: string): unknown {
  return hasLongDigits(text) ? JSON.parse(text, keepBigIntegers) : JSON.parse(text);
}

/** A JSON.parse reviver: integers beyond 2^53 become `bigint`s, exact, instead of rounding. */
function keepBigIntegers(this: unknown, _key: string, value: unknown, context?: unknown): unknown {
  const source = (context as { source?: string } | undefined)?.source;
  if (
    typeof value === "number" && !Number.isSafeInteger(value) && source !== undefined &&
    /^-?\d+$/.test(source)
  ) return BigInt(source);
  return value;
}

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

/** Control characters (and lone surrogates) as JSON escapes, so a message stays one clean line. */
export function printable(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex -- control characters are what it looks for
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function describe(char: string | undefined): string {
  return char === undefined ? "the end of the file" : `'${printable(char)}'`;
}

/** `Unexpected token … at position 12 (line 1 column 13)` → 12, or undefined. */
function parsePosition(error: unknown): number | undefined {
  const match = /position (\d+)/.exec(error instanceof Error ? error.message : "");
  return match ? Number(match[1]) : undefined;
}

function parseReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8 quotes the text around the error, which says nothing a position does not.
  return printable(
    message.replace(/, "[^]*" is not valid JSON$/, "").replace(/ in JSON at position.*$/, "")
      .replace(/\s*\(line \d+ column \d+\)$/, ""),
  );
}

/**
 * Calls `onRecord` with each record of a fixture stream, in order, numbered from 1, and awaits
 * it when it returns a promise. Throws {@linkcode FixtureSyntaxError} on broken JSON or bytes
 * that are not UTF-8 (after the records before them), and {@linkcode FixtureReadError} when the
 * stream fails.
 */
export async function readFixture(
  stream: ReadableStream<Uint8Array>,
  onRecord: (record: unknown, index: number) => void | Promise<void>,
  options: ReadOptions = {},
): Promise<number> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const scanner = new Scanner(options.format);
  let count = 0;
  /** Bytes before the chunk being read. */
  let offset = 0;
  /** The last bytes read (up to 3), where a character the decoder holds back starts. */
  let recent: Uint8Array = new Uint8Array(0);
  const deliver = async (text: string, done: boolean) => {
    const scanned = scanner.feed(text, done);
    const parsed = parseValues(scanned.values, count + 1 + scanned.records.length);
    for (const record of [...scanned.records, ...parsed.records]) {
      const pending = onRecord(record, ++count);
      if (pending) await pending;
    }
    // The records before a broken one are checked first: the first error is reported.
    if (parsed.error) throw parsed.error;
    if (scanned.error) throw scanned.error;
  };
  const reader = stream.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new FixtureReadError(count + 1, error);
      }
      const { done, value } = chunk;
      if (offset === 0 && value?.[0] === 0x1f && value[1] === 0x8b) {
        throw new FixtureSyntaxError(
          1,
          "the data is gzip-compressed: name the file with .gz at the end",
        );
      }
      let text: string;
      try {
        text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      } catch {
        // Where: the bytes the decoder held back from the chunk before, and this chunk.
        const held = heldBack(recent);
        const bytes = concat(held, value);
        const at = Math.min(firstInvalid(bytes), bytes.length - 1);
        await deliver(new TextDecoder().decode(bytes.subarray(0, at)), false);
        const where = `${offset - held.length + at}${
          options.gzipped ? " of the uncompressed data" : ""
        }`;
        throw new FixtureSyntaxError(
          count + 1,
          `invalid UTF-8 at byte offset ${where} (0x${
            bytes[at].toString(16).padStart(2, "0")
          }): save the fixture as UTF-8`,
        );
      }
      if (value) {
        offset += value.length;
        recent = value.length >= 3 ? value.subarray(value.length - 3) : concat(recent, value);
      }
      await deliver(text, done);
      if (done) break;
    }
  } finally {
    reader.releaseLock();
  }
  return count;
}

/** A top-level value's text and where it starts in the file. */
interface Value {
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

/**
 * The values' records: parsed together (fast), or one by one to say which one is broken (the
 * records before it, and the error).
 */
function parseValues(
  values: readonly Value[],
  first: number,
): { records: unknown[]; error?: FixtureSyntaxError } {
  if (values.length === 0) return { records: [] };
  const joined = `[${values.map((v) => v.text).join(",")}]`;
  try {
    return { records: parseJson(joined) as unknown[] };
  } catch {
    // Which one: parse them alone.
  }
  const records: unknown[] = [];
  for (const [i, value] of values.entries()) {
    try {
      records.push(parseJson(value.text));
    } catch (error) {
      const position = parsePosition(error) ?? 0;
      const before = value.text.slice(0, position);
      const newlines = before.split("\n").length - 1;
      const line = value.line + newlines;
      const column = newlines === 0 ? value.column + position : position - before.lastIndexOf("\n");
      return {
        records,
        error: new FixtureSyntaxError(
          first + i,
          `invalid JSON at line ${line}, column ${column}: ${parseReason(error)}`,
        ),
      };
    }
  }
  return { records };
}

/**
 * Splits text fed in pieces into its top-level values: the elements of an array, or the lines
 * of a `jsonl` file. It only finds where values start and end; `JSON.parse` reads them.
 */
class Scanner {
  /** 0 before the first character, 1 array, 2 lines. */
  #mode = 0;
  /** In an array: 0 expect a value or ], 1 expect a value, 2 expect , or ], 3 after ]. */
  #state = 0;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** The start of a value that began in an earlier piece. */
  #carry = "";
  #line = 1;
  /** Where the current line starts, as an offset in the whole text. */
  #lineStart = 0;
  #offset = 0;
  #valueLine = 1;
  #valueColumn = 1;
  /** Values found so far (to number the record of an error). */
  #count = 0;
  readonly #format: FixtureFormat | undefined;

  /** `format`: the shape the file must have; when left out, its first character tells. */
  constructor(format?: FixtureFormat) {
    this.#format = format;
  }

  /**
   * The records and values that end in `text` (the records first), and the error that stopped
   * the scan, if any.
   */
  feed(
    text: string,
    done: boolean,
  ): { records: unknown[]; values: Value[]; error?: FixtureSyntaxError } {
    const values: Value[] = [];
    let records: unknown[] = [];
    const base = this.#offset;
    this.#offset += text.length;
    let i = 0;
    try {
      if (this.#mode === 0) {
        while (i < text.length) {
          const c = text.charCodeAt(i);
          if (c === 0x0a) this.#newline(base + i);
          else if (!WS.has(c) && c !== 0xfeff) break;
          i++;
        }
        // Nothing but white space so far (or an empty file: no records).
        if (i === text.length) return { records, values };
        if (this.#format === "json" && text[i] !== "[") {
          throw new FixtureSyntaxError(
            1,
            `expected a list of objects ('[') at line ${this.#line}, column ${
              base + i - this.#lineStart + 1
            }, found ${
              describe(text[i])
            }: put the records in an array, or name the file .jsonl for one object per line`,
          );
        }
        this.#mode = this.#format === "jsonl" || text[i] !== "[" ? 2 : 1;
        if (this.#mode === 1) i++;
      }
      if (this.#mode === 2) this.#feedLines(text, i, base, done, values);
      else {
        const ahead = this.#parseAhead(text, i, base);
        records = ahead.records;
        this.#feedArray(text, ahead.next, base, done, values);
      }
      return { records, values };
    } catch (error) {
      if (!(error instanceof FixtureSyntaxError)) throw error;
      return { records, values, error };
    }
  }

  /**
   * The fast way through an array: the text up to the last place that looks like the end of
   * an element (`}, {` as Django writes them, or `},` and a new line with --indent) is parsed
   * in one go. Cut anywhere else (inside a string, or between two objects in a JSON field),
   * it is no valid JSON, and the characters are scanned one by one instead.
   */
  #parseAhead(text: string, from: number, base: number): { records: unknown[]; next: number } {
    const none = { records: [], next: from };
    if (this.#state === 3) return none;
    const cut = Math.max(text.lastIndexOf("}, {"), text.lastIndexOf("},\n{"));
    if (cut < from) return none;
    let body = (this.#depth > 0 ? this.#carry : "") + text.slice(from, cut + 1);
    if (this.#depth === 0) {
      body = body.trimStart();
      if (this.#state === 2) {
        if (body[0] !== ",") return none;
        body = body.slice(1);
      }
    }
    let records: unknown[];
    try {
      const joined = `[${body}]`;
      records = parseJson(joined) as unknown[];
    } catch {
      return none;
    }
    for (let nl = text.indexOf("\n", from); nl >= 0 && nl <= cut; nl = text.indexOf("\n", nl + 1)) {
      this.#newline(base + nl);
    }
    this.#carry = "";
    this.#depth = 0;
    this.#inString = false;
    this.#escape = false;
    this.#state = 2;
    this.#count += records.length;
    return { records, next: cut + 1 };
  }

  #fail(at: number, what: string, found: number): never {
    throw new FixtureSyntaxError(
      this.#count + found + 1,
      `invalid JSON at line ${this.#line}, column ${at - this.#lineStart + 1}: ${what}`,
    );
  }

  #newline(at: number): void {
    this.#line++;
    this.#lineStart = at + 1;
  }

  #feedLines(text: string, from: number, base: number, done: boolean, values: Value[]): void {
    let start = from;
    for (;;) {
      const end = text.indexOf("\n", start);
      if (end < 0) break;
      const line = this.#carry + text.slice(start, end);
      this.#carry = "";
      if (line.trim() !== "") {
        values.push({ text: line, line: this.#line, column: 1 });
        this.#count++;
      }
      this.#newline(base + end);
      start = end + 1;
    }
    this.#carry += text.slice(start);
    if (done && this.#carry.trim() !== "") {
      values.push({ text: this.#carry, line: this.#line, column: 1 });
      this.#count++;
      this.#carry = "";
    }
  }

  #feedArray(text: string, from: number, base: number, done: boolean, values: Value[]): void {
    // The state lives in locals while the loop runs (much faster than fields), and goes back
    // to the fields when it ends, however it ends.
    let depth = this.#depth;
    let inString = this.#inString;
    let escape = this.#escape;
    let state = this.#state;
    let valueStart = depth > 0 ? 0 : -1;
    const n = text.length;
    let i = from;
    const save = () => {
      this.#depth = depth;
      this.#inString = inString;
      this.#escape = escape;
      this.#state = state;
    };
    try {
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (inString) {
          if (escape) escape = false;
          else if (c === 0x5c) escape = true;
          else if (c === 0x22) inString = false;
          continue;
        }
        if (c === 0x0a) {
          this.#line++;
          this.#lineStart = base + i + 1;
        }
        if (depth > 0) {
          if (c === 0x22) inString = true;
          else if (c === 0x7b || c === 0x5b) depth++;
          else if ((c === 0x7d || c === 0x5d) && --depth === 0) {
            const start = valueStart < 0 ? 0 : valueStart;
            values.push({
              text: this.#carry === ""
                ? text.slice(start, i + 1)
                : this.#carry + text.slice(0, i + 1),
              line: this.#valueLine,
              column: this.#valueColumn,
            });
            this.#carry = "";
            valueStart = -1;
            state = 2;
          }
          continue;
        }
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (state === 2) {
          if (c === 0x2c) state = 1;
          else if (c === 0x5d) state = 3;
          else {
            this.#fail(
              base + i,
              `expected ',' or ']' after an object, found ${describe(text[i])}`,
              values.length,
            );
          }
        } else if (state === 3) {
          this.#fail(
            base + i,
            `unexpected ${describe(text[i])} after the closing ']'`,
            values.length,
          );
        } else if (c === 0x5d && state === 0) state = 3;
        else if (c === 0x7b) {
          depth = 1;
          valueStart = i;
          this.#valueLine = this.#line;
          this.#valueColumn = base + i - this.#lineStart + 1;
        } else if (c === 0x5d) {
          this.#fail(base + i, "a ',' before ']' (trailing comma)", values.length);
        } else {
          this.#fail(base + i, `expected an object, found ${describe(text[i])}`, values.length);
        }
      }
      if (depth > 0) this.#carry += text.slice(valueStart < 0 ? 0 : valueStart);
      if (done && state !== 3) {
        this.#fail(base + n, "the file ends before the closing ']'", values.length);
      }
    } finally {
      save();
      this.#count += values.length;
    }
  }
}
