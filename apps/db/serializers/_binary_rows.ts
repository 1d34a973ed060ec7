/**
 * A model's rows as Django fixture objects, straight from binary `COPY` output: each value goes
 * from its binary form to JSON bytes (text is copied, escaped where JSON needs it; numbers,
 * dates and UUIDs are formatted from their bytes), with no row objects or strings in between.
 * {@linkcode modelDump} gives the query to copy and the fixed bytes of a model's objects;
 * {@linkcode BinaryRowEncoder} writes each row that comes back.
 *
 * @module
 */

import { type FieldState, type ModelState, quoteIdent } from "../orm/mod.ts";
import { ByteBuffer } from "./_byte_buffer.ts";
import { fixtureFieldName, fixtureModel } from "./_fixture_models.ts";
import type { FixtureFormat } from "./_reader.ts";

const encoder = new TextEncoder();

/** How a column's binary value is read. */
type Codec =
  | "int4"
  | "int8"
  | "text"
  | "numeric"
  | "bool"
  | "timestamptz"
  | "date"
  | "uuid"
  | "jsonb";

/** The column's type in the SELECT (a cast, so the binary layout is known) and its codec. */
function codecOf(field: FieldState): [cast: string, codec: Codec] {
  switch (field.type) {
    case "integer":
      return ["int4", "int4"];
    case "bigint":
    case "bigserial":
      return ["int8", "int8"];
    case "text":
    case "varchar":
      return ["text", "text"];
    case "numeric":
      return ["numeric", "numeric"];
    case "boolean":
      return ["bool", "bool"];
    case "timestamptz":
      return ["timestamptz", "timestamptz"];
    case "date":
      return ["date", "date"];
    case "uuid":
      return ["uuid", "uuid"];
    case "jsonb":
      return ["jsonb", "jsonb"];
  }
}

/** What {@linkcode modelDump} gives: the query to copy and the encoder of its rows. */
export interface ModelDump {
  /** `(SELECT … FROM table ORDER BY pk)`, for `COPY … TO STDOUT (FORMAT binary)`. */
  readonly query: string;
  /** The same query for the rows after `after` (an SQL literal of the pk), `limit` of them. */
  page(after: string | undefined, limit: number): string;
  /** The column types, pk first. */
  readonly codecs: readonly Codec[];
  /** JSON values are written with `,` between items (jsonl), not `, `. */
  readonly compact: boolean;
  /** The bytes before the pk, between pk and first field, before each field, and at the end. */
  readonly parts: {
    readonly head: Uint8Array;
    readonly fieldsOpen: Uint8Array;
    readonly fieldKeys: readonly Uint8Array[];
    readonly close: Uint8Array;
  };
}

/** The SELECT and the fixed bytes of a model's fixture objects. */
export function modelDump(state: ModelState, format: FixtureFormat): ModelDump {
  const model = fixtureModel(state);
  const keys = [model.pk, ...Object.keys(state.fields).filter((k) => k !== model.pk)];
  const codecs: Codec[] = [];
  const columns = keys.map((key) => {
    const [cast, codec] = codecOf(state.fields[key]);
    codecs.push(codec);
    return `${quoteIdent(state.fields[key].column)}::${cast}`;
  });
  const pkColumn = quoteIdent(state.fields[model.pk].column);
  const select = `SELECT ${columns.join(", ")} FROM ${quoteIdent(state.table)}`;
  const item = format === "jsonl" ? "," : ", ";
  const fieldKeys = keys.slice(1).map((key, i) =>
    encoder.encode(`${i === 0 ? "" : item}${JSON.stringify(fixtureFieldName(key))}: `)
  );
  return {
    query: `(${select} ORDER BY ${pkColumn})`,
    page: (after, limit) =>
      `(${select}${
        after === undefined ? "" : ` WHERE ${pkColumn} > ${after}`
      } ORDER BY ${pkColumn} LIMIT ${limit})`,
    codecs,
    compact: format === "jsonl",
    parts: {
      head: encoder.encode(`{"model": ${JSON.stringify(model.label)}${item}"pk": `),
      fieldsOpen: encoder.encode(`${item}"fields": {`),
      fieldKeys,
      close: encoder.encode("}}"),
    },
  };
}

const HEX = encoder.encode("0123456789abcdef");
const TRUE = encoder.encode("true");
const FALSE = encoder.encode("false");
const NULL = encoder.encode("null");
/** `PGCOPY\n\xff\r\n\0`: the start of binary COPY output. */
const SIGNATURE = new Uint8Array([
  0x50,
  0x47,
  0x43,
  0x4f,
  0x50,
  0x59,
  0x0a,
  0xff,
  0x0d,
  0x0a,
  0x00,
]);
/** Big-endian integers in bytes (faster than a DataView made for each chunk). */
const int16 = (d: Uint8Array, p: number) => ((d[p] << 24) | (d[p + 1] << 16)) >> 16;
const uint16 = (d: Uint8Array, p: number) => (d[p] << 8) | d[p + 1];
const int32 = (d: Uint8Array, p: number) =>
  (d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3];
const uint32 = (d: Uint8Array, p: number) => int32(d, p) >>> 0;
const bigint64 = (d: Uint8Array, p: number) =>
  new DataView(d.buffer, d.byteOffset + p, 8).getBigInt64(0);
/** The `d`th base-10000 digit of a binary numeric at `p` (0 outside its digits). */
function numericDigit(data: Uint8Array, p: number, ndigits: number, d: number): number {
  return d >= 0 && d < ndigits ? int16(data, p + 8 + d * 2) : 0;
}

/** Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
const PG_EPOCH_DAYS = 10957;

/** Year, month, day of a day number counted from 1970-01-01 (proleptic Gregorian). */
function civil(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

// Rows in a row often share a date: the last one's text is kept.
let lastDays = NaN;
let lastDate = new Uint8Array(0);

function writeDate(out: ByteBuffer, days: number): void {
  if (days === lastDays) return out.bytes(lastDate);
  const start = out.length;
  const [year, month, day] = civil(days);
  out.reserve(24);
  if (year >= 0 && year <= 9999) out.padded(year, 4);
  else {
    // Outside ISO 8601's four digits (Python has no such dates): the expanded form.
    out.byte(year < 0 ? 0x2d : 0x2b);
    out.padded(Math.abs(year), 6);
  }
  out.byte(0x2d);
  out.padded(month, 2);
  out.byte(0x2d);
  out.padded(day, 2);
  lastDays = days;
  lastDate = out.since(start).slice();
}

/** What runs around each row the encoder writes. */
export interface RowHooks {
  /** Before the row's bytes. */
  before?: () => void;
  /** After them. */
  after?: () => void;
}

/**
 * Reads `COPY … TO STDOUT (FORMAT binary)` output, in chunks of any size, and writes each row
 * as a fixture object into `out` (its hooks write what goes between objects).
 */
export class BinaryRowEncoder {
  readonly #dump: ModelDump;
  readonly #out: ByteBuffer;
  readonly #hooks: RowHooks;
  readonly #paging: boolean;
  #pending: Uint8Array | undefined;
  #headerDone = false;
  #finished = false;
  /** The rows written. */
  rows = 0;
  #lastPk: number | Uint8Array | undefined;

  /**
   * `hooks.before` runs before each row is written (to write a separator), `after` after it.
   * With `paging`, the encoder keeps each row's pk for {@linkcode BinaryRowEncoder.lastPk}.
   */
  constructor(dump: ModelDump, out: ByteBuffer, hooks: RowHooks = {}, paging = false) {
    this.#dump = dump;
    this.#out = out;
    this.#hooks = hooks;
    this.#paging = paging;
  }

  /** Takes the next chunk of COPY output. */
  push(chunk: Uint8Array): void {
    let data = chunk;
    if (this.#pending) {
      data = new Uint8Array(this.#pending.length + chunk.length);
      data.set(this.#pending);
      data.set(chunk, this.#pending.length);
      this.#pending = undefined;
    }
    let at = 0;
    if (!this.#headerDone) {
      if (data.length < 19) {
        this.#pending = data.slice();
        return;
      }
      for (let i = 0; i < SIGNATURE.length; i++) {
        if (data[i] !== SIGNATURE[i]) throw new Error("Not binary COPY output: bad signature");
      }
      const extension = uint32(data, 15);
      if (data.length < 19 + extension) {
        this.#pending = data.slice();
        return;
      }
      at = 19 + extension;
      this.#headerDone = true;
    }
    while (at < data.length && !this.#finished) {
      const end = this.#rowEnd(data, at);
      if (end < 0) break;
      if (int16(data, at) === -1) {
        this.#finished = true; // the trailer: a field count of -1
        at = end;
        break;
      }
      this.#writeRow(data, at);
      at = end;
    }
    if (at < data.length && !this.#finished) this.#pending = data.slice(at);
  }

  /** Where the row at `at` ends, or -1 when the chunk holds only part of it. */
  #rowEnd(data: Uint8Array, at: number): number {
    if (at + 2 > data.length) return -1;
    const count = int16(data, at);
    if (count === -1) return at + 2;
    let p = at + 2;
    for (let i = 0; i < count; i++) {
      if (p + 4 > data.length) return -1;
      const length = int32(data, p);
      p += 4 + (length > 0 ? length : 0);
      if (p > data.length) return -1;
    }
    return p;
  }

  #writeRow(data: Uint8Array, at: number): void {
    const out = this.#out;
    const { codecs, parts } = this.#dump;
    const count = int16(data, at);
    if (count !== codecs.length) {
      throw new Error(`Binary COPY row has ${count} columns, expected ${codecs.length}`);
    }
    this.#hooks.before?.();
    let p = at + 2;
    out.bytes(parts.head);
    for (let i = 0; i < count; i++) {
      if (i === 1) out.bytes(parts.fieldsOpen);
      if (i >= 1) out.bytes(parts.fieldKeys[i - 1]);
      const length = int32(data, p);
      p += 4;
      if (length < 0) out.bytes(NULL);
      else {
        if (i === 0 && this.#paging) this.#keepPk(codecs[0], data, p, length);
        this.#value(codecs[i], data, p, length);
        p += length;
      }
    }
    if (count === 1) out.bytes(parts.fieldsOpen);
    out.bytes(parts.close);
    this.rows++;
    this.#hooks.after?.();
    out.flush();
  }

  #keepPk(codec: Codec, data: Uint8Array, p: number, length: number): void {
    if (codec === "int4") this.#lastPk = int32(data, p);
    else if (codec === "int8") {
      const value = int32(data, p) * 4294967296 + uint32(data, p + 4);
      this.#lastPk = Number.isSafeInteger(value) ? value : data.slice(p, p + length);
    } else this.#lastPk = data.slice(p, p + length);
  }

  /** The last row's pk as an SQL literal (to ask for the rows after it), if there was a row. */
  get lastPk(): string | undefined {
    const pk = this.#lastPk;
    if (pk === undefined || typeof pk === "number") return pk?.toString();
    const codec = this.#dump.codecs[0];
    if (codec === "timestamptz") {
      // Exact to the microsecond (the JSON form keeps milliseconds).
      const us = bigint64(pk, 0);
      if (us === 0x7fffffffffffffffn) return "'infinity'::timestamptz";
      if (us === -0x8000000000000000n) return "'-infinity'::timestamptz";
      return `(timestamptz '2000-01-01 00:00:00+00' + ${us} * interval '1 microsecond')`;
    }
    const scratch = new ByteBuffer(() => {});
    new BinaryRowEncoder(this.#dump, scratch).#value(
      codec,
      pk,
      0,
      pk.length,
    );
    const json = new TextDecoder().decode(scratch.since(0));
    const text = codec === "int8" ? json : JSON.parse(json) as string;
    return `'${text.replaceAll("'", "''")}'::${codec}`;
  }

  #value(codec: Codec, data: Uint8Array, p: number, length: number): void {
    const out = this.#out;
    switch (codec) {
      case "int4":
        out.reserve(12);
        out.integer(int32(data, p));
        return;
      case "int8": {
        const value = int32(data, p) * 4294967296 + uint32(data, p + 4);
        if (Number.isSafeInteger(value)) {
          out.reserve(21);
          out.integer(value);
        } else out.ascii(bigint64(data, p).toString());
        return;
      }
      case "text":
        out.reserve(2);
        out.byte(0x22);
        out.escaped(data, p, p + length);
        out.reserve(1);
        out.byte(0x22);
        return;
      case "jsonb":
        // A version byte (1), then the JSON text as PostgreSQL prints it: `, ` between items,
        // which jsonl (as Django's) writes `,`.
        if (this.#dump.compact) out.compactJson(data, p + 1, p + length);
        else out.copy(data, p + 1, p + length);
        return;
      case "bool":
        out.bytes(data[p] ? TRUE : FALSE);
        return;
      case "numeric":
        this.#numeric(data, p);
        return;
      case "timestamptz":
        this.#timestamp(data, p);
        return;
      case "date": {
        const days = int32(data, p);
        if (days === 0x7fffffff || days === -0x80000000) {
          out.ascii(days > 0 ? '"infinity"' : '"-infinity"');
          return;
        }
        out.reserve(1);
        out.byte(0x22);
        writeDate(out, days + PG_EPOCH_DAYS);
        out.reserve(1);
        out.byte(0x22);
        return;
      }
      case "uuid": {
        out.reserve(38);
        out.byte(0x22);
        for (let i = 0; i < 16; i++) {
          if (i === 4 || i === 6 || i === 8 || i === 10) out.byte(0x2d);
          out.byte(HEX[data[p + i] >> 4]);
          out.byte(HEX[data[p + i] & 15]);
        }
        out.byte(0x22);
        return;
      }
    }
  }

  #numeric(data: Uint8Array, p: number): void {
    const out = this.#out;
    const ndigits = int16(data, p);
    const weight = int16(data, p + 2);
    const sign = uint16(data, p + 4);
    const dscale = int16(data, p + 6);
    if (sign === 0xc000) return out.ascii('"NaN"');
    if (sign === 0xd000) return out.ascii('"Infinity"');
    if (sign === 0xf000) return out.ascii('"-Infinity"');
    out.reserve(4 + (Math.max(weight, 0) + 1) * 4 + dscale + 4);
    out.byte(0x22);
    if (sign === 0x4000) out.byte(0x2d);
    if (weight < 0) out.byte(0x30);
    else {
      out.integer(numericDigit(data, p, ndigits, 0));
      for (let d = 1; d <= weight; d++) out.padded(numericDigit(data, p, ndigits, d), 4);
    }
    if (dscale > 0) {
      out.byte(0x2e);
      let left = dscale;
      for (let d = weight + 1; left > 0; d++) {
        const group = numericDigit(data, p, ndigits, d);
        if (left >= 4) {
          out.padded(group, 4);
          left -= 4;
        } else {
          out.padded(Math.floor(group / 10 ** (4 - left)), left);
          left = 0;
        }
      }
    }
    out.byte(0x22);
  }

  #timestamp(data: Uint8Array, p: number): void {
    const out = this.#out;
    const high = int32(data, p);
    const low = uint32(data, p + 4);
    if (high === 0x7fffffff && low === 0xffffffff) return out.ascii('"infinity"');
    if (high === -0x80000000 && low === 0) return out.ascii('"-infinity"');
    let seconds: number;
    let micro: number;
    if (high > -0x100000 && high < 0x100000) {
      // Within 2^52 microseconds of 2000 (about 140 years): exact as a double.
      const us = high * 4294967296 + low;
      seconds = Math.floor(us / 1e6);
      micro = us - seconds * 1e6;
    } else {
      const us = bigint64(data, p);
      let s = us / 1000000n;
      let rest = us - s * 1000000n;
      if (rest < 0n) {
        s -= 1n;
        rest += 1000000n;
      }
      seconds = Number(s);
      micro = Number(rest);
    }
    const days = Math.floor(seconds / 86400);
    let second = seconds - days * 86400;
    out.reserve(40);
    out.byte(0x22);
    writeDate(out, days + PG_EPOCH_DAYS);
    out.byte(0x54); // T
    const hour = Math.floor(second / 3600);
    second -= hour * 3600;
    const minute = Math.floor(second / 60);
    second -= minute * 60;
    out.padded(hour, 2);
    out.byte(0x3a);
    out.padded(minute, 2);
    out.byte(0x3a);
    out.padded(second, 2);
    if (micro !== 0) {
      // Django's encoder: milliseconds, truncated.
      out.byte(0x2e);
      out.padded(Math.floor(micro / 1000), 3);
    }
    out.byte(0x5a); // Z
    out.byte(0x22);
  }

  /** Whether the trailer has been read. */
  get finished(): boolean {
    return this.#finished;
  }
}
