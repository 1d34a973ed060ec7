import { join } from "node:path";
import type { RunResult } from "./_helpers.ts";

// The other side of the differential tests: a throwaway Django project made with Debian's
// python3-django (`django-admin startproject`), in which `python3 manage.py <argv>` runs as a
// Django user would run it. Tests that use it declare `needs("python3-django", ...)`.
//
//   await using django = await djangoProject();
//   const theirs = await django.run(["shell", "-c", "print(1)"]);
//
// Debian's python3-django installs into the system Python, not into whichever `python3` comes
// first on PATH (pyenv and the like), so both programs are named by their full paths.

/** The Python that Debian's python3-django installs into. */
export const DJANGO_PYTHON = "/usr/bin/python3";

/** Debian's `django-admin`, which makes the project. */
export const DJANGO_ADMIN = "/usr/bin/django-admin";

/** Options for {@linkcode DjangoProject.run}. */
export interface DjangoRunOptions {
  /** Text for standard input (none, as /dev/null, by default). */
  stdin?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** A throwaway Django project; removed when disposed. */
export interface DjangoProject extends AsyncDisposable {
  /** The project's folder (holding manage.py and the `proj` settings package). */
  readonly root: string;
  /** Runs `python3 manage.py <argv>` in the project; gives its exit code and output. */
  run(argv: string[], options?: DjangoRunOptions): Promise<RunResult>;
}

/**
 * Makes a Django project in a temporary folder with `django-admin startproject proj`. Its
 * database is SQLite in that folder (the project's default settings); run `migrate` first for
 * the commands that need tables.
 */
export async function djangoProject(): Promise<DjangoProject> {
  const root = await Deno.makeTempDir({ prefix: "manage-django-" });
  const made = await runIn(root, DJANGO_ADMIN, ["startproject", "proj", root], {});
  if (made.code !== 0) {
    await Deno.remove(root, { recursive: true });
    throw new Error(`django-admin startproject failed (${made.code}):\n${made.stderr}`);
  }
  return {
    root,
    run: (argv, options = {}) => runIn(root, DJANGO_PYTHON, ["manage.py", ...argv], options),
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

async function runIn(
  cwd: string,
  program: string,
  args: string[],
  options: DjangoRunOptions,
): Promise<RunResult> {
  const child = new Deno.Command(program, {
    args,
    cwd,
    env: {
      // Plain English, no colour, no bytecode files left in the project, output not buffered.
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      DJANGO_COLORS: "nocolor",
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONUNBUFFERED: "1",
      PYTHONPATH: "",
      DJANGO_SETTINGS_MODULE: "proj.settings",
      ...options.env,
    },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The path of a file in a Django project. */
export function djangoPath(project: DjangoProject, ...parts: string[]): string {
  return join(project.root, ...parts);
}

/**
 * The shape of some output, for comparing this project's with Django's: program names
 * (`manage.py`, `manage`) made one, trailing blanks and blank lines dropped, each line's words
 * kept (the differential tests compare messages, not paths or timings).
 */
export function shape(text: string): string[] {
  return text
    .replaceAll("manage.py", "manage")
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line !== "");
}
