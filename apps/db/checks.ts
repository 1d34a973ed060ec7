// The database's system checks, run by `manage check` when a database is given (`--database URL`
// or DATABASE_URL): the database answers, no migration is unapplied, no applied one was edited.

import type { Check, CheckMessage } from "../../core/checks.ts";
import { redactUrl } from "../../core/database.ts";
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

export default [databaseChecks];
