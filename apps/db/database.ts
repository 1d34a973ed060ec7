/**
 * The database provider (`registry.database`): opens the database a URL names, through the
 * driver it needs (`backends/`), which is imported only then, so that commands without a
 * database load neither npm package.
 *
 * | URL                                        | database                                         |
 * | ------------------------------------------ | ------------------------------------------------ |
 * | `postgres://user:password@host:5432/name`  | a PostgreSQL server (`postgresql://` too)        |
 * | `pglite:<dir>`                             | the embedded database in `<dir>` (from the cwd)  |
 * | `pglite:memory`                            | an embedded database that lives in memory        |
 * | nothing (no `--database`, no DATABASE_URL) | the embedded database in the project's `.manage/db` |
 *
 * An embedded database that does not exist is created on first use, with a one-line notice. The
 * first process to open it serves it to the others, which use it through that one.
 *
 * @module
 */

import {
  type Database,
  type OpenDatabase,
  type OpenOptions,
  redactUrl,
} from "../../core/database.ts";
import { CommandError } from "../../core/errors.ts";
import { openPglite, openPostgres } from "./backends/mod.ts";

export type { Database, OpenDatabase, OpenOptions };

/** The URL of the default database: the embedded one in `.manage/db`. */
export const DEFAULT_DATABASE_URL = "pglite:.manage/db";

/** What a database URL names. */
export type DatabaseTarget =
  | {
    /** A PostgreSQL server. */
    readonly driver: "postgres";
    /** Its URL, as given (with any password). */
    readonly connect: string;
    /** Its URL with the password replaced by `****`. */
    readonly url: string;
  }
  | {
    /** The embedded database. */
    readonly driver: "pglite";
    /** Its data directory as given (relative to the working directory), or undefined: memory. */
    readonly dir: string | undefined;
    /** Its URL (`pglite:.manage/db`, `pglite:memory`). */
    readonly url: string;
    /** `dir` is in the project folder rather than the working directory: the default. */
    readonly inProject?: boolean;
  };

/**
 * Reads a database URL; undefined or empty means the default embedded database. Throws a
 * `CommandError` naming the accepted forms for anything else.
 *
 * @example
 * ```ts
 * import { parseDatabaseUrl } from "./database.ts";
 *
 * const target = parseDatabaseUrl("postgres://app:s3cret@db:5432/app");
 * console.assert(target.url === "postgres://app:****@db:5432/app");
 * console.assert(parseDatabaseUrl(undefined).url === "pglite:.manage/db");
 * ```
 */
export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  if (!url?.trim()) {
    return { driver: "pglite", dir: ".manage/db", url: DEFAULT_DATABASE_URL, inProject: true };
  }
  const given = url.trim();
  if (/^postgres(ql)?:\/\//i.test(given)) {
    return { driver: "postgres", connect: given, url: redactUrl(given) };
  }
  if (/^pglite:/i.test(given)) {
    // pglite:dir, and the URL-like pglite://dir and pglite:///absolute/dir.
    const dir = given.slice("pglite:".length).replace(/^\/\/(?=.)/, "");
    if (dir === "" || dir === "//") {
      throw new CommandError(
        `The database URL '${given}' names no directory: use pglite:<dir> or pglite:memory`,
      );
    }
    if (dir === "memory") return { driver: "pglite", dir: undefined, url: "pglite:memory" };
    return { driver: "pglite", dir, url: `pglite:${dir}` };
  }
  throw new CommandError(
    `Unsupported database URL '${redactUrl(given)}': use postgres://user@host:5432/name, ` +
      `pglite:<dir> or pglite:memory`,
  );
}

/**
 * Opens the database `url` names (see the module's table).
 *
 * @example
 * ```ts ignore
 * import openDatabase from "./database.ts";
 *
 * const db = await openDatabase("pglite:memory", { env: {}, cwd: ".", notice: console.error });
 * try {
 *   const [row] = await db.sql`SELECT ${41} + 1 AS answer`;
 *   console.assert(row.answer === 42);
 * } finally {
 *   await db.close();
 * }
 * ```
 */
const openDatabase: OpenDatabase = async (
  url: string | undefined,
  options: OpenOptions,
): Promise<Database> => {
  const target = parseDatabaseUrl(url);
  if (target.driver === "postgres") {
    return await openPostgres(target.connect);
  }
  return await openPglite(target, options);
};

export default openDatabase;
