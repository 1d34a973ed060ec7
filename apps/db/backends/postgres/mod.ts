/**
 * The server driver: a PostgreSQL server through postgres.js, as one session that outlives its
 * connection (reopened on its next use after a restart or a cut, with its settings and
 * listeners; a lost advisory lock or transaction is never silently dropped). Values come back
 * as the embedded driver gives them, and errors leave with the URL's password removed.
 *
 * Importing it loads postgres.js: `../mod.ts` imports it only when a server is opened.
 *
 * @example
 * ```ts ignore
 * import { openPostgres } from "./mod.ts";
 *
 * const db = await openPostgres("postgres://app@127.0.0.1:5432/app");
 * try {
 *   const [row] = await db.sql`SELECT ${41} + 1 AS answer`;
 * } finally {
 *   await db.close();
 * }
 * ```
 *
 * @module
 */

export { CONNECT_TIMEOUT, openPostgres } from "./_driver.ts";
