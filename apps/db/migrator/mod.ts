/**
 * The migration engine, as Django's `django.db.migrations`: how an app declares a migration, and
 * what `migrate`, `showmigrations`, `sqlmigrate` and `makemigrations` do with them.
 *
 * - Declarations: `defineMigration({ dependencies, operations })`, raw SQL (`runSQL`) and the
 *   schema operations (`createModel`, `addField`, `renameModel`, …), plain JSON that carries what
 *   its SQL and its reverse need.
 * - The graph of the registered migrations (`loadMigrationGraph`) and the plans walked on it.
 * - The executor (`migrate`): applies or unapplies a plan under a session-level advisory lock,
 *   each migration in its own transaction with the `manage_migrations` row that records it
 *   (the recorder), and refuses what cannot be undone.
 * - The declarations (`operations/`): the migration (`defineMigration`) and its operations, one
 *   file per kind, each with its one handler (its shape check, description, state, SQL, name
 *   fragment, source and reduction), gathered in one record. `mod.ts` at the root re-exports
 *   them from there, so that a command that imports it does not load this engine.
 * - The SQL of a migration (`sqlmigrate`) and the refusal to unapply what cannot be undone.
 * - The state the migrations leave, the autodetector that compares it with the models, and the
 *   writer of the migration files `makemigrations` makes.
 *
 * It stands on the ORM's model state (`../orm/mod.ts`) and the command framework; it opens no
 * database (it is given one) and imports no driver.
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

export { detectChanges, parseRenames, referencedModels } from "./_autodetector.ts";
export { firstMigrationHint, installedApps, loadMigrationGraph, migrate } from "./_executor.ts";
export type { MigrationGraph, MigrationNode, MigrationTarget, PlanStep } from "./_graph.ts";
export { describeOperation, migrationSQL } from "./_operations.ts";
export { type ProjectState, projectState, splitLabel } from "./_project_state.ts";
export {
  appliedMigrations,
  assertConsistentHistory,
  assertUnchanged,
  changedMigrations,
  MIGRATIONS_TABLE,
  resolveApplied,
} from "./_recorder.ts";
export {
  type AddField,
  addField,
  type AddIndex,
  addIndex,
  type AlterField,
  alterField,
  type AnyOperation,
  type BuilderCall,
  type CreateModel,
  createModel,
  defineMigration,
  type DeleteModel,
  deleteModel,
  type Handler,
  HANDLERS,
  type IndexOptions,
  isMigration,
  MIGRATION,
  type Migration,
  type MigrationDefinition,
  type MigrationRef,
  nameFragment,
  type Operation,
  type OperationKinds,
  optimizeOperations,
  type RemoveField,
  removeField,
  type RemoveIndex,
  removeIndex,
  type RenameField,
  renameField,
  type RenameFieldOptions,
  type RenameModel,
  renameModel,
  type RunSQL,
  runSQL,
  type SchemaOperation,
  type TableOption,
} from "./operations/mod.ts";
export { migrationSource } from "./_writer.ts";
