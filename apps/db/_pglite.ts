/**
 * The embedded driver: PGlite (PostgreSQL compiled to WebAssembly, running in this process).
 *
 * A directory is opened by one process at a time (see `_lock.ts`), and that process serves it to
 * the user's other processes on a Unix socket beside it (`<dir>.sock`, see `_pglite_server.ts`):
 * a second process that finds the directory locked uses the database through the first
 * (`_pglite_client.ts`), with the same driver name, URL, types and errors. The one PostgreSQL
 * session PGlite has is shared as if each process had its own (`_pglite_session.ts`):
 * transactions take turns, advisory locks are kept per process, notifications reach every
 * listener. When the first process closes the database, the others' next query fails, saying so.
 *
 * @module
 */

import type { PGlite } from "@electric-sql/pglite";
import { dirname, resolve } from "node:path";
import type { Database, OpenOptions } from "../../core/database.ts";
import { CommandError } from "../../core/errors.ts";
import { projectFolder } from "../../core/project.ts";
import {
  describeProcess,
  type FileLock,
  LockedError,
  type LockHolder,
  tryLockFile,
} from "./_lock.ts";
import { createFromTemplate, templateTarball } from "./_pglite_template.ts";
import { connectShared, NotReachedError } from "./_pglite_client.ts";
import { listenOn, type SessionServer, socketAddress } from "./_pglite_server.ts";
import { sessionDatabase, SharedSession } from "./_pglite_session.ts";

/** Which embedded database to open. */
export interface PgliteTarget {
  /** The data directory as given (relative to the working directory), or undefined for memory. */
  readonly dir: string | undefined;
  /** `dir` is relative to the project folder instead: the default database, `.manage/db`. */
  readonly inProject?: boolean;
  /** The URL to show (`pglite:.manage/db`, `pglite:memory`). */
  readonly url: string;
}

/** How long to keep trying to reach a process that holds the database but does not answer yet. */
const REACH_TIMEOUT = 10_000;
/** How long to wait for that process to finish opening the database (making it takes seconds). */
const READY_TIMEOUT = 60_000;

/**
 * Opens an embedded database: an in-memory one, or the directory `target.dir`, which is made
 * (and `options.notice` told) when it does not exist yet. When another process holds the
 * directory, the database is used through that process.
 */
export async function openPglite(target: PgliteTarget, options: OpenOptions): Promise<Database> {
  // The template cache, and the default database, belong to the project; a folder the user
  // names is read from where they typed it.
  const project = await projectFolder(options.cwd);
  if (target.dir === undefined) {
    const { PGlite } = await import("@electric-sql/pglite");
    const pg = await PGlite.create({ loadDataDir: await templateTarball(project) });
    const session = new SharedSession(pg);
    return sessionDatabase(session, target.url);
  }
  const shown = { dir: target.dir, url: target.url };
  const dir = resolve(target.inProject ? project : options.cwd, target.dir);
  await Deno.mkdir(dirname(dir), { recursive: true });
  const socket = `${dir}.sock`;
  const self: LockHolder = { pid: Deno.pid, command: describeProcess() };
  const deadline = Date.now() + REACH_TIMEOUT;
  for (;;) {
    let lock: FileLock;
    try {
      lock = await tryLockFile(
        `${dir}.lock`,
        socketAddress(socket) === undefined ? self : { ...self, socket },
      );
    } catch (error) {
      if (!(error instanceof LockedError)) throw error;
      const db = await reachHolder(error.holder, shown, deadline);
      if (db) return db;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    return await openHere(lock, dir, socket, shown, project, options);
  }
}

/**
 * Connects to the process that holds the database; undefined when it does not answer yet (it
 * is starting, or has just stopped: the caller looks at the lock again). Throws when it never
 * will: it serves no one, or `deadline` has passed.
 */
async function reachHolder(
  holder: LockHolder | undefined,
  target: { dir: string; url: string },
  deadline: number,
): Promise<Database | undefined> {
  const address = holder?.socket === undefined ? undefined : socketAddress(holder.socket);
  const inUse = (why: string) => {
    const who = holder ? `process ${holder.pid} (${holder.command})` : "another process";
    return new CommandError(
      `The embedded database ${target.dir} is in use by ${who}${why}; stop that process, or ` +
        "set DATABASE_URL to a PostgreSQL server to share one database between processes",
    );
  };
  if (address !== undefined) {
    try {
      return await connectShared({ address, ...target, helloTimeout: READY_TIMEOUT });
    } catch (error) {
      if (error instanceof CommandError) throw error;
      if (!(error instanceof NotReachedError)) {
        // Such as no permission for sockets (no --allow-net).
        const reason = error instanceof Error ? error.message : String(error);
        throw inUse(`, which cannot be reached on ${holder!.socket} (${reason})`);
      }
    }
  }
  // A holder serving no one fails at once; one that has not written its name yet, or does not
  // listen yet, is given until the deadline.
  if (holder && address === undefined) throw inUse("");
  if (Date.now() >= deadline) {
    throw inUse(address === undefined ? "" : `, which does not answer on ${holder!.socket}`);
  }
  return undefined;
}

/** Opens the database in this process, which holds `lock`, and serves it on `socket`. */
async function openHere(
  lock: FileLock,
  dir: string,
  socket: string,
  target: { dir: string; url: string },
  project: string,
  options: OpenOptions,
): Promise<Database> {
  let server: SessionServer | undefined;
  try {
    if (socketAddress(socket) !== undefined) {
      try {
        server = await listenOn(socket, Deno.pid);
      } catch {
        // No socket here (a file system without them): the database serves this process alone.
        await lock.update({ pid: Deno.pid, command: describeProcess() });
      }
    }
    const state = await directoryState(dir);
    if (state === "other") {
      throw new CommandError(
        `${target.dir} holds files but no PGlite database: give pglite: a new or empty directory`,
      );
    }
    if (state !== "database") {
      await createFromTemplate(dir, project);
      options.notice(`Created the embedded database in ${target.dir}`);
    }
    let pg: PGlite;
    try {
      const { PGlite } = await import("@electric-sql/pglite");
      pg = await PGlite.create(dir);
    } catch (error) {
      throw new CommandError(
        `Cannot open the embedded database ${target.dir}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    const session = new SharedSession(pg);
    const serving = server;
    serving?.serve(session);
    return sessionDatabase(session, target.url, {
      stopServing: serving && (() => serving.close()),
      release: () => lock.release(),
    });
  } catch (error) {
    await server?.close();
    await lock.release();
    throw error;
  }
}

async function directoryState(dir: string): Promise<"absent" | "empty" | "database" | "other"> {
  try {
    await Deno.stat(`${dir}/PG_VERSION`);
    return "database";
  } catch {
    // Not a database (yet): find out whether the directory is there and empty.
  }
  try {
    for await (const _ of Deno.readDir(dir)) return "other";
    return "empty";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "absent";
    throw error;
  }
}
