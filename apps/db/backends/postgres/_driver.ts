/**
 * The server driver: postgres.js with one connection, so that the connection is one
 * PostgreSQL session (session-level advisory locks and `SET`s hold across queries), plus the
 * separate connection postgres.js opens for LISTEN. A lost connection is opened again on its
 * next use (see `_reconnecting_session.ts` for what the session keeps).
 *
 * Values come back as PGlite returns them, so code behaves alike on both drivers: `bigint`
 * (int8, such as `count(*)`) as a number when it is a safe integer and a `bigint` beyond,
 * `numeric` as a string, timestamps as `Date`, `json`/`jsonb` parsed, `bytea` as bytes.
 *
 * Every error leaves here with the URL's password removed from its message and stack.
 *
 * @module
 */

import type postgres from "postgres";
import { once } from "node:events";
import {
  type Database,
  type Queryable,
  redactUrl,
  type Row,
  toQuery,
  urlPasswords,
} from "../../../../core/database.ts";
import { ServerSession, type Use } from "./_reconnecting_session.ts";
import { sessionMethods } from "./_lock_and_notify.ts";

export { CONNECT_TIMEOUT } from "./_reconnecting_session.ts";

/**
 * Connects to the server at `url` and checks that it answers. A failure to connect is a
 * `CommandError` naming the URL (password replaced by `****`) and the reason.
 */
export async function openPostgres(url: string): Promise<Database> {
  const shown = redactUrl(url);
  const scrub = scrubber(url);
  const session = new ServerSession({
    url,
    shown,
    scrub,
  });
  await session.open();
  const base = queryable((work, text) => session.use(work, text));
  return {
    driver: "postgres",
    url: shown,
    ...base,
    ...sessionMethods(base),
    tryAdvisoryLock: (key) => session.tryAdvisoryLock(key),
    advisoryUnlock: (key) => session.advisoryUnlock(key),
    transaction: (fn) => session.transaction((use) => fn(queryable(use))),
    listen: (channel, onMessage) => session.listen(channel, onMessage),
    close: () => session.close(),
  };
}

function queryable(use: Use): Queryable {
  const query = <T extends Row>(text: string, params: readonly unknown[] = []) =>
    use(async (sql) => {
      // The extended protocol: exactly one statement, as on PGlite. Prepared (named, kept per
      // connection): a statement with parameters takes one round trip after its first run, where
      // an unnamed one would be described first, each time (two).
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
        prepare: true,
        simple: false,
      } as postgres.UnsafeQueryOptions);
      return [...rows] as unknown as T[];
    }, text);
  return {
    sql: (strings, ...values) => query(...toQuery(strings, values)),
    query,
    exec: (text) =>
      use(async (sql) => {
        // The simple protocol, which runs several statements.
        await sql.unsafe(text).simple();
      }, text),
    copyFrom: (target, options, data) =>
      use(async (sql) => {
        const pending = sql.unsafe(`COPY ${target} FROM STDIN ${options}`);
        const outcome = copyOutcome(pending);
        const stream = await pending.writable();
        // The statement's outcome says what went wrong; the stream's own error repeats it.
        stream.on("error", () => {});
        try {
          for await (const chunk of data) {
            if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), outcome]);
          }
        } catch (error) {
          // Our data failed: the server is told (CopyFail) and the statement fails.
          stream.destroy(error instanceof Error ? error : new Error(String(error)));
          await outcome.catch(() => {});
          throw error;
        }
        stream.end();
        await outcome;
      }),
    copyTo: (source, options, write) =>
      use(async (sql) => {
        const pending = sql.unsafe(`COPY ${source} TO STDOUT ${options}`);
        const outcome = copyOutcome(pending);
        const stream = await pending.readable();
        let failure: unknown;
        await new Promise<void>((resolve, reject) => {
          const take = (chunk: Uint8Array) => {
            if (failure !== undefined) return;
            try {
              write(chunk);
            } catch (error) {
              failure = error;
              pending.cancel();
              resolve();
            }
          };
          // postgres.js hands each row to the stream's push(): taken here directly, a row goes
          // to `write` with none of a stream's buffering and events in between (which cost a
          // large dump a tenth of its time), and the socket is read no faster than `write`
          // returns. Rows pushed before this point wait in the stream's buffer: read first.
          const readable = stream as unknown as {
            push(chunk: Uint8Array | null): boolean;
            read(): Uint8Array | null;
            _read(): void;
          };
          for (let chunk = readable.read(); chunk !== null; chunk = readable.read()) take(chunk);
          readable.push = (chunk) => {
            if (chunk === null) resolve();
            else take(chunk);
            return true;
          };
          // The end, if it came before; and a socket paused while the buffer was full
          // resumes (read() asks for more).
          stream.on("end", resolve);
          stream.on("error", reject);
          outcome.catch(reject);
          readable._read();
        });
        if (failure !== undefined) {
          await outcome.catch(() => {});
          throw failure;
        }
        await outcome;
      }),
  };
}

/**
 * The outcome of a COPY statement. postgres.js resolves a COPY query with its stream and then
 * drops the statement's own result: an error the server reports after the last row reaches
 * neither the stream nor the query, and a `COPY … FROM STDIN` stream then never finishes. The
 * connection reports that result through the query's `resolve` and `reject`, which are wrapped
 * here: the second `resolve` (after the stream) is the statement's end, `reject` its error.
 */
function copyOutcome(pending: unknown): Promise<void> {
  const query = pending as { resolve(value: unknown): void; reject(error: unknown): void };
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const resolveQuery = query.resolve;
  const rejectQuery = query.reject;
  let streamed = false;
  query.resolve = (value) => {
    if (streamed) resolve();
    streamed = true;
    resolveQuery(value);
  };
  query.reject = (error) => {
    reject(error);
    rejectQuery(error);
  };
  // Awaited later, or not at all when opening the stream fails (that error comes from there).
  promise.catch(() => {});
  return promise;
}

/** Removes the URL's password (and any URL's password) from an error's message and stack. */
function scrubber(url: string): (error: unknown) => Error {
  const secrets = urlPasswords(url).flatMap((found) => [found.password, found.raw]);
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
