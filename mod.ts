/**
 * Django-style management commands for Deno.
 *
 * Apps declare commands in `apps/<app>/commands/<name>.ts`, one per file, as a typed object
 * made by {@linkcode defineCommand} or as a class extending {@linkcode BaseCommand} (the shape
 * Django users know). `deno task registry` generates the registry of every command as literal
 * imports; `manage <name>` (or `deno task manage <name>`) runs one, and {@linkcode callCommand}
 * runs one in-process (by name, given that registry).
 *
 * It is the one public door, and re-exports from each subsystem's entry module: the command
 * framework (`core/mod.ts`), the migration declarations (`apps/db/migrator/operations/mod.ts`:
 * what a migration file writes, without the engine that applies it), the ORM
 * (`apps/db/orm/mod.ts`) and the job queue with its schedules (`apps/jobs/queue/mod.ts`). No npm
 * package is on its module graph: the database drivers load only when a database is opened, and
 * no `node:` module either, so that a command importing it starts quickly.
 *
 * @example A command, typed from its declaration
 * ```ts
 * import { defineCommand } from "./mod.ts";
 *
 * export default defineCommand({
 *   help: "Greets a user by name",
 *   arguments: { name: { help: "who to greet" } },
 *   options: { shout: { type: "boolean", short: "s", help: "greet loudly" } },
 *   handle({ options, stdout, style }) {
 *     const greeting = `Hello, ${options.name}!`;
 *     stdout.write(options.shout ? style.SUCCESS(greeting.toUpperCase()) : greeting);
 *   },
 * });
 * ```
 *
 * @example Running a command from code
 * ```ts
 * import { callCommand, captureOutput } from "./mod.ts";
 * import { registry } from "./commands/_registry.ts";
 *
 * const stdout = captureOutput();
 * await callCommand("show_status", [], { registry, stdout, verbose: true });
 * console.assert(stdout.text === "Verbose mode activated.\n");
 * ```
 *
 * @module
 */

export {
  type AddArgumentOptions,
  BaseCommand,
  type CallOptions,
  COMMAND,
  type Command,
  type CommandClass,
  type CommandContext,
  type CommandDefinition,
  CommandParser,
  defineCommand,
  isCommand,
  type Options,
} from "./core/mod.ts";
export type {
  Action,
  ArgSpec,
  ArgumentDecl,
  ArgumentsDecl,
  ArgumentValue,
  CommonDecl,
  ExclusiveGroup,
  ExclusiveGroupDecl,
  Nargs,
  OptionDecl,
  OptionValue,
  Primitive,
  ScalarOf,
  Signature,
  Simplify,
  SubcommandDecl,
  SubcommandSpec,
  SubValues,
  Values,
  ValuesOf,
  ValueType,
} from "./core/mod.ts";
export { CommandError, type CommandErrorOptions, DefinitionError, UsageError } from "./core/mod.ts";
export { type RetryPolicy, type RetryVerdict, retryVerdict } from "./core/mod.ts";
export { AtomicFile, type AtomicFileOptions, writeFileAtomic } from "./core/mod.ts";
export {
  type CapturedOutput,
  captureOutput,
  OutputWrapper,
  type TextSink,
  type WriteOptions,
} from "./core/mod.ts";
export {
  makeStyle,
  type Palette,
  type Role,
  type RoleLook,
  ROLES,
  type Style,
  type StyleFunc,
} from "./core/mod.ts";
export type { SharedValues } from "./core/mod.ts";
export { RUN_FROM, type RunFrom, RunFromError } from "./core/mod.ts";
export type { Check, CheckContext, CheckLevel, CheckMessage, CheckResult } from "./core/mod.ts";
export { DEFAULT_SETTINGS, defineSettings, type Settings, type SettingsInput } from "./core/mod.ts";
export type {
  CheckModuleEntry,
  DatabaseEntry,
  MigrationEntry,
  ModelsEntry,
  Registry,
  RegistryEntry,
  RegistryStaleness,
  SchedulesEntry,
  SettingsEntry,
} from "./core/mod.ts";
export { callCommand } from "./core/mod.ts";
export {
  type CommandOutput,
  TEST_DATABASE_ENV,
  type TestCase,
  testCase,
  type TestCaseOptions,
} from "./core/mod.ts";
export {
  type Database,
  type LazyDatabase,
  type OpenDatabase,
  type OpenOptions,
  type Queryable,
  redactUrl,
  type Row,
} from "./core/mod.ts";
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
  type IndexOptions,
  isMigration,
  MIGRATION,
  type Migration,
  type MigrationDefinition,
  type MigrationRef,
  type Operation,
  type OperationKinds,
  type ProjectState,
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
} from "./apps/db/migrator/operations/mod.ts";
export {
  type BulkCreateOptions,
  defaultTable,
  defineModel,
  DoesNotExist,
  type Field,
  field,
  type FieldDefault,
  type FieldFor,
  type FieldHasDefault,
  type FieldName,
  type FieldOptions,
  type Fields,
  type FieldState,
  type FieldType,
  type FieldValue,
  type ForeignKeyOptions,
  type HasPrimaryKey,
  type IndexState,
  type InsertOf,
  type IsDefaulted,
  type IsNullable,
  type IsPrimaryKey,
  type IteratorOptions,
  type Lookup,
  type Lookups,
  type LookupValue,
  Manager,
  type Model,
  type ModelOptions,
  type ModelRef,
  type ModelState,
  MultipleObjectsReturned,
  type OnDelete,
  type OrderBy,
  QuerySet,
  type RowOf,
  type SqlQuery,
} from "./apps/db/orm/mod.ts";
export {
  defineSchedule,
  enqueueCommand,
  type Enqueued,
  type EnqueueOptions,
  type JobOptions,
  type LogLevel,
  runWorker,
  type Schedule,
  type ScheduleDefinition,
  Worker,
  type WorkerOptions,
  type WorkerStats,
} from "./apps/jobs/queue/mod.ts";
