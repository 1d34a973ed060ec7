/**
 * An exclusive lock on a file beside an embedded database's directory (`<dir>.lock`). PGlite
 * takes no lock of its own: two processes on one directory each keep their own copy of the
 * database in memory and whichever closes last overwrites the other's committed writes.
 *
 * The lock is the operating system's (`flock` on Unix, `LockFileEx` on Windows), so it goes
 * away with the process that held it, however that process ended. The file itself stays: it
 * names the holder (process id, command, and the socket on which it serves the database) so
 * that others can reach it, or say who has the database.
 *
 * @module
 */

/** Who holds a lock, as written in its file. */
export interface LockHolder {
  /** The process id; 0 when the process did not say (opened from code not given `pid`). */
  readonly pid: number;
  /** What that process runs (`manage worker`). */
  readonly command: string;
  /** The Unix socket on which it serves the database to other processes, if it does. */
  readonly socket?: string;
  /** When it is the background server: how long it stays idle before it stops, in seconds. */
  readonly idle?: number;
}

/** A lock this process holds. */
export interface FileLock {
  /** Writes a new description of the holder into the file. */
  update(holder: LockHolder): Promise<void>;
  /** Releases the lock (once; later calls do nothing). */
  release(): Promise<void>;
}

/** The lock is held by another open file: another process, or another open in this one. */
export class LockedError extends Error {
  /** The holder, when its file names one. */
  readonly holder: LockHolder | undefined;

  /** Creates the error for `path` and its holder. */
  constructor(path: string, holder: LockHolder | undefined) {
    super(`${path} is locked${holder ? ` by ${describeHolder(holder)}` : ""}`);
    this.name = "LockedError";
    this.holder = holder;
  }
}

/**
 * Takes the exclusive lock on the file at `path` (created if missing) without waiting, and
 * writes `holder` into it. Throws {@linkcode LockedError} when someone else holds it.
 */
export async function tryLockFile(path: string, holder: LockHolder): Promise<FileLock> {
  const file = await openPrivate(path);
  let locked = false;
  try {
    locked = await file.tryLock(true);
    if (!locked) throw new LockedError(path, parseHolder(await readAll(file)));
    await describe(file, holder);
  } catch (error) {
    if (locked) await file.unlock().catch(() => {});
    file.close();
    throw error;
  }
  let released = false;
  return {
    update: (holder) => describe(file, holder),
    async release() {
      if (released) return;
      released = true;
      try {
        // The file stays (deleting it would let a third process lock a new file while a second
        // still waits on the old one); emptying it says nobody holds it.
        await file.truncate(0);
        await file.unlock();
      } finally {
        file.close();
      }
    },
  };
}

/**
 * Runs `fn` holding the exclusive lock on the file at `path` (created if missing), waiting for
 * it as long as another process holds it.
 */
export async function withFileLock<R>(path: string, fn: () => Promise<R>): Promise<R> {
  const file = await openPrivate(path);
  try {
    await file.lock(true);
    try {
      return await fn();
    } finally {
      await file.unlock();
    }
  } finally {
    file.close();
  }
}

/**
 * Who holds the lock on the file at `path`: its holder (as its file names it, or undefined when
 * it has not written it yet), or "free" when no process holds it (or the file is missing).
 */
export async function lockHolder(path: string): Promise<LockHolder | undefined | "free"> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "free";
    throw error;
  }
  try {
    if (await file.tryLock(true)) {
      await file.unlock();
      return "free";
    }
    return parseHolder(await readAll(file));
  } finally {
    file.close();
  }
}

/** Opens (or creates) a lock file readable and writable by its owner alone. */
async function openPrivate(path: string): Promise<Deno.FsFile> {
  const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  try {
    // One made before lock files were owner-only is tightened.
    const mode = (await file.stat()).mode;
    if (mode !== null && (mode & 0o077) !== 0) await Deno.chmod(path, mode & 0o700);
  } catch (error) {
    file.close();
    throw error;
  }
  return file;
}

/** A holder as messages name it: `process 4242 (manage worker)`, or without an id it did not give. */
export function describeHolder(holder: { pid: number; command: string }): string {
  return holder.pid > 0
    ? `process ${holder.pid} (${holder.command})`
    : `a process (${holder.command})`;
}

/**
 * What a process that opens a database is, for the lock file: its id and `command`, of which
 * only the first two words are kept (later ones may hold secrets, URLs with passwords).
 */
export function processHolder(options: { pid?: number; command?: string }): LockHolder {
  const words = (options.command ?? "manage").split(/\s+/).filter((word) => word !== "");
  const kept = words.slice(0, 2).filter((word) => /^[\w.:-]+$/.test(word));
  return { pid: options.pid ?? 0, command: kept.length > 0 ? kept.join(" ") : "manage" };
}

async function describe(file: Deno.FsFile, holder: LockHolder): Promise<void> {
  await file.truncate(0);
  await file.seek(0, Deno.SeekMode.Start);
  await writeAll(file, new TextEncoder().encode(JSON.stringify(holder) + "\n"));
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text);
    if (typeof value?.pid === "number" && typeof value?.command === "string") {
      const { pid, command, socket, idle } = value;
      return {
        pid,
        command,
        ...(typeof socket === "string" ? { socket } : {}),
        ...(typeof idle === "number" ? { idle } : {}),
      };
    }
  } catch {
    // An empty or half-written file: the holder has not said who it is yet.
  }
  return undefined;
}

async function readAll(file: Deno.FsFile): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  for (let total = 0; total < 65536;) {
    const n = await file.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
    total += n;
  }
  const bytes = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
}
