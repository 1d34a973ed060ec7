/**
 * Loading fixture records into the database, inside a transaction the caller holds.
 *
 * Each record is checked against its model (model, fields, value types) and turned into a
 * line of `COPY` text as it is read; lines gather per model and go to the database a megabyte
 * at a time, while the next ones are read. Into a table that was empty, rows go straight in:
 * through one `COPY` kept open (on a server) when they cannot clash (their pks go up and their
 * foreign keys are checked at the commit), else a `COPY` in a savepoint per batch. Otherwise,
 * or when that fails (a row that points at one not loaded yet, a pk given twice), they go to a
 * temporary table, and {@linkcode FixtureLoader.finish} moves them into place in foreign-key
 * order with `INSERT … ON CONFLICT (pk) DO UPDATE`, as Django's loaddata saves an object over
 * the row with its pk. The sequences of the loaded tables are then set past their largest pk.
 *
 * @module
 */

import type { Queryable } from "../../core/database.ts";
import { printable } from "./_fixture_reader.ts";
import { type FieldState, type ModelState, quoteIdent } from "./orm/mod.ts";
import {
  dependencyOrder,
  didYouMean,
  fixtureFieldName,
  fixtureLabel,
  type FixtureModel,
  fixtureModel,
} from "./_models.ts";

/** A record that does not fit its model. */
export class FixtureRecordError extends Error {
  /** The record's number in its file, from 1. */
  readonly record: number;

  /** `reason` says what is wrong with the record. */
  constructor(record: number, reason: string) {
    super(reason);
    this.name = "FixtureRecordError";
    this.record = record;
  }
}

/** The database refused rows: `message` names the model and the database's reason. */
export class FixtureDatabaseError extends Error {
  /** Names the model and gives the database's message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FixtureDatabaseError";
  }
}

/** A value that does not fit its field: the message says what was expected. */
class Invalid extends Error {}

/** A value for error messages: JSON, cut short. */
function show(value: unknown): string {
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

type Encode = (value: unknown) => string;

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
function encoderOf(field: FieldState): Encode {
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

/** One field's column and encoder. */
interface FieldPlan {
  readonly key: string;
  readonly index: number;
  readonly column: string;
  readonly null: boolean;
  readonly encode: Encode;
}

/** Rows of one model with one set of columns, on their way to the database. */
interface Sink {
  readonly plan: ModelPlan;
  /** The fixture's field names, in the order records give them. */
  readonly keys: readonly string[];
  /** Their fields. */
  readonly fields: readonly FieldPlan[];
  /** `"col", "col"`. */
  readonly columns: string;
  readonly names: readonly string[];
  readonly hasPk: boolean;
  text: string;
  rows: number;
  /** The pks of the rows waiting in `text` go up (so none repeats). */
  batchIncreasing: boolean;
  batchFirst: number | string | undefined;
  batchLast: number | string | undefined;
  /** The temporary table, once rows have gone there. */
  stage?: string;
  stageIncreasing: boolean;
  stageLast: number | string | undefined;
}

/** Rows taken from a sink, on their way to the database. */
interface Batch {
  readonly sink: Sink;
  readonly text: string;
  readonly increasing: boolean;
  readonly first: number | string | undefined;
  readonly last: number | string | undefined;
}

/** A model's fields as the loader reads them. */
interface ModelPlan {
  readonly model: FixtureModel;
  readonly pk: FieldPlan;
  readonly intPk: boolean;
  readonly fields: ReadonlyMap<string, FieldPlan>;
  /** Fields a row cannot do without (not null, no default). */
  readonly required: readonly FieldPlan[];
  readonly sinks: Map<string, Sink>;
  /** The sink of the last record: the next one most likely has the same fields. */
  lastSink?: Sink;
  /** The table was empty when the load first wrote to it. */
  empty?: boolean;
  /** Its foreign keys are all checked at the commit (DEFERRABLE, and deferred by the load). */
  deferred?: boolean;
  /** The largest pk that went straight into the table. */
  lastDirect?: number | string;
  /** Rows go to temporary tables from now on. */
  staged: boolean;
  /** Rows have gone to the database. */
  loaded: boolean;
}

function planOf(state: ModelState): ModelPlan {
  const model = fixtureModel(state);
  const plans = new Map<string, FieldPlan>();
  const byKey = new Map<string, FieldPlan>();
  let index = 0;
  for (const [key, field] of Object.entries(state.fields)) {
    byKey.set(key, {
      key,
      index: index++,
      column: field.column,
      null: field.null,
      encode: encoderOf(field),
    });
  }
  for (const [name, key] of model.fields) plans.set(name, byKey.get(key)!);
  const pkField = state.fields[model.pk];
  const required = [...byKey.values()].filter((plan) => {
    const field = state.fields[plan.key];
    return plan.key !== model.pk && !field.null && field.default === undefined &&
      field.type !== "bigserial";
  });
  return {
    model,
    pk: byKey.get(model.pk)!,
    intPk: pkField.type === "bigserial" || pkField.type === "bigint" ||
      pkField.type === "integer",
    fields: plans,
    required,
    sinks: new Map(),
    staged: false,
    loaded: false,
  };
}

/** What no record's "model" is. */
const NO_LABEL = Symbol("no model yet");

/** Options of {@linkcode FixtureLoader}. */
export interface LoaderOptions {
  /** Skip fields and models the project does not have (Django's `--ignorenonexistent`). */
  ignoreNonexistent?: boolean;
  /** Send rows to the database when this much COPY text has gathered for a model. */
  batchBytes?: number;
  /**
   * Keep one COPY open while a model's rows follow each other (a server); when left out, each
   * batch is a COPY of its own (the embedded database, which takes a COPY's data whole).
   */
  streaming?: boolean;
}

/** One `COPY … FROM STDIN` kept open while batches of one sink follow each other. */
class CopyStream {
  /** The sink whose rows it takes. */
  readonly sink: Sink;
  readonly #done: Promise<void>;
  readonly #queue: string[] = [];
  #closed = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  #taken: (() => void) | undefined;

  constructor(tx: Queryable, sink: Sink, target: string) {
    this.sink = sink;
    this.#done = tx.copyFrom!(target, "", this.#chunks());
    // Awaited by push() and close(), which report it.
    this.#done.catch(() => {});
  }

  async *#chunks(): AsyncGenerator<string> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (this.#queue.length > 0) {
        const next = this.#queue.shift()!;
        this.#taken?.();
        this.#taken = undefined;
        yield next;
      } else if (this.#closed) return;
      else await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** Queues a batch, once the one before has been taken (or fails with the COPY's error). */
  async push(text: string): Promise<void> {
    if (this.#queue.length > 0) {
      await Promise.race([new Promise<void>((resolve) => this.#taken = resolve), this.#done]);
    }
    this.#queue.push(text);
    this.#wake?.();
    this.#wake = undefined;
  }

  /** Cancels the COPY (the server is told it failed) and waits for it to end. */
  async abort(): Promise<void> {
    this.#failure = new Error("The load was stopped");
    this.#wake?.();
    this.#wake = undefined;
    await this.#done.catch(() => {});
  }

  /** Ends the COPY and waits for the database to have taken every row. */
  close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    this.#wake = undefined;
    return this.#done;
  }
}

/**
 * Loads fixture records into the database through `tx` (a transaction: nothing is committed
 * here). Give it records with {@linkcode FixtureLoader.add}, then call
 * {@linkcode FixtureLoader.finish}.
 */
export class FixtureLoader {
  readonly #tx: Queryable;
  readonly #plans = new Map<string, ModelPlan>();
  readonly #order: readonly ModelState[];
  readonly #ignore: boolean;
  readonly #batchBytes: number;
  readonly #streaming: boolean;
  #stages = 0;
  /** The last record's model, as it named it (none before the first), and its plan. */
  #lastLabel: unknown = NO_LABEL;
  #lastPlan: ModelPlan | undefined;
  /** The batches on their way to the database, one after the other. */
  #inflight: Promise<void> | undefined;
  /** The COPY kept open, if any. */
  #stream: CopyStream | undefined;
  /** Records loaded (or waiting to be) so far. */
  objects = 0;

  /** `models`: every model a record may name. */
  constructor(tx: Queryable, models: readonly ModelState[], options: LoaderOptions = {}) {
    this.#tx = tx;
    for (const state of models) this.#plans.set(fixtureLabel(state), planOf(state));
    this.#order = dependencyOrder(models);
    this.#ignore = options.ignoreNonexistent ?? false;
    this.#batchBytes = options.batchBytes ?? 1 << 20;
    this.#streaming = options.streaming ?? false;
  }

  /**
   * Checks one record (number `index` of its file) and queues its row. Throws
   * {@linkcode FixtureRecordError} for a record that does not fit, and
   * {@linkcode FixtureDatabaseError} when the database refuses a batch.
   */
  add(record: unknown, index: number): void | Promise<void> {
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new FixtureRecordError(
        index,
        `expected an object with "model", "pk" and "fields", got ${show(record)}`,
      );
    }
    const { model: label, pk, fields = {} } = record as Record<string, unknown>;
    let plan: ModelPlan | undefined;
    if (label === this.#lastLabel) plan = this.#lastPlan!;
    else {
      if (label === undefined) {
        throw new FixtureRecordError(index, `the record has no "model": give it as "app.model"`);
      }
      if (typeof label !== "string") {
        throw new FixtureRecordError(index, `expected "model" to name a model, got ${show(label)}`);
      }
      plan = this.#plans.get(label.toLowerCase());
      if (!plan) {
        if (this.#ignore) return;
        throw new FixtureRecordError(
          index,
          `unknown model '${printable(label)}'${
            didYouMean(label.toLowerCase(), this.#plans.keys())
          }`,
        );
      }
      this.#lastLabel = label;
      this.#lastPlan = plan;
    }
    const name = plan.model.label;
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
      throw new FixtureRecordError(
        index,
        `expected "fields" to be an object of ${name}'s fields, got ${show(fields)}`,
      );
    }
    const hasPk = pk !== undefined && pk !== null;
    let line = "";
    if (hasPk) {
      try {
        line = plan.pk.encode(pk);
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        throw new FixtureRecordError(index, `pk of ${name}: ${error.message}`);
      }
    }
    const pkValue = line;
    // Records of a model mostly name the same fields in the same order as the one before:
    // then that record's sink (and its fields) serve without looking anything up.
    const shape = plan.lastSink;
    let same = shape !== undefined && shape.hasPk === hasPk;
    let keys: string[] | undefined;
    let plans: FieldPlan[] | undefined;
    let count = 0;
    const values = fields as Record<string, unknown>;
    for (const fieldName in values) {
      let field: FieldPlan | undefined;
      if (same && shape!.keys[count] === fieldName) field = shape!.fields[count];
      else {
        if (same || keys === undefined) {
          keys = shape && same ? shape.keys.slice(0, count) : [];
          plans = shape && same ? shape.fields.slice(0, count) : [];
          same = false;
        }
        field = plan.fields.get(fieldName);
        if (!field) {
          if (this.#ignore) continue;
          throw new FixtureRecordError(
            index,
            `${name} has no field '${printable(fieldName)}'${
              didYouMean(fieldName, plan.fields.keys())
            }`,
          );
        }
        if (plans!.includes(field)) {
          throw new FixtureRecordError(index, `field '${fieldName}' of ${name} is given twice`);
        }
        keys.push(fieldName);
        plans!.push(field);
      }
      const value = values[fieldName];
      let text: string;
      if (value === null) {
        if (!field.null) {
          throw new FixtureRecordError(index, `field '${fieldName}' of ${name} may not be null`);
        }
        text = "\\N";
      } else {
        try {
          text = field.encode(value);
        } catch (error) {
          if (!(error instanceof Invalid)) throw error;
          throw new FixtureRecordError(index, `field '${fieldName}' of ${name}: ${error.message}`);
        }
      }
      line = count === 0 && !hasPk ? text : `${line}\t${text}`;
      count++;
    }
    let sink: Sink;
    if (same && count === shape!.keys.length) sink = shape!;
    else {
      keys ??= shape ? shape.keys.slice(0, count) : [];
      plans ??= shape ? shape.fields.slice(0, count) : [];
      if (!hasPk && keys.length === 0) {
        throw new FixtureRecordError(index, `a ${name} record needs a pk or some fields`);
      }
      const signature = `${hasPk ? "p" : ""}${plans.map((f) => `,${f.index}`).join("")}`;
      sink = plan.sinks.get(signature) ?? this.#sink(plan, signature, keys, plans, index);
      plan.lastSink = sink;
    }
    sink.text += `${line}\n`;
    sink.rows++;
    this.objects++;
    if (hasPk) {
      const key = plan.intPk ? +pkValue : pkValue;
      if (sink.batchFirst === undefined) sink.batchFirst = key;
      else if (!(key > sink.batchLast!)) sink.batchIncreasing = false;
      sink.batchLast = key;
    }
    if (sink.text.length >= this.#batchBytes) return this.#queue(sink);
  }

  /**
   * Sends the sink's rows while reading goes on: the batch before must have been taken first
   * (what is returned waits for it), so one batch is in flight while the next one is read.
   */
  #queue(sink: Sink): Promise<void> | undefined {
    const batch = this.#take(sink);
    const previous = this.#inflight;
    const next = (previous ?? Promise.resolve()).then(() => this.#send(batch));
    // Its error, if any, comes out where it is awaited: by the next batch, or by finish().
    next.catch(() => {});
    this.#inflight = next;
    return previous;
  }

  /** The sink's waiting rows, leaving it empty. */
  #take(sink: Sink): Batch {
    const batch: Batch = {
      sink,
      text: sink.text,
      increasing: sink.batchIncreasing,
      first: sink.batchFirst,
      last: sink.batchLast,
    };
    sink.text = "";
    sink.rows = 0;
    sink.batchIncreasing = true;
    sink.batchFirst = sink.batchLast = undefined;
    return batch;
  }

  #sink(
    plan: ModelPlan,
    signature: string,
    keys: string[],
    fields: FieldPlan[],
    index: number,
  ): Sink {
    for (const field of plan.required) {
      if (!fields.includes(field)) {
        throw new FixtureRecordError(
          index,
          `${plan.model.label} needs field '${
            fixtureFieldName(field.key)
          }' (it has no default and may not be null)`,
        );
      }
    }
    const hasPk = signature.startsWith("p");
    const names = [...(hasPk ? [plan.pk.column] : []), ...fields.map((f) => f.column)];
    const sink: Sink = {
      plan,
      keys,
      fields,
      columns: names.map(quoteIdent).join(", "),
      names,
      hasPk,
      text: "",
      rows: 0,
      batchIncreasing: true,
      batchFirst: undefined,
      batchLast: undefined,
      stageIncreasing: true,
      stageLast: undefined,
    };
    plan.sinks.set(signature, sink);
    return sink;
  }

  async #send(batch: Batch): Promise<void> {
    const { sink, text, increasing, first, last } = batch;
    const { plan } = sink;
    if (text === "") return;
    const tx = this.#tx;
    const table = quoteIdent(plan.model.state.table);
    const target = `${table} (${sink.columns})`;
    if (this.#stream && this.#stream.sink !== sink) await this.#closeStream();
    await this.#database(plan, async () => {
      if (!tx.copyFrom) throw new Error("This database driver cannot COPY: loaddata needs it");
      if (plan.empty === undefined) {
        const [row] = await tx.query<{ empty: boolean; deferred: boolean }>(
          `SELECT NOT EXISTS (SELECT FROM ${table}) AS empty,
             NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = $1::regclass
               AND contype = 'f' AND NOT condeferrable) AS deferred`,
          [table],
        );
        plan.empty = row.empty;
        plan.deferred = row.deferred;
      }
      if (plan.empty && !plan.staged) {
        // Rows that cannot clash (their pks go up, in a table that was empty) and whose
        // foreign keys are checked at the commit cannot fail for a reason the temporary
        // table would cure: they go straight in, through one COPY kept open on a server.
        const clean = plan.deferred && (!sink.hasPk ||
          (increasing && (plan.lastDirect === undefined || first! > plan.lastDirect)));
        if (clean) {
          if (sink.hasPk) plan.lastDirect = last;
          plan.loaded = true;
          if (!this.#streaming) return await tx.copyFrom(target, "", [text]);
          this.#stream ??= new CopyStream(tx, sink, target);
          return await this.#stream.push(text);
        }
        await this.#closeStream();
        await tx.exec("SAVEPOINT manage_loaddata");
        try {
          await tx.copyFrom(target, "", [text]);
          await tx.exec("RELEASE SAVEPOINT manage_loaddata");
          plan.loaded = true;
          if (sink.hasPk && (plan.lastDirect === undefined || last! > plan.lastDirect)) {
            plan.lastDirect = last;
          }
          return;
        } catch {
          // Rows that point at rows not loaded yet, or a pk given twice: the temporary table
          // and an upsert at the end sort them out (or report the reason then).
          await tx.exec("ROLLBACK TO SAVEPOINT manage_loaddata");
          plan.staged = true;
        }
      }
      await this.#closeStream();
      if (sink.stage === undefined) {
        sink.stage = `manage_loaddata_${++this.#stages}`;
        await tx.exec(
          `CREATE TEMPORARY TABLE ${sink.stage} ON COMMIT DROP AS ` +
            `SELECT ${sink.columns} FROM ${table} WITH NO DATA`,
        );
      }
      await tx.copyFrom(`${sink.stage} (${sink.columns})`, "", [text]);
      if (
        !increasing ||
        (sink.stageLast !== undefined && first !== undefined && !(first > sink.stageLast))
      ) sink.stageIncreasing = false;
      if (last !== undefined) sink.stageLast = last;
    });
  }

  /** Ends the COPY kept open, if there is one (before any other statement). */
  async #closeStream(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    this.#stream = undefined;
    await this.#database(stream.sink.plan, () => stream.close());
  }

  /** Runs database work for `plan`, naming the model when the database refuses it. */
  async #database(plan: ModelPlan, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof FixtureDatabaseError) throw error;
      throw new FixtureDatabaseError(
        `Could not load ${plan.model.label}: ${describeDatabaseError(error)}`,
        { cause: error },
      );
    }
  }

  /**
   * Stops after a failure: waits for the batch on its way and cancels the COPY kept open, so
   * that the transaction can roll back. Never throws.
   */
  async abort(): Promise<void> {
    await this.#inflight?.catch(() => {});
    const stream = this.#stream;
    this.#stream = undefined;
    await stream?.abort();
  }

  /**
   * Sends what is left, moves rows from temporary tables into their tables in foreign-key
   * order, and sets the loaded tables' sequences past their largest pk.
   */
  async finish(): Promise<void> {
    for (const plan of this.#plans.values()) {
      for (const sink of plan.sinks.values()) await this.#queue(sink);
    }
    await this.#inflight;
    await this.#closeStream();
    const tx = this.#tx;
    for (const state of this.#order) {
      const plan = this.#plans.get(fixtureLabel(state))!;
      for (const sink of plan.sinks.values()) {
        if (sink.stage === undefined) continue;
        await this.#database(plan, () => tx.exec(upsertSql(plan, sink)));
        plan.loaded = true;
      }
    }
    for (const plan of this.#plans.values()) {
      if (!plan.loaded || !plan.intPk) continue;
      const table = quoteIdent(plan.model.state.table);
      const pk = quoteIdent(plan.pk.column);
      await this.#database(plan, async () => {
        await tx.query(
          `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(${pk}), 1), ` +
            `max(${pk}) IS NOT NULL) FROM ${table}`,
          [table, plan.pk.column],
        );
      });
    }
  }
}

/** Moves a temporary table's rows into the model's table; a later row of a pk wins. */
function upsertSql(plan: ModelPlan, sink: Sink): string {
  const table = quoteIdent(plan.model.state.table);
  const pk = quoteIdent(plan.pk.column);
  let select = `SELECT ${sink.columns} FROM ${sink.stage}`;
  if (!sink.hasPk) return `INSERT INTO ${table} (${sink.columns}) ${select}`;
  if (!sink.stageIncreasing) {
    // A pk may come twice: keep its last row (a fresh temporary table keeps rows in the
    // order they were copied, so the largest ctid is the last).
    select = `SELECT DISTINCT ON (${pk}) ${sink.columns} FROM ${sink.stage} ` +
      `ORDER BY ${pk}, ctid DESC`;
  }
  const updates = sink.names.filter((c) => c !== plan.pk.column).map((c) =>
    `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`
  );
  return `INSERT INTO ${table} (${sink.columns}) ${select} ON CONFLICT (${pk}) ` +
    (updates.length > 0 ? `DO UPDATE SET ${updates.join(", ")}` : "DO NOTHING");
}

/** The database's message, with its detail (`Key (author_id)=(9) is not present…`). */
export function describeDatabaseError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const detail = (error as { detail?: unknown }).detail;
  return typeof detail === "string" && detail !== ""
    ? `${error.message} (${detail.replace(/\.$/, "")})`
    : error.message;
}
