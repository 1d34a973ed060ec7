// One process the holder serves: a connection on the holder's socket, which is an owner on the
// shared session. It reads requests (queries, transactions, COPY, advisory locks, listeners) in
// the protocol of `_wire.ts`, runs each in its turn, answers it, and when it goes, however it
// goes, rolls its transaction back, releases its advisory locks and stops its listeners.

import {
  CHUNK,
  decodeValue,
  encodeError,
  encodeValue,
  type FrameSocket,
  type Message,
  PROTOCOL_VERSION,
} from "./_wire.ts";
import {
  openBlock,
  type Owner,
  OwnerTurn,
  type SharedSession,
  statements,
  type Turn,
} from "./_shared_session.ts";
import { describeHolder } from "./_directory_lock.ts";

/** What a connection shares with the server that accepted it. */
export interface ServerState {
  readonly pid: number;
  readonly ready: Promise<SharedSession>;
  /** Whether the server is draining: connections made now wait. */
  readonly draining: () => boolean;
  /** Resolves when those waiting connections are to be closed. */
  readonly dismissed: Promise<void>;
}

/** One served process. */
export class Connection {
  readonly socket: FrameSocket;
  readonly owner: Owner;
  /** Resolves when the connection has ended and its session state is cleaned up. */
  readonly done: Promise<void>;
  /** Made while the server drains: it waits, unanswered, for the next holder. */
  waiting = false;
  #session: SharedSession | undefined;
  /** The turns of its statements outside a transaction. */
  #plain: OwnerTurn | undefined;
  #closed = false;
  /** Requests being done or answered. */
  #active = 0;
  /** Asked to move once it holds nothing; and told to. */
  #moveAsked = false;
  #moved = false;
  /** The transaction this connection has the session for. */
  #transaction: { id: number; release: () => void } | undefined;
  /** Statements running inside that transaction (a rollback waits for them). */
  readonly #inTransaction = new Set<Promise<unknown>>();
  readonly #uploads = new Map<number, Uint8Array[]>();
  readonly #listening = new Map<string, (turn?: Turn) => Promise<void>>();
  #nextTransaction = 1;
  /** Who the client is, as it said in its hello. */
  #client = "a process";

  constructor(socket: FrameSocket, owner: Owner, server: ServerState) {
    this.socket = socket;
    this.owner = owner;
    this.done = this.#run(server);
  }

  /** Whether it listens on a channel. */
  get listening(): boolean {
    return this.#listening.size > 0;
  }

  /** Tells the client to go to the next holder, as soon as it holds nothing here. */
  move(): void {
    this.#moveAsked = true;
    this.#moveIfIdle();
  }

  /** What it holds that keeps it here, if anything. */
  #holding(): string | undefined {
    if (this.#transaction !== undefined) return "in a transaction";
    if (this.#plain?.holding) return "in a transaction begun in SQL";
    if (this.#session?.holdsLocks(this.owner)) return "holding an advisory lock";
    if (this.#active > 0 || this.#uploads.size > 0) return "with a request under way";
    return undefined;
  }

  /** Who it is and what keeps it (undefined when it waits for the next holder, or has gone). */
  describe(): string | undefined {
    const holding = this.#holding();
    if (this.waiting || this.#moved || this.#closed || holding === undefined) return undefined;
    return `${this.#client}, ${holding}`;
  }

  #moveIfIdle(): void {
    if (!this.#moveAsked || this.#moved || this.#closed || this.#holding() !== undefined) return;
    // Every reply has gone before it (the socket sends in order): what the client has not had
    // an answer to was not done, and it sends it to the next holder.
    this.#moved = true;
    this.socket.send({ event: "move" }).catch(() => {}).finally(() => this.socket.close());
  }

  async #run(server: ServerState): Promise<void> {
    try {
      const frames = this.socket.frames();
      const hello = await frames.next();
      if (hello.done || hello.value.kind !== "message") return;
      const { id, version, pid, command } = hello.value.message;
      if (typeof pid === "number" && typeof command === "string") {
        this.#client = describeHolder({ pid, command });
      }
      if (version !== PROTOCOL_VERSION) {
        await this.#reply(
          id,
          undefined,
          new Error(`The holder speaks protocol ${PROTOCOL_VERSION}`),
        );
        return;
      }
      const session = await server.ready;
      if (this.#moved) return;
      if (server.draining()) {
        // Answered by the next holder: told to wait for it, as long as this one takes.
        this.waiting = true;
        await this.socket.send({ event: "closing" });
        await server.dismissed;
        return;
      }
      this.#session = session;
      this.#plain = new OwnerTurn(session);
      await this.#reply(id, { pid: server.pid });
      for await (const frame of frames) {
        // Told to move: what comes after is for the next holder.
        if (this.#moved) break;
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
    // Whether its statements have left a transaction block open (BEGIN sent as SQL): a client
    // whose holder dies then knows that block was rolled back.
    if (this.#plain?.holding) message.block = true;
    // Not sent only when the client has gone: it has no one to tell, and what it knows of the
    // request is its own to judge (see _client.ts).
    await this.socket.send(message).catch(() => {});
  }

  async #handle(message: Message): Promise<void> {
    const id = message.id as number;
    this.#active++;
    try {
      let result: unknown;
      try {
        result = await this.#perform(id, message);
      } catch (error) {
        await this.#reply(id, undefined, error);
        return;
      }
      await this.#reply(id, result);
    } finally {
      this.#active--;
      this.#moveIfIdle();
    }
  }

  /** Runs one request; anything it awaits before its turn keeps the requests in order. */
  #perform(id: number, message: Message): Promise<unknown> {
    const session = this.#session!;
    const plain = this.#plain!;
    const op = message.op;
    if (op === "begin") return this.#begin(session, plain);
    if (op === "commit" || op === "rollback") return this.#end(session, message.tx, op, id);
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

  async #end(
    session: SharedSession,
    tx: unknown,
    op: "commit" | "rollback",
    id: number,
  ): Promise<unknown> {
    const transaction = this.#transaction;
    if (!transaction || transaction.id !== tx) {
      // A rollback after the end (its commit failed) has nothing left to do.
      if (op === "rollback") return undefined;
      throw new Error("Transaction is closed");
    }
    this.#transaction = undefined;
    try {
      await Promise.allSettled(this.#inTransaction);
      if (op === "commit" && !(await this.#committing(session, id))) op = "rollback";
      await session.pg.exec(op === "commit" ? "COMMIT" : "ROLLBACK");
    } finally {
      transaction.release();
    }
    return undefined;
  }

  /**
   * Tells the client, before its COMMIT runs, the id of the transaction that COMMIT ends, so that
   * if this process dies before the reply the client can ask the next holder whether it
   * committed. A transaction that wrote nothing has no id and nothing to lose. False when the
   * client cannot be told (it has gone): the transaction is then rolled back, as a server rolls
   * back the transaction of a client that disconnects.
   */
  async #committing(session: SharedSession, id: number): Promise<boolean> {
    let xid: string | null = null;
    try {
      const { rows } = await session.pg.query<{ xid: string | null }>(
        "SELECT pg_current_xact_id_if_assigned()::text AS xid",
      );
      xid = rows[0].xid;
    } catch {
      // A failed transaction: its COMMIT rolls back, whatever the client is told.
    }
    if (xid === null) return true;
    try {
      await this.socket.send({ id, event: "committing", xid });
      return true;
    } catch {
      return false;
    }
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
