/**
 * The embedded driver: PGlite (PostgreSQL compiled to WebAssembly, running in this process).
 *
 * A directory is opened by one process at a time (see `_directory_lock.ts`), and that process,
 * the holder, serves it to the user's other processes on a Unix socket beside it
 * (`<dir>.run/socket`, see `_server.ts`): a process that finds the directory locked uses the
 * database through the holder (`_client.ts`), with the same driver name, URL, types and errors.
 * The one PostgreSQL session PGlite has is shared as if each process had its own
 * (`_shared_session.ts`): transactions take turns, advisory locks are kept per process,
 * notifications reach every listener. A holder that stops first serves the others until each
 * can move to the next holder, and they follow the database there (`_follow.ts`).
 *
 * Its files are its user's alone (`_files.ts`).
 *
 * @module
 */

import type { PGlite } from "@electric-sql/pglite";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { Database, OpenOptions } from "../../../../core/database.ts";
import { CommandError } from "../../../../core/errors.ts";
import { projectFolder } from "../../../../core/project.ts";
import {
  describeHolder,
  type FileLock,
  LockedError,
  type LockHolder,
  processHolder,
  tryLockFile,
} from "./_directory_lock.ts";
import {
  checkDataFolder,
  firstUnwritable,
  privateFolder,
  PrivateNodeFS,
  refusal,
} from "./_files.ts";
import { following } from "./_follow.ts";
import {
  createFromTemplate,
  removeLeftovers,
  templateTarball,
  tightenTemplates,
} from "./_template.ts";
import { connectShared, isRemote, NotReachedError } from "./_client.ts";
import { listenOn, type SessionServer, socketAddress } from "./_server.ts";
import { backgroundCommand, type StartOutcome, startServer } from "./_background.ts";
import { sessionDatabase, SharedSession } from "./_shared_session.ts";

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

/** The socket on which the holder of the database in `dir` serves it, in a folder of its own. */
export function socketPath(dir: string): string {
  return join(`${dir}.run`, "socket");
}

/** An embedded database in a directory, and the options it is opened with. */
export interface Place {
  /** Its absolute path. */
  readonly dir: string;
  /** As given, for messages, and its URL. */
  readonly shown: { readonly dir: string; readonly url: string };
  /** The project folder: where `.manage/` and the template cache are. */
  readonly project: string;
  readonly options: OpenOptions;
}

/**
 * Opens an embedded database: an in-memory one, or the directory `target.dir`, which is made
 * (and `options.notice` told) when it does not exist yet. When another process holds the
 * directory, the database is used through that process, and then through the next one.
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
  const place: Place = {
    dir: resolve(target.inProject ? project : options.cwd, target.dir),
    shown: { dir: target.dir, url: target.url },
    project,
    options,
  };
  await prepareFolder(place);
  // The server left in the background is tried first, and started when none serves.
  const background = backgroundServer(place);
  const first = await acquire(place, background);
  return isRemote(first) ? following(first, () => acquire(place, background), place.shown) : first;
}

/**
 * How this process starts the background server of `place` when no process holds it, or
 * undefined when it opens the database itself (see `_background.ts`).
 */
function backgroundServer(place: Place): (() => Promise<StartOutcome>) | undefined {
  const how = backgroundCommand(place.options.env, place.options.backgroundServer);
  if (how === undefined) return undefined;
  return () =>
    startServer(
      how,
      {
        dir: place.dir,
        shown: place.shown.dir,
        url: place.shown.url,
        project: place.project,
        cwd: place.options.cwd,
      },
      place.options.notice,
      place.options.processCwd,
    );
}

/**
 * Makes the folder the directory goes in, and refuses a path that is not a directory. The
 * project's `.manage` folder, when the database is in it, is made (or tightened) owner-only,
 * with the template cache in it.
 */
export async function prepareFolder(place: Place): Promise<void> {
  const parent = dirname(place.dir);
  const manage = join(place.project, ".manage");
  try {
    const file = await fileInTheWay(place.dir);
    if (file !== undefined) {
      throw new CommandError(
        `The database URL ${place.shown.url} names ${shownPath(place, file)}, which is a ` +
          "file, not a folder: give pglite: a folder (new, empty, or an embedded database)",
      );
    }
    if (parent === manage || parent.startsWith(`${manage}/`)) {
      await privateFolder(manage);
      await tightenTemplates(place.project);
    }
    await Deno.mkdir(parent, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw refusal(error, "write to", shownPath(place, parent));
  }
}

/** The file (not a folder) at `path` or at one of the folders above it, if there is one. */
async function fileInTheWay(path: string): Promise<string | undefined> {
  for (let at = path;; at = dirname(at)) {
    const info = await Deno.stat(at).catch(() => undefined);
    if (info) return info.isDirectory ? undefined : at;
    if (dirname(at) === at) return undefined;
  }
}

/** `path` as the user named the database: relative to the working directory when it was. */
function shownPath(place: Place, path: string): string {
  return isAbsolute(place.shown.dir) ? path : relative(place.options.cwd, path) || ".";
}

/**
 * The database in this process (when it takes the lock) or through the process that holds it.
 * Waits while that process starts, or stops (then the next holder, maybe this process, serves).
 * With `background`, a process that finds no holder starts the background server, once, and
 * uses the database through it.
 */
async function acquire(
  place: Place,
  background?: () => Promise<StartOutcome>,
): Promise<Database> {
  const socket = socketPath(place.dir);
  const self = processHolder(place.options);
  let deadline = Date.now() + REACH_TIMEOUT;
  let started = background === undefined;
  for (;;) {
    let lock: FileLock;
    try {
      lock = await tryLockFile(
        `${place.dir}.lock`,
        socketAddress(socket, place.options.processCwd) === undefined ? self : { ...self, socket },
      );
    } catch (error) {
      if (!(error instanceof LockedError)) {
        throw refusal(error, "write to", shownPath(place, dirname(place.dir)));
      }
      const db = await reachHolder(error.holder, place, deadline, self);
      if (db === "waited") deadline = Date.now() + REACH_TIMEOUT;
      else if (db) return db;
      else await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (!started) {
      // Free: the background server takes it (or another process did first; either serves).
      started = true;
      await lock.release();
      const outcome = await background!();
      if (outcome !== "unavailable") {
        deadline = Date.now() + REACH_TIMEOUT;
        continue;
      }
      try {
        lock = await tryLockFile(`${place.dir}.lock`, { ...self, socket });
      } catch (error) {
        if (error instanceof LockedError) continue;
        throw refusal(error, "write to", shownPath(place, dirname(place.dir)));
      }
    }
    return await openHere(lock, place, socket);
  }
}

/**
 * Connects to the process that holds the database; undefined when it does not answer yet (it
 * is starting, or has just stopped: the caller looks at the lock again), "waited" when it made
 * this process wait while it stopped. Throws when it never will: it serves no one, or
 * `deadline` has passed. The holder is told who `self` is, for its messages.
 */
async function reachHolder(
  holder: LockHolder | undefined,
  place: Place,
  deadline: number,
  self: LockHolder,
): Promise<Awaited<ReturnType<typeof connectShared>> | "waited" | undefined> {
  const target = place.shown;
  const address = holder?.socket === undefined
    ? undefined
    : socketAddress(holder.socket, place.options.processCwd);
  const inUse = (why: string) => {
    const who = holder ? describeHolder(holder) : "another process";
    return new CommandError(
      `The embedded database ${target.dir} is in use by ${who}${why}; stop that process, or ` +
        "set DATABASE_URL to a PostgreSQL server to share one database between processes",
    );
  };
  if (address !== undefined) {
    try {
      return await connectShared({
        address,
        ...target,
        helloTimeout: READY_TIMEOUT,
        client: self,
      });
    } catch (error) {
      if (error instanceof CommandError) throw error;
      if (!(error instanceof NotReachedError)) {
        // Such as no permission for sockets (no --allow-net).
        const reason = error instanceof Error ? error.message : String(error);
        throw inUse(`, which cannot be reached on ${holder!.socket} (${reason})`);
      }
      if (error.waited) return "waited";
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

/**
 * Opens the database in this process, which holds `lock`, and serves it on `socket`;
 * `onServer` is given the server (the background server watches its connections).
 */
export async function openHere(
  lock: FileLock,
  place: Place,
  socket: string,
  onServer?: (server: SessionServer) => void,
): Promise<Database> {
  const { dir, shown: target, project, options } = place;
  let server: SessionServer | undefined;
  const stopServing = async () => {
    await server?.stop();
    await lock.release();
    // Those that came while it stopped go to the next holder, now that the lock is free.
    server?.dismiss();
  };
  try {
    if (socketAddress(socket, options.processCwd) !== undefined) {
      try {
        server = await listenOn(socket, processHolder(options).pid, options.processCwd);
        onServer?.(server);
      } catch {
        // No socket here (a file system without them): the database serves this process alone.
        await lock.update(processHolder(options));
      }
    }
    // Left by a holder that was killed: this process holds the lock, so none is in use.
    await removeLeftovers(dirname(dir), `${basename(dir)}.creating-`);
    await removeStaleSocket(`${dir}.sock`);
    const state = await directoryState(dir, target.dir);
    if (state === "other") {
      throw new CommandError(
        `${target.dir} holds files but no PGlite database: give pglite: a new or empty directory`,
      );
    }
    if (state !== "database") {
      await createFromTemplate(dir, project);
      options.notice(`Created the embedded database in ${target.dir}`);
    }
    await checkDataFolder(dir, target.dir);
    const pg = await startPglite(dir, target.dir);
    const session = new SharedSession(pg);
    const serving = server;
    serving?.serve(session);
    return sessionDatabase(session, target.url, {
      drain: serving && (() =>
        serving.drain((waiting) =>
          options.notice(
            "Waiting before stopping for the processes that use the embedded database " +
              `${target.dir} through this one: ${waiting.join("; ")}`,
          )
        )),
      release: stopServing,
    });
  } catch (error) {
    await stopServing();
    throw error;
  }
}

/** Starts PGlite on `dir`; a failure names its cause when the files tell it. */
async function startPglite(dir: string, shown: string): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  try {
    return await PGlite.create({ fs: new PrivateNodeFS(dir) });
  } catch (error) {
    const unwritable = await firstUnwritable([dir]).catch(() => undefined);
    if (unwritable !== undefined) {
      throw new CommandError(
        `Cannot open the embedded database ${shown}: this user (uid ${Deno.uid()}) cannot write ` +
          `${unwritable}, and PostgreSQL writes to its data directory even to read; make it ` +
          `writable (chmod -R u+rwX ${shown}), or run manage as its owner`,
        { cause: error },
      );
    }
    throw new CommandError(
      `Cannot open the embedded database ${shown}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}

/** Removes a socket an earlier version of manage left beside the directory. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if ((await Deno.lstat(path)).isSocket) await Deno.remove(path);
  } catch {
    // Not there, or not ours to remove: it is in no one's way.
  }
}

async function directoryState(
  dir: string,
  shown: string,
): Promise<"absent" | "empty" | "database" | "other"> {
  try {
    await Deno.stat(`${dir}/PG_VERSION`);
    return "database";
  } catch (error) {
    // Not a database (yet): find out whether the directory is there and empty.
    if (error instanceof Deno.errors.PermissionDenied) throw refusal(error, "read", shown);
  }
  try {
    for await (const _ of Deno.readDir(dir)) return "other";
    return "empty";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "absent";
    throw refusal(error, "read", shown);
  }
}
