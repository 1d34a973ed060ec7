/**
 * A model's manager, `MyModel.objects`: the start of every query, on the running command's
 * database or on the one `using(db)` names.
 *
 * @module
 */

import type { Queryable } from "../../../core/database.ts";
import type { ModelState } from "./_model_state.ts";
import {
  type BulkCreateOptions,
  type IteratorOptions,
  type Lookups,
  type OrderBy,
  QuerySet,
} from "./_queryset.ts";
import { runDatabase, useRunDatabaseScope } from "./_run_database.ts";

/**
 * A model's manager: `MyModel.objects`. It holds no connection: inside a command, its methods
 * (`all()`, `filter()`, `get()`, `create()`, …) run on the command's database, as Django's do on
 * the default one; `using(db)` runs them on another (a transaction's `tx`, another alias's
 * database). Outside a command, `using(db)` is needed.
 *
 * @example
 * ```ts ignore
 * import { defineModel, field } from "./mod.ts";
 *
 * const MyModel = defineModel("myapp.MyModel", { name: field.varchar(100) });
 * // In a command's handle: the command's database.
 * const names = await MyModel.objects.orderBy("name").toArray();
 * // Another database, or outside a command.
 * const count = await MyModel.objects.using(db).count();
 * ```
 */
export class Manager<Row, Insert = Row> {
  readonly #state: ModelState;

  /** A manager for the model whose state is `state` (`defineModel` makes it). */
  constructor(state: ModelState) {
    this.#state = state;
    // Commands that use a model may overlap (a worker's jobs): their databases are kept apart.
    useRunDatabaseScope().catch(() => {});
  }

  /** The model's state. */
  get state(): ModelState {
    return this.#state;
  }

  /** Every row of the model, on `db`: the start of every query. */
  using(db: Queryable): QuerySet<Row, Insert> {
    return new QuerySet<Row, Insert>(this.#state, db);
  }

  /** Every row of the model, on the running command's database. */
  #run(method: string): QuerySet<Row, Insert> {
    return this.using(runDatabase(this.#state.name, method));
  }

  /** Every row, on the running command's database: {@linkcode QuerySet.all}. */
  all(): QuerySet<Row, Insert> {
    return this.#run("all");
  }

  /** {@linkcode QuerySet.filter}, on the running command's database. */
  filter(lookups: Lookups<Row>): QuerySet<Row, Insert> {
    return this.#run("filter").filter(lookups);
  }

  /** {@linkcode QuerySet.exclude}, on the running command's database. */
  exclude(lookups: Lookups<Row>): QuerySet<Row, Insert> {
    return this.#run("exclude").exclude(lookups);
  }

  /** {@linkcode QuerySet.orderBy}, on the running command's database. */
  orderBy(...fields: OrderBy<Row>[]): QuerySet<Row, Insert> {
    return this.#run("orderBy").orderBy(...fields);
  }

  /** {@linkcode QuerySet.limit}, on the running command's database. */
  limit(count: number): QuerySet<Row, Insert> {
    return this.#run("limit").limit(count);
  }

  /** {@linkcode QuerySet.offset}, on the running command's database. */
  offset(count: number): QuerySet<Row, Insert> {
    return this.#run("offset").offset(count);
  }

  /** {@linkcode QuerySet.toArray}, on the running command's database. */
  toArray(): Promise<Row[]> {
    return this.#run("toArray").toArray();
  }

  /** {@linkcode QuerySet.get}, on the running command's database. */
  get(lookups?: Lookups<Row>): Promise<Row> {
    return this.#run("get").get(lookups);
  }

  /** {@linkcode QuerySet.first}, on the running command's database. */
  first(): Promise<Row | null> {
    return this.#run("first").first();
  }

  /** {@linkcode QuerySet.count}, on the running command's database. */
  count(): Promise<number> {
    return this.#run("count").count();
  }

  /** {@linkcode QuerySet.exists}, on the running command's database. */
  exists(): Promise<boolean> {
    return this.#run("exists").exists();
  }

  /** {@linkcode QuerySet.create}, on the running command's database. */
  create(values: Insert): Promise<Row> {
    return this.#run("create").create(values);
  }

  /** {@linkcode QuerySet.bulkCreate}, on the running command's database. */
  bulkCreate(rows: readonly Insert[], options?: BulkCreateOptions): Promise<Row[]> {
    return this.#run("bulkCreate").bulkCreate(rows, options);
  }

  /** {@linkcode QuerySet.update}, on the running command's database. */
  update(values: Partial<Row>): Promise<number> {
    return this.#run("update").update(values);
  }

  /** {@linkcode QuerySet.delete}, on the running command's database. */
  delete(): Promise<number> {
    return this.#run("delete").delete();
  }

  /** {@linkcode QuerySet.iterator}, on the running command's database. */
  iterator(options?: IteratorOptions): AsyncGenerator<Row, void, undefined> {
    return this.#run("iterator").iterator(options);
  }
}
