// `renameField`: a field (and its column, when the column follows the name) renamed. A rename of
// the renamed field folds into it; one back to the old name cancels it.

import {
  type AnyOperation,
  defaultTable,
  fieldIndependent,
  fieldOf,
  type FieldState,
  type Handler,
  isString,
  modelName,
  modelOf,
  orderField,
  replaceField,
  shape,
  snake,
  type TableOption,
  withOptions,
} from "./_handler.ts";
import { renameColumn } from "./_sql.ts";

/** Renames a field (and its column, when the column follows the name). */
export interface RenameField {
  /** The kind of operation. */
  readonly kind: "renameField";
  /** The model: `app.Model`. */
  readonly model: string;
  /** The model's table. */
  readonly table: string;
  /** The old name. */
  readonly from: string;
  /** The new name. */
  readonly to: string;
  /** The old column. */
  readonly fromColumn: string;
  /** The new column. */
  readonly toColumn: string;
  /**
   * The field (as renamed), when it is unique or a foreign key: the names of its constraints and
   * index follow the column.
   */
  readonly field?: FieldState;
}

/** What {@linkcode renameField} takes besides the names. */
export interface RenameFieldOptions extends TableOption {
  /**
   * The field as renamed. Give it when the field is unique or a foreign key (the names of its
   * constraints and index follow the column) or its column is not the snake_case of its name.
   */
  readonly field?: FieldState;
  /** The old column; the snake_case of the old name (with `_id` for a foreign key) by default. */
  readonly fromColumn?: string;
  /** The new column; the field's column, or the snake_case of the new name, by default. */
  readonly toColumn?: string;
}

/**
 * Renames a field, and its column when the column follows the name.
 *
 * @example
 * ```ts
 * import { renameField } from "../mod.ts";
 *
 * const operation = renameField("shop.Product", "title", "name");
 * console.assert(operation.fromColumn === "title" && operation.toColumn === "name");
 * ```
 */
export function renameField(
  model: string,
  from: string,
  to: string,
  options: RenameFieldOptions = {},
): RenameField {
  const suffix = options.field?.references ? "_id" : "";
  return {
    kind: "renameField",
    model,
    table: options.table ?? defaultTable(model),
    from,
    to,
    fromColumn: options.fromColumn ?? `${snake(from)}${suffix}`,
    toColumn: options.toColumn ?? options.field?.column ?? `${snake(to)}${suffix}`,
    ...(options.field ? { field: options.field } : {}),
  };
}

function reduce(op: RenameField, next: AnyOperation): readonly RenameField[] | boolean {
  const other = next as RenameField;
  if (next.kind === "renameField" && other.model === op.model && other.from === op.to) {
    if (other.to === op.from && other.toColumn === op.fromColumn) return [];
    const field = other.field ?? op.field;
    return [{
      ...op,
      to: other.to,
      toColumn: other.toColumn,
      ...(field ? { field: { ...field, column: other.toColumn } } : {}),
    }];
  }
  // Later operations name the field by its new name.
  return fieldIndependent(op.model, op.from, next) && fieldIndependent(op.model, op.to, next);
}

/** A field rename's handler. */
export const renameFieldHandler: Handler<RenameField> = {
  kind: "renameField",
  check: shape({
    model: isString,
    table: isString,
    from: isString,
    to: isString,
    fromColumn: isString,
    toColumn: isString,
  }),
  describe: (op) => `Rename field ${op.from} on ${modelName(op.model)} to ${op.to}`,
  state: (state, op) => {
    const m = modelOf(state, op.model);
    const old = fieldOf(state, op.model, op.from);
    if (op.to in m.fields) throw new Error(`${op.model} has a field ${op.to} already`);
    const renamed = { ...old, column: op.toColumn };
    state.set(op.model, {
      ...m,
      fields: replaceField(m.fields, op.from, op.to, renamed),
      indexes: m.indexes.map((index) => ({
        ...index,
        fields: index.fields.map((f) => f === op.from ? op.to : f),
      })),
    });
  },
  sql: (op, backwards) =>
    backwards
      ? renameColumn(op.table, op.toColumn, op.fromColumn, op.field)
      : renameColumn(op.table, op.fromColumn, op.toColumn, op.field),
  reversible: () => true,
  nameFragment: (op) => `rename_${snake(op.from)}_${modelName(op.model)}_${snake(op.to)}`,
  source: (op) =>
    withOptions(op, "renameField", renameField, [op.model, op.from, op.to], {
      table: op.table,
      fromColumn: op.fromColumn,
      toColumn: op.toColumn,
      field: op.field ? orderField(op.field) : undefined,
    }),
  fields: () => [],
  reduce,
};
