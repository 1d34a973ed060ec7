/**
 * Where a run is. Two folders matter, and they may differ:
 *
 * - the **working directory**, where the user typed the command: every path the user names (a
 *   fixture, `--output`, `pglite:<dir>`) is read from there;
 * - the **project folder**, the nearest folder from the working directory upward that holds a
 *   `deno.json` (the working directory itself when none does, as for a binary in a deployment
 *   folder): it holds `.manage/` (the default embedded database and its cache) and the apps'
 *   sources and fixtures, and it is where `startapp`, `makecommand` and `makemigrations` write.
 *
 * `deno task` runs its tasks in the folder of `deno.json` and keeps the folder it was started
 * from in `INIT_CWD`; {@linkcode workingDirectory} reads it back, so `deno task manage loaddata
 * f.json` in a folder below the project reads that folder's `f.json`, as the binary would.
 *
 * No `node:` module here: `cli.ts` imports this on every start.
 *
 * @module
 */

function trimEnd(path: string): string {
  return path.length > 1 ? path.replace(/[\\/]+$/, "") : path;
}

function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`) || path.startsWith(`${folder}\\`);
}

/**
 * The folder the user ran the command from: `INIT_CWD` when it is `processCwd` or a folder below
 * it (where `deno task` was started before it moved to the folder of `deno.json`), otherwise
 * `processCwd`. An `INIT_CWD` elsewhere was inherited from some other program and is ignored.
 *
 * @example
 * ```ts
 * import { workingDirectory } from "./project.ts";
 *
 * const env = { INIT_CWD: "/home/ann/shop/apps/shop" };
 * console.assert(workingDirectory(env, "/home/ann/shop") === "/home/ann/shop/apps/shop");
 * console.assert(workingDirectory(env, "/srv/other") === "/srv/other");
 * ```
 */
export function workingDirectory(
  env: Readonly<Record<string, string | undefined>>,
  processCwd: string,
): string {
  const cwd = trimEnd(processCwd);
  const init = env.INIT_CWD ? trimEnd(env.INIT_CWD) : undefined;
  return init !== undefined && isWithin(init, cwd) ? init : cwd;
}

function parent(path: string): string | undefined {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return undefined;
  const up = path.slice(0, cut) || path.slice(0, 1);
  return up === path ? undefined : up;
}

async function holdsConfig(folder: string): Promise<boolean> {
  try {
    return (await Deno.stat(`${folder}/deno.json`)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}

/**
 * The project folder of a run in `cwd`: the nearest folder from `cwd` upward that holds a
 * `deno.json`, or `cwd` itself when none does (or when the folders above cannot be read).
 *
 * @example
 * ```ts ignore
 * import { projectFolder } from "./project.ts";
 *
 * await projectFolder("/home/ann/shop/apps/shop"); // "/home/ann/shop", which holds deno.json
 * ```
 */
export async function projectFolder(cwd: string): Promise<string> {
  const start = trimEnd(cwd);
  try {
    for (let folder: string | undefined = start; folder !== undefined; folder = parent(folder)) {
      if (await holdsConfig(folder)) return folder;
    }
  } catch {
    // A folder this run may not read (a narrowed --allow-read): the working directory it is.
  }
  return start;
}
