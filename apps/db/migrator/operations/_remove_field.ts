// `removeField`: drops a column; it carries the field, so that undoing it adds the column back.

import {
  defaultTable,
  fieldIndependent,
  fieldOf,
  type FieldState,
  type Handler,
  isObject,
  isString,
  modelName,
  modelOf,
  orderField,
  shape,
  snake,
  type TableOption,
  withOptions,
} from "./_handler.ts";
import { addColumn, dropColumn } from "./_sql.ts";

/** Removes a field; carries the field, so that undoing it adds the column back (empty). */
export interface RemoveField {
  /** The kind of operation. */
  readonly kind: "removeField";
  /** The model: `app.Model`. */
  readonly model: string;
  /** The model's table. */
  readonly table: string;
  /** The field's name. */
  readonly name: string;
  /** The field as it was. */
  readonly field: FieldState;
}

/**
 * Removes a field from a model. It takes the field as it was, so that unapplying the migration
 * adds the column back (its data is lost).
 *
 * @example
 * ```ts
 * import { removeField } from "../mod.ts";
 *
 * const operation = removeField("shop.Product", "price", {
 *   type: "integer",
 *   column: "price",
 *   null: true,
 *   unique: false,
 *   primaryKey: false,
 * });
 * console.assert(operation.kind === "removeField");
 * ```
 */
export function removeField(
  model: string,
  name: string,
  field: FieldState,
  options: TableOption = {},
): RemoveField {
  return { kind: "removeField", model, table: options.table ?? defaultTable(model), name, field };
}

/** A field removal's handler. */
export const removeFieldHandler: Handler<RemoveField> = {
  kind: "removeField",
  check: shape({ model: isString, table: isString, name: isString, field: isObject }),
  describe: (op) => `Remove field ${op.name} from ${modelName(op.model)}`,
  state: (state, op) => {
    const m = modelOf(state, op.model);
    fieldOf(state, op.model, op.name);
    const fields = { ...m.fields };
    delete fields[op.name];
    const indexes = m.indexes.filter((index) => !index.fields.includes(op.name));
    state.set(op.model, { ...m, fields, indexes });
  },
  sql: (op, backwards) =>
    backwards ? addColumn(op.table, op.field, true) : dropColumn(op.table, op.field),
  reversible: () => true,
  nameFragment: (op) => `remove_${modelName(op.model)}_${snake(op.name)}`,
  source: (op) =>
    withOptions(op, "removeField", removeField, [op.model, op.name, orderField(op.field)], {
      table: op.table,
    }),
  fields: () => [],
  reduce: (op, next) => fieldIndependent(op.model, op.name, next, op.field),
};
