// The background server of an embedded database. Opening PGlite costs about a second (the
// WebAssembly compile, PostgreSQL's start, its catalogs); a command that finds no process
// holding the database starts `_serve_main.ts` (the program of `_serve.ts`) as a detached
// process, which holds it as any holder does (the directory lock, the socket, `_server.ts`), and
// the command uses the database through it. The server stays while processes use it and stops after `MANAGE_DBSERVER_IDLE`
// seconds (300) without one, so the next commands connect in milliseconds. It has no terminal
// and no output: `manage dbserver status|stop` shows and stops it.
//
// `MANAGE_DBSERVER=off` (or a run without the permissions the server needs, or a compiled
// program) opens the database in the command's own process, as before.
//
// This module imports no PGlite: the commands that only connect do not load it.

import { isAbsolute, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { CommandError } from "../../../../core/errors.ts";
import { projectFolder } from "../../../../core/project.ts";
import { describeHolder, type LockHolder, lockHolder } from "./_directory_lock.ts";
import { socketAddress } from "./_server.ts";

/** How long the server stays without a connected process, by default, in seconds. */
export const DEFAULT_IDLE = 300;

/** How long a command waits for the server it started to open the database. */
const START_TIMEOUT = 60_000;

/** How long `dbserver stop` waits for the server to finish what it serves. */
const STOP_TIMEOUT = 60_000;

/** What the server is told to serve (one JSON argument). */
export interface ServeSpec {
  /** The data directory, absolute. */
  readonly dir: string;
  /** As the user named it, and its URL, for messages. */
  readonly shown: string;
  readonly url: string;
  /** The project folder (the template cache). */
  readonly project: string;
  /** The working directory of the command that started it. */
  readonly cwd: string;
  /** Seconds without a connected process after which it stops. */
  readonly idle?: number;
}

/** What a command that started the server learns: it serves, another process holds, or none. */
export type StartOutcome = "started" | "busy" | "unavailable";

/** How to start the server: the program and its arguments, before the JSON one. */
export interface BackgroundCommand {
  readonly program: string;
  readonly args: readonly string[];
  readonly idle: number;
}

const OFF = new Set(["off", "0", "no", "false"]);

/** The permissions the server runs with; this process must have each (and to run deno). */
const PERMISSIONS = ["read", "write", "env", "net", "sys"] as const;

/**
 * How this process starts a background server, or undefined when it opens the database itself:
 * turned off in `env` (`MANAGE_DBSERVER`), or, when `env` does not say, not `allowed` (only the
 * command line's runs are, see `OpenOptions.backgroundServer`); a compiled program; or
 * permissions it cannot pass on.
 */
export function backgroundCommand(
  env: Readonly<Record<string, string | undefined>>,
  allowed = false,
): BackgroundCommand | undefined {
  const given = env.MANAGE_DBSERVER?.trim().toLowerCase();
  if (given === undefined || given === "" ? !allowed : OFF.has(given)) return undefined;
  const script = new URL("./_serve_main.ts", import.meta.url);
  if (script.protocol !== "file:") return undefined;
  const program = Deno.execPath();
  if (!/^deno(\.exe)?$/.test(program.split(/[\\/]/).pop() ?? "")) return undefined;
  try {
    for (const name of PERMISSIONS) {
      if (Deno.permissions.querySync({ name }).state !== "granted") return undefined;
    }
    if (Deno.permissions.querySync({ name: "run", command: program }).state !== "granted") {
      return undefined;
    }
  } catch {
    return undefined;
  }
  return {
    program,
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      ...PERMISSIONS.map((name) => `--allow-${name}`),
      fromFileUrl(script),
    ],
    idle: idleSeconds(env),
  };
}

function idleSeconds(env: Readonly<Record<string, string | undefined>>): number {
  const given = Number(env.MANAGE_DBSERVER_IDLE);
  return Number.isFinite(given) && given > 0 ? given : DEFAULT_IDLE;
}

/**
 * Starts the background server of `spec.dir`, detached from this process (its own session, no
 * terminal), and waits until it serves the database, passing on its notices. Throws the
 * server's error when it cannot open the database. `processCwd` is this process's working
 * directory, which a relative `spec.cwd` (where the server runs) is relative to.
 */
export async function startServer(
  how: BackgroundCommand,
  spec: ServeSpec,
  notice: (line: string) => void,
  processCwd?: string,
): Promise<StartOutcome> {
  // The server runs in spec.cwd, which its socket's address may be relative to.
  const serverCwd = isAbsolute(spec.cwd)
    ? spec.cwd
    : processCwd === undefined
    ? undefined
    : resolve(processCwd, spec.cwd);
  if (socketAddress(`${spec.dir}.run/socket`, serverCwd) === undefined) return "unavailable";
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(how.program, {
      args: [...how.args, JSON.stringify({ ...spec, idle: how.idle })],
      cwd: spec.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      detached: true,
    }).spawn();
  } catch {
    return "unavailable";
  }
  child.unref();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => reader.cancel().catch(() => {}), START_TIMEOUT);
  let buffered = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "unavailable";
      buffered += value;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let report: Record<string, unknown>;
        try {
          report = JSON.parse(line);
        } catch {
          continue;
        }
        if (typeof report.notice === "string") notice(report.notice);
        if (typeof report.error === "string") throw new CommandError(report.error);
        if (report.ready) return "started";
        if (report.busy) return "busy";
      }
    }
  } catch (error) {
    if (error instanceof CommandError) throw error;
    return "unavailable";
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
}

/** Who serves an embedded database: its holder, or none. */
export interface ServerStatus {
  /** The directory as named, for messages. */
  readonly shown: string;
  /** The process that holds it, or undefined when none does. */
  readonly holder: LockHolder | undefined;
  /** Whether that process is the background server. */
  readonly background: boolean;
}

/** The directory of an embedded database named as the driver takes it. */
async function dataDir(
  target: { dir: string; inProject?: boolean },
  cwd: string,
): Promise<string> {
  if (isAbsolute(target.dir)) return target.dir;
  return resolve(target.inProject ? await projectFolder(cwd) : cwd, target.dir);
}

/** Who holds the embedded database in `target.dir` (from `cwd`, or its project). */
export async function serverStatus(
  target: { dir: string; inProject?: boolean },
  cwd: string,
): Promise<ServerStatus> {
  const dir = await dataDir(target, cwd);
  const holder = await lockHolder(`${dir}.lock`);
  if (holder === "free") return { shown: target.dir, holder: undefined, background: false };
  return {
    shown: target.dir,
    holder: holder ?? { pid: 0, command: "a process starting" },
    background: holder?.idle !== undefined,
  };
}

/**
 * Stops the background server of the database in `target.dir`: it finishes what it serves (the
 * processes using it move to the next holder) and releases the database. Resolves to the
 * status before; throws when the database is held by another kind of process.
 */
export async function stopServer(
  target: { dir: string; inProject?: boolean },
  cwd: string,
): Promise<ServerStatus> {
  const status = await serverStatus(target, cwd);
  const holder = status.holder;
  if (holder === undefined) return status;
  if (!status.background) {
    throw new CommandError(
      `The embedded database ${target.dir} is held by ${describeHolder(holder)}, ` +
        "not by a background server: stop that process",
    );
  }
  try {
    Deno.kill(holder.pid, "SIGTERM");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const dir = await dataDir(target, cwd);
  const deadline = Date.now() + STOP_TIMEOUT;
  while ((await lockHolder(`${dir}.lock`)) !== "free") {
    if (Date.now() > deadline) {
      throw new CommandError(
        `The background server of ${target.dir} (process ${holder.pid}) has not stopped within ` +
          `${STOP_TIMEOUT / 1000}s: it waits for the processes it serves; stop them, or kill ` +
          `${holder.pid}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The lock goes a moment before the process ends.
  for (let i = 0; i < 25 && alive(holder.pid); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return status;
}

function alive(pid: number): boolean {
  try {
    // A signal that changes nothing for a running process: it tells whether the process is there.
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}
