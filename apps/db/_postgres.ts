/**
 * The server driver: postgres.js with one connection, so that the connection is one
 * PostgreSQL session (session-level advisory locks and `SET`s hold across queries), plus the
 * separate connection postgres.js opens for LISTEN.
 *
 * Values come back as PGlite returns them, so code behaves alike on both drivers: `bigint`
 * (int8, such as `count(*)`) as a number when it is a safe integer and a `bigint` beyond,
 * `numeric` as a string, timestamps as `Date`, `json`/`jsonb` parsed, `bytea` as bytes.
 *
 * Every error leaves here with the URL's password removed from its message and stack.
 *
 * @module
 */

import postgres from "postgres";
import {
  type Database,
  type Queryable,
  redactUrl,
  type Row,
  toQuery,
  urlPassword,
} from "../../core/database.ts";
import { CommandError } from "../../core/errors.ts";

/** How long to wait for the server to accept a connection, in seconds. */
export const CONNECT_TIMEOUT = 10;

type Sql = postgres.Sql<Record<string, never>>;

/** int8 as PGlite gives it: a number when safe, else a bigint. */
function parseInt8(text: string): number | bigint {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : BigInt(text);
}

/**
 * Connects to the server at `url` and checks that it answers. A failure to connect is a
 * `CommandError` naming the URL (password replaced by `****`) and the reason.
 */
export async function openPostgres(url: string): Promise<Database> {
  const shown = redactUrl(url);
  const scrub = scrubber(url);
  let opened = false;
  let lost = false;
  let closing: Promise<void> | undefined;
  const sql: Sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connect_timeout: CONNECT_TIMEOUT,
    // postgres.js would replace the connection after 30 to 60 minutes, and reconnect after a
    // failure, each time losing the session (its advisory locks): keep one, and fail when lost.
    max_lifetime: null,
    onclose: () => {
      if (opened && !closing) lost = true;
    },
    connection: { application_name: "manage" },
    types: {
      int8: { to: 20, from: [20], serialize: (value: unknown) => String(value), parse: parseInt8 },
    },
  }) as unknown as Sql;
  try {
    await sql.unsafe("SELECT 1");
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    const reason = scrub(error).message.split("\n")[0];
    throw new CommandError(`Cannot connect to ${shown}: ${reason}`, { cause: error });
  }
  opened = true;
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    if (lost) {
      throw new CommandError(
        `The connection to ${shown} was lost, and with it the session's locks: run the command again`,
      );
    }
    try {
      return await work();
    } catch (error) {
      throw scrub(error);
    }
  };
  const base = queryable(sql, guard);
  return {
    driver: "postgres",
    url: shown,
    ...base,
    transaction: (fn) =>
      guard(async () => {
        let result: unknown;
        await sql.begin(async (tx) => {
          result = await fn(queryable(tx as unknown as Sql, guard));
        });
        return result as Awaited<ReturnType<typeof fn>>;
      }),
    async tryAdvisoryLock(key) {
      const [row] = await base.sql<{ locked: boolean }>`
        SELECT pg_try_advisory_lock(${key}::bigint) AS locked`;
      return row.locked;
    },
    async advisoryUnlock(key) {
      await base.sql`SELECT pg_advisory_unlock(${key}::bigint)`;
    },
    listen: (channel, onMessage) =>
      guard(async () => {
        const { unlisten } = await sql.listen(channel, onMessage);
        return () => guard(() => unlisten());
      }),
    async notify(channel, payload) {
      await base.sql`SELECT pg_notify(${channel}, ${payload})`;
    },
    close() {
      return closing ??= (async () => {
        try {
          await sql.end({ timeout: lost ? 0 : 5 });
        } catch (error) {
          throw scrub(error);
        }
      })();
    },
  };
}

function queryable(sql: Sql, guard: <T>(work: () => Promise<T>) => Promise<T>): Queryable {
  const query = <T extends Row>(text: string, params: readonly unknown[] = []) =>
    guard(async () => {
      // The extended protocol: exactly one statement, as on PGlite.
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
        prepare: false,
        simple: false,
      } as postgres.UnsafeQueryOptions);
      return [...rows] as unknown as T[];
    });
  return {
    sql: (strings, ...values) => query(...toQuery(strings, values)),
    query,
    exec: (text) =>
      guard(async () => {
        // The simple protocol, which runs several statements.
        await sql.unsafe(text).simple();
      }),
  };
}

/** Removes the URL's password (and any URL's password) from an error's message and stack. */
function scrubber(url: string): (error: unknown) => Error {
  const password = urlPassword(url);
  const raw = /^[^:]*:\/\/[^:/?#@]*:([^@/]*)@/.exec(url)?.[1];
  const secrets = [password, raw].filter((s): s is string => s !== undefined && s.length > 0);
  const clean = (text: string) => {
    let out = redactUrl(text);
    for (const secret of secrets) out = out.replaceAll(secret, "****");
    return out;
  };
  return (error) => {
    if (!(error instanceof Error)) return new Error(clean(String(error)));
    try {
      // postgres.js makes `stack` read-only (but configurable) on query errors.
      for (const key of ["message", "stack"] as const) {
        const text = error[key];
        if (typeof text === "string" && clean(text) !== text) {
          Object.defineProperty(error, key, { value: clean(text), writable: true });
        }
      }
    } catch {
      // A frozen error: give a plain one instead.
      return new Error(clean(error.message));
    }
    return error;
  };
}
