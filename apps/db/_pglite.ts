/**
 * The embedded driver: PGlite (PostgreSQL compiled to WebAssembly, running in this process).
 *
 * One PGlite instance is one PostgreSQL session, so session-level advisory locks and `SET`s
 * behave as on a server connection; notifications sent from the session reach its own
 * listeners. A directory is opened by one process at a time (see `_lock.ts`): a second one
 * fails at once, naming the process that has it.
 *
 * @module
 */

import { PGlite } from "@electric-sql/pglite";
import { dirname, resolve } from "node:path";
import { type Database, type OpenOptions, type Queryable, toQuery } from "../../core/database.ts";
import { CommandError } from "../../core/errors.ts";
import { describeProcess, LockedError, tryLockFile } from "./_lock.ts";
import { createFromTemplate, templateTarball } from "./_pglite_template.ts";
import { sessionMethods } from "./_session.ts";
import { quoteIdent } from "../../core/model_state.ts";

/** Which embedded database to open. */
export interface PgliteTarget {
  /** The data directory as given (relative to the working directory), or undefined for memory. */
  readonly dir: string | undefined;
  /** The URL to show (`pglite:.manage/db`, `pglite:memory`). */
  readonly url: string;
}

/** What PGlite and its transactions both have. */
interface PgliteQueryable {
  query<T>(
    text: string,
    params?: unknown[],
    options?: { blob?: Blob },
  ): Promise<{ rows: T[]; blob?: Blob }>;
  exec(text: string): Promise<unknown>;
}

/**
 * Opens an embedded database: an in-memory one, or the directory `target.dir`, which is made
 * (and `options.notice` told) when it does not exist yet.
 */
export async function openPglite(target: PgliteTarget, options: OpenOptions): Promise<Database> {
  if (target.dir === undefined) {
    const pg = await PGlite.create({ loadDataDir: await templateTarball(options.cwd) });
    return pgliteDatabase(pg, target.url, async () => {});
  }
  const dir = resolve(options.cwd, target.dir);
  await Deno.mkdir(dirname(dir), { recursive: true });
  const lock = await tryLockFile(`${dir}.lock`, { pid: Deno.pid, command: describeProcess() })
    .catch((error) => {
      if (!(error instanceof LockedError)) throw error;
      const holder = error.holder
        ? `process ${error.holder.pid} (${error.holder.command})`
        : "another process";
      throw new CommandError(
        `The embedded database ${target.dir} is in use by ${holder}; stop that process, or set ` +
          `DATABASE_URL to a PostgreSQL server to share one database between processes`,
      );
    });
  try {
    const state = await directoryState(dir);
    if (state === "other") {
      throw new CommandError(
        `${target.dir} holds files but no PGlite database: give pglite: a new or empty directory`,
      );
    }
    if (state !== "database") {
      await createFromTemplate(dir, options.cwd);
      options.notice(`Created the embedded database in ${target.dir}`);
    }
    let pg: PGlite;
    try {
      pg = await PGlite.create(dir);
    } catch (error) {
      throw new CommandError(
        `Cannot open the embedded database ${target.dir}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    return pgliteDatabase(pg, target.url, () => lock.release());
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function directoryState(dir: string): Promise<"absent" | "empty" | "database" | "other"> {
  try {
    await Deno.stat(`${dir}/PG_VERSION`);
    return "database";
  } catch {
    // Not a database (yet): find out whether the directory is there and empty.
  }
  try {
    for await (const _ of Deno.readDir(dir)) return "other";
    return "empty";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "absent";
    throw error;
  }
}

function queryable(pg: PgliteQueryable): Queryable {
  const query = async <T>(text: string, params: readonly unknown[] = []) =>
    (await pg.query<T>(text, [...params])).rows;
  return {
    sql: (strings, ...values) => query(...toQuery(strings, values)),
    query,
    async exec(text) {
      await pg.exec(text);
    },
    // PGlite copies through a virtual file, /dev/blob, held in memory: COPY FROM takes the
    // data whole, COPY TO gives its output whole.
    async copyFrom(target, options, data) {
      const parts: BlobPart[] = [];
      for await (const chunk of data) parts.push(chunk as BlobPart);
      await pg.query(`COPY ${target} FROM '/dev/blob' ${options}`, [], { blob: new Blob(parts) });
    },
    async copyTo(source, options, write) {
      const result = await pg.query(`COPY ${source} TO '/dev/blob' ${options}`);
      if (result.blob && result.blob.size > 0) {
        write(new Uint8Array(await result.blob.arrayBuffer()));
      }
    },
  };
}

function pgliteDatabase(pg: PGlite, url: string, release: () => Promise<void>): Database {
  const base = queryable(pg);
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let stopNotifications: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  return {
    driver: "pglite",
    url,
    ...base,
    ...sessionMethods(base),
    transaction: (fn) => pg.transaction((tx) => fn(queryable(tx))),
    async listen(channel, onMessage) {
      // PGlite's own listen() lower-cases unquoted names; pg_notify() takes names as they are.
      stopNotifications ??= pg.onNotification((name, payload) => {
        for (const listener of listeners.get(name) ?? []) listener(payload);
      });
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        try {
          await pg.exec(`LISTEN ${quoteIdent(channel)}`);
        } catch (error) {
          listeners.delete(channel);
          throw error;
        }
      }
      const listener = (payload: string) => onMessage(payload);
      set.add(listener);
      const channelListeners = set;
      return async () => {
        if (!channelListeners.delete(listener) || channelListeners.size > 0) return;
        if (listeners.get(channel) === channelListeners) listeners.delete(channel);
        if (!pg.closed) await pg.exec(`UNLISTEN ${quoteIdent(channel)}`);
      };
    },
    close() {
      return closing ??= (async () => {
        stopNotifications?.();
        try {
          await pg.close();
        } finally {
          await release();
        }
      })();
    },
  };
}
