/**
 * What a migration file declares: the migration (`defineMigration`, in `_migration.ts`) and its
 * operations, one handler per kind, as Django keeps all of an operation on its
 * class. An operation stays plain JSON (`{ kind: "addField", model, table, name, field }`: it is
 * checksummed and stored); its kind's handler says what it needs (`check`), what it does
 * (`describe`), how it changes the models' state (`state`), its SQL and the SQL that undoes it
 * (`sql`, `reversible`), what it adds to a migration's name (`nameFragment`), the builder call
 * that writes it again (`source`), the fields it defines (`fields`) and how it combines with the
 * next operation (`reduce`, for the optimizer of `squashmigrations` and `optimizemigration`).
 *
 * Each kind lives in one file, `_<kind>.ts`: its type, its builder and its handler. The record of
 * handlers, {@linkcode HANDLERS}, and the {@linkcode Operation} union are derived from
 * `_kinds.ts`, one line a kind. So adding a kind (say `alterUniqueTogether`) is one new file and
 * one line in `_kinds.ts` (and its builder's name in the public exports, for users to write it);
 * a handler that lacks a piece, or is filed under another kind's name, does not type-check.
 *
 * This folder imports nothing from the migration engine around it; the engine imports it.
 *
 * @module
 */

import * as kinds from "./_kinds.ts";
import type { AnyOperation, BuilderCall, Handler, ProjectState } from "./_handler.ts";
import type { FieldState } from "../../orm/mod.ts";

export {
  defineMigration,
  isMigration,
  MIGRATION,
  type Migration,
  type MigrationDefinition,
  type MigrationRef,
} from "./_migration.ts";
export { type RunSQL, runSQL } from "./_run_sql.ts";
export { type CreateModel, createModel } from "./_create_model.ts";
export { type DeleteModel, deleteModel } from "./_delete_model.ts";
export { type AddField, addField } from "./_add_field.ts";
export { type RemoveField, removeField } from "./_remove_field.ts";
export { type AlterField, alterField } from "./_alter_field.ts";
export { type RenameField, renameField, type RenameFieldOptions } from "./_rename_field.ts";
export { type RenameModel, renameModel } from "./_rename_model.ts";
export { type AddIndex, addIndex, type IndexOptions } from "./_add_index.ts";
export { type RemoveIndex, removeIndex } from "./_remove_index.ts";
export {
  type AnyOperation,
  type BuilderCall,
  type Handler,
  type ProjectState,
  same,
  splitLabel,
  type TableOption,
} from "./_handler.ts";

/** The handlers by kind, as `_kinds.ts` lists them. */
export type OperationKinds = typeof kinds;

/** One step of a migration: raw SQL, or a schema operation (one member per kind). */
export type Operation = {
  [K in keyof OperationKinds]: OperationKinds[K] extends Handler<infer Op> ? Op : never;
}[keyof OperationKinds];

/** A schema operation: one change to the models, which `makemigrations` writes. */
export type SchemaOperation = Exclude<Operation, { kind: "sql" }>;

/** The handler of each kind: a record with one entry a kind, each complete. */
export const HANDLERS: {
  readonly [K in Operation["kind"]]: Handler<Extract<Operation, { kind: K }>>;
} = kinds;

/** The type-level guarantee: each handler is filed under its own kind. */
type FiledUnderItsKind = {
  [K in keyof OperationKinds]: OperationKinds[K] extends Handler<{ kind: K }> ? true : false;
}[keyof OperationKinds];
const filedUnderItsKind: FiledUnderItsKind = true;
void filedUnderItsKind;

function handler<Op extends Operation>(op: Op): Handler<Op> {
  return HANDLERS[op.kind] as unknown as Handler<Op>;
}

/** Whether `value` is an operation: a known kind with the properties that kind needs. */
export function checkOperation(value: unknown): value is Operation {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== "string" || !Object.hasOwn(HANDLERS, kind)) return false;
  return HANDLERS[kind as Operation["kind"]].check(value as Record<string, unknown>);
}

/** What a migration's operation is, in a line, as Django's `Operation.describe()`. */
export function describeOperation(operation: Operation): string {
  return handler(operation).describe(operation);
}

/**
 * Applies one operation to `state` (in place). Throws an `Error` saying what does not fit, for
 * the caller to put in context.
 */
export function applyOperation(state: ProjectState, operation: Operation): void {
  handler(operation).state(state, operation);
}

/**
 * The SQL an operation runs (or with `backwards`, the SQL that undoes it): statements separated
 * by `;` and a new line, `""` for an operation that changes nothing, `undefined` for raw SQL
 * without a reverse.
 */
export function operationSQL(operation: Operation, backwards = false): string | undefined {
  return handler(operation).sql(operation, backwards)?.join(";\n");
}

/** Whether an operation can be undone. */
export function isReversible(operation: Operation): boolean {
  return handler(operation).reversible(operation);
}

/** What an operation adds to a migration's name, as Django's `migration_name_fragment`. */
export function nameFragment(operation: Operation): string {
  return handler(operation).nameFragment(operation);
}

/** The builder and the arguments that make `operation` again, the options left out where defaults fit. */
export function builderCall(operation: Operation): BuilderCall {
  return handler(operation).source(operation);
}

/** The fields an operation defines. */
export function operationFields(operation: Operation): readonly FieldState[] {
  return handler(operation).fields(operation);
}

/**
 * `operation` followed by `next` as a shorter list, as Django's `Operation.reduce()`: a list when
 * they combine (`[]` when they cancel out), `true` when `next` does not touch what `operation`
 * touches, `false` when it does.
 */
export function reduceOperation(
  operation: Operation,
  next: Operation,
): readonly Operation[] | boolean {
  return handler(operation).reduce(operation, next as AnyOperation) as
    | readonly Operation[]
    | boolean;
}

/**
 * The operations with pairs that combine replaced by their combination, as Django's
 * `MigrationOptimizer.optimize()`: each operation is reduced with a later one when everything in
 * between may move past one of the two; repeated until nothing changes.
 */
export function optimizeOperations(operations: readonly Operation[]): Operation[] {
  let current = [...operations];
  for (;;) {
    const next = optimizeOnce(current);
    if (next.length === current.length && next.every((op, i) => op === current[i])) return next;
    current = next;
  }
}

function optimizeOnce(operations: readonly Operation[]): Operation[] {
  const result: Operation[] = [];
  for (let i = 0; i < operations.length; i++) {
    const operation = operations[i];
    let right = true;
    let reduced = false;
    for (let j = i + 1; j < operations.length; j++) {
      const other = operations[j];
      const outcome = reduceOperation(operation, other);
      if (Array.isArray(outcome)) {
        const between = operations.slice(i + 1, j);
        if (right) {
          result.push(...between, ...(outcome as Operation[]));
        } else if (between.every((op) => reduceOperation(op, other) === true)) {
          result.push(...(outcome as Operation[]), ...between);
        } else {
          // Keep trying with the next operation.
          result.push(operation);
          reduced = true;
          break;
        }
        result.push(...operations.slice(j + 1));
        return result;
      }
      if (outcome === false) right = false;
    }
    if (!reduced) result.push(operation);
  }
  return result;
}
