// One PGlite instance is one PostgreSQL session, shared by the process that opened it and the
// processes it serves (`_server.ts`). This is what makes them behave as separate sessions:
// statements take turns; a transaction keeps the session to itself from BEGIN to its end (one
// begun in SQL too);
// session-level advisory locks are kept here, per owner, as well as in the one session, which
// would give every owner every lock; and notifications, which the session delivers only to
// itself, are passed on to every owner listening on their channel.

import type { PGlite } from "@electric-sql/pglite";
import type { Database, Queryable } from "../../../../core/database.ts";
import { toQuery } from "../../../../core/database.ts";
import { quoteIdent } from "../../orm/mod.ts";

/** Who runs statements on the session: the opening process (0) or a served connection. */
export type Owner = number;

/** The opening process's own code, as an owner of advisory locks. */
export const HOLDER: Owner = 0;

/** What PGlite and its transactions both have. */
export interface PgliteQueryable {
  query<T>(
    text: string,
    params?: unknown[],
    options?: { blob?: Blob },
  ): Promise<{ rows: T[]; blob?: Blob }>;
  exec(text: string): Promise<unknown>;
}

/** Runs `work` in its turn on the session, or at once inside a transaction that has it. */
export type Turn = <T>(work: () => Promise<T>) => Promise<T>;

/** A first-come, first-served lock. */
class Mutex {
  #locked = false;
  readonly #waiting: (() => void)[] = [];

  /** Waits for the lock; resolves to the function that releases it (once). */
  acquire(): Promise<() => void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(this.#grant());
    }
    return new Promise((resolve) => this.#waiting.push(() => resolve(this.#grant())));
  }

  #grant(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // Handed to the next in line directly: no one can slip in between.
      if (next) next();
      else this.#locked = false;
    };
  }
}

/**
 * The turns of one owner's statements outside `transaction()`: taken in order, one at a time.
 * A statement that leaves the session inside a transaction block (`BEGIN` sent as SQL, as in
 * `dbshell`) keeps the session for its owner until a later one ends the block: the other
 * owners' statements must not run inside it.
 */
export class OwnerTurn {
  readonly #session: SharedSession;
  #chain: Promise<void> = Promise.resolve();
  #held: (() => void) | undefined;
  #ended = false;

  /** The turns of one owner of `session`. */
  constructor(session: SharedSession) {
    this.#session = session;
  }

  /** Runs `work` in this owner's next turn. */
  readonly run: Turn = (work) => {
    const step = async () => {
      const held = this.#held;
      const release = held ?? await this.#session.take();
      if (this.#ended) {
        // Its owner has gone: a block it holds is rolled back by end().
        if (!held) release();
        throw new Error("Disconnected");
      }
      try {
        return await work();
      } finally {
        const pg = this.#session.pg;
        if (!pg.closed && pg.isInTransaction()) {
          this.#held = release;
        } else {
          this.#held = undefined;
          release();
        }
      }
    };
    const result = this.#chain.then(step);
    this.#chain = result.then(() => {}, () => {});
    return result;
  };

  /** Whether this owner holds the session in a transaction block it began in SQL. */
  get holding(): boolean {
    return this.#held !== undefined;
  }

  /** Ends the owner: its waiting statements fail, and a block it holds is rolled back. */
  async end(): Promise<void> {
    this.#ended = true;
    await this.#chain;
    const held = this.#held;
    this.#held = undefined;
    if (!held) return;
    try {
      await this.#session.pg.exec("ROLLBACK");
    } catch {
      // The database is closing: the transaction goes with it.
    } finally {
      held();
    }
  }
}

/** The session, its turns, its advisory locks and its listeners. */
export class SharedSession {
  /** The PGlite instance. */
  readonly pg: PGlite;
  readonly #mutex = new Mutex();
  readonly #locks = new Map<bigint, { owner: Owner; count: number }>();
  readonly #channels = new Map<string, Set<(payload: string) => void>>();
  readonly #stopNotifications: () => void;

  /** Shares `pg`. */
  constructor(pg: PGlite) {
    this.pg = pg;
    this.#stopNotifications = pg.onNotification((channel, payload) => {
      for (const listener of [...(this.#channels.get(channel) ?? [])]) {
        try {
          listener(payload);
        } catch (error) {
          // A listener's bug is its own: PGlite's query that carried the message goes on.
          reportError(error);
        }
      }
    });
  }

  /** Runs `work` when no one else has the session. */
  readonly exclusive: Turn = async (work) => {
    const release = await this.#mutex.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  };

  /** Waits for the session; resolves to the function that gives it back (a transaction). */
  take(): Promise<() => void> {
    return this.#mutex.acquire();
  }

  /**
   * Takes the advisory lock `key` for `owner` if no other owner has it (taken again: counted).
   * The session takes it too, so that `pg_locks` shows it as a server's would.
   */
  async tryAdvisoryLock(owner: Owner, key: bigint, turn: Turn): Promise<boolean> {
    const lock = this.#locks.get(key);
    if (lock) {
      if (lock.owner !== owner) return false;
      lock.count++;
      return true;
    }
    const taken = { owner, count: 1 };
    this.#locks.set(key, taken);
    let locked = false;
    try {
      locked = await this.#sessionLock("pg_try_advisory_lock", key, turn);
    } finally {
      // Taken in SQL by someone else (or failed): not ours after all.
      if (!locked && this.#locks.get(key) === taken) this.#locks.delete(key);
    }
    return locked;
  }

  /** Releases `owner`'s advisory lock `key` once; false when `owner` does not hold it. */
  async advisoryUnlock(owner: Owner, key: bigint, turn: Turn): Promise<boolean> {
    const lock = this.#locks.get(key);
    if (lock?.owner !== owner) return false;
    if (--lock.count > 0) return true;
    this.#locks.delete(key);
    await this.#sessionLock("pg_advisory_unlock", key, turn);
    return true;
  }

  /** Whether `owner` holds an advisory lock. */
  holdsLocks(owner: Owner): boolean {
    for (const lock of this.#locks.values()) if (lock.owner === owner) return true;
    return false;
  }

  /** Releases every advisory lock `owner` holds (its connection has gone). */
  async releaseAdvisoryLocks(owner: Owner): Promise<void> {
    for (const [key, lock] of [...this.#locks]) {
      if (lock.owner !== owner) continue;
      this.#locks.delete(key);
      await this.#sessionLock("pg_advisory_unlock", key, this.exclusive).catch(() => {});
    }
  }

  async #sessionLock(
    fn: "pg_try_advisory_lock" | "pg_advisory_unlock",
    key: bigint,
    turn: Turn,
  ): Promise<boolean> {
    // Session-level: the same whatever transaction the turn comes in (and a rollback keeps it).
    const { rows } = await turn(() =>
      this.pg.query<{ done: boolean }>(`SELECT ${fn}($1::bigint) AS done`, [key.toString()])
    );
    return rows[0].done;
  }

  /**
   * Calls `listener` for each notification on `channel`; resolves to a function that stops.
   * LISTEN and UNLISTEN run in `turn` (the stop function may be given another).
   */
  async listen(
    channel: string,
    listener: (payload: string) => void,
    turn: Turn,
  ): Promise<(turn?: Turn) => Promise<void>> {
    let listeners = this.#channels.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.#channels.set(channel, listeners);
      try {
        await turn(() => this.pg.exec(`LISTEN ${quoteIdent(channel)}`));
      } catch (error) {
        if (this.#channels.get(channel) === listeners) this.#channels.delete(channel);
        throw error;
      }
    }
    // Its own function, so the same listener given twice is stopped once each.
    const own = (payload: string) => listener(payload);
    listeners.add(own);
    const channelListeners = listeners;
    return async (stopTurn = turn) => {
      if (!channelListeners.delete(own) || channelListeners.size > 0) return;
      if (this.#channels.get(channel) === channelListeners) this.#channels.delete(channel);
      if (!this.pg.closed) await stopTurn(() => this.pg.exec(`UNLISTEN ${quoteIdent(channel)}`));
    };
  }

  /** Sends a notification: it reaches every listener on its channel, in every process. */
  async notify(channel: string, payload: string, turn: Turn): Promise<void> {
    await turn(() => this.pg.query("SELECT pg_notify($1, $2)", [channel, payload]));
  }

  /** Waits for the statement running, then closes PGlite. */
  async close(): Promise<void> {
    this.#stopNotifications();
    const release = await this.take();
    try {
      await this.pg.close();
    } finally {
      release();
    }
  }
}

/**
 * The statements of `pg` (the session, or a transaction on it), each run by `turn`. COPY data is
 * gathered before the turn and COPY output written after it: PGlite copies through a virtual
 * file, /dev/blob, held in memory, so COPY FROM takes the data whole and COPY TO gives it whole.
 */
export function statements(pg: PgliteQueryable, turn: Turn): Queryable {
  const query = <T>(text: string, params: readonly unknown[] = []) =>
    turn(async () => (await pg.query<T>(text, [...params])).rows);
  return {
    sql: (strings, ...values) => query(...toQuery(strings, values)),
    query,
    async exec(text) {
      await turn(() => pg.exec(text));
    },
    async copyFrom(target, options, data) {
      const parts: BlobPart[] = [];
      for await (const chunk of data) parts.push(chunk as BlobPart);
      const blob = new Blob(parts);
      await turn(() => pg.query(`COPY ${target} FROM '/dev/blob' ${options}`, [], { blob }));
    },
    async copyTo(source, options, write) {
      const result = await turn(() => pg.query(`COPY ${source} TO '/dev/blob' ${options}`));
      if (result.blob && result.blob.size > 0) {
        write(new Uint8Array(await result.blob.arrayBuffer()));
      }
    },
  };
}

const direct: Turn = (work) => work();

/** transaction() while a block begun in SQL is open would wait for itself. */
export function openBlock(): Error {
  return new Error(
    "A transaction begun in SQL is open on this connection: end it with COMMIT or ROLLBACK " +
      "before calling transaction()",
  );
}

/** What closing the opening process's database also does. */
export interface CloseSteps {
  /** After its own statements: serve the other processes until each can move (see the server). */
  drain?: () => Promise<void>;
  /** Last, after PGlite has closed: stop serving and release the directory's lock. */
  release?: () => Promise<void>;
}

/** The opening process's own `Database` on the shared session. */
export function sessionDatabase(
  session: SharedSession,
  url: string,
  steps: CloseSteps = {},
): Database {
  const own = new OwnerTurn(session);
  let closing: Promise<void> | undefined;
  return {
    driver: "pglite",
    url,
    ...statements(session.pg, own.run),
    transaction(fn) {
      if (own.holding) return Promise.reject(openBlock());
      return session.exclusive(() => session.pg.transaction((tx) => fn(statements(tx, direct))));
    },
    tryAdvisoryLock: (key) => session.tryAdvisoryLock(HOLDER, key, own.run),
    async advisoryUnlock(key) {
      await session.advisoryUnlock(HOLDER, key, own.run);
    },
    async listen(channel, onMessage) {
      const stop = await session.listen(channel, onMessage, own.run);
      return () => stop();
    },
    notify: (channel, payload) => session.notify(channel, payload, own.run),
    close: () =>
      closing ??= (async () => {
        try {
          // Its own block first: the others could not have the session while it is open.
          await own.end();
          await session.releaseAdvisoryLocks(HOLDER);
          await steps.drain?.();
        } finally {
          try {
            await session.close();
          } finally {
            await steps.release?.();
          }
        }
      })(),
  };
}
