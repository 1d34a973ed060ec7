// A process served by the holder of an embedded database keeps its database when that holder
// goes: this is the `Database` it gets, which follows the database to the next holder (the
// process that takes the lock next: this one, or another).
//
// When the holder stops, it moves the connection once it holds nothing here; requests it had not
// done are sent to the next holder, listeners are set up again there (at once: a listener waits
// for notifications, not for its process's next query), and nothing is lost or done twice. When
// the holder dies, what this process held there went with it: requests without an answer are
// judged by `_client.ts`; a COMMIT in doubt is settled here by asking the next holder
// whether its transaction committed (`pg_xact_status`); advisory locks held are lost, so the
// process is stopped at its next request (until it has unlocked them all), and a transaction
// block begun in SQL was rolled back, which its next request is told.

import type { Database, Queryable } from "../../../../core/database.ts";
import {
  CommitInDoubt,
  holderStopped,
  isRemote,
  NotDoneError,
  type RemoteDatabase,
} from "./_client.ts";

/** A channel listened on, and where. */
interface Channel {
  readonly listeners: Set<(payload: string) => void>;
  /** The database it is listened on, and how to stop there. */
  on?: Database;
  stop?: () => Promise<void>;
  /** Resolves when it is first listened on. */
  ready?: Promise<void>;
}

/**
 * The database `first` connects to, followed from holder to holder: `reopen` gives the next
 * connection (or the database itself, when this process takes the lock).
 */
export function following(
  first: RemoteDatabase,
  reopen: () => Promise<Database>,
  target: { readonly dir: string; readonly url: string },
): Database {
  let current: Database = first;
  let opening: Promise<Database> | undefined;
  let closing: Promise<void> | undefined;
  let closed = false;
  /** The advisory locks held, with their counts. */
  const locks = new Map<bigint, number>();
  /** Those that went with a holder that died, and its pid. */
  let lostLocks: { pid: number; keys: Map<bigint, number> } | undefined;
  let blockLost: number | undefined;
  let settled: Database | undefined;
  const channels = new Map<string, Channel>();

  /** Takes note, once, of what went with a holder that died. */
  const settle = () => {
    if (!isRemote(current) || current.gone !== "lost" || settled === current) return;
    settled = current;
    if (locks.size > 0) lostLocks = { pid: current.holderPid, keys: new Map(locks) };
    locks.clear();
    if (current.blockLost) blockLost = current.holderPid;
  };

  const forgetLost = (key: bigint) => {
    const count = lostLocks!.keys.get(key)!;
    if (count > 1) lostLocks!.keys.set(key, count - 1);
    else lostLocks!.keys.delete(key);
    if (lostLocks!.keys.size === 0) lostLocks = undefined;
  };

  const listenOn = async (channel: string, entry: Channel, db: Database) => {
    if (entry.on === db) return;
    entry.on = db;
    const stop = await db.listen(channel, (payload) => {
      for (const listener of [...entry.listeners]) {
        try {
          listener(payload);
        } catch (error) {
          reportError(error);
        }
      }
    });
    if (entry.on === db) entry.stop = stop;
  };

  const next = async (): Promise<Database> => {
    const db = await reopen();
    try {
      for (const [channel, entry] of channels) await listenOn(channel, entry, db);
    } catch (error) {
      await db.close().catch(() => {});
      throw error;
    }
    const previous = current;
    current = db;
    await previous.close().catch(() => {});
    watch(db);
    return db;
  };

  const watch = (db: Database) => {
    if (!isRemote(db)) return;
    db.onGone(() => {
      // Listeners are set up again at once: they wait for notifications, not for a query. Not
      // when what went with the holder is yet to be told: the next request tells it.
      if (channels.size === 0 || closed) return;
      settle();
      if (lostLocks === undefined && blockLost === undefined) backend().catch(() => {});
    });
  };

  /** The database to send to now; `ignoreLost` for settling a COMMIT in doubt. */
  const backend = async (ignoreLost = false): Promise<Database> => {
    if (closed) throw new Error("The database connection is closed");
    settle();
    if (!ignoreLost && lostLocks) {
      throw holderStopped(target.dir, lostLocks.pid, "locks lost");
    }
    if (!ignoreLost && blockLost !== undefined) {
      const pid = blockLost;
      blockLost = undefined;
      throw holderStopped(target.dir, pid, "block rolled back");
    }
    if (!isRemote(current) || current.gone === undefined) return current;
    return await (opening ??= next().finally(() => opening = undefined));
  };

  const settleCommit = async (doubt: CommitInDoubt): Promise<unknown> => {
    let status: unknown;
    try {
      for (;;) {
        const db = await backend(true);
        try {
          [{ status }] = await db.query<{ status: unknown }>(
            "SELECT pg_xact_status($1::xid8)::text AS status",
            [doubt.xid],
          );
          break;
        } catch (error) {
          if (!(error instanceof NotDoneError)) throw error;
        }
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw holderStopped(target.dir, doubt.pid, "commit unknown", reason);
    }
    if (status === "committed") return doubt.result;
    if (status === "aborted") throw holderStopped(target.dir, doubt.pid, "rolled back");
    throw holderStopped(target.dir, doubt.pid, "commit unknown", `its status is ${status}`);
  };

  /** Runs `call` on the current database; again on the next one when it was not done. */
  const run = async <T>(call: (db: Database) => Promise<T>): Promise<T> => {
    for (;;) {
      const db = await backend();
      try {
        return await call(db);
      } catch (error) {
        if (error instanceof NotDoneError) continue;
        if (error instanceof CommitInDoubt) return await settleCommit(error) as T;
        throw error;
      }
    }
  };

  watch(first);
  const queryable: Queryable = {
    sql: (strings, ...values) => run((db) => db.sql(strings, ...values)),
    query: (text, params) => run((db) => db.query(text, params)),
    exec: (text) => run((db) => db.exec(text)),
    copyFrom: (source, options, data) => run((db) => db.copyFrom!(source, options, data)),
    copyTo: (source, options, write) => run((db) => db.copyTo!(source, options, write)),
  };
  return {
    driver: "pglite",
    url: target.url,
    ...queryable,
    transaction: (fn) => run((db) => db.transaction(fn)),
    async tryAdvisoryLock(key) {
      const taken = await run((db) => db.tryAdvisoryLock(key));
      if (taken) locks.set(key, (locks.get(key) ?? 0) + 1);
      return taken;
    },
    async advisoryUnlock(key) {
      for (;;) {
        settle();
        if (lostLocks) {
          // Gone with the holder: unlocked already.
          if (lostLocks.keys.has(key)) forgetLost(key);
          return;
        }
        const db = await backend();
        try {
          await db.advisoryUnlock(key);
        } catch (error) {
          if (error instanceof NotDoneError) continue;
          throw error;
        }
        const count = locks.get(key) ?? 0;
        if (count > 1) locks.set(key, count - 1);
        else locks.delete(key);
        return;
      }
    },
    async listen(channel, onMessage) {
      let entry = channels.get(channel);
      if (!entry) {
        const created: Channel = { listeners: new Set() };
        entry = created;
        channels.set(channel, created);
        created.ready = run((db) => listenOn(channel, created, db)).catch((error) => {
          if (channels.get(channel) === created) channels.delete(channel);
          throw error;
        });
      }
      await entry.ready;
      const own = (payload: string) => onMessage(payload);
      entry.listeners.add(own);
      const listening = entry;
      return async () => {
        if (!listening.listeners.delete(own) || listening.listeners.size > 0) return;
        if (channels.get(channel) === listening) channels.delete(channel);
        const { on, stop } = listening;
        listening.on = listening.stop = undefined;
        // Where it no longer is served, it is no longer listened on either.
        if (on === current && stop) await stop().catch(() => {});
      };
    },
    notify: (channel, payload) => run((db) => db.notify(channel, payload)),
    close() {
      return closing ??= (async () => {
        closed = true;
        await opening?.catch(() => {});
        await current.close();
      })();
    },
  };
}
