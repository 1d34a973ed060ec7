/**
 * The one database interface commands see as `ctx.db`, whatever the driver: PostgreSQL servers
 * (postgres.js) or the embedded PostgreSQL (PGlite). Parameters are always bound, never
 * interpolated. The drivers live in the app that provides the database (`apps/db`); the
 * registry names it, and `ctx.db` opens it on first use and closes it when the command ends.
 *
 * @module
 */

import { CommandError, type CommandErrorOptions } from "./errors.ts";

/**
 * The database cannot be reached just now (a server restarting, a connection cut): a
 * `CommandError` for the command line, which a long-running process (the web console) tells
 * apart, to answer "try again in a moment" rather than fail, and which a job is run again for
 * (`retry: true` unless the raiser says otherwise): the next attempt may find the database back.
 */
export class DatabaseUnavailableError extends CommandError {
  /** Creates the error; it is worth retrying unless `options.retry` says otherwise. */
  constructor(message: string, options: CommandErrorOptions = {}) {
    super(message, { retry: true, ...options });
  }
}

/** A result row: column name → value. */
export type Row = Record<string, unknown>;

/** What can run queries: a database, or a transaction on one. */
export interface Queryable {
  /**
   * Runs one statement with bound parameters and returns its rows:
   * ``await db.sql`SELECT name FROM myapp_mymodel WHERE id = ${id}` ``.
   */
  sql<T extends Row = Row>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
  /** Runs one statement given as text with `$1`-style bound parameters. */
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs SQL text that may hold several statements and takes no parameters (migrations). */
  exec(text: string): Promise<void>;
  /**
   * Bulk load: runs `COPY <target> FROM STDIN <options>` (`target` such as `"t" ("a", "b")`,
   * `options` such as `(FORMAT csv)`) and sends it `data`, chunk by chunk. Resolves when the
   * database has taken every row; rejects with the database's error (a bad row, a broken
   * constraint). Optional: both drivers have it, a hand-made `Queryable` may not.
   */
  copyFrom?(
    target: string,
    options: string,
    data: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  ): Promise<void>;
  /**
   * Bulk export: runs `COPY <source> TO STDOUT <options>` (`source` a table or a `(SELECT …)`)
   * and calls `write` with each chunk of its output, in order. `write` runs synchronously, so
   * its own pace holds the database back: memory stays flat however much the COPY sends. The
   * embedded driver gives the whole output as one chunk (copy large tables in pages there).
   */
  copyTo?(source: string, options: string, write: (chunk: Uint8Array) => void): Promise<void>;
}

/** A connection to a database. */
export interface Database extends Queryable {
  /** Which driver: a server (`postgres`) or the embedded database (`pglite`). */
  readonly driver: "postgres" | "pglite";
  /** The database's URL with any password replaced by `****`. */
  readonly url: string;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Inside
   * `fn`, query through `tx`: the connection itself waits for the transaction to end.
   */
  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R>;
  /** Takes a session-level advisory lock if it is free; true when taken. */
  tryAdvisoryLock(key: bigint): Promise<boolean>;
  /** Releases a session-level advisory lock taken by this connection. */
  advisoryUnlock(key: bigint): Promise<void>;
  /** Calls `onMessage` for each notification on `channel`; resolves to a function that stops. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** Sends a notification. */
  notify(channel: string, payload: string): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** What opening a database is given. */
export interface OpenOptions {
  /** The environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** The working directory (the default embedded database lives in `<cwd>/.manage/db`). */
  cwd: string;
  /** Writes a one-line notice (such as "Created the embedded database in .manage/db"). */
  notice: (line: string) => void;
  /**
   * The opening process's id (`ctx.pid`), by which the embedded database's lock names its holder
   * to other processes; unknown (0) when left out.
   */
  pid?: number;
  /** What the opening process runs, for the same (`manage migrate`); `manage` when left out. */
  command?: string;
  /**
   * The process's own working directory, which relative paths given to the runtime resolve
   * against: an embedded database's socket whose full path is too long for the system is bound
   * and reached relative to it. Left out, such a database serves its own process alone.
   */
  processCwd?: string;
  /**
   * Whether an embedded database no process holds may be served by a background server, which
   * outlives the opening process, when `MANAGE_DBSERVER` in `env` does not say (`cli.ts`'s runs
   * may); left out, it may not.
   */
  backgroundServer?: boolean;
}

/** Opens a database by URL (`postgres://…`, `pglite:<dir>`, `pglite:memory`, or the default). */
export type OpenDatabase = (url: string | undefined, options: OpenOptions) => Promise<Database>;

/**
 * A URL with a password: its scheme (1) and user (2); its password (3), which runs to the last
 * '@' of the authority as URL parsers and postgres.js read it (`app:hunt@er2@host` is user `app`,
 * password `hunt@er2`); its host (4); the rest (5). A scheme starts only after a character no
 * scheme has, so a long word is scanned once, not once per letter.
 */
const PASSWORD_URL =
  /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*):\/\/([^:/?#\s]*):([^/?#\s]*)@([^/?#\s:]*)([^?#\s]*)/gi;

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Replaces the password of every URL in `text` with `****`, up to the last '@' of the URL's
 * authority.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./database.ts";
 *
 * console.assert(redactUrl("postgres://app:s3cret@db:5432/app") === "postgres://app:****@db:5432/app");
 * console.assert(redactUrl("postgres://app:hunt@er2@db/app") === "postgres://app:****@db/app");
 * ```
 */
export function redactUrl(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(
    PASSWORD_URL,
    (_, scheme, user, _password, host, rest) => `${scheme}://${user}:****@${host}${rest}`,
  );
}

/** A password found in a URL, and the parts of that URL anyone may see. */
export interface UrlPassword {
  /** The password, decoded (`%40` → `@`). */
  readonly password: string;
  /** The password as written in the URL. */
  readonly raw: string;
  /** The URL's scheme, user, host and path (without its `/`), decoded. */
  readonly visible: readonly string[];
}

/** Every non-empty password of a URL in `text` (to hide it wherever it might appear). */
export function urlPasswords(text: string): UrlPassword[] {
  const found: UrlPassword[] = [];
  for (const [, scheme, user, raw, host, rest] of text.matchAll(PASSWORD_URL)) {
    if (raw === "") continue;
    const path = rest.replace(/^:\d*/, "").replace(/^\//, "");
    found.push({ password: decode(raw), raw, visible: [scheme, user, host, path].map(decode) });
  }
  return found;
}

/** Turns a tagged template into `$1`-style SQL text and its parameters. */
export function toQuery(
  strings: TemplateStringsArray,
  values: readonly unknown[],
): [string, unknown[]] {
  let text = strings[0];
  for (let i = 1; i < strings.length; i++) text += `$${i}${strings[i]}`;
  return [text, [...values]];
}

/** A database opened on first use (`ctx.db`). */
export interface LazyDatabase extends Database {
  /** Whether a query has opened it. */
  readonly opened: boolean;
  /** Opens it now (if it is not open) and returns the open database. */
  connect(): Promise<Database>;
}

/**
 * A database opened on first use: every method waits for the connection, which `open` makes
 * once. `close()` closes it only if it was opened.
 */
export function lazyDatabase(open: () => Promise<Database>): LazyDatabase {
  let connecting: Promise<Database> | undefined;
  let ready: Database | undefined;
  const get = () =>
    connecting ??= open().then((db) => {
      ready = db;
      return db;
    }, (error) => {
      // A failed open is not kept: the next use tries again (`check_database --wait`).
      connecting = undefined;
      throw error;
    });
  const opened = (what: string): Database => {
    if (!ready) {
      throw new Error(
        `ctx.db.${what} is known once the database is open: await ctx.db.connect() first`,
      );
    }
    return ready;
  };
  return {
    get driver() {
      return opened("driver").driver;
    },
    get url() {
      return opened("url").url;
    },
    get opened() {
      return connecting !== undefined;
    },
    connect: get,
    sql: async (strings, ...values) => (await get()).sql(strings, ...values),
    query: async (text, params) => (await get()).query(text, params),
    exec: async (text) => (await get()).exec(text),
    copyFrom: async (target, options, data) => {
      const db = await get();
      if (!db.copyFrom) throw new Error(`The ${db.driver} driver has no COPY FROM`);
      return await db.copyFrom(target, options, data);
    },
    copyTo: async (source, options, write) => {
      const db = await get();
      if (!db.copyTo) throw new Error(`The ${db.driver} driver has no COPY TO`);
      return await db.copyTo(source, options, write);
    },
    transaction: async (fn) => (await get()).transaction(fn),
    tryAdvisoryLock: async (key) => (await get()).tryAdvisoryLock(key),
    advisoryUnlock: async (key) => (await get()).advisoryUnlock(key),
    listen: async (channel, onMessage) => (await get()).listen(channel, onMessage),
    notify: async (channel, payload) => (await get()).notify(channel, payload),
    async close() {
      // A connection that failed to open has nothing to close (its error was already thrown).
      const db = await connecting?.catch(() => undefined);
      await db?.close();
    },
  };
}

// The run's database, for code that finds it without being given it (the ORM's
// `MyModel.objects.all()` in a command). Runs that may overlap need an async context
// (`AsyncLocalStorage`) to tell their databases apart; it is loaded from `node:async_hooks` only
// once something asks for it (the ORM, when a model is defined; a worker, before its jobs), so
// that a command that uses neither starts without a `node:` module. Until then, one run at a time
// holds the run's database in a plain variable.
let scoped:
  | { run<R>(db: Queryable, fn: () => R): R; getStore(): Queryable | undefined }
  | undefined;
let scoping: Promise<void> | undefined;
let unscoped: Queryable | undefined;

/**
 * Asks for the async context that keeps overlapping runs' databases apart, and resolves once it
 * is in place (the first call loads it; the executor waits for it before a command's `handle`).
 */
export function useRunDatabaseScope(): Promise<void> {
  return scoping ??= import("node:async_hooks").then(({ AsyncLocalStorage }) => {
    scoped = new AsyncLocalStorage<Queryable>();
  });
}

/** Resolves once a scope asked for by {@linkcode useRunDatabaseScope} is in place (at once if none). */
export async function runDatabaseScopeReady(): Promise<void> {
  await scoping;
}

/**
 * Runs `fn` with `db` as the run's database (the executor calls `handle` through it).
 *
 * @example
 * ```ts
 * import { currentRunDatabase, enterRunDatabase, lazyDatabase } from "./database.ts";
 *
 * const db = lazyDatabase(() => Promise.reject(new Error("not opened")));
 * console.assert(enterRunDatabase(db, () => currentRunDatabase()) === db);
 * console.assert(currentRunDatabase() === undefined);
 * ```
 */
export function enterRunDatabase<R>(db: Queryable, fn: () => R): R {
  if (scoped) return scoped.run(db, fn);
  const outer = unscoped;
  unscoped = db;
  const restore = () => void (unscoped = outer);
  let result: R;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore) as R;
  restore();
  return result;
}

/** The database of the run this code belongs to, if any (see {@linkcode enterRunDatabase}). */
export function currentRunDatabase(): Queryable | undefined {
  return scoped?.getStore() ?? unscoped;
}
