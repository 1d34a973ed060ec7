// The background server of an embedded database (see `_background.ts`): a detached process
// that holds the database as any holder does and serves it on its socket until it has had no
// connected process for its idle time, or is told to stop (SIGTERM, SIGINT, SIGHUP), or its
// directory is removed. It reports to the command that started it on standard output, one JSON
// line each (`{"notice"}`, then `{"ready"}`, `{"busy"}` or `{"error"}`), and then closes it.
//
// Run by `_background.ts` as `deno run … _serve_main.ts '<ServeSpec as JSON>'`, the program
// that gives it what it needs of its process (`ServeProcess`).

import type { Database } from "../../../../core/database.ts";
import { CommandError } from "../../../../core/errors.ts";
import { DEFAULT_IDLE, type ServeSpec } from "./_background.ts";
import { LockedError, tryLockFile } from "./_directory_lock.ts";
import { openHere, type Place, socketPath } from "./_driver.ts";
import type { SessionServer } from "./_server.ts";

/** What the background server writes in the lock file as its command. */
export const SERVER_COMMAND = "manage dbserver";

/** What the server's program gives it of its process. */
export interface ServeProcess {
  /** The process's environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The process's id, which the lock file names. */
  readonly pid: number;
  /** The process's working directory (`spec.cwd`, resolved). */
  readonly cwd: string;
  /** Writes to the command that started it (standard output), at once. */
  write(text: string): void;
  /** Closes that output, once the server serves. */
  closeOutput(): void;
  /** Ends the process at once. */
  exit(code: number): never;
}

/** Serves the database `spec` names until it is idle or stopped; resolves to the exit code. */
export async function serve(spec: ServeSpec, process: ServeProcess): Promise<number> {
  const report = (message: Record<string, unknown>) => {
    try {
      process.write(JSON.stringify(message) + "\n");
    } catch {
      // The command that started it has gone: it has no one to tell.
    }
  };
  const idle = (spec.idle ?? DEFAULT_IDLE) * 1000;
  const place: Place = {
    dir: spec.dir,
    shown: { dir: spec.shown, url: spec.url },
    project: spec.project,
    options: {
      env: process.env,
      cwd: spec.cwd,
      notice: (line) => report({ notice: line }),
      pid: process.pid,
      command: SERVER_COMMAND,
      processCwd: process.cwd,
    },
  };
  const socket = socketPath(spec.dir);
  let db: Database;
  let server: SessionServer | undefined;
  try {
    const lock = await tryLockFile(`${spec.dir}.lock`, {
      pid: process.pid,
      command: SERVER_COMMAND,
      socket,
      idle: idle / 1000,
    });
    db = await openHere(lock, place, socket, (listening) => server = listening);
  } catch (error) {
    if (error instanceof LockedError) {
      report({ busy: true });
      return 0;
    }
    report({
      error: error instanceof CommandError || error instanceof Error
        ? error.message
        : String(error),
    });
    return 1;
  }
  const serving = server as SessionServer | undefined;
  if (serving === undefined) {
    // No socket here: it could serve no one.
    await db.close();
    report({ busy: true });
    return 0;
  }
  const stopped = Promise.withResolvers<void>();
  let idleSince: number | undefined = Date.now();
  const timer = setInterval(() => {
    // Its directory removed (a test's, a project deleted): nothing is left to keep.
    try {
      Deno.statSync(`${spec.dir}/PG_VERSION`);
    } catch {
      process.exit(0);
    }
    if (serving.clients() > 0) {
      idleSince = undefined;
      return;
    }
    idleSince ??= Date.now();
    if (Date.now() - idleSince >= idle) stopped.resolve();
  }, Math.min(1000, Math.max(100, idle / 4)));
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGTERM", "SIGINT", "SIGHUP"];
  const onSignal = () => stopped.resolve();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  report({ ready: true });
  try {
    process.closeOutput();
  } catch {
    // Closed already.
  }
  await stopped.promise;
  clearInterval(timer);
  try {
    // Serves the connected processes until each can move to the next holder, then releases.
    await db.close();
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
  return 0;
}
