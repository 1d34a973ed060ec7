/**
 * How an app declares a migration: `apps/<app>/migrations/NNNN_name.ts` default-exports
 * {@linkcode defineMigration}`({ dependencies, operations })`. The registry lists every migration
 * statically; the migration engine applies them (`manage migrate`).
 *
 * Operations are raw SQL (`runSQL`) or schema operations (`createModel`, `addField`, …, one file
 * a kind in this folder), which `manage makemigrations` writes from the models.
 *
 * @module
 */

import type { Operation } from "./mod.ts";

/** A reference to another migration: `[app, name]`, such as `["auth", "0001_initial"]`. */
export type MigrationRef = readonly [app: string, name: string];

/** What {@linkcode defineMigration} takes. */
export interface MigrationDefinition {
  /** Migrations (of this app or others) that must be applied first. */
  dependencies?: readonly MigrationRef[];
  /**
   * Run the whole migration in one transaction (the default). Set false for statements that
   * cannot run in a transaction, such as `CREATE INDEX CONCURRENTLY`.
   */
  atomic?: boolean;
  /** The steps, applied in order (and undone in reverse order). */
  operations: readonly Operation[];
  /**
   * The migrations of this app that this one squashes (`manage squashmigrations` writes it), as
   * Django's `replaces`: a database that applied all of them counts this one as applied, one that
   * applied none applies this one instead, and one that applied some goes on with them.
   */
  replaces?: readonly MigrationRef[];
}

/** The brand that marks an object as a migration (see {@linkcode isMigration}). */
export const MIGRATION: unique symbol = Symbol.for("manage.migration") as never;

/** A migration, ready to apply. */
export interface Migration {
  /** Brand that marks a migration object. */
  readonly [MIGRATION]: true;
  /** Migrations that must be applied first. */
  readonly dependencies: readonly MigrationRef[];
  /** Whether it runs in one transaction. */
  readonly atomic: boolean;
  /** Its steps. */
  readonly operations: readonly Operation[];
  /** The migrations it squashes (none for an ordinary migration). */
  readonly replaces: readonly MigrationRef[];
}

/**
 * Defines a migration.
 *
 * @example
 * ```ts
 * import { defineMigration, runSQL } from "./mod.ts";
 *
 * export default defineMigration({
 *   operations: [
 *     runSQL(
 *       "CREATE TABLE myapp_mymodel (id bigserial PRIMARY KEY, name text NOT NULL)",
 *       "DROP TABLE myapp_mymodel",
 *     ),
 *   ],
 * });
 * ```
 */
export function defineMigration(definition: MigrationDefinition): Migration {
  return {
    [MIGRATION]: true,
    dependencies: definition.dependencies ?? [],
    atomic: definition.atomic ?? true,
    operations: definition.operations,
    replaces: definition.replaces ?? [],
  };
}

/** Whether `value` is a migration made by {@linkcode defineMigration}. */
export function isMigration(value: unknown): value is Migration {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[MIGRATION] === true;
}
