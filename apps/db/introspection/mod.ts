/**
 * Introspection, as Django's `connection.introspection`: what the database itself says about
 * its tables, read from PostgreSQL's catalog.
 *
 * - `inspectTables` reads the tables of the current schema (the migrations record left out):
 *   columns, constraints, foreign keys and indexes; `modelsSource` writes them as the
 *   `models.ts` that `inspectdb` prints.
 * - `userTables` lists the tables `flush` and `sqlflush` empty, and `truncateSql` is the
 *   statement that empties them.
 *
 * @example
 * ```ts ignore
 * import { inspectTables, modelsSource } from "./mod.ts";
 *
 * const tables = await inspectTables(db);
 * console.log(modelsSource(tables, { app: "legacy" }));
 * ```
 *
 * @module
 */

export { inspectTables } from "./_catalog.ts";
export { modelsSource } from "./_models_source.ts";
export { truncateSql, userTables } from "./_user_tables.ts";
