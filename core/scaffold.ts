/**
 * What the commands that write source files share (`startapp`, `makecommand`, `makemigrations`):
 * the project root, name rules, and rebuilding the registry in a subprocess (the build imports
 * every command module, and a fresh process sees the files just written; a compiled `manage` has
 * no sources to rebuild from).
 *
 * @module
 */

import { writeFileAtomic } from "./atomic_file.ts";
import { CommandError } from "./errors.ts";
import { projectFolder } from "./project.ts";

/** App and command names: snake_case identifiers, as the registry requires of command files. */
export const NAME = /^[a-z][a-z0-9_]*$/;

/** The script that regenerates `commands/_registry.ts`, relative to the project root. */
const BUILD_SCRIPT = "scripts/build_registry.ts";

/** Whether a path exists (a file, a folder or anything else). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Writes the new file `path` (relative to `root`) whole or not at all. A failure is a
 * {@linkcode CommandError} naming it, except `Deno.errors.AlreadyExists` (the caller says which
 * name to choose instead).
 */
export async function writeNewFile(root: string, path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(`${root}/${path}`, text, { createNew: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) throw error;
    throw new CommandError(
      `Cannot write ${path}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
}

/** Whether a path is a folder. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The project root: the project folder of `cwd` (the nearest folder upward holding `deno.json`),
 * which must hold the script that rebuilds the registry. Throws {@linkcode CommandError} when
 * there is none, before anything is written.
 */
export async function projectRoot(command: string, cwd: string): Promise<string> {
  const root = await projectFolder(cwd);
  if (!(await exists(`${root}/deno.json`))) {
    throw new CommandError(
      `No deno.json in ${cwd} or a folder above it: run ${command} in the project`,
    );
  }
  if (!(await exists(`${root}/${BUILD_SCRIPT}`))) {
    throw new CommandError(
      `No ${BUILD_SCRIPT} in ${root} to rebuild the registry with: run ${command} with ` +
        "'deno task manage' in the project's sources",
    );
  }
  return root;
}

/** The Deno executable to run scripts with: this one, unless this is a compiled `manage`. */
export function denoExecutable(): string {
  const path = Deno.execPath();
  const file = path.split(/[\\/]/).at(-1) ?? "";
  return /^deno(\.exe)?$/i.test(file) ? path : "deno";
}

/**
 * Regenerates `commands/_registry.ts` by running the project's `scripts/build_registry.ts` in
 * `root`. Returns what the script printed; throws {@linkcode CommandError} when it fails
 * (`created` names what was written before, so the message can say it stays).
 */
export async function rebuildRegistry(
  root: string,
  options: { created: string; signal?: AbortSignal },
): Promise<string> {
  const fix = `${options.created} was created; fix this and run \`deno task registry\``;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(denoExecutable(), {
      args: ["run", "--allow-read=.", "--allow-write=.", "--allow-env", BUILD_SCRIPT],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: options.signal,
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CommandError(`No deno executable on the PATH to rebuild the registry with: ${fix}`);
    }
    throw error;
  }
  const decoder = new TextDecoder();
  if (!output.success) {
    const problem = decoder.decode(output.stderr).split("\n").map((line) => line.trim())
      .find((line) => line !== "")?.replace(/^error: /, "") ?? `exit code ${output.code}`;
    throw new CommandError(`The registry could not be rebuilt (${problem}): ${fix}`);
  }
  return decoder.decode(output.stdout).trim();
}
