// The `manage_migrations` table: what is applied, recorded in the same transaction as each
// migration, and the checks of that record against the migrations on disk.

import type { Queryable } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import { type MigrationGraph, migrationKey, type MigrationNode } from "./_graph.ts";

/** The table that records applied migrations. */
export const MIGRATIONS_TABLE = "manage_migrations";

/** A row of `manage_migrations`. */
export interface AppliedMigration {
  /** The app. */
  readonly app: string;
  /** The migration's name. */
  readonly name: string;
  /** When it was applied. */
  readonly appliedAt: Date;
  /** The checksum it had when it was applied (none for rows written by other tools). */
  readonly checksum: string | null;
}

/** Whether the `manage_migrations` table exists. */
export async function hasMigrationsTable(db: Queryable): Promise<boolean> {
  const [row] = await db.query<{ present: boolean }>(
    `SELECT to_regclass('${MIGRATIONS_TABLE}') IS NOT NULL AS present`,
  );
  return row?.present === true;
}

/** Creates the `manage_migrations` table when it does not exist. */
export async function ensureMigrationsTable(db: Queryable): Promise<void> {
  // Checked first: CREATE TABLE IF NOT EXISTS on an existing table makes the server send a notice.
  if (await hasMigrationsTable(db)) return;
  await db.exec(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  id bigserial PRIMARY KEY,
  app text NOT NULL,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  checksum text,
  UNIQUE (app, name)
)`,
  );
}

/** The applied migrations by key (`app.name`), in the order they were applied; none without the table. */
export async function appliedMigrations(db: Queryable): Promise<Map<string, AppliedMigration>> {
  const applied = new Map<string, AppliedMigration>();
  if (!(await hasMigrationsTable(db))) return applied;
  const rows = await db.query<{
    app: string;
    name: string;
    applied_at: unknown;
    checksum: string | null;
  }>(`SELECT app, name, applied_at, checksum FROM ${MIGRATIONS_TABLE} ORDER BY id`);
  for (const row of rows) {
    const appliedAt = row.applied_at instanceof Date
      ? row.applied_at
      : new Date(String(row.applied_at));
    applied.set(migrationKey(row.app, row.name), {
      app: row.app,
      name: row.name,
      appliedAt,
      checksum: row.checksum,
    });
  }
  return applied;
}

/** The applied migrations whose operations changed since they were applied. */
export function changedMigrations(
  graph: MigrationGraph,
  applied: ReadonlyMap<string, AppliedMigration>,
): MigrationNode[] {
  return [...graph.nodes.values()].filter((node) => {
    const row = applied.get(node.key);
    return row !== undefined && row.checksum !== null && row.checksum !== node.checksum;
  });
}

/**
 * Throws {@linkcode CommandError} naming the files of applied migrations that were edited after
 * they were applied (their checksum differs from the recorded one).
 */
export function assertUnchanged(
  graph: MigrationGraph,
  applied: ReadonlyMap<string, AppliedMigration>,
): void {
  const changed = changedMigrations(graph, applied).map((node) => node.module);
  if (changed.length === 1) {
    throw new CommandError(
      `${changed[0]} was changed after it was applied (checksum mismatch): ` +
        "undo the change and put it in a new migration",
    );
  }
  if (changed.length > 1) {
    throw new CommandError(
      `${changed.join(", ")} were changed after they were applied (checksum mismatch): ` +
        "undo the changes and put them in new migrations",
    );
  }
}

/**
 * Throws {@linkcode CommandError} when an applied migration depends on one that is not applied,
 * as Django's `InconsistentMigrationHistory`.
 */
export function assertConsistentHistory(
  graph: MigrationGraph,
  applied: ReadonlyMap<string, unknown>,
): void {
  for (const node of graph.nodes.values()) {
    if (!applied.has(node.key)) continue;
    const missing = node.dependencies.find((dependency) => !applied.has(dependency));
    if (missing) {
      const [app, name] = [graph.node(missing).app, graph.node(missing).name];
      throw new CommandError(
        `Migration ${node.key} is applied before its dependency ${missing}: if its changes are ` +
          `in the database, record it with 'manage migrate --fake ${app} ${name}'`,
      );
    }
  }
}

/** Records `node` as applied, or with `backwards` as no longer applied. */
export async function record(
  db: Queryable,
  node: MigrationNode,
  backwards: boolean,
): Promise<void> {
  if (backwards) {
    await db.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE app = $1 AND name = $2`, [
      node.app,
      node.name,
    ]);
  } else {
    await db.query(
      `INSERT INTO ${MIGRATIONS_TABLE} (app, name, checksum) VALUES ($1, $2, $3)`,
      [node.app, node.name, node.checksum],
    );
  }
}
