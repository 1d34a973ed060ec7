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
  /**
   * False for a squashed migration not recorded yet whose replaced migrations are all applied:
   * it counts as applied, and the next `migrate` records it.
   */
  readonly recorded?: boolean;
}

/**
 * The graph and the applied migrations as a database that recorded `recorded` sees them, as
 * Django's loader: each squashed migration stands in for those it replaces, or is left out when
 * only some of them are applied (see `MigrationGraph.forApplied`), and it counts as applied when
 * all of them are, recorded or not.
 */
export function resolveApplied(
  graph: MigrationGraph,
  recorded: ReadonlyMap<string, AppliedMigration>,
): { graph: MigrationGraph; applied: Map<string, AppliedMigration> } {
  const resolved = graph.forApplied(recorded.keys());
  const applied = new Map(recorded);
  for (const node of resolved.nodes.values()) {
    if (node.replaces.length === 0 || applied.has(node.key)) continue;
    const rows = node.replaces.map((key) => recorded.get(key));
    if (rows.some((row) => row === undefined)) continue;
    const appliedAt = new Date(Math.max(...rows.map((row) => row!.appliedAt.getTime())));
    applied.set(node.key, {
      app: node.app,
      name: node.name,
      appliedAt,
      checksum: null,
      recorded: false,
    });
  }
  return { graph: resolved, applied };
}

/**
 * Records the squashed migrations whose replaced migrations are all applied, as Django's
 * `check_replacements` after a migrate. Returns their keys.
 */
export async function recordReplacements(
  db: Queryable,
  graph: MigrationGraph,
  applied: ReadonlyMap<string, AppliedMigration>,
): Promise<string[]> {
  const keys: string[] = [];
  for (const [key, row] of applied) {
    if (row.recorded !== false || !graph.nodes.has(key)) continue;
    await insertRow(db, row.app, row.name, graph.node(key).checksum);
    keys.push(key);
  }
  return keys;
}

async function insertRow(db: Queryable, app: string, name: string, checksum: string | null) {
  await db.query(
    `INSERT INTO ${MIGRATIONS_TABLE} (app, name, checksum) VALUES ($1, $2, $3) ` +
      "ON CONFLICT (app, name) DO NOTHING",
    [app, name, checksum],
  );
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

/**
 * Records `node` as applied, or with `backwards` as no longer applied. A squashed migration
 * records (or unrecords) the migrations it replaces too, as Django's executor does.
 */
export async function record(
  db: Queryable,
  node: MigrationNode,
  backwards: boolean,
  graph?: MigrationGraph,
): Promise<void> {
  const rows: [string, string, string | null][] = node.replaces.map((key) => {
    const input = graph?.inputs.find((i) => migrationKey(i.app, i.name) === key);
    const dot = key.indexOf(".");
    return [key.slice(0, dot), key.slice(dot + 1), input?.checksum ?? null];
  });
  rows.push([node.app, node.name, node.checksum]);
  for (const [app, name, checksum] of rows) {
    if (backwards) {
      await db.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE app = $1 AND name = $2`, [app, name]);
    } else if (name === node.name && app === node.app) {
      await db.query(
        `INSERT INTO ${MIGRATIONS_TABLE} (app, name, checksum) VALUES ($1, $2, $3)`,
        [app, name, checksum],
      );
    } else {
      await insertRow(db, app, name, checksum);
    }
  }
}
