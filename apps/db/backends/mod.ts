/**
 * The database drivers, as Django's `django.db.backends`: one `Database` interface
 * (`core/database.ts`) over two drivers.
 *
 * - `postgres/`: a PostgreSQL server through postgres.js (`postgres://…`), one session that
 *   outlives its connection.
 * - `pglite/`: the embedded database, PGlite on a data directory (`pglite:<dir>`,
 *   `pglite:memory`), shared by the user's processes through the one that holds it.
 *
 * Each driver is imported when a database of its kind is first opened, so that importing this
 * module loads no npm package. The registry's database provider (`../database.ts`) reads the URL
 * and calls the opener it names.
 *
 * @example
 * ```ts ignore
 * import { openPostgres } from "./mod.ts";
 *
 * const db = await openPostgres("postgres://app@127.0.0.1:5432/app");
 * await db.close();
 * ```
 *
 * @module
 */

export { embeddedServerStatus, openPglite, openPostgres, stopEmbeddedServer } from "./_open.ts";
export type { PgliteTarget, ServerStatus } from "./pglite/mod.ts";
