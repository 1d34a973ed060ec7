/**
 * Queries on a model: `MyModel.objects.using(ctx.db)` is a {@linkcode QuerySet}, which is
 * immutable (each method returns a new one) and lazy (nothing runs until a terminal method:
 * `get`, `first`, `count`, `exists`, `toArray`, `create`, `bulkCreate`, `update`, `delete`,
 * or `for await`). Every value is a bound parameter; every identifier comes from the model.
 *
 * @module
 */

import type { Queryable, Row as DbRow } from "../../../core/database.ts";
import { canBegin, cursorBatches } from "./_cursor.ts";
import { modelLabel, type ModelState, primaryKeyOf, quoteIdent } from "./_model_state.ts";
import {
  columnsSql,
  compileLookups,
  type Condition,
  fieldOf,
  fromDatabase,
  type Lookup,
  Params,
  unknownField,
  whereSql,
} from "./_query_sql.ts";

export type { Lookup } from "./_query_sql.ts";

/** A row's field names. */
export type FieldName<Row> = Extract<keyof Row, string>;

/** What a lookup takes on a field whose value is `V`. */
export type LookupValue<V, L extends Lookup> = L extends "exact" ? V
  : L extends "in" ? readonly NonNullable<V>[]
  : L extends "isnull" ? boolean
  : L extends "contains" | "icontains" ? (NonNullable<V> extends string ? string : never)
  : NonNullable<V>;

/**
 * Filters, as Django's keyword arguments: a field name (equality, or `IS NULL` for null), or a
 * field name and a lookup. All must hold. Keys and value types are checked against the row.
 *
 * @example
 * ```ts
 * import type { Lookups } from "./mod.ts";
 *
 * type Row = { id: number; name: string; body: string | null; views: number };
 * const recent: Lookups<Row> = { name__icontains: "object", views__gte: 10, body__isnull: false };
 * const some: Lookups<Row> = { id__in: [1, 2, 3], body: null };
 * console.assert(Object.keys({ ...recent, ...some }).length === 5);
 * ```
 */
export type Lookups<Row> = {
  [K in FieldName<Row> | `${FieldName<Row>}__${Lookup}`]?: K extends FieldName<Row> ? Row[K]
    : K extends `${infer F extends FieldName<Row>}__${infer L extends Lookup}`
      ? LookupValue<Row[F], L>
    : never;
};

/** A field to order by: `"name"` ascending, `"-name"` descending. */
export type OrderBy<Row> = FieldName<Row> | `-${FieldName<Row>}`;

/** Options of {@linkcode QuerySet.iterator}. */
export interface IteratorOptions {
  /** How many rows each `FETCH` reads from the cursor (1000). */
  chunkSize?: number;
}

/** Options of {@linkcode QuerySet.bulkCreate}. */
export interface BulkCreateOptions {
  /** Rows per INSERT (1000, and never more than PostgreSQL's 65,535 parameters allow). */
  batchSize?: number;
}

/** An SQL statement and its bound parameters, as {@linkcode QuerySet.toSQL} shows them. */
export interface SqlQuery {
  /** The statement, with `$1`-style placeholders. */
  readonly text: string;
  /** The parameters, as the text sent to the database (null for NULL). */
  readonly params: readonly (string | null)[];
}

/**
 * Thrown by {@linkcode QuerySet.get} when no row matches, with Django's message.
 *
 * @example
 * ```ts
 * import { DoesNotExist } from "./mod.ts";
 *
 * const error = new DoesNotExist("myapp.MyModel");
 * console.assert(error.message === "MyModel matching query does not exist.");
 * ```
 */
export class DoesNotExist extends Error {
  /** The model, `app.Model`. */
  readonly model: string;

  /** An error for the model labelled `model` (`myapp.MyModel`). */
  constructor(model: string) {
    super(`${model.slice(model.indexOf(".") + 1)} matching query does not exist.`);
    this.name = "DoesNotExist";
    this.model = model;
  }
}

/**
 * Thrown by {@linkcode QuerySet.get} when several rows match, with Django's message.
 *
 * @example
 * ```ts
 * import { MultipleObjectsReturned } from "./mod.ts";
 *
 * const error = new MultipleObjectsReturned("myapp.MyModel", "2");
 * console.assert(error.message === "get() returned more than one MyModel -- it returned 2!");
 * ```
 */
export class MultipleObjectsReturned extends Error {
  /** The model, `app.Model`. */
  readonly model: string;

  /** An error for the model labelled `model`; `count` is how many (`"2"`, `"more than 20"`). */
  constructor(model: string, count: string) {
    const name = model.slice(model.indexOf(".") + 1);
    super(`get() returned more than one ${name} -- it returned ${count}!`);
    this.name = "MultipleObjectsReturned";
    this.model = model;
  }
}

/** How many rows `get()` reads at most to report how many matched (as Django). */
const MAX_GET_RESULTS = 21;
/** The most parameters one statement can have (the protocol counts them in 16 bits). */
const MAX_PARAMS = 65535;
const DEFAULT_CHUNK = 1000;

interface QueryParts {
  readonly where: readonly Condition[];
  readonly order: readonly string[];
  readonly limit?: number;
  readonly offset?: number;
}

/**
 * A query on a model's table: immutable and lazy. `Row` is the type of its rows, `Insert` what
 * creating one takes (both inferred by `defineModel`).
 *
 * @example
 * ```ts ignore
 * const qs = MyModel.objects.using(ctx.db);
 * const recent = qs.filter({ name__icontains: "object" }).exclude({ name: "Object 2" })
 *   .orderBy("-id").limit(10);
 * for await (const obj of recent) console.log(obj.name); // streamed through a cursor
 * await qs.get({ id: 1 }); // throws DoesNotExist or MultipleObjectsReturned
 * await qs.create({ name: "Object 3" }); // the new row, with its id
 * await qs.filter({ name: "Object 3" }).update({ name: "Object three" }); // 1
 * ```
 */
export class QuerySet<Row, Insert = Row> implements AsyncIterable<Row> {
  readonly #state: ModelState;
  readonly #db: Queryable;
  #query: QueryParts = { where: [], order: [] };

  /** Every row of the model whose state is `state`, on `db` (`Manager.using` makes it). */
  constructor(state: ModelState, db: Queryable) {
    this.#state = state;
    this.#db = db;
  }

  /** The model's state. */
  get state(): ModelState {
    return this.#state;
  }

  #with(parts: Partial<QueryParts>): QuerySet<Row, Insert> {
    const copy = new QuerySet<Row, Insert>(this.#state, this.#db);
    copy.#query = { ...this.#query, ...parts };
    return copy;
  }

  get #sliced(): boolean {
    return this.#query.limit !== undefined || this.#query.offset !== undefined;
  }

  /** A copy of this query. */
  all(): QuerySet<Row, Insert> {
    return this.#with({});
  }

  /** The rows for which every lookup holds (and this query's conditions). */
  filter(lookups: Lookups<Row>): QuerySet<Row, Insert> {
    return this.#where(lookups, false);
  }

  /** The rows for which not every lookup holds; rows where a compared value is NULL are kept. */
  exclude(lookups: Lookups<Row>): QuerySet<Row, Insert> {
    return this.#where(lookups, true);
  }

  #where(lookups: Lookups<Row>, negated: boolean): QuerySet<Row, Insert> {
    if (this.#sliced) throw new TypeError("Cannot filter a query once a slice has been taken.");
    const predicates = compileLookups(this.#state, lookups as Record<string, unknown>);
    return this.#with({ where: [...this.#query.where, { negated, predicates }] });
  }

  /** Ordered by these fields (`-` for descending), replacing any earlier order; none: unordered. */
  orderBy(...fields: OrderBy<Row>[]): QuerySet<Row, Insert> {
    if (this.#sliced) throw new TypeError("Cannot reorder a query once a slice has been taken.");
    for (const name of fields) fieldOf(this.#state, name.replace(/^-/, ""));
    return this.#with({ order: [...fields] });
  }

  /** At most `count` rows. Filtering or ordering it afterwards is an error, as in Django. */
  limit(count: number): QuerySet<Row, Insert> {
    return this.#with({ limit: checkCount("limit", count) });
  }

  /** Skips the first `count` rows. */
  offset(count: number): QuerySet<Row, Insert> {
    return this.#with({ offset: checkCount("offset", count) });
  }

  /**
   * The SELECT this query runs, with its parameters: every value is a parameter, sent as text
   * and cast to the column's type.
   *
   * @example
   * ```ts
   * import { defineModel, field } from "./mod.ts";
   * import type { Queryable } from "../../../core/database.ts";
   *
   * const MyModel = defineModel("myapp.MyModel", { name: field.varchar(100) });
   * const db = {} as Queryable; // toSQL() runs nothing
   * const query = MyModel.objects.using(db).filter({ name__icontains: "obj" }).orderBy("-id")
   *   .limit(2).toSQL();
   * console.assert(
   *   query.text === `SELECT "id", "name" FROM "myapp_mymodel" WHERE ("name" ILIKE '%' || ` +
   *       `$1::text || '%') ORDER BY "id" DESC LIMIT $2::text::bigint`,
   * );
   * console.assert(query.params.join() === "obj,2");
   * ```
   */
  toSQL(): SqlQuery {
    const params = new Params();
    return { text: this.#selectSql(columnsSql(this.#state), params), params: params.values };
  }

  #selectSql(columns: string, params: Params, order = this.#query.order): string {
    const { limit, offset } = this.#query;
    let text = `SELECT ${columns} FROM ${quoteIdent(this.#state.table)}` +
      whereSql(this.#state, this.#query.where, params);
    if (order.length > 0) {
      text += ` ORDER BY ${
        order.map((o) => {
          const column = quoteIdent(this.#state.fields[o.replace(/^-/, "")].column);
          return o.startsWith("-") ? `${column} DESC` : `${column} ASC`;
        }).join(", ")
      }`;
    }
    if (limit !== undefined) text += ` LIMIT ${params.add(String(limit), "bigint")}`;
    if (offset !== undefined) text += ` OFFSET ${params.add(String(offset), "bigint")}`;
    return text;
  }

  #rows(rows: DbRow[]): Row[] {
    return rows.map((row) => fromDatabase(this.#state, row) as Row);
  }

  /** Every row, in one query. Use `for await` for tables too large to hold in memory. */
  async toArray(): Promise<Row[]> {
    const { text, params } = this.toSQL();
    return this.#rows(await this.#db.query(text, params));
  }

  /**
   * The one row matching `lookups` (and this query). Throws {@linkcode DoesNotExist} when
   * there is none and {@linkcode MultipleObjectsReturned} when there are several.
   */
  async get(lookups?: Lookups<Row>): Promise<Row> {
    const query = lookups ? this.filter(lookups) : this;
    const capped = !query.#sliced;
    const rows = await (capped ? query.#with({ limit: MAX_GET_RESULTS }) : query).toArray();
    if (rows.length === 1) return rows[0];
    const label = modelLabel(this.#state);
    if (rows.length === 0) throw new DoesNotExist(label);
    const count = capped && rows.length === MAX_GET_RESULTS
      ? `more than ${MAX_GET_RESULTS - 1}`
      : String(rows.length);
    throw new MultipleObjectsReturned(label, count);
  }

  /** The first row (by primary key when the query is unordered), or null when there is none. */
  async first(): Promise<Row | null> {
    const order = this.#query.order.length > 0 ? this.#query.order : [primaryKeyOf(this.#state)];
    const limit = Math.min(this.#query.limit ?? 1, 1);
    const params = new Params();
    const text = this.#with({ limit }).#selectSql(columnsSql(this.#state), params, order);
    return this.#rows(await this.#db.query(text, params.values))[0] ?? null;
  }

  /** How many rows match. */
  async count(): Promise<number> {
    const params = new Params();
    const text = this.#sliced
      ? `SELECT count(*) AS n FROM (${this.#selectSql("1", params)}) AS counted`
      : `SELECT count(*) AS n FROM ${quoteIdent(this.#state.table)}` +
        whereSql(this.#state, this.#query.where, params);
    const [row] = await this.#db.query<{ n: number | bigint | string }>(text, params.values);
    return Number(row.n);
  }

  /** Whether any row matches (reading one at most). */
  async exists(): Promise<boolean> {
    const params = new Params();
    const limit = Math.min(this.#query.limit ?? 1, 1);
    const text = this.#with({ limit }).#selectSql("1 AS found", params, []);
    return (await this.#db.query(text, params.values)).length > 0;
  }

  /** Inserts a row and returns it as stored (with its primary key and defaults). */
  async create(values: Insert): Promise<Row> {
    const [row] = await this.#insert(this.#db, [values], this.#insertColumns([values]));
    return row;
  }

  /**
   * Inserts rows with multi-row INSERTs of `batchSize` rows, in one transaction when there are
   * several batches (and `using` was given a database rather than a transaction), and returns
   * them as stored, in order. A field that a row leaves out gets its default.
   */
  async bulkCreate(rows: readonly Insert[], options: BulkCreateOptions = {}): Promise<Row[]> {
    const { batchSize = DEFAULT_CHUNK } = options;
    checkCount("bulkCreate() batchSize", batchSize, 1);
    if (rows.length === 0) return [];
    const columns = this.#insertColumns(rows);
    const size = Math.min(batchSize, Math.floor(MAX_PARAMS / Math.max(columns.length, 1)));
    const run = async (db: Queryable) => {
      const stored: Row[] = [];
      for (let i = 0; i < rows.length; i += size) {
        for (const row of await this.#insert(db, rows.slice(i, i + size), columns)) {
          stored.push(row);
        }
      }
      return stored;
    };
    return await (rows.length > size && canBegin(this.#db)
      ? this.#db.transaction(run)
      : run(this.#db));
  }

  /** The fields any of `rows` sets, in the model's order; an unknown one is an error. */
  #insertColumns(rows: readonly Insert[]): string[] {
    const given = new Set<string>();
    for (const row of rows) {
      for (const [name, value] of Object.entries(row as Record<string, unknown>)) {
        if (!Object.hasOwn(this.#state.fields, name)) throw unknownField(this.#state, name);
        if (value !== undefined) given.add(name);
      }
    }
    return Object.keys(this.#state.fields).filter((name) => given.has(name));
  }

  async #insert(db: Queryable, rows: readonly Insert[], names: string[]): Promise<Row[]> {
    const state = this.#state;
    const params = new Params();
    // With no field given, each row still needs a VALUES entry: the primary key's DEFAULT.
    const columns = names.length > 0 ? names : [primaryKeyOf(state)];
    const tuples = rows.map((row) => {
      const values = row as Record<string, unknown>;
      return `(${
        columns.map((name) =>
          values[name] === undefined ? "DEFAULT" : params.value(state, name, values[name])
        ).join(", ")
      })`;
    });
    const text = `INSERT INTO ${quoteIdent(state.table)} (${
      columns.map((name) => quoteIdent(state.fields[name].column)).join(", ")
    }) VALUES ${tuples.join(", ")} RETURNING ${columnsSql(state)}`;
    return this.#rows(await db.query(text, params.values));
  }

  /** Sets fields on every matching row; returns how many rows changed. */
  async update(values: Partial<Row>): Promise<number> {
    if (this.#sliced) throw new TypeError("Cannot update a query once a slice has been taken.");
    const params = new Params();
    const sets: string[] = [];
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      const field = fieldOf(this.#state, name);
      if (value !== undefined) {
        sets.push(`${quoteIdent(field.column)} = ${params.value(this.#state, name, value)}`);
      }
    }
    if (sets.length === 0) return 0;
    return await this.#counted(
      `UPDATE ${quoteIdent(this.#state.table)} SET ${sets.join(", ")}` +
        whereSql(this.#state, this.#query.where, params),
      params,
    );
  }

  /** Deletes every matching row (rows pointing at them go as their `onDelete` says). */
  async delete(): Promise<number> {
    if (this.#sliced) throw new TypeError("Cannot use 'limit' or 'offset' with delete().");
    const params = new Params();
    return await this.#counted(
      `DELETE FROM ${quoteIdent(this.#state.table)}` +
        whereSql(this.#state, this.#query.where, params),
      params,
    );
  }

  /** Runs an UPDATE or DELETE and returns how many rows it touched, in one statement. */
  async #counted(statement: string, params: Params): Promise<number> {
    const [row] = await this.#db.query<{ n: number | bigint | string }>(
      `WITH touched AS (${statement} RETURNING 1) SELECT count(*) AS n FROM touched`,
      params.values,
    );
    return Number(row.n);
  }

  /**
   * The rows, streamed: a server-side cursor (`DECLARE … NO SCROLL CURSOR`) read `chunkSize`
   * rows per `FETCH`, so that memory stays flat however large the table. `for await (const row
   * of qs)` is `qs.iterator()`.
   *
   * On a database, the cursor lives in a transaction of its own, which ends when the loop does
   * (a `break` or an error included). While it is open, the connection belongs to it: to run
   * other queries inside a loop over more than one chunk of rows, iterate in a transaction and
   * query through its `tx` (`db.transaction(async (tx) => { for await (… of X.using(tx)) … })`),
   * where the cursor is closed when the loop ends.
   */
  async *iterator(options: IteratorOptions = {}): AsyncGenerator<Row, void, undefined> {
    const { chunkSize = DEFAULT_CHUNK } = options;
    checkCount("iterator() chunkSize", chunkSize, 1);
    for await (const batch of cursorBatches(this.#db, this.toSQL(), chunkSize)) {
      yield* this.#rows(batch);
    }
  }

  /** `for await (const row of qs)`: {@linkcode QuerySet.iterator} with its defaults. */
  [Symbol.asyncIterator](): AsyncIterator<Row> {
    return this.iterator();
  }
}

function checkCount(what: string, count: number, min = 0): number {
  if (!Number.isSafeInteger(count) || count < min) {
    throw new RangeError(`QuerySet ${what} takes a whole number, ${min} or more, not ${count}`);
  }
  return count;
}
