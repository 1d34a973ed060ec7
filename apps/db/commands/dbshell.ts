import { defineCommand } from "../../../core/command.ts";
import type { Database } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import { databaseUrl } from "../../../core/settings.ts";
import type { OutputWrapper } from "../../../core/output.ts";
import { lineReader } from "../../../core/prompt.ts";
import { formatTable } from "./_table_format.ts";

/** The psql environment for a server URL: the password goes in PGPASSWORD, never in argv. */
function psqlEnvironment(url: URL): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, "")) || "localhost",
    PGPORT: url.port || "5432",
    PGDATABASE: decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres",
  };
  if (url.username) env.PGUSER = decodeURIComponent(url.username);
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  const sslmode = url.searchParams.get("sslmode");
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

async function runStatement(
  db: Database,
  sql: string,
  stdout: OutputWrapper,
  stderr: OutputWrapper,
): Promise<boolean> {
  try {
    const rows = await db.query(sql);
    stdout.write(formatTable(rows));
    return true;
  } catch (error) {
    stderr.write(`ERROR:  ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

export default defineCommand({
  help:
    "Opens a SQL shell on the database: psql for a server, a built-in prompt for the embedded one",
  // A psql prompt runs any SQL and, through \!, any shell command as the server's user.
  runFrom: ["cli"],
  epilog: "For a server, words after -- go to psql (manage dbshell -- -c 'SELECT 1').",
  requiresDatabase: true,
  arguments: {
    parameters: { nargs: "*", metavar: "PSQL_ARGS", help: "extra arguments for psql, after --" },
  },
  options: {
    command: { short: "c", metavar: "SQL", help: "run one statement, print its result and exit" },
  },
  async handle({ options, db, stdout, stderr, stdin, stdinIsTerminal, signal, settings }) {
    const target = databaseUrl(settings, options.database) ?? "";
    if (/^postgres(ql)?:\/\//.test(target)) {
      const args = [
        ...(options.command === undefined ? [] : ["-c", options.command]),
        ...options.parameters,
      ];
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command("psql", {
          args,
          env: psqlEnvironment(new URL(target)),
          stdin: "inherit",
          stdout: "inherit",
          stderr: "inherit",
          signal,
        }).spawn();
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new CommandError(
            "psql is not installed: install the PostgreSQL client (postgresql-client)",
          );
        }
        throw error;
      }
      const status = await child.status;
      if (status.code !== 0) {
        throw new CommandError(`"psql" returned non-zero exit status ${status.code}.`, {
          returncode: status.code,
        });
      }
      return;
    }
    if (options.parameters.length > 0) {
      throw new CommandError(
        "Extra arguments go to psql, which the embedded database does not use: use -c SQL",
      );
    }
    const connection = await db.connect();
    if (options.command !== undefined) {
      if (!(await runStatement(connection, options.command, stdout, stderr))) {
        throw new CommandError("The statement failed", { bare: true });
      }
      return;
    }
    if (stdinIsTerminal) {
      stdout.write("Embedded PostgreSQL (PGlite). End statements with ;, quit with \\q.");
    }
    const reader = lineReader(stdin);
    try {
      let pending = "";
      for (;;) {
        if (stdinIsTerminal) stdout.write(pending ? "manage-# " : "manage=# ", { ending: "" });
        const line = await reader.readLine();
        if (line === undefined || signal.aborted) break;
        if (pending === "" && line.trim() === "\\q") break;
        pending += (pending ? "\n" : "") + line;
        if (pending.trimEnd().endsWith(";")) {
          await runStatement(connection, pending, stdout, stderr);
          pending = "";
        }
      }
      if (pending.trim()) await runStatement(connection, pending, stdout, stderr);
    } finally {
      reader.release();
    }
  },
});
