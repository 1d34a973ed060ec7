// The process that holds an embedded database serves it to the user's other processes on a Unix
// socket beside it (`<dir>.sock`, mode 0600), in the protocol of `_pglite_wire.ts`. Each
// connection is an owner on the shared session (`_pglite_session.ts`); when it goes, however it
// goes, its transaction is rolled back, its advisory locks released and its listeners stopped.

import {
  CHUNK,
  decodeValue,
  encodeError,
  encodeValue,
  FrameSocket,
  type Message,
  PROTOCOL_VERSION,
} from "./_pglite_wire.ts";
import {
  openBlock,
  type Owner,
  OwnerTurn,
  type SharedSession,
  statements,
  type Turn,
} from "./_pglite_session.ts";

/** A listening server. */
export interface SessionServer {
  /** Starts answering: requests wait until the session is open. */
  serve(session: SharedSession): void;
  /** Stops: closes every connection (rolling back its transaction), then the socket. */
  close(): Promise<void>;
}

/** The longest socket path the operating systems take (macOS: 104 bytes with the NUL). */
const MAX_SOCKET_PATH = 103;

/**
 * The path to bind or connect to for the socket at `path`: itself, or relative to the working
 * directory when the full path is too long for a socket address; undefined when both are.
 */
export function socketAddress(path: string): string | undefined {
  if (new TextEncoder().encode(path).length <= MAX_SOCKET_PATH) return path;
  const cwd = Deno.cwd().replace(/[\\/]+$/, "");
  if (!path.startsWith(`${cwd}/`)) return undefined;
  const relative = path.slice(cwd.length + 1);
  return new TextEncoder().encode(relative).length <= MAX_SOCKET_PATH ? relative : undefined;
}

/**
 * Listens on `path`, replacing what a holder that died left there (the caller holds the lock, so
 * nothing else can be listening on it). Throws when the socket cannot be made.
 */
export async function listenOn(path: string, pid: number): Promise<SessionServer> {
  const address = socketAddress(path);
  if (address === undefined) throw new Error(`The socket path ${path} is too long`);
  await Deno.remove(address).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  const listener = Deno.listen({ transport: "unix", path: address });
  try {
    await Deno.chmod(address, 0o600);
  } catch (error) {
    listener.close();
    throw error;
  }
  // Accepting keeps no process alive: the holder lives as long as its own work.
  listener.unref();
  const ready = Promise.withResolvers<SharedSession>();
  // Never rejected unhandled: a holder that fails to open closes the server instead.
  ready.promise.catch(() => {});
  const connections = new Set<Connection>();
  let nextOwner = 1;
  let closed = false;
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.UnixConn;
      try {
        conn = await listener.accept();
      } catch {
        return; // closed
      }
      if (closed) {
        conn.close();
        return;
      }
      const connection = new Connection(new FrameSocket(conn), nextOwner++, pid, ready.promise);
      connections.add(connection);
      connection.done.finally(() => connections.delete(connection));
    }
  })();
  return {
    serve: (session) => ready.resolve(session),
    async close() {
      if (closed) return;
      closed = true;
      // Kept alive until the pending accept ends, or the process could end with it unsettled.
      listener.ref();
      listener.close();
      await accepting;
      ready.reject(new Error("The database was not opened"));
      const open = [...connections];
      for (const connection of open) connection.socket.close();
      await Promise.all(open.map((connection) => connection.done));
      await Deno.remove(address).catch(() => {});
    },
  };
}

/** One served process. */
class Connection {
  readonly socket: FrameSocket;
  readonly owner: Owner;
  /** Resolves when the connection has ended and its session state is cleaned up. */
  readonly done: Promise<void>;
  #session: SharedSession | undefined;
  /** The turns of its statements outside a transaction. */
  #plain: OwnerTurn | undefined;
  #closed = false;
  /** The transaction this connection has the session for. */
  #transaction: { id: number; release: () => void } | undefined;
  /** Statements running inside that transaction (a rollback waits for them). */
  readonly #inTransaction = new Set<Promise<unknown>>();
  readonly #uploads = new Map<number, Uint8Array[]>();
  readonly #listening = new Map<string, (turn?: Turn) => Promise<void>>();
  #nextTransaction = 1;

  constructor(socket: FrameSocket, owner: Owner, pid: number, ready: Promise<SharedSession>) {
    this.socket = socket;
    this.owner = owner;
    this.done = this.#run(pid, ready);
  }

  async #run(pid: number, ready: Promise<SharedSession>): Promise<void> {
    try {
      const frames = this.socket.frames();
      const hello = await frames.next();
      if (hello.done || hello.value.kind !== "message") return;
      const { id, version } = hello.value.message;
      if (version !== PROTOCOL_VERSION) {
        await this.#reply(
          id,
          undefined,
          new Error(`The holder speaks protocol ${PROTOCOL_VERSION}`),
        );
        return;
      }
      this.#session = await ready;
      this.#plain = new OwnerTurn(this.#session);
      await this.#reply(id, { pid });
      for await (const frame of frames) {
        if (frame.kind === "bytes") {
          const parts = this.#uploads.get(frame.id);
          if (parts) parts.push(frame.bytes);
          else this.#uploads.set(frame.id, [frame.bytes]);
          continue;
        }
        // Not awaited: a request waiting for its turn must not stop this connection's reads
        // (its statements inside a transaction, which has the turn, come after it).
        this.#handle(frame.message);
      }
    } catch {
      // A broken connection (or a holder that failed to open): it ends as a closed one does.
    } finally {
      this.#closed = true;
      this.socket.close();
      await this.#cleanUp();
    }
  }

  async #cleanUp(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    const transaction = this.#transaction;
    if (transaction) {
      this.#transaction = undefined;
      await Promise.allSettled(this.#inTransaction);
      try {
        await session.pg.exec("ROLLBACK");
      } catch {
        // The database is closing: the transaction goes with it.
      } finally {
        transaction.release();
      }
    }
    // After the transaction: its statements waiting for their turn may then have it, and fail.
    await this.#plain!.end();
    await session.releaseAdvisoryLocks(this.owner);
    for (const stop of this.#listening.values()) await stop(session.exclusive).catch(() => {});
    this.#listening.clear();
    this.#uploads.clear();
  }

  async #reply(id: unknown, result: unknown, error?: unknown): Promise<void> {
    const message: Message = error === undefined
      ? { id, ok: encodeValue(result) }
      : { id, error: encodeError(error) };
    await this.socket.send(message).catch(() => {});
  }

  async #handle(message: Message): Promise<void> {
    const id = message.id as number;
    let result: unknown;
    try {
      result = await this.#perform(id, message);
    } catch (error) {
      await this.#reply(id, undefined, error);
      return;
    }
    await this.#reply(id, result);
  }

  /** Runs one request; anything it awaits before its turn keeps the requests in order. */
  #perform(id: number, message: Message): Promise<unknown> {
    const session = this.#session!;
    const plain = this.#plain!;
    const op = message.op;
    if (op === "begin") return this.#begin(session, plain);
    if (op === "commit" || op === "rollback") return this.#end(session, message.tx, op);
    if (op === "lock") return session.tryAdvisoryLock(this.owner, key(message), plain.run);
    if (op === "unlock") return session.advisoryUnlock(this.owner, key(message), plain.run);
    if (op === "listen") return this.#listen(session, String(message.channel));
    if (op === "unlisten") return this.#unlisten(String(message.channel));
    if (op === "notify") {
      return session.notify(String(message.channel), String(message.payload), plain.run);
    }
    if (op === "close") return this.#cleanUp();
    // Statements: in this connection's turn, or at once in its transaction.
    let turn: Turn = plain.run;
    let tracked: ((work: Promise<unknown>) => void) | undefined;
    if (message.tx !== undefined) {
      if (this.#transaction?.id !== message.tx) {
        return Promise.reject(new Error("Transaction is closed"));
      }
      turn = (work) => work();
      tracked = (work) => {
        this.#inTransaction.add(work);
        work.finally(() => this.#inTransaction.delete(work)).catch(() => {});
      };
    }
    const target = statements(session.pg, turn);
    let work: Promise<unknown>;
    if (op === "query") {
      const params = (message.params as unknown[] | undefined ?? []).map(decodeValue);
      work = target.query(String(message.text), params);
    } else if (op === "exec") {
      work = target.exec(String(message.text));
    } else if (op === "copyFrom") {
      const parts = this.#uploads.get(id) ?? [];
      this.#uploads.delete(id);
      work = target.copyFrom!(String(message.target), String(message.options), parts);
    } else if (op === "copyTo") {
      const chunks: Uint8Array[] = [];
      work = target.copyTo!(String(message.source), String(message.options), (chunk) => {
        chunks.push(chunk);
      }).then(async () => {
        for (const chunk of chunks) {
          for (let offset = 0; offset < chunk.length; offset += CHUNK) {
            await this.socket.sendBytes(id, chunk.subarray(offset, offset + CHUNK));
          }
        }
      });
    } else if (op === "discard") {
      this.#uploads.delete(id);
      work = Promise.resolve();
    } else {
      work = Promise.reject(new Error(`Unknown request ${JSON.stringify(op)}`));
    }
    tracked?.(work);
    return work;
  }

  async #begin(session: SharedSession, plain: OwnerTurn): Promise<unknown> {
    if (plain.holding) throw openBlock();
    const release = await session.take();
    if (this.#closed) {
      release();
      throw new Error("Disconnected");
    }
    try {
      await session.pg.exec("BEGIN");
    } catch (error) {
      release();
      throw error;
    }
    const id = this.#nextTransaction++;
    this.#transaction = { id, release };
    return id;
  }

  async #end(session: SharedSession, tx: unknown, op: "commit" | "rollback"): Promise<unknown> {
    const transaction = this.#transaction;
    if (!transaction || transaction.id !== tx) {
      // A rollback after the end (its commit failed) has nothing left to do.
      if (op === "rollback") return undefined;
      throw new Error("Transaction is closed");
    }
    this.#transaction = undefined;
    try {
      await Promise.allSettled(this.#inTransaction);
      await session.pg.exec(op === "commit" ? "COMMIT" : "ROLLBACK");
    } finally {
      transaction.release();
    }
    return undefined;
  }

  async #listen(session: SharedSession, channel: string): Promise<unknown> {
    if (this.#listening.has(channel)) return undefined;
    const send = (payload: string) => {
      this.socket.send({ event: "notification", channel, payload }).catch(() => {});
    };
    // Marked first, so that an unlisten that comes before the LISTEN ends waits for it.
    const listening = session.listen(channel, send, this.#plain!.run);
    this.#listening.set(channel, async (turn) => await (await listening)(turn));
    try {
      await listening;
    } catch (error) {
      this.#listening.delete(channel);
      throw error;
    }
    if (this.#closed) {
      // Gone while it waited: stopped here, if clean-up has not already.
      await this.#listening.get(channel)?.(session.exclusive);
      this.#listening.delete(channel);
    }
    return undefined;
  }

  async #unlisten(channel: string): Promise<unknown> {
    const stop = this.#listening.get(channel);
    this.#listening.delete(channel);
    await stop?.();
    return undefined;
  }
}

function key(message: Message): bigint {
  if (typeof message.key !== "string") throw new Error("An advisory lock key is missing");
  return BigInt(message.key);
}
