// A process that finds an embedded database held by another one uses it through that process
// (`_pglite_server.ts`): this is the `Database` it gets, the same driver and URL as in process.
// Rows come back with the same types, PostgreSQL's errors with the same message and `code`.

import type { Database, Queryable } from "../../core/database.ts";
import { toQuery } from "../../core/database.ts";
import { CommandError } from "../../core/errors.ts";
import {
  CHUNK,
  decodeError,
  decodeValue,
  encodeValue,
  FrameSocket,
  type Message,
  PROTOCOL_VERSION,
} from "./_pglite_wire.ts";

/** The holder could not be reached yet (starting, or gone): look at the lock again. */
export class NotReachedError extends Error {
  /** Creates the error with the reason. */
  constructor(reason: string) {
    super(reason);
    this.name = "NotReachedError";
  }
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
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onBytes?: (bytes: Uint8Array) => void;
}

/**
 * Connects to the process holding the database. Throws {@linkcode NotReachedError} when nothing
 * answers on the socket, or the holder closes it before it is ready.
 */
export async function connectShared(target: SharedTarget): Promise<Database> {
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
  let nextId = 1;
  let holderPid = 0;
  let lost = false;
  let closed = false;
  let closing: Promise<void> | undefined;
  const stopped = () =>
    new CommandError(
      `The process serving the embedded database ${target.dir} (pid ${holderPid}) has stopped: ` +
        "run the command again",
    );
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
        const request = pending.get(message.id as number);
        if (!request) continue;
        pending.delete(message.id as number);
        if (message.error) request.reject(decodeError(message.error as Message));
        else request.resolve(decodeValue(message.ok));
        keepAlive();
      }
    } catch {
      // A broken socket: the holder has gone, as when it closes it.
    }
    lost = true;
    socket.close();
    for (const request of pending.values()) request.reject(stopped());
    pending.clear();
  })();

  const send = (
    op: string,
    fields: Message = {},
    options: { id?: number; onBytes?: (bytes: Uint8Array) => void } = {},
  ): Promise<unknown> => {
    if (closed) return Promise.reject(new Error("The database connection is closed"));
    if (lost) return Promise.reject(stopped());
    const id = options.id ?? nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    pending.set(id, { resolve, reject, onBytes: options.onBytes });
    keepAlive();
    // A failed write means a broken socket, which the reader reports for every request.
    socket.send({ id, op, ...fields }).catch(() => {});
    return promise;
  };

  let timedOut = false;
  try {
    const hello = send("hello", { version: PROTOCOL_VERSION });
    const timer = setTimeout(() => {
      timedOut = true;
      socket.close();
    }, target.helloTimeout);
    try {
      holderPid = ((await hello) as { pid: number }).pid;
    } finally {
      clearTimeout(timer);
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
    if (error instanceof CommandError) {
      throw new NotReachedError("The holder closed the connection before it was ready");
    }
    throw new CommandError(
      `The process serving the embedded database ${target.dir} cannot serve this one ` +
        `(${error instanceof Error ? error.message : String(error)}): run the same version of ` +
        "manage in both",
      { cause: error },
    );
  }

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
        if (isOver?.()) throw new Error("Transaction is closed");
        const id = nextId++;
        const encoder = new TextEncoder();
        try {
          for await (const chunk of data) {
            const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
            for (let offset = 0; offset < bytes.length; offset += CHUNK) {
              if (lost) throw stopped();
              await socket.sendBytes(id, bytes.subarray(offset, offset + CHUNK));
            }
          }
        } catch (error) {
          // The holder drops what it has been sent (when it is still there to hear).
          if (!lost) send("discard", {}, { id }).catch(() => {});
          throw lost ? stopped() : error;
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
    ...queryable(),
    async transaction(fn) {
      const tx = await send("begin") as number;
      let over = false;
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn(queryable(tx, () => over));
      } catch (error) {
        over = true;
        await send("rollback", { tx }).catch(() => {});
        throw error;
      }
      over = true;
      await send("commit", { tx });
      return result;
    },
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
        if (!lost && !closed) await send("unlisten", { channel });
      };
    },
    async notify(channel, payload) {
      await send("notify", { channel, payload });
    },
    close() {
      return closing ??= (async () => {
        // The holder first gives back this connection's transaction, locks and listeners, so
        // that they are free for others when close() resolves.
        if (!lost) await send("close").catch(() => {});
        closed = true;
        socket.close();
        await reading;
      })();
    },
  };
}
