// The types every operation shares, derived from `_kinds.ts`: the union of the kinds' operations
// and the record of their handlers' types. Apart from the entry module so that what it gathers
// (the migration, `_migration.ts`) can name an operation without importing it back.

import type { Handler } from "./_handler.ts";
import type * as kinds from "./_kinds.ts";

/** The handlers by kind, as `_kinds.ts` lists them. */
export type OperationKinds = typeof kinds;

/** One step of a migration: raw SQL, or a schema operation (one member per kind). */
export type Operation = {
  [K in keyof OperationKinds]: OperationKinds[K] extends Handler<infer Op> ? Op : never;
}[keyof OperationKinds];

/** A schema operation: one change to the models, which `makemigrations` writes. */
export type SchemaOperation = Exclude<Operation, { kind: "sql" }>;
