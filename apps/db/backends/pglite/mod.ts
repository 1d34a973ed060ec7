/**
 * The embedded driver: PGlite (PostgreSQL compiled to WebAssembly) on a data directory, created
 * from the project's template on first use, owner-only. One process at a time holds a directory
 * (the directory lock); it serves the database to the user's other processes on a Unix socket
 * beside it, as if each had a session of its own, and when it stops they follow the database
 * to the next holder without losing or repeating what they sent.
 *
 * Importing it loads PGlite: `../mod.ts` imports it only when an embedded database is opened.
 *
 * @example
 * ```ts ignore
 * import { openPglite } from "./mod.ts";
 *
 * const db = await openPglite(
 *   { driver: "pglite", dir: undefined, url: "pglite:memory" },
 *   { env: {}, cwd: ".", notice: console.error },
 * );
 * await db.close();
 * ```
 *
 * @module
 */

export { openPglite, type PgliteTarget, socketPath } from "./_driver.ts";
export { DEFAULT_IDLE, type ServerStatus, serverStatus, stopServer } from "./_background.ts";
