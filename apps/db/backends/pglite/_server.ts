// The process that holds an embedded database serves it to the user's other processes on a Unix
// socket in a folder only its user may enter (`<dir>.run/socket`), in the protocol of
// `_wire.ts`. Each connection (`_connection.ts`) is an owner on the shared session
// (`_shared_session.ts`); when it goes, however it goes, its transaction is rolled back, its
// advisory locks released and its listeners stopped.
//
// A holder never drops what it accepted. When it stops, it drains: every request it has read is
// done and answered, and each connection, once it holds nothing (no transaction, SQL block,
// advisory lock, request or upload under way), is told to move: the client sends what it sent
// after that to the next holder (itself, or another client that took the lock). Connections
// with listeners move last, so that notifications between the others still reach them.
// Connections made while it drains wait, and go to the next holder once this one is gone.

import { dirname } from "node:path";
import { Connection, type ServerState } from "./_connection.ts";
import { privateFolder } from "./_files.ts";
import { FrameSocket } from "./_wire.ts";
import type { SharedSession } from "./_shared_session.ts";

/** A listening server. */
export interface SessionServer {
  /** Starts answering: requests wait until the session is open. */
  serve(session: SharedSession): void;
  /**
   * Finishes and answers every request received, then moves each connection to the next holder
   * as soon as it holds nothing; resolves when none is left. Connections made meanwhile wait.
   * When that takes long, `onSlow` is told once who it waits for (`process 123 (manage dbshell),
   * in a transaction begun in SQL`).
   */
  drain(onSlow?: (waiting: string[]) => void): Promise<void>;
  /** Stops listening and removes the socket; connections still served are closed. */
  stop(): Promise<void>;
  /** Closes the connections that waited while it drained: they go to the next holder. */
  dismiss(): void;
  /** How many processes are connected (the background server stops when none has been). */
  clients(): number;
}

/** How long a stopping holder serves on the processes connected to it before it moves them. */
const LINGER = 500;

/** How long a drain goes before it says whom it waits for. */
const SLOW_DRAIN = 2000;

/** The longest socket path the operating systems take (macOS: 104 bytes with the NUL). */
const MAX_SOCKET_PATH = 103;

/**
 * The path to bind or connect to for the socket at `path`: itself, or relative to `processCwd`,
 * the process's working directory, when the full path is too long for a socket address;
 * undefined when both are (or the process's directory is not known).
 */
export function socketAddress(path: string, processCwd?: string): string | undefined {
  if (new TextEncoder().encode(path).length <= MAX_SOCKET_PATH) return path;
  if (processCwd === undefined) return undefined;
  const cwd = processCwd.replace(/[\\/]+$/, "");
  if (!path.startsWith(`${cwd}/`)) return undefined;
  const relative = path.slice(cwd.length + 1);
  return new TextEncoder().encode(relative).length <= MAX_SOCKET_PATH ? relative : undefined;
}

/** What every connection of a server shares. */
/**
 * Listens on `path`, in a folder only this user may enter (made, or tightened, first; the socket
 * is never changed after it is bound), replacing what a holder that died left there (the caller
 * holds the lock, so nothing else can be listening on it). Throws when the socket cannot be made.
 */
export async function listenOn(
  path: string,
  pid: number,
  processCwd?: string,
): Promise<SessionServer> {
  const address = socketAddress(path, processCwd);
  if (address === undefined) throw new Error(`The socket path ${path} is too long`);
  await privateFolder(dirname(address));
  await Deno.remove(address).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  const listener = Deno.listen({ transport: "unix", path: address });
  // Accepting keeps no process alive: the holder lives as long as its own work.
  listener.unref();
  const ready = Promise.withResolvers<SharedSession>();
  // Never rejected unhandled: a holder that fails to open closes the server instead.
  ready.promise.catch(() => {});
  const dismissed = Promise.withResolvers<void>();
  const connections = new Set<Connection>();
  let nextOwner = 1;
  let draining = false;
  let stopped = false;
  const state: ServerState = {
    pid,
    ready: ready.promise,
    draining: () => draining,
    dismissed: dismissed.promise,
  };
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.UnixConn;
      try {
        conn = await listener.accept();
      } catch {
        return; // closed
      }
      if (stopped) {
        conn.close();
        return;
      }
      const connection = new Connection(new FrameSocket(conn), nextOwner++, state);
      connections.add(connection);
      connection.done.finally(() => connections.delete(connection));
    }
  })();
  /**
   * Serves the connected processes on for a while: most are short commands, done by then, and
   * each one moved opens the database anew (half a second), one at a time.
   */
  const linger = async () => {
    const until = Date.now() + LINGER;
    for (;;) {
      const served = [...connections].filter((connection) => !connection.waiting);
      const left = until - Date.now();
      if (served.length === 0 || left <= 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        ...served.map((connection) => connection.done),
        new Promise((resolve) => timer = setTimeout(resolve, left)),
      ]);
      clearTimeout(timer);
    }
  };
  const moveAll = async (which: (connection: Connection) => boolean) => {
    const moving = [...connections].filter((connection) =>
      !connection.waiting && which(connection)
    );
    for (const connection of moving) connection.move();
    await Promise.all(moving.map((connection) => connection.done));
  };
  return {
    serve: (session) => ready.resolve(session),
    async drain(onSlow) {
      const slow = setTimeout(() => {
        const waiting = [...connections].map((connection) => connection.describe())
          .filter((text) => text !== undefined);
        if (waiting.length > 0) onSlow?.(waiting);
      }, SLOW_DRAIN);
      try {
        await linger();
        draining = true;
        await moveAll((connection) => !connection.listening);
        await moveAll(() => true);
      } finally {
        clearTimeout(slow);
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Kept alive until the pending accept ends, or the process could end with it unsettled.
      listener.ref();
      listener.close();
      await accepting;
      ready.reject(new Error("The database was not opened"));
      const open = [...connections].filter((connection) => !connection.waiting);
      for (const connection of open) connection.socket.close();
      await Promise.all(open.map((connection) => connection.done));
      await Deno.remove(address).catch(() => {});
    },
    dismiss: () => dismissed.resolve(),
    clients: () => connections.size,
  };
}
