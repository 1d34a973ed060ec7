// The embedded database's files are its user's alone, as a PostgreSQL server's are: folders
// 0700 and files 0600 whatever the umask, and a data directory that group or others may enter
// is refused, with the fix. Messages name what the operating system refused and how to fix it.
//
// PGlite writes through Emscripten's NODEFS, which creates files with the modes the WebAssembly
// side asks for (0666, or chmod 0644 after the C library's umask), through Deno's
// `fs.writeFileSync`, which applies a given mode exactly: `PrivateNodeFS` masks every mode it
// passes to owner-only. initdb runs in a module of its own, so a new template is tightened
// after it is made.

import type { PGlite } from "@electric-sql/pglite";
import { NodeFS } from "@electric-sql/pglite/nodefs";
import { join } from "node:path";
import { CommandError } from "../../../../core/errors.ts";

const FILE_TYPE = 0o170000;
const DIRECTORY = 0o040000;
/** Modes are Unix's: Windows has none to check. */
const HAS_MODES = Deno.build.os !== "windows";

/** `mode` with its permissions cut to the owner's: rwx for folders, rw for files. */
export function ownerOnly(mode: number): number {
  const type = mode & FILE_TYPE;
  return type | (mode & (type === DIRECTORY ? 0o700 : 0o600));
}

type EmscriptenOptions = Parameters<NodeFS["init"]>[1];

interface NodeFsOps {
  realPath(node: unknown): string;
  node_ops: Record<string, (...args: never[]) => unknown>;
  stream_ops: Record<string, (...args: never[]) => unknown>;
}

/** PGlite's file system on a directory, creating and changing every file owner-only. */
export class PrivateNodeFS extends NodeFS {
  /** Mounts `dataDir` as PGlite's data directory. */
  constructor(dataDir: string) {
    super(dataDir);
  }

  /** Adds the masks before PGlite's own set-up mounts the directory. */
  override async init(
    pg: PGlite,
    opts: EmscriptenOptions,
  ): Promise<{ emscriptenOpts: EmscriptenOptions }> {
    const { emscriptenOpts } = await super.init(pg, opts);
    const mask = (module: { NODEFS: unknown }) => maskModes(module.NODEFS as NodeFsOps);
    return {
      emscriptenOpts: { ...emscriptenOpts, preRun: [mask, ...(emscriptenOpts.preRun ?? [])] },
    };
  }
}

function maskModes(nodefs: NodeFsOps): void {
  const { node_ops: nodeOps, stream_ops: streamOps } = nodefs;
  const mknod = nodeOps.mknod as (
    parent: unknown,
    name: string,
    mode: number,
    dev: number,
  ) => unknown;
  nodeOps.mknod =
    ((parent: unknown, name: string, mode: number, dev: number) =>
      mknod(parent, name, ownerOnly(mode), dev)) as never;
  for (const ops of [nodeOps, streamOps]) {
    const setattr = ops.setattr as (target: unknown, attr: { mode?: number }) => unknown;
    ops.setattr = ((target: unknown, attr: { mode?: number }) =>
      setattr(
        target,
        attr.mode === undefined ? attr : { ...attr, mode: ownerOnly(attr.mode) },
      )) as never;
  }
}

/** Makes the folder `path` (and missing parents) owner-only; an existing one is tightened. */
export async function privateFolder(path: string): Promise<void> {
  const info = await ownFolder(path);
  if (info) await tighten(path, info);
}

/** Makes the folder `path` if missing; refuses one of another user's (planted in its way). */
async function ownFolder(path: string): Promise<Deno.FileInfo | undefined> {
  await Deno.mkdir(path, { recursive: true, mode: 0o700 });
  if (!HAS_MODES) return undefined;
  const info = await Deno.lstat(path);
  if (info.uid !== Deno.uid()) {
    throw new CommandError(
      `${path} belongs to another user (uid ${info.uid}): remove it, or run manage as its owner`,
    );
  }
  return info;
}

/**
 * Tightens every folder and file under `root` to owner-only, `root` last, so that a tight
 * `root` means a tight tree (see {@linkcode isTight}).
 */
export async function tightenTree(root: string): Promise<void> {
  if (!HAS_MODES) return;
  const info = await Deno.lstat(root);
  if (info.isDirectory) {
    const entries: Promise<void>[] = [];
    for await (const entry of Deno.readDir(root)) {
      if (!entry.isSymlink) entries.push(tightenTree(join(root, entry.name)));
    }
    await Promise.all(entries);
  }
  await tighten(root, info);
}

/**
 * Makes the folder `path` owner-only, and everything in it when it was not (a folder is
 * tightened last, so a tight one has a tight tree).
 */
export async function privateTree(path: string): Promise<void> {
  if (await isTight(path).catch(() => false)) return;
  await ownFolder(path);
  await tightenTree(path);
}

/** Whether group and others have no access to `path`. */
export async function isTight(path: string): Promise<boolean> {
  return !HAS_MODES || ((await Deno.lstat(path)).mode! & 0o077) === 0;
}

async function tighten(path: string, info: Deno.FileInfo): Promise<void> {
  const mode = info.mode! & 0o7777;
  if ((mode & 0o077) !== 0) await Deno.chmod(path, ownerOnly(info.mode!) & 0o7777);
}

/**
 * Refuses a data directory that group or others may use, as PostgreSQL does, and tightens the
 * files inside one made before files were owner-only (`PG_VERSION` tells).
 */
export async function checkDataFolder(dir: string, shown: string): Promise<void> {
  if (!HAS_MODES) return;
  const mode = (await Deno.stat(dir)).mode! & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CommandError(
      `The data directory ${shown} has invalid permissions (${octal(mode)}): group and others ` +
        `must have none, as PostgreSQL requires (u=rwx, 0700); run chmod 700 ${shown}`,
    );
  }
  if (!(await isTight(join(dir, "PG_VERSION")))) await tightenTree(dir);
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

/**
 * The first of `paths` (or anything inside the folders among them) that this user may not
 * write: what PostgreSQL needs to open a database, even to read it. Undefined when all are
 * writable, as far as their modes tell.
 */
export async function firstUnwritable(paths: readonly string[]): Promise<string | undefined> {
  if (!HAS_MODES) return undefined;
  for (const path of paths) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      if (error instanceof Deno.errors.PermissionDenied) return path;
      throw error;
    }
    if (info.isSymlink) continue;
    if (!may(info, 0o2) || (info.isDirectory && !may(info, 0o1))) return path;
    if (info.isDirectory) {
      const inside: string[] = [];
      try {
        for await (const entry of Deno.readDir(path)) inside.push(join(path, entry.name));
      } catch (error) {
        if (error instanceof Deno.errors.PermissionDenied) return path;
        throw error;
      }
      const found = await firstUnwritable(inside);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Whether this process may `access` (a bit of rwx, 0o4 0o2 0o1) the file `info` describes. */
function may(info: Deno.FileInfo, access: number): boolean {
  const uid = Deno.uid();
  if (uid === 0) return true;
  const mode = info.mode!;
  if (info.uid === uid) return (mode & (access << 6)) !== 0;
  if (info.gid === Deno.gid()) return (mode & (access << 3)) !== 0;
  return (mode & access) !== 0;
}

/**
 * The error for an operating system's refusal (`PermissionDenied`) to `verb` the folder `path`:
 * the cause is its modes or owner, not Deno's permissions. Other errors are returned as they are.
 */
export function refusal(error: unknown, verb: string, path: string): unknown {
  if (!(error instanceof Deno.errors.PermissionDenied)) return error;
  return new CommandError(
    `Cannot ${verb} ${path}: the operating system refuses this user (uid ${Deno.uid()}) ` +
      `(permission denied); make it writable (chmod u+rwx ${path}), or run manage as its owner`,
    { cause: error },
  );
}
