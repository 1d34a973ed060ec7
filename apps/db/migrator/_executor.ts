/**
 * The migration engine behind `migrate`, `showmigrations` and `sqlmigrate`: it loads the
 * registered migrations into a graph, reads and records what is applied in the
 * `manage_migrations` table, and applies or unapplies plans under a session-level advisory lock,
 * each migration in its own transaction with the row that records it.
 *
 * @example Apply every migration of a project
 * ```ts ignore
 * import { loadMigrationGraph, migrate } from "./mod.ts";
 * import { registry } from "../../../commands/_registry.ts";
 *
 * const graph = await loadMigrationGraph(registry.migrations);
 * const steps = await migrate(db, graph, { kind: "all" }, { lockTimeout: 60 });
 * ```
 *
 * @module
 */

import type { Database, Queryable } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import { isMigration, type Migration } from "./operations/mod.ts";
import type { MigrationEntry, Registry } from "../../../core/registry.ts";
import {
  buildGraph,
  type GraphInput,
  type MigrationGraph,
  type MigrationNode,
  type MigrationTarget,
  type PlanStep,
} from "./_graph.ts";
import { withMigrationLock } from "./_advisory_lock.ts";
import { canonicalJson } from "../orm/mod.ts";
import { assertReversible, operationSQL } from "./_operations.ts";
import { checkOperation } from "./operations/mod.ts";
import {
  appliedMigrations,
  assertConsistentHistory,
  assertUnchanged,
  ensureMigrationsTable,
  record,
  recordReplacements,
  resolveApplied,
} from "./_recorder.ts";

export {
  buildGraph,
  type GraphInput,
  MigrationGraph,
  migrationKey,
  type MigrationNode,
  type MigrationTarget,
  type PlanStep,
} from "./_graph.ts";
export { type LockOptions, MIGRATION_LOCK_KEY, withMigrationLock } from "./_advisory_lock.ts";
export { assertReversible, describeOperation, migrationSQL, operationSQL } from "./_operations.ts";
export {
  type AppliedMigration,
  appliedMigrations,
  assertConsistentHistory,
  assertUnchanged,
  changedMigrations,
  ensureMigrationsTable,
  hasMigrationsTable,
  MIGRATIONS_TABLE,
  resolveApplied,
} from "./_recorder.ts";

/**
 * The SHA-256 (hex) of a migration's operations and atomic flag, as canonical JSON: what
 * `manage_migrations` records, so an edit to an applied migration is noticed. It needs no
 * source file, so it works the same inside a compiled binary.
 *
 * @example
 * ```ts
 * import { defineMigration, runSQL } from "./mod.ts";
 * import { migrationChecksum } from "./_executor.ts";
 *
 * const sum = await migrationChecksum(defineMigration({ operations: [runSQL("SELECT 1")] }));
 * console.assert(/^[0-9a-f]{64}$/.test(sum));
 * ```
 */
export async function migrationChecksum(migration: Migration): Promise<string> {
  const text = canonicalJson({ atomic: migration.atomic, operations: migration.operations });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Loads the registered migrations (`registry.migrations`) and builds their graph. Throws
 * {@linkcode CommandError} naming the file when a module does not default-export a migration,
 * has a malformed operation, or has an unknown or circular dependency.
 */
export async function loadMigrationGraph(
  entries: readonly MigrationEntry[] | undefined,
): Promise<MigrationGraph> {
  const inputs: GraphInput[] = [];
  for (const entry of entries ?? []) {
    const migration = (await entry.load()).default;
    if (!isMigration(migration)) {
      throw new CommandError(
        `${entry.module} does not default-export a migration: ` +
          "end it with 'export default defineMigration({...})'",
      );
    }
    const bad = migration.operations.findIndex((op) => !checkOperation(op));
    if (bad >= 0) {
      throw new CommandError(
        `${entry.module}: operation ${
          bad + 1
        } is not an operation: make it with runSQL(sql, reverse) or a schema operation (createModel, addField, …)`,
      );
    }
    const checksum = await migrationChecksum(migration);
    inputs.push({ app: entry.app, name: entry.name, module: entry.module, migration, checksum });
  }
  return buildGraph(inputs);
}

/**
 * The installed apps: every app the registry knows of (by its commands, checks, migrations,
 * models or database), sorted.
 */
export function installedApps(registry: Registry): string[] {
  const apps = new Set<string>();
  for (const entry of registry.commands) if (entry.app !== "manage") apps.add(entry.app);
  for (const entry of registry.checks) apps.add(entry.app);
  for (const entry of registry.migrations ?? []) apps.add(entry.app);
  for (const entry of registry.models ?? []) apps.add(entry.app);
  if (registry.database) apps.add(registry.database.app);
  return [...apps].sort();
}

/**
 * What to run to give an app without migrations its first: `makemigrations <app>` for an app
 * with models, `makemigrations --empty <app>` for one without.
 */
export function firstMigrationHint(registry: Registry, app: string): string {
  const hasModels = (registry.models ?? []).some((entry) => entry.app === app);
  return `manage makemigrations ${hasModels ? "" : "--empty "}${app}`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n").map((line) => line.trim()).find((line) => line !== "") ??
    (error instanceof Error ? error.name : "unknown error");
}

async function runOperations(db: Queryable, node: MigrationNode, backwards: boolean) {
  const operations = backwards
    ? [...node.migration.operations].reverse()
    : node.migration.operations;
  for (const operation of operations) {
    const sql = operationSQL(operation, backwards) ?? "";
    if (sql.trim() !== "") await db.exec(sql);
  }
}

/**
 * Applies (or unapplies) one migration and records it in `manage_migrations`: in one transaction
 * for an atomic migration, so a failure leaves the database as it was; for a non-atomic one, the
 * record follows the last statement. With `fake`, only records it. Throws
 * {@linkcode CommandError} naming the migration and the database's error.
 */
export async function runStep(
  db: Database,
  step: PlanStep,
  options: { fake?: boolean; graph?: MigrationGraph } = {},
): Promise<void> {
  const { node, backwards } = step;
  const graph = options.graph;
  try {
    if (options.fake) {
      await record(db, node, backwards, graph);
    } else if (node.migration.atomic) {
      await db.transaction(async (tx) => {
        await runOperations(tx, node, backwards);
        await record(tx, node, backwards, graph);
      });
    } else {
      await runOperations(db, node, backwards);
      await record(db, node, backwards, graph);
    }
  } catch (error) {
    const verb = backwards ? "Unapplying" : "Applying";
    const what = node.migration.atomic || options.fake
      ? "was rolled back"
      : "is not atomic, so what its statements before the failing one did stays: check them";
    throw new CommandError(
      `${verb} ${node.key} failed and ${what}: ${firstLine(error)} (${node.module})`,
      { cause: error },
    );
  }
}

/** What {@linkcode migrate} reports as it goes, as Django's `progress_callback`. */
export type MigrateProgress =
  | { readonly action: "start"; readonly step: PlanStep }
  | { readonly action: "success"; readonly step: PlanStep; readonly elapsed: number }
  | { readonly action: "failure"; readonly step: PlanStep };

/** Options of {@linkcode migrate}. */
export interface MigrateOptions {
  /** Record the migrations as applied (or unapplied) without running their SQL. */
  fake?: boolean;
  /** How long to wait for the migration lock, in seconds (60 by default). */
  lockTimeout?: number;
  /** Stops between migrations (and while waiting for the lock). */
  signal?: AbortSignal;
  /** Called once when another process holds the lock and waiting begins. */
  onWait?: () => void;
  /** Called with the plan once the lock is held, before the first step. */
  onPlan?: (plan: readonly PlanStep[]) => void;
  /** Called before and after each step. */
  progress?: (event: MigrateProgress) => void;
}

/**
 * Brings the database to `target`: takes the migration lock, creates `manage_migrations` if
 * needed, reads what is applied (after taking the lock, so concurrent runs apply each migration
 * once), refuses edited migrations and irreversible unapplies, then runs the plan one migration
 * at a time. Returns the steps run. Migrations applied before a failing one stay applied.
 */
export async function migrate(
  db: Database,
  graph: MigrationGraph,
  target: MigrationTarget,
  options: MigrateOptions = {},
): Promise<PlanStep[]> {
  return await withMigrationLock(db, {
    timeout: options.lockTimeout ?? 60,
    signal: options.signal,
    onWait: options.onWait,
  }, async () => {
    await ensureMigrationsTable(db);
    const resolved = resolveApplied(graph, await appliedMigrations(db));
    const { applied } = resolved;
    graph = resolved.graph;
    assertUnchanged(graph, applied);
    if (!options.fake) assertConsistentHistory(graph, applied);
    const plan = graph.plan(target, applied.keys());
    if (!options.fake) assertReversible(plan);
    options.onPlan?.(plan);
    for (const step of plan) {
      if (options.signal?.aborted) {
        throw new CommandError("Interrupted: the migrations before this point stay applied");
      }
      options.progress?.({ action: "start", step });
      const started = performance.now();
      try {
        await runStep(db, step, { fake: options.fake, graph });
      } catch (error) {
        options.progress?.({ action: "failure", step });
        throw error;
      }
      options.progress?.({ action: "success", step, elapsed: performance.now() - started });
    }
    // Squashed migrations whose replaced migrations are now all applied are recorded too.
    const now = resolveApplied(graph, await appliedMigrations(db));
    await recordReplacements(db, now.graph, now.applied);
    return plan;
  });
}
