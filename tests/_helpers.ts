import { fileURLToPath, pathToFileURL } from "node:url";
import { permissionFlags } from "../scripts/compile.ts";
import { PROJECT_ENTRIES } from "../scripts/_project.ts";

// The tests' processes hold their embedded databases themselves and leave no server running:
// the tests of the background server turn it on (MANAGE_DBSERVER=on in their commands' env).
if (Deno.env.get("MANAGE_DBSERVER") === undefined) Deno.env.set("MANAGE_DBSERVER", "off");

// Shared by the tests: run the real `cli.ts` as a process, and make throwaway copies of the
// project with extra files (fixture apps) and a regenerated registry.

/** The project root. */
export const ROOT = new URL("../", import.meta.url);

/** The permissions `cli.ts` runs with in the tests: those of the `manage` task in deno.json. */
export const CLI_PERMISSIONS: string[] = permissionFlags(
  JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks.manage,
);

/** What a process printed and how it ended. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@linkcode runCli}. */
export interface RunCliOptions {
  /** The project to run in (its `cli.ts`); this project by default. */
  root?: URL;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Deno permission flags instead of {@linkcode CLI_PERMISSIONS}. */
  permissions?: string[];
  /** Text (or bytes) for standard input. */
  stdin?: string | Uint8Array;
  /** Kills the process (SIGKILL, exit code 137) when it runs longer, in milliseconds. */
  killAfter?: number;
}

/** Options for {@linkcode runProgram}. */
export interface RunProgramOptions {
  /** The folder to run in. */
  cwd?: string | URL;
  /** Environment variables, added to this process's unless `clearEnv`. */
  env?: Record<string, string>;
  /** Start from an empty environment. */
  clearEnv?: boolean;
}

/** Runs a program to its end, with no input, and returns its exit code and output. */
export async function runProgram(
  program: string,
  args: string[],
  options: RunProgramOptions = {},
): Promise<RunResult> {
  const output = await new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Runs `deno run cli.ts <args>` in a project with colour off, 80 columns, and no TTY, and
 * returns its exit code and output.
 */
export async function runCli(args: string[], options: RunCliOptions = {}): Promise<RunResult> {
  const root = options.root ?? ROOT;
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...(options.permissions ?? CLI_PERMISSIONS), "cli.ts", ...args],
    cwd: root,
    env: {
      COLUMNS: "80",
      NO_COLOR: "",
      FORCE_COLOR: "",
      MANAGE_COLORS: "",
      // As `deno task manage` started in the project's folder: not where the tests were started.
      INIT_CWD: fileURLToPath(root),
      ...options.env,
    },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  const timer = options.killAfter === undefined
    ? undefined
    : setTimeout(() => child.kill("SIGKILL"), options.killAfter);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    const stdin = options.stdin;
    await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output().finally(() => clearTimeout(timer));
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

async function copyTree(from: URL, to: URL): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) {
    await Deno.copyFile(from, to);
    return;
  }
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const suffix = entry.isDirectory ? "/" : "";
    await copyTree(new URL(entry.name + suffix, from), new URL(entry.name + suffix, to));
  }
}

/**
 * What to leave out of a copy ({@linkcode CopyOptions.without}) whose only bundled app is `db`:
 * the other apps, and of the `jobs` app what the registry lists (its commands, migrations and
 * checks), since its queue (`apps/jobs/queue/`) is part of what `mod.ts` re-exports.
 */
export const ONLY_DB_APP: readonly string[] = [
  "apps/myapp",
  "apps/jobs/commands",
  "apps/jobs/migrations",
  "apps/jobs/checks.ts",
  "apps/auth",
  "apps/web",
];

/** Options of {@linkcode copyProject}. */
export interface CopyOptions {
  /** Paths (relative to the root) to leave out of the copy, such as `apps/myapp`. */
  without?: readonly string[];
}

/** A throwaway copy of the project; remove it with `await using` or {@linkcode Project.remove}. */
export interface Project extends AsyncDisposable {
  /** The copy's root folder. */
  root: URL;
  /** Runs the copy's `cli.ts`. */
  run(args: string[], options?: Omit<RunCliOptions, "root">): Promise<RunResult>;
  /** Regenerates the copy's registry; returns how the build script ended. */
  buildRegistry(): Promise<RunResult>;
  /** Deletes the copy. */
  remove(): Promise<void>;
}

/**
 * Copies the project into a temporary folder, writes `files` (paths relative to the root) into
 * it and regenerates its registry.
 */
export async function copyProject(
  files: Record<string, string> = {},
  options: CopyOptions = {},
): Promise<Project> {
  const dir = await Deno.makeTempDir({ prefix: "manage_test_" });
  const root = pathToFileURL(`${dir}/`);
  for (const entry of PROJECT_ENTRIES) {
    const isDir = !entry.includes(".") && entry !== "manage";
    await copyTree(
      new URL(entry + (isDir ? "/" : ""), ROOT),
      new URL(entry + (isDir ? "/" : ""), root),
    );
  }
  for (const path of options.without ?? []) {
    // Already absent (a user deleted the starter app): nothing to leave out.
    await Deno.remove(new URL(path, root), { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  for (const [path, text] of Object.entries(files)) {
    const target = new URL(path, root);
    await Deno.mkdir(new URL("./", target), { recursive: true });
    await Deno.writeTextFile(target, text);
  }
  const project: Project = {
    root,
    run: (args, options = {}) => runCli(args, { ...options, root }),
    async buildRegistry() {
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "-A", "scripts/build_registry.ts"],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
    },
    remove: () => Deno.remove(root, { recursive: true }),
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
  if (Object.keys(files).length > 0 || (options.without ?? []).length > 0) {
    const built = await project.buildRegistry();
    if (built.code !== 0) {
      await project.remove();
      throw new Error(`Registry build failed in the project copy:\n${built.stderr}`);
    }
  }
  return project;
}

/**
 * The files of a fixture app in tests/fixtures/apps/<app>/, keyed by their path in a project
 * (`apps/<app>/...`), for {@linkcode copyProject}.
 */
export async function fixtureApp(app: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const visit = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(`tests/fixtures/apps/${dir}`, ROOT))) {
      if (entry.isDirectory) await visit(`${dir}${entry.name}/`);
      else {
        files[`apps/${dir}${entry.name}`] = await Deno.readTextFile(
          new URL(`tests/fixtures/apps/${dir}${entry.name}`, ROOT),
        );
      }
    }
  };
  await visit(`${app}/`);
  return files;
}

/**
 * A copy of the project where the starter app `myapp` is replaced by the fixture app `sample`
 * (tests/fixtures/apps/sample/: greet_user, show_status, check_database, a model, a migration and
 * a fixture), so that the framework's tests hold when a user deletes `myapp`.
 */
export async function sampleProject(
  files: Record<string, string> = {},
  options: CopyOptions = {},
): Promise<Project> {
  return await copyProject({ ...await fixtureApp("sample"), ...files }, {
    without: ["apps/myapp", ...(options.without ?? [])],
  });
}

/** The error `promise` rejects with (failing the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error("expected a rejection");
}
