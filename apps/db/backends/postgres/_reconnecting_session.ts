/**
 * One PostgreSQL session over postgres.js that outlives its connection: when the server goes
 * away (a restart, a crash, a network cut), the statement in flight fails, and the next use opens
 * a new connection (a new postgres.js instance, with one connection), instead of failing for
 * good. What the old session held is dealt with as follows:
 *
 * - **Settings** made with `SET` on the connection are made again on the new one.
 * - **Listeners** listen again on the new connection (notifications sent meanwhile are missed).
 * - **Advisory locks** cannot come back (another session may hold them now): a session lost while
 *   it held one fails every use, saying so, until each such lock is let go (`advisoryUnlock`).
 * - **A transaction** cut short fails, saying it was rolled back (or, when the connection was
 *   lost while committing, that whether it was committed is unknown).
 *
 * @module
 */

import postgres from "postgres";
import net from "node:net";
import { DatabaseUnavailableError } from "../../../../core/database.ts";
import { CommandError } from "../../../../core/errors.ts";

/** How long to wait for the server to accept a connection, in seconds. */
export const CONNECT_TIMEOUT = 10;

/** A postgres.js instance. */
export type Sql = postgres.Sql<Record<string, never>>;

/** Runs work on a postgres.js instance; given the statement's text when there is one. */
export type Use = <T>(work: (sql: Sql) => Promise<T>, text?: string) => Promise<T>;

/** One connection: a postgres.js instance, and whether the server has closed it. */
interface Link {
  readonly sql: Sql;
  /** The server closed it, or a statement failed for want of it: the next use opens another. */
  lost: boolean;
  /** The socket has closed (postgres.js then writes nothing more to it safely). */
  closed: boolean;
  /** How to stop listening on each channel, on this connection. */
  readonly unlisten: Map<string, () => Promise<void>>;
}

/**
 * Errors that mean the connection is gone: postgres.js's own, the socket's, and the server's
 * "terminating connection" (57P01 admin_shutdown, 57P02 crash_shutdown), "starting up" (57P03)
 * and the connection exception class (08).
 */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "57P01",
  "57P02",
  "57P03",
]);

/** int8 as PGlite gives it: a number when safe, else a bigint. */
function parseInt8(text: string): number | bigint {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : BigInt(text);
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08"));
}

/** The first line of an error's message. */
function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** `SET name …` on the session (not `SET LOCAL`), with the setting's name. */
const SESSION_SET =
  /^\s*SET\s+(?:SESSION\s+)?(?!LOCAL\b)([A-Za-z_][\w.]*)\s*(?:=|\s+TO\b)[^;]*;?\s*$/i;
const RESET = /^\s*RESET\s+([A-Za-z_][\w.]*)\s*;?\s*$/i;

/** How a session is opened and how its errors are shown. */
export interface SessionOptions {
  /** The URL to connect to (with its password). */
  url: string;
  /** The URL to show (password replaced by `****`). */
  shown: string;
  /** Removes secrets from an error. */
  scrub: (error: unknown) => Error;
}

/** A session that opens its connection again after losing it (see the module's doc). */
export class ServerSession {
  readonly #o: SessionOptions;
  #link?: Link;
  #opening?: Promise<Link>;
  #closing?: Promise<void>;
  /** Advisory locks this session holds: key → times taken. */
  readonly #locks = new Map<bigint, number>();
  /** Advisory locks lost with a connection, which uses wait to be let go of. */
  readonly #lostLocks = new Set<bigint>();
  /** `SET` statements, by setting, to make again on a new connection. */
  readonly #settings = new Map<string, string>();
  /** Listeners by channel. */
  readonly #channels = new Map<string, Set<(payload: string) => void>>();

  constructor(options: SessionOptions) {
    this.#o = options;
  }

  /** Opens the first connection; fails with a `CommandError` naming the server. */
  async open(): Promise<void> {
    await this.#current();
  }

  /**
   * Runs `work` on the connection, opening it again first if it was lost. `text`, the statement
   * run, is given to keep the session's `SET`s.
   */
  use<T>(work: (sql: Sql) => Promise<T>, text?: string): Promise<T> {
    return this.#useLink((link) => work(link.sql), text);
  }

  /**
   * Runs `fn` in a transaction (postgres.js's `begin`), which runs its statements through `use`;
   * a lost connection makes it fail saying what became of the transaction.
   */
  async transaction<R>(fn: (use: Use) => Promise<R>): Promise<R> {
    const link = await this.#current();
    let committing = false;
    // postgres.js writes a statement given to a connection already closed in a timer, where
    // it fails as an uncaught TypeError that ends the process. So once the socket has closed,
    // the transaction sends nothing: not the statements of `fn`, and not the COMMIT or ROLLBACK
    // that `begin` sends when `fn` settles (it is left pending: `begin` has failed already, as
    // the connection closed).
    const guarded = async <T>(run: () => Promise<T>): Promise<T> => {
      if (link.closed) throw this.#lostError(new Error("the connection was closed"));
      try {
        return await run();
      } catch (error) {
        throw this.#failure(link, error);
      }
    };
    try {
      let result: R | undefined;
      await link.sql.begin((tx) =>
        new Promise<void>((resolve, reject) => {
          fn((work) => guarded(() => work(tx as unknown as Sql))).then((value) => {
            if (link.closed) return;
            result = value;
            committing = true;
            resolve();
          }, (error) => {
            if (!link.closed) reject(error);
          });
        })
      );
      return result as R;
    } catch (error) {
      if (!link.lost && !isConnectionError(error)) throw this.#o.scrub(error);
      link.lost = true;
      const fate = committing
        ? "lost while the transaction was committing: whether it was committed is unknown"
        : "lost during a transaction, which was rolled back";
      throw new DatabaseUnavailableError(
        `The connection to ${this.#o.shown} was ${fate} (${reasonOf(this.#o.scrub(error))})`,
        { cause: error },
      );
    }
  }

  /** Takes a session-level advisory lock if it is free, remembering it (see the module's doc). */
  async tryAdvisoryLock(key: bigint): Promise<boolean> {
    const [row] = await this.use((sql) =>
      sql.unsafe("SELECT pg_try_advisory_lock($1::bigint) AS locked", [key.toString()])
    );
    if (row.locked) this.#locks.set(key, (this.#locks.get(key) ?? 0) + 1);
    return row.locked as boolean;
  }

  /** Lets go of an advisory lock; one lost with its connection is gone already. */
  async advisoryUnlock(key: bigint): Promise<void> {
    this.#retireLost();
    if (this.#lostLocks.delete(key)) return;
    await this.use((sql) => sql.unsafe("SELECT pg_advisory_unlock($1::bigint)", [key.toString()]));
    const held = (this.#locks.get(key) ?? 1) - 1;
    if (held > 0) this.#locks.set(key, held);
    else this.#locks.delete(key);
  }

  /** Calls `onMessage` for each notification on `channel`, on this and later connections. */
  async listen(
    channel: string,
    onMessage: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    let listeners = this.#channels.get(channel);
    const first = listeners === undefined;
    if (!listeners) this.#channels.set(channel, listeners = new Set());
    // A function of its own, so that the same one given twice is two listeners.
    const listener = (payload: string) => onMessage(payload);
    listeners.add(listener);
    const stop = async () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.#channels.get(channel) !== listeners) return;
      this.#channels.delete(channel);
      const link = this.#link;
      const unlisten = link?.unlisten.get(channel);
      link?.unlisten.delete(channel);
      if (unlisten && !link!.lost) await this.use(() => unlisten());
    };
    if (first) {
      try {
        await this.#useLink((link) => this.#listenOn(link, channel));
      } catch (error) {
        await stop().catch(() => {});
        throw error;
      }
    }
    return stop;
  }

  /** Closes the connection; later uses fail. */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      await this.#opening?.catch(() => {});
      const link = this.#link;
      if (!link) return;
      try {
        await link.sql.end({ timeout: link.lost ? 0 : 5 });
      } catch (error) {
        throw this.#o.scrub(error);
      }
    })();
  }

  async #useLink<T>(work: (link: Link) => Promise<T>, text?: string): Promise<T> {
    const link = await this.#current();
    try {
      const result = await work(link);
      if (text !== undefined) this.#remember(text);
      return result;
    } catch (error) {
      throw this.#failure(link, error);
    }
  }

  async #current(): Promise<Link> {
    if (this.#closing) {
      throw new CommandError(`The connection to ${this.#o.shown} is closed`);
    }
    this.#retireLost();
    const link = this.#link;
    if (link && this.#lostLocks.size === 0) return link;
    if (this.#lostLocks.size > 0) {
      throw new CommandError(
        `The connection to ${this.#o.shown} was lost, and with it the session's locks: ` +
          "run the command again",
      );
    }
    this.#opening ??= this.#connect().finally(() => this.#opening = undefined);
    return this.#link = await this.#opening;
  }

  /** Lets a lost connection go, and with it the advisory locks it held. */
  #retireLost(): void {
    const link = this.#link;
    if (!link?.lost) return;
    this.#link = undefined;
    // Gone already: nothing to wait for.
    link.sql.end({ timeout: 0 }).catch(() => {});
    for (const key of this.#locks.keys()) this.#lostLocks.add(key);
    this.#locks.clear();
  }

  /** A new connection, with the session's settings and listeners. */
  async #connect(): Promise<Link> {
    let link: Link | undefined;
    const sql: Sql = postgres(this.#o.url, {
      max: 1,
      onnotice: () => {},
      connect_timeout: CONNECT_TIMEOUT,
      // postgres.js would replace the connection after 30 to 60 minutes, losing the session.
      max_lifetime: null,
      // Once closed, this instance is done with: the next use opens another (see `#current`).
      onclose: () => {
        if (link) link.lost = link.closed = true;
      },
      connection: { application_name: "manage" },
      // Not in postgres.js's types, but in its options: a function that gives a connected socket.
      // None once the connection was lost: postgres.js would connect again by itself for the
      // statements it had queued, outside the session's bookkeeping.
      ...({
        socket: (options: SocketOptions) =>
          link?.lost ? Promise.reject(closedError(options)) : openSocket(options),
      } as Record<never, never>),
      types: {
        int8: {
          to: 20,
          from: [20],
          serialize: (value: unknown) => String(value),
          parse: parseInt8,
        },
      },
    }) as unknown as Sql;
    try {
      await sql.unsafe("SELECT 1");
      for (const statement of this.#settings.values()) await sql.unsafe(statement);
      link = { sql, lost: false, closed: false, unlisten: new Map() };
      for (const channel of this.#channels.keys()) await this.#listenOn(link, channel);
      return link;
    } catch (error) {
      await sql.end({ timeout: 0 }).catch(() => {});
      throw new DatabaseUnavailableError(
        `Cannot connect to ${this.#o.shown}: ${reasonOf(this.#o.scrub(error))}`,
        { cause: error },
      );
    }
  }

  async #listenOn(link: Link, channel: string): Promise<void> {
    // Listening already: this connection was opened with the channel among the session's.
    if (link.unlisten.has(channel)) return;
    const { unlisten } = await link.sql.listen(channel, (payload) => {
      for (const listener of this.#channels.get(channel) ?? []) listener(payload);
    });
    link.unlisten.set(channel, unlisten);
  }

  /** Keeps a session `SET` (or forgets a `RESET` one), to make it again on a new connection. */
  #remember(text: string): void {
    const set = SESSION_SET.exec(text);
    if (set) {
      this.#settings.set(set[1].toLowerCase(), text);
      return;
    }
    const reset = RESET.exec(text);
    if (reset?.[1].toLowerCase() === "all") this.#settings.clear();
    else if (reset) this.#settings.delete(reset[1].toLowerCase());
  }

  #failure(link: Link, error: unknown): Error {
    if (!isConnectionError(error)) return this.#o.scrub(error);
    link.lost = true;
    return this.#lostError(error);
  }

  #lostError(error: unknown): CommandError {
    return new DatabaseUnavailableError(
      `The connection to ${this.#o.shown} was lost (${reasonOf(this.#o.scrub(error))})`,
      { cause: error },
    );
  }
}

/** Where postgres.js connects. */
interface SocketOptions {
  host: string[];
  port: number[];
  path?: string | false;
}

/** The error postgres.js gives when its connection closed. */
function closedError(options: SocketOptions): Error {
  const where = options.path || `${options.host[0]}:${options.port[0]}`;
  return Object.assign(new Error(`write CONNECTION_CLOSED ${where}`), {
    code: "CONNECTION_CLOSED",
  });
}

/**
 * The connection's socket, opened here rather than by postgres.js to turn Nagle's algorithm
 * off (TCP_NODELAY, as libpq does). With it on, the small message that ends a COPY waits for
 * the server's delayed acknowledgement, 40 ms, and so does the next statement: a load sent in
 * batches crawled.
 *
 * It always has a listener for its errors. postgres.js removes every listener when the
 * connection closes, yet the socket may report an error after that (a write after the server's
 * FIN, a reset): with no listener, that error would be uncaught and end the process.
 */
async function openSocket(options: SocketOptions): Promise<net.Socket> {
  const socket = options.path
    ? net.connect({ path: options.path })
    : net.connect({ host: options.host[0], port: options.port[0] });
  const ignore = () => {};
  socket.on("error", ignore);
  const removeAll = socket.removeAllListeners.bind(socket);
  socket.removeAllListeners = (...args: Parameters<typeof removeAll>) => {
    removeAll(...args);
    if (args.length === 0 || args[0] === "error") socket.on("error", ignore);
    return socket;
  };
  socket.setNoDelay(true);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
      timer = setTimeout(() => {
        const where = options.path || `${options.host[0]}:${options.port[0]}`;
        reject(new Error(`write CONNECT_TIMEOUT ${where}`));
      }, CONNECT_TIMEOUT * 1000);
    });
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return socket;
}
