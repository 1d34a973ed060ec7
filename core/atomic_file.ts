/**
 * Files replaced whole or not at all. The data goes to a temporary file beside the target, which
 * is flushed to disk and renamed over the target only when everything was written: a command
 * that fails, is stopped or is killed halfway leaves the old file as it was. The new file keeps
 * the old one's mode (and owner, where the process may set it); a symbolic link is followed, so
 * the file it points at is replaced. What is not a regular file (a device such as `/dev/null`, a
 * named pipe) is written as it is, as nothing can be put in its place.
 *
 * The temporary file is `.<name>.tmp` (`.<name>.tmp-2`, `-3`… while other writers hold those),
 * locked while it is written. A process killed outright (SIGKILL, a power cut) cannot remove its
 * own; the next write of the same file takes it over (its lock went with the process).
 *
 * @module
 */

/** Options of {@linkcode AtomicFile.open} and {@linkcode writeFileAtomic}. */
export interface AtomicFileOptions {
  /**
   * Refuse to replace a file that exists (`Deno.errors.AlreadyExists`), as `createNew` of
   * `Deno.writeFile` does; checked again when the file is put in place, so that of two writers
   * one fails.
   */
  createNew?: boolean;
  /** The mode of a new file, before the umask (0o666 when left out); a replaced file keeps its own. */
  mode?: number;
}

function split(path: string): [dir: string, name: string] {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut < 0 ? [".", path] : [path.slice(0, cut) || path.slice(0, 1), path.slice(cut + 1)];
}

function join(dir: string, name: string): string {
  return /[\\/]$/.test(dir) ? dir + name : `${dir}/${name}`;
}

/** The file a path names: the target of a symbolic link (even one that does not exist yet). */
async function targetOf(path: string): Promise<string> {
  for (let hops = 0; hops < 40; hops++) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return path;
      throw error;
    }
    if (!info.isSymlink) return path;
    const link = await Deno.readLink(path);
    path = /^([\\/]|[A-Za-z]:)/.test(link) ? link : join(split(path)[0], link);
  }
  return path;
}

/** The target's mode and owner, when it exists. */
async function existing(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The temporary file of `target` in a slot: `.<name>.tmp`, then `.<name>.tmp-2`, … */
function tempPath(target: string, slot: number): string {
  const [dir, name] = split(target);
  return join(dir, `.${name}.tmp${slot === 1 ? "" : `-${slot}`}`);
}

/**
 * Whether `file` holds the lock of the file now at `path`, rather than of one another writer
 * renamed or removed between its opening and the lock (which it may no longer touch).
 */
async function stillAt(path: string, file: Deno.FsFile): Promise<boolean> {
  const [here, opened] = await Promise.all([existing(path), file.stat()]);
  return here !== undefined && here.ino === opened.ino;
}

/**
 * Removes the temporary file at `path` when its writer is gone (its lock is free). Whether the
 * name is free to take now: false while a live writer holds it (or it cannot be removed).
 */
async function removeIfStale(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    return error instanceof Deno.errors.NotFound;
  }
  try {
    if (!(await file.tryLock(true))) return false;
    if (await stillAt(path, file)) await Deno.remove(path);
    return true;
  } catch {
    return false;
  } finally {
    file.close();
  }
}

/**
 * Creates and locks the first temporary file of `target` that is free, removing those of
 * killed writers on the way: with the old file's mode and owner when there is one (set before
 * any data goes in, as the old file may be private), else with `mode`.
 */
async function createTemp(
  target: string,
  options: AtomicFileOptions,
  old: Deno.FileInfo | undefined,
): Promise<[path: string, file: Deno.FsFile]> {
  const mode = old ? 0o600 : options.mode ?? 0o666;
  for (let slot = 1;; slot++) {
    const path = tempPath(target, slot);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { write: true, createNew: true, mode });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        // A killed writer's: take the name; a live writer's: the next one.
        if (await removeIfStale(path)) slot--;
        continue;
      }
      // Say what the user named, not the temporary name.
      if (error instanceof Error) error.message = error.message.replaceAll(path, target);
      throw error;
    }
    try {
      await file.lock(true);
      if (!(await stillAt(path, file))) {
        // Removed as stale between its creation and the lock: create it again.
        file.close();
        slot--;
        continue;
      }
      if (old && Deno.build.os !== "windows") {
        await Deno.chmod(path, old.mode! & 0o7777);
        const opened = await file.stat();
        if (old.uid !== opened.uid || old.gid !== opened.gid) {
          // Only a privileged process may give a file away; others keep it as their own.
          await Deno.chown(path, old.uid, old.gid).catch(() => {});
        }
      }
      // Killed writers' files in the slots after this one.
      for (let next = slot + 1; await existing(tempPath(target, next)); next++) {
        await removeIfStale(tempPath(target, next));
      }
      return [path, file];
    } catch (error) {
      file.close();
      await Deno.remove(path).catch(() => {});
      throw error;
    }
  }
}

/** Bytes written between flushes to disk that start while writing goes on. */
const FLUSH_EVERY = 16 << 20;

/**
 * A file being written in place of another: write to it, then {@linkcode AtomicFile.commit} to
 * put it in place, or {@linkcode AtomicFile.abort} (or dispose of it) to leave the old file as
 * it was.
 *
 * @example Replace a file only with complete data
 * ```ts
 * import { AtomicFile } from "./atomic_file.ts";
 *
 * const path = await Deno.makeTempFile();
 * await using file = await AtomicFile.open(path);
 * await file.write(new TextEncoder().encode("all of it\n"));
 * await file.commit();
 * ```
 */
export class AtomicFile implements AsyncDisposable {
  /** The file that is replaced (the target of a symbolic link, when the path named one). */
  readonly path: string;
  /** The temporary file the data goes to until the commit. */
  readonly tempPath: string;
  readonly #file: Deno.FsFile;
  readonly #createNew: boolean;
  /** Written in place (not a regular file): no temporary file, no flush, no rename. */
  readonly #direct: boolean;
  #state: "open" | "committed" | "aborted" = "open";
  /** Bytes written since the last flush to disk began. */
  #unflushed = 0;
  /** The flush to disk under way while writing goes on, if any. */
  #flushing: Promise<void> | undefined;

  private constructor(
    path: string,
    tempPath: string,
    file: Deno.FsFile,
    options: { createNew?: boolean; direct?: boolean },
  ) {
    this.path = path;
    this.tempPath = tempPath;
    this.#file = file;
    this.#createNew = options.createNew ?? false;
    this.#direct = options.direct ?? false;
  }

  /**
   * Starts writing `path`: takes a temporary file beside it (and removes those of writers that
   * are gone). Throws `Deno.errors.AlreadyExists` with `createNew` when the file exists, and the
   * file system's errors (a missing folder, a permission) as they are.
   */
  static async open(path: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
    // Writing is what is asked: a run that may not write the file hears that first, rather than
    // that it may not look at the file it would replace.
    const { state } = await Deno.permissions.query({ name: "write", path });
    if (state !== "granted") {
      throw new Deno.errors.NotCapable(
        `Requires write access to "${path}", run again with the --allow-write flag`,
      );
    }
    const target = await targetOf(path);
    const old = await existing(target);
    if (old && options.createNew) throw new Deno.errors.AlreadyExists(`File exists: ${path}`);
    if (old?.isDirectory) throw new Deno.errors.IsADirectory(`Is a directory: ${path}`);
    if (old && !old.isFile) {
      // A device or a pipe: renaming a file over it would replace it, not write to it.
      return new AtomicFile(target, target, await Deno.open(target, { write: true }), {
        direct: true,
      });
    }
    const [tempPath, file] = await createTemp(target, options, old);
    return new AtomicFile(target, tempPath, file, options);
  }

  /** Writes all of `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    this.#check();
    for (let rest = bytes; rest.length > 0;) rest = rest.subarray(await this.#file.write(rest));
    this.#flushNow(bytes.length);
  }

  /** Writes all of `bytes`, blocking (for callers that cannot wait, such as a stream's sink). */
  writeSync(bytes: Uint8Array): void {
    this.#check();
    for (let rest = bytes; rest.length > 0;) rest = rest.subarray(this.#file.writeSync(rest));
    this.#flushNow(bytes.length);
  }

  /**
   * Starts flushing to disk every 16 MB, while the writing goes on, so that the flush before
   * the commit has little left to do (on a large file it would add a tenth to the time).
   */
  #flushNow(written: number): void {
    this.#unflushed += written;
    if (this.#unflushed < FLUSH_EVERY || this.#flushing || this.#direct) return;
    this.#unflushed = 0;
    const flushing = this.#file.syncData().finally(() => this.#flushing = undefined);
    // An error it meets comes again from the flush before the commit.
    flushing.catch(() => {});
    this.#flushing = flushing;
  }

  #check(): void {
    if (this.#state !== "open") throw new Error(`${this.path} was already ${this.#state}`);
  }

  /**
   * Flushes the data to disk and puts the file in place of the old one; on failure the old file
   * stays and the temporary one is removed. With a `signal` that is aborted by then (the process
   * is being stopped), the old file stays too, and the signal's reason is thrown.
   */
  async commit(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#check();
    if (this.#direct) {
      this.#state = "committed";
      this.#close();
      return;
    }
    try {
      await this.#flushing?.catch(() => {});
      await this.#file.sync();
      // Checked after the flush, which lets the event loop deliver a signal that came while
      // the data was written synchronously.
      options.signal?.throwIfAborted();
      // Locked until the file is in place, so that no other writer takes the name over as a
      // killed writer's meanwhile. (Windows renames no open file.)
      if (Deno.build.os === "windows") this.#close();
      this.#state = "committed";
      if (this.#createNew) {
        // A link fails when the name was taken meanwhile; a rename would replace it.
        await Deno.link(this.tempPath, this.path);
        await Deno.remove(this.tempPath).catch(() => {});
      } else {
        await Deno.rename(this.tempPath, this.path);
      }
      this.#close();
    } catch (error) {
      this.#state = "aborted";
      await this.#discard();
      throw error;
    }
    await syncFolder(split(this.path)[0]);
  }

  /** Removes the temporary file, leaving the old one as it was (nothing after a commit). */
  async abort(): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "aborted";
    await this.#discard();
  }

  async #discard(): Promise<void> {
    if (this.#direct) return this.#close();
    await this.#flushing?.catch(() => {});
    // Removed while locked, so that no other writer has taken it over meanwhile.
    await Deno.remove(this.tempPath).catch(() => {});
    this.#close();
  }

  #close(): void {
    try {
      this.#file.close();
    } catch {
      // Closed already.
    }
  }

  /** {@linkcode AtomicFile.abort}s unless committed. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.abort();
  }
}

/** Makes a rename durable: the folder's entry is on disk too. Not possible everywhere. */
async function syncFolder(dir: string): Promise<void> {
  let folder: Deno.FsFile | undefined;
  try {
    folder = await Deno.open(dir, { read: true });
    await folder.sync();
  } catch {
    // Windows opens no folder as a file; the rename is still atomic.
  } finally {
    folder?.close();
  }
}

/**
 * Writes `data` to `path` whole or not at all: see {@linkcode AtomicFile}.
 *
 * @example Save a report over the previous one
 * ```ts
 * import { writeFileAtomic } from "./atomic_file.ts";
 *
 * const path = await Deno.makeTempFile();
 * await writeFileAtomic(path, "total: 42\n");
 * console.assert(await Deno.readTextFile(path) === "total: 42\n");
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicFileOptions = {},
): Promise<void> {
  await using file = await AtomicFile.open(path, options);
  await file.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
  await file.commit();
}
