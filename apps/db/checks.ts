// The database's system checks, run by `manage check` when a database is given (`--database DATABASE`
// or DATABASE_URL): the database answers, no migration is unapplied, no applied one was edited;
// with `--deploy`, the embedded database's folder is private to its owner.

import type { Check, CheckMessage } from "../../core/checks.ts";
import { redactUrl } from "../../core/database.ts";
import { parseDatabaseUrl } from "./database.ts";
import {
  appliedMigrations,
  changedMigrations,
  loadMigrationGraph,
  resolveApplied,
} from "./migrator/mod.ts";

const databaseChecks: Check = async ({ db, registry }) => {
  if (!db) return [];
  const messages: CheckMessage[] = [];
  let connection;
  try {
    connection = await db.connect();
    await connection.sql`SELECT 1`;
  } catch (error) {
    const reason = redactUrl(error instanceof Error ? error.message : String(error)).split("\n")[0];
    return [{
      level: "ERROR",
      id: "db.E001",
      msg: `The database does not answer: ${reason}`,
      hint: "Check DATABASE_URL (or --database), and that the server is running.",
      obj: "db",
    }];
  }
  const { graph, applied } = resolveApplied(
    await loadMigrationGraph(registry.migrations),
    await appliedMigrations(connection),
  );
  for (const node of changedMigrations(graph, applied)) {
    messages.push({
      level: "ERROR",
      id: "db.E002",
      msg: `${node.module} was changed after it was applied (checksum mismatch).`,
      hint: "Undo the change and put it in a new migration.",
      obj: node.key,
    });
  }
  const unapplied = [...graph.nodes.values()].filter((node) => !applied.has(node.key));
  if (unapplied.length > 0) {
    const apps = [...new Set(unapplied.map((node) => node.app))].sort();
    messages.push({
      level: "WARNING",
      id: "db.W001",
      msg:
        `You have ${unapplied.length} unapplied migration(s). Your project may not work properly ` +
        `until you apply the migrations for app(s): ${apps.join(", ")}.`,
      hint: "Run 'manage migrate' to apply them.",
      obj: "db",
    });
  }
  return messages;
};

databaseChecks.tags = ["database"];

/** The embedded database's folder may be read by other users of the machine (`check --deploy`). */
const dataDirectoryCheck: Check = async ({ settings, cwd }) => {
  if (!settings) return [];
  const target = parseDatabaseUrl(settings.databases.default);
  if (target.driver !== "pglite" || target.dir === undefined) return [];
  const dir = target.dir;
  let mode: number | null;
  try {
    mode = (await Deno.stat(dir.startsWith("/") ? dir : `${cwd ?? "."}/${dir}`)).mode;
  } catch {
    return [];
  }
  if (mode === null || (mode & 0o077) === 0) return [];
  return [{
    level: "WARNING",
    id: "security.W040",
    msg: `The embedded database's folder ${dir} may be read by other users of this machine ` +
      `(mode ${(mode & 0o777).toString(8).padStart(3, "0")}).`,
    hint: `Make it private: chmod -R go-rwx ${dir}`,
    obj: "settings.databases.default",
  }];
};

dataDirectoryCheck.tags = ["security"];
dataDirectoryCheck.deploy = true;

export default [databaseChecks, dataDirectoryCheck];
