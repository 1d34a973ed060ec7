// A process that finds an embedded database held by another one uses it through that process
// (`_server.ts`): this is its connection, a `Database` with the same driver and URL as in
// process. Rows come back with the same types, PostgreSQL's errors with the same message and
// `code`.
//
// When the holder stops, it moves the connection: requests it had not answered were not done,
// and fail with `NotDoneError`, for `_follow.ts` to send to the next holder. When the
// holder dies, each request without an answer is judged by what it was, so that a committed
// change is never reported as failed: a statement inside a transaction was rolled back with it;
// a COMMIT the holder had announced (`committing`) fails with `CommitInDoubt`, whose transaction
// id the next holder can look up; a statement outside a transaction may or may not have taken
// effect, and says so; and requests that change no data were not done.

import type { Database, Queryable } from "../../../../core/database.ts";
import { toQuery } from "../../../../core/database.ts";
import { CommandError } from "../../../../core/errors.ts";
import type { LockHolder } from "./_directory_lock.ts";
import {
  CHUNK,
  decodeError,
  decodeValue,
  encodeValue,
  FrameSocket,
  type Message,
  PROTOCOL_VERSION,
} from "./_wire.ts";

/** The holder could not be reached yet (starting, or gone): look at the lock again. */
export class NotReachedError extends Error {
  /** Whether the holder had told this process to wait for the next one (it was stopping). */
  readonly waited: boolean;

  /** Creates the error with the reason. */
  constructor(reason: string, waited = false) {
    super(reason);
    this.name = "NotReachedError";
    this.waited = waited;
  }
}

/** A request the holder did not do (it moved the connection, or died first): send it again. */
export class NotDoneError extends Error {
  /** Creates the error. */
  constructor() {
    super("The request was not done: the holder of the embedded database changed");
    this.name = "NotDoneError";
  }
}

/** What happened, for the message of {@linkcode holderStopped}. */
export type StoppedCase =
  | "rolled back"
  | "unknown"
  | "commit unknown"
  | "locks lost"
  | "block rolled back";

/** The error for a request whose holder died: what became of it, and what to do. */
export function holderStopped(
  dir: string,
  pid: number,
  what: StoppedCase,
  reason?: string,
): CommandError {
  const stopped = `The process serving the embedded database ${dir}${
    pid > 0 ? ` (pid ${pid})` : ""
  } stopped`;
  const check = "check before running the command again";
  const messages: Record<StoppedCase, string> = {
    "rolled back":
      `${stopped} during a transaction of this one: it was rolled back, nothing of it was committed`,
    "unknown":
      `${stopped} before it answered: whether the statement took effect is unknown; ${check}`,
    "commit unknown": `${stopped} while committing a transaction of this one, and whether it ` +
      `committed is unknown (${reason}); ${check}`,
    "locks lost": `${stopped}, and the advisory locks this one held went with it: stopped here, ` +
      "as what they guarded may have changed; run the command again",
    "block rolled back": `${stopped} while a transaction begun in SQL was open here: it was ` +
      "rolled back, nothing of it was committed",
  };
  return new CommandError(messages[what]);
}

/**
 * A COMMIT that the holder began and did not answer, as it died: the transaction `xid`
 * committed or not, which the next holder tells (`pg_xact_status`).
 */
export class CommitInDoubt extends Error {
  /** The transaction's id. */
  readonly xid: string;
  /** The holder that died. */
  readonly pid: number;
  /** What the transaction's function returned. */
  result: unknown;

  /** Creates the error. */
  constructor(xid: string, pid: number) {
    super(`Transaction ${xid} was being committed when its holder (pid ${pid}) stopped`);
    this.name = "CommitInDoubt";
    this.xid = xid;
    this.pid = pid;
  }
}

/** The connection to a holder, and what became of it. */
export interface RemoteDatabase extends Database {
  /** The holder's process id. */
  readonly holderPid: number;
  /** Why the holder no longer serves it: `moved` (it stopped), `lost` (it died); or undefined. */
  readonly gone: "moved" | "lost" | undefined;
  /** Whether a transaction block begun in SQL was open when the holder died (rolled back). */
  readonly blockLost: boolean;
  /** Calls `callback` once, when the connection is moved or lost. */
  onGone(callback: () => void): void;
}

/** Whether `db` is a connection to a holder. */
export function isRemote(db: Database): db is RemoteDatabase {
  return "gone" in db;
}

/** What the client is connecting to. */
export interface SharedTarget {
  /** The socket address (`socketAddress` of the path in the lock file). */
  readonly address: string;
  /** The directory as given, for messages (`.manage/db`). */
  readonly dir: string;
  /** The URL (`pglite:.manage/db`). */
  readonly url: string;
  /** How long to wait for the holder to finish opening the database, in milliseconds. */
  readonly helloTimeout: number;
  /** This process, as the holder names it in its messages. */
  readonly client: Pick<LockHolder, "pid" | "command">;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onBytes?: (bytes: Uint8Array) => void;
  /** The request, to judge it by when the holder dies. */
  readonly op: string;
  readonly tx: unknown;
  /** The transaction id the holder announced before running this COMMIT. */
  xid?: string;
}

/** Requests that change no data: not done when the holder dies before answering them. */
const HARMLESS = new Set(["hello", "begin", "lock", "unlock", "listen", "unlisten", "discard"]);

/**
 * Connects to the process holding the database. Throws {@linkcode NotReachedError} when nothing
 * answers on the socket, or the holder closes it before it is ready (or moves it: it stops).
 */
export async function connectShared(target: SharedTarget): Promise<RemoteDatabase> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path: target.address });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.ConnectionRefused) {
      throw new NotReachedError(error.message);
    }
    throw error;
  }
  const socket = new FrameSocket(conn);
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: string) => void>>();
  const onGone: (() => void)[] = [];
  let nextId = 1;
  let holderPid = 0;
  let gone: "moved" | "lost" | undefined;
  let blockOpen = false;
  let closed = false;
  let waited = false;
  let closing: Promise<void> | undefined;
  let timedOut = false;
  let helloTimer: ReturnType<typeof setTimeout> | undefined;
  const stopped = (what: StoppedCase) => holderStopped(target.dir, holderPid, what);
  /** What a request comes to when the holder has died: `sent`, it may have been done. */
  const judge = (
    request: Pick<Pending, "op" | "tx" | "xid">,
    sent: boolean,
  ): { value: undefined } | { error: Error; unknown?: true } => {
    if (request.op === "rollback" || request.op === "close") return { value: undefined };
    if (request.op === "commit") {
      // Announced: the COMMIT may have run. Not announced: it had not begun (or had nothing).
      if (request.xid !== undefined) return { error: new CommitInDoubt(request.xid, holderPid) };
      return { error: stopped("rolled back") };
    }
    if (request.tx !== undefined) return { error: stopped("rolled back") };
    if (!sent || HARMLESS.has(request.op)) return { error: new NotDoneError() };
    return { error: stopped("unknown"), unknown: true };
  };
  // Waiting for an answer keeps the process alive; an idle connection (or a listener) does not,
  // as with the database in process.
  const keepAlive = () => socket.keepAlive(pending.size > 0);

  const reading = (async () => {
    try {
      for await (const frame of socket.frames()) {
        if (frame.kind === "bytes") {
          pending.get(frame.id)?.onBytes?.(frame.bytes);
          continue;
        }
        const message = frame.message;
        if (message.event === "notification") {
          const channel = String(message.channel);
          for (const listener of [...(listeners.get(channel) ?? [])]) {
            try {
              listener(String(message.payload));
            } catch (error) {
              reportError(error);
            }
          }
          continue;
        }
        if (message.event === "committing") {
          const request = pending.get(message.id as number);
          if (request) request.xid = String(message.xid);
          continue;
        }
        if (message.event === "closing") {
          // The holder is stopping: the next one answers, however long this one takes.
          waited = true;
          clearTimeout(helloTimer);
          continue;
        }
        if (message.event === "move") {
          gone = "moved";
          break;
        }
        const request = pending.get(message.id as number);
        if (!request) continue;
        pending.delete(message.id as number);
        blockOpen = message.block === true;
        if (message.error) request.reject(decodeError(message.error as Message));
        else request.resolve(decodeValue(message.ok));
        keepAlive();
      }
    } catch {
      // A broken socket: the holder has gone, as when it closes it.
    }
    socket.close();
    if (!closed) gone ??= "lost";
    for (const request of pending.values()) {
      const outcome = gone === "lost" ? judge(request, true) : { error: new NotDoneError() };
      // A statement of unknown outcome may have ended a block begun in SQL (its COMMIT): that
      // block is not then said to be rolled back.
      if ("unknown" in outcome) blockOpen = false;
      if ("error" in outcome) request.reject(outcome.error);
      else request.resolve(outcome.value);
    }
    pending.clear();
    if (!closed) { for (const callback of onGone.splice(0)) callback(); }
  })();

  const send = (
    op: string,
    fields: Message = {},
    options: { id?: number; onBytes?: (bytes: Uint8Array) => void } = {},
  ): Promise<unknown> => {
    if (closed) return Promise.reject(new Error("The database connection is closed"));
    if (gone !== undefined) {
      const outcome = judge({ op, tx: fields.tx }, false);
      return "error" in outcome ? Promise.reject(outcome.error) : Promise.resolve(outcome.value);
    }
    const id = options.id ?? nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    pending.set(id, { resolve, reject, onBytes: options.onBytes, op, tx: fields.tx });
    keepAlive();
    // A failed write means a broken socket, which the reader reports for every request.
    socket.send({ id, op, ...fields }).catch(() => {});
    return promise;
  };

  try {
    const hello = send("hello", {
      version: PROTOCOL_VERSION,
      pid: target.client.pid,
      command: target.client.command,
    });
    helloTimer = setTimeout(() => {
      timedOut = true;
      socket.close();
    }, target.helloTimeout);
    try {
      holderPid = ((await hello) as { pid: number }).pid;
    } finally {
      clearTimeout(helloTimer);
    }
  } catch (error) {
    socket.close();
    await reading;
    if (timedOut) {
      throw new CommandError(
        `The process holding the embedded database ${target.dir} did not answer within ` +
          `${target.helloTimeout / 1000}s; stop that process, or set DATABASE_URL to a ` +
          "PostgreSQL server to share one database between processes",
      );
    }
    if (error instanceof NotDoneError || gone !== undefined) {
      throw new NotReachedError("The holder closed the connection before it was ready", waited);
    }
    throw new CommandError(
      `The process serving the embedded database ${target.dir} cannot serve this one ` +
        `(${error instanceof Error ? error.message : String(error)}): run the same version of ` +
        "manage in both",
      { cause: error },
    );
  }

  const transaction = async <R>(fn: (tx: Queryable) => Promise<R>): Promise<R> => {
    // Not done (moved, or the holder died first): the caller may send it all again.
    const tx = await send("begin") as number;
    let over = false;
    let result: R;
    try {
      result = await fn(queryable(tx, () => over));
    } catch (error) {
      over = true;
      await send("rollback", { tx }).catch(() => {});
      // Once the function has run, nothing of it is sent again.
      throw error instanceof NotDoneError ? stopped("rolled back") : error;
    }
    over = true;
    try {
      await send("commit", { tx });
    } catch (error) {
      if (error instanceof CommitInDoubt) error.result = result;
      throw error instanceof NotDoneError ? stopped("rolled back") : error;
    }
    return result;
  };

  const queryable = (tx?: number, isOver?: () => boolean): Queryable => {
    const request = (op: string, fields: Message, options?: Parameters<typeof send>[2]) => {
      if (isOver?.()) return Promise.reject(new Error("Transaction is closed"));
      return send(op, tx === undefined ? fields : { ...fields, tx }, options);
    };
    const query = async <T>(text: string, params: readonly unknown[] = []) =>
      await request("query", { text, params: params.map(encodeValue) }) as T[];
    return {
      sql: (strings, ...values) => query(...toQuery(strings, values)),
      query,
      async exec(text) {
        await request("exec", { text });
      },
      async copyFrom(target, options, data) {
        // In a transaction of its own: the data cannot be sent twice, so a holder that stops
        // must not move this connection while it is sent (it waits for the transaction).
        if (tx === undefined) {
          return await transaction((inner) => inner.copyFrom!(target, options, data));
        }
        if (isOver?.()) throw new Error("Transaction is closed");
        const id = nextId++;
        const encoder = new TextEncoder();
        try {
          for await (const chunk of data) {
            const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
            for (let offset = 0; offset < bytes.length; offset += CHUNK) {
              if (gone !== undefined) throw stopped("rolled back");
              await socket.sendBytes(id, bytes.subarray(offset, offset + CHUNK));
            }
          }
        } catch (error) {
          // The holder drops what it has been sent (when it is still there to hear).
          if (gone === undefined) send("discard", {}, { id }).catch(() => {});
          throw gone !== undefined ? stopped("rolled back") : error;
        }
        await request("copyFrom", { target, options }, { id });
      },
      async copyTo(source, options, write) {
        let failure: { error: unknown } | undefined;
        await request("copyTo", { source, options }, {
          onBytes(bytes) {
            if (failure) return;
            try {
              write(bytes);
            } catch (error) {
              failure = { error };
            }
          },
        });
        if (failure) throw failure.error;
      },
    };
  };

  return {
    driver: "pglite",
    url: target.url,
    get holderPid() {
      return holderPid;
    },
    get gone() {
      return gone;
    },
    get blockLost() {
      return gone === "lost" && blockOpen;
    },
    onGone(callback) {
      if (gone !== undefined) queueMicrotask(callback);
      else onGone.push(callback);
    },
    ...queryable(),
    transaction,
    tryAdvisoryLock: async (key) => await send("lock", { key: key.toString() }) as boolean,
    async advisoryUnlock(key) {
      await send("unlock", { key: key.toString() });
    },
    async listen(channel, onMessage) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        try {
          await send("listen", { channel });
        } catch (error) {
          if (listeners.get(channel) === set) listeners.delete(channel);
          throw error;
        }
      }
      const own = (payload: string) => onMessage(payload);
      set.add(own);
      const channelListeners = set;
      return async () => {
        if (!channelListeners.delete(own) || channelListeners.size > 0) return;
        if (listeners.get(channel) === channelListeners) listeners.delete(channel);
        if (gone === undefined && !closed) await send("unlisten", { channel });
      };
    },
    async notify(channel, payload) {
      await send("notify", { channel, payload });
    },
    close() {
      return closing ??= (async () => {
        // The holder first gives back this connection's transaction, locks and listeners, so
        // that they are free for others when close() resolves.
        if (gone === undefined) await send("close").catch(() => {});
        closed = true;
        socket.close();
        await reading;
      })();
    },
  };
}
