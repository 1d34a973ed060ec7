// Each driver is imported when a database of its kind is first opened, and not before: a command
// that uses no database loads neither npm package (postgres.js, PGlite), and the program's static
// module graph holds none.

import type { Database, OpenOptions } from "../../../core/database.ts";
import type { PgliteTarget, ServerStatus } from "./pglite/mod.ts";

/** Opens a PostgreSQL server's database (`postgres://…`) through postgres.js. */
export async function openPostgres(url: string): Promise<Database> {
  const { openPostgres } = await import("./postgres/mod.ts");
  return await openPostgres(url);
}

/** Opens an embedded database (a data directory, or memory) through PGlite. */
export async function openPglite(target: PgliteTarget, options: OpenOptions): Promise<Database> {
  const { openPglite } = await import("./pglite/mod.ts");
  return await openPglite(target, options);
}

/**
 * Who serves the embedded database in `target.dir`: the background server, another process
 * that holds it, or none (`manage dbserver status`).
 */
export async function embeddedServerStatus(
  target: { dir: string; inProject?: boolean },
  cwd: string,
): Promise<ServerStatus> {
  const { serverStatus } = await import("./pglite/mod.ts");
  return await serverStatus(target, cwd);
}

/** Stops the background server of the embedded database in `target.dir` (`dbserver stop`). */
export async function stopEmbeddedServer(
  target: { dir: string; inProject?: boolean },
  cwd: string,
): Promise<ServerStatus> {
  const { stopServer } = await import("./pglite/mod.ts");
  return await stopServer(target, cwd);
}
