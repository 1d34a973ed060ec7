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

import type { Queryable } from "../../../core/database.ts";
import { type ModelState, quoteIdent } from "../orm/mod.ts";
import { Invalid, show } from "./_copy_values.ts";
import { CopyStream } from "./_copy_stream.ts";
import { dependencyOrder, didYouMean, fixtureFieldName, fixtureLabel } from "./_fixture_models.ts";
import type { Batch, FieldPlan, ModelPlan, Sink } from "./_load_plan.ts";
import { planOf } from "./_load_plan.ts";
import { printable } from "./_reader.ts";

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
        if (!field && plan.manyToMany.has(fieldName)) {
          const related = values[fieldName];
          if (!Array.isArray(related)) {
            throw new FixtureRecordError(
              index,
              `field '${fieldName}' of ${name}: expected a list, got ${show(related)}`,
            );
          }
          if (related.length === 0 || this.#ignore) continue;
          throw new FixtureRecordError(
            index,
            `${name}${hasPk ? ` with pk ${show(pk)}` : ""} has ${fieldName} ${
              show(related)
            }, and this project has no ${
              plan.manyToMany.get(fieldName)
            } for them: remove them from the fixture (or load it with --ignorenonexistent to drop them)`,
          );
        }
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
