import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { embeddedServerStatus, type ServerStatus, stopEmbeddedServer } from "../backends/mod.ts";
import { parseDatabaseUrl } from "../database.ts";

function describe(status: ServerStatus): string {
  const holder = status.holder;
  if (holder === undefined) return `${status.shown}: no process serves it`;
  const socket = holder.socket === undefined ? "" : ` on ${holder.socket}`;
  if (status.background) {
    return `${status.shown}: served in the background by process ${holder.pid}${socket}, ` +
      `which stops after ${holder.idle}s without a connected process`;
  }
  const who = holder.pid > 0 ? `process ${holder.pid} (${holder.command})` : holder.command;
  return `${status.shown}: held by ${who}${socket}`;
}

const database = {
  metavar: "URL",
  help: "The embedded database: pglite:<dir> (default: DATABASE_URL, or .manage/db)",
} as const;

export default defineCommand({
  help: "Shows or stops the background server of the embedded database",
  // Stopping the server that serves the console or a worker is for its operator, at a terminal.
  runFrom: ["cli"],
  epilog: "A command that opens the embedded database leaves it served in the background, so " +
    "that the next commands connect at once; the server stops after MANAGE_DBSERVER_IDLE " +
    "seconds (300) without a connected process. MANAGE_DBSERVER=off opens the database in " +
    "each command instead.",
  subcommands: {
    status: { help: "Shows which process serves the embedded database", options: { database } },
    stop: {
      help: "Stops the background server, once the processes it serves are done",
      options: { database },
    },
  },
  async handle({ options, env, cwd, stdout }) {
    const target = parseDatabaseUrl(options.database ?? env.DATABASE_URL);
    if (target.driver !== "pglite" || target.dir === undefined) {
      throw new CommandError(
        `${target.url} is not an embedded database in a folder: only pglite:<dir> has a ` +
          "background server",
      );
    }
    const place = { dir: target.dir, inProject: target.inProject };
    if (options.subcommand === "status") {
      stdout.write(describe(await embeddedServerStatus(place, cwd)));
      return;
    }
    const stopped = await stopEmbeddedServer(place, cwd);
    stdout.write(
      stopped.holder === undefined
        ? describe(stopped)
        : `Stopped the background server of ${target.dir} (process ${stopped.holder.pid})`,
    );
  },
});
