/**
 * New embedded databases are copies of a template: a fresh PGlite cluster made once per project
 * (initdb in WebAssembly takes about 5 s) and kept in `.manage/cache/pglite-<version>/`, which
 * holds `data/` (the cluster, cleanly shut down) and `fresh.tar.gz` (the same cluster as PGlite's
 * `dumpDataDir` writes it, for in-memory databases). Copying `data/` and opening the copy takes
 * under a second; PGlite's own `loadDataDir` from the tarball takes about 1.7 s, and initdb 5 s.
 *
 * The cache is in the project folder (see `core/project.ts`), beside the default database, so a
 * project's databases share one template; it is made in a temporary folder and renamed into
 * place, so a crash never leaves half a template. One process makes it while the others wait
 * (`pglite-<version>.lock`); a folder that a killed process left half-made is removed by the
 * next one. Like the databases, it is owner-only.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { withFileLock } from "./_directory_lock.ts";
import { privateFolder, privateTree, tightenTree } from "./_files.ts";

/** The PGlite version in deno.json's import map; templates are kept per version. */
export const PGLITE_VERSION = "0.5.16";

/** A project's template: the fresh cluster and its tarball. */
export interface Template {
  /** The cluster's data directory. */
  readonly dataDir: string;
  /** The cluster as a gzipped tar (PGlite's `dumpDataDir` format). */
  readonly tarball: string;
}

/** Where the template of the project in the folder `cwd` is kept. */
export function templatePaths(cwd: string): Template & { readonly root: string } {
  const root = join(cwd, ".manage", "cache", `pglite-${PGLITE_VERSION}`);
  return { root, dataDir: join(root, "data"), tarball: join(root, "fresh.tar.gz") };
}

/** Returns the project's template, making it first if it does not exist. */
export async function ensureTemplate(cwd: string): Promise<Template> {
  const paths = templatePaths(cwd);
  if (await isComplete(paths)) {
    await tightenTemplates(cwd);
    return paths;
  }
  await privateFolder(join(cwd, ".manage"));
  await privateTree(dirname(paths.root));
  return await withFileLock(`${paths.root}.lock`, async () => {
    if (await isComplete(paths)) return paths;
    await removeLeftovers(dirname(paths.root), `${basename(paths.root)}.tmp-`);
    await makeTemplate(paths);
    return paths;
  });
}

async function makeTemplate(paths: Template & { root: string }): Promise<void> {
  const temp = `${paths.root}.tmp-${crypto.randomUUID()}`;
  try {
    await Deno.mkdir(join(temp, "data"), { recursive: true, mode: 0o700 });
    const { PGlite } = await import("@electric-sql/pglite");
    const pg = await PGlite.create(join(temp, "data"));
    try {
      const dump = await pg.dumpDataDir("gzip");
      await Deno.writeFile(join(temp, "fresh.tar.gz"), new Uint8Array(await dump.arrayBuffer()), {
        mode: 0o600,
      });
    } finally {
      await pg.close();
    }
    // initdb writes with modes of its own: tightened before the template is in place.
    await tightenTree(temp);
    await Deno.rename(temp, paths.root);
  } finally {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
  }
}

/**
 * Tightens the project's template cache where an earlier version left it open to others; a
 * tight folder has a tight tree (see `tightenTree`), so this takes a few looks when all is tight.
 */
export async function tightenTemplates(cwd: string): Promise<void> {
  const { root } = templatePaths(cwd);
  for (const folder of [dirname(root), root]) {
    if (await Deno.lstat(folder).then(() => true, () => false)) await privateTree(folder);
  }
}

/**
 * Removes what processes that were killed left in `folder`: the entries whose names start with
 * `prefix` (half-made copies). The caller holds the lock that keeps live ones from making more.
 */
export async function removeLeftovers(folder: string, prefix: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (entry.name.startsWith(prefix)) {
        await Deno.remove(join(folder, entry.name), { recursive: true }).catch(() => {});
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Makes a new database in `dir` (absent or empty) as a copy of the template. The copy is made
 * beside it and renamed into place, so `dir` is either complete or absent.
 */
export async function createFromTemplate(dir: string, cwd: string): Promise<void> {
  const template = await ensureTemplate(cwd);
  const temp = `${dir}.creating-${crypto.randomUUID()}`;
  try {
    await copyTree(template.dataDir, temp);
    // rename() replaces an empty directory on Unix but not on Windows.
    await Deno.remove(dir).catch(() => {});
    await Deno.rename(temp, dir);
  } finally {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
  }
}

/** The template's tarball, for `loadDataDir` (an in-memory database). */
export async function templateTarball(cwd: string): Promise<Blob> {
  const template = await ensureTemplate(cwd);
  return new Blob([await Deno.readFile(template.tarball)], { type: "application/x-gzip" });
}

async function isComplete(paths: Template): Promise<boolean> {
  try {
    await Deno.stat(join(paths.dataDir, "PG_VERSION"));
    await Deno.stat(paths.tarball);
    return true;
  } catch {
    return false;
  }
}

/** Copies a tree; files keep their modes, folders are owner-only. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true, mode: 0o700 });
  const copies: Promise<void>[] = [];
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    copies.push(entry.isDirectory ? copyTree(source, target) : Deno.copyFile(source, target));
  }
  await Promise.all(copies);
}
