// `addField`: a column added to a model's table. A later `alterField` or `renameField` of it folds
// into it; a `removeField` of it cancels it.

import {
  type AnyOperation,
  defaultTable,
  fieldIndependent,
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
import type { AlterField } from "./_alter_field.ts";
import type { RemoveField } from "./_remove_field.ts";
import type { RenameField } from "./_rename_field.ts";

/** Adds a field (a column) to a model. */
export interface AddField {
  /** The kind of operation. */
  readonly kind: "addField";
  /** The model: `app.Model`. */
  readonly model: string;
  /** The model's table. */
  readonly table: string;
  /** The field's name. */
  readonly name: string;
  /** The field. */
  readonly field: FieldState;
}

/**
 * Adds a field to a model (`app.Model`). A field that is neither nullable nor defaulted cannot be
 * added to a table that has rows.
 *
 * @example
 * ```ts
 * import { addField } from "../mod.ts";
 *
 * const operation = addField("shop.Product", "price", {
 *   type: "numeric",
 *   column: "price",
 *   precision: 10,
 *   scale: 2,
 *   null: true,
 *   unique: false,
 *   primaryKey: false,
 * });
 * console.assert(operation.table === "shop_product");
 * ```
 */
export function addField(
  model: string,
  name: string,
  field: FieldState,
  options: TableOption = {},
): AddField {
  return { kind: "addField", model, table: options.table ?? defaultTable(model), name, field };
}

function reduce(op: AddField, next: AnyOperation): readonly AddField[] | boolean {
  const other = next as AlterField | RemoveField | RenameField;
  if (other.model === op.model) {
    if (next.kind === "alterField" && (other as AlterField).name === op.name) {
      return [{ ...op, field: (other as AlterField).to }];
    }
    if (next.kind === "removeField" && (other as RemoveField).name === op.name) return [];
    if (next.kind === "renameField" && (other as RenameField).from === op.name) {
      const rename = other as RenameField;
      return [
        { ...op, name: rename.to, field: { ...op.field, column: rename.toColumn } },
      ];
    }
  }
  return fieldIndependent(op.model, op.name, next, op.field);
}

/** A field addition's handler. */
export const addFieldHandler: Handler<AddField> = {
  kind: "addField",
  check: shape({ model: isString, table: isString, name: isString, field: isObject }),
  describe: (op) => `Add field ${op.name} to ${modelName(op.model)}`,
  state: (state, op) => {
    const m = modelOf(state, op.model);
    if (op.name in m.fields) throw new Error(`${op.model} has a field ${op.name} already`);
    state.set(op.model, { ...m, fields: { ...m.fields, [op.name]: op.field } });
  },
  sql: (op, backwards) =>
    backwards ? dropColumn(op.table, op.field) : addColumn(op.table, op.field),
  reversible: () => true,
  nameFragment: (op) => `${modelName(op.model)}_${snake(op.name)}`,
  source: (op) =>
    withOptions(op, "addField", addField, [op.model, op.name, orderField(op.field)], {
      table: op.table,
    }),
  fields: (op) => [op.field],
  reduce,
};
