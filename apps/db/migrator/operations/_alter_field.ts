// `alterField`: a field's definition changed. A later change of the same field folds into it (and
// one that changes it back cancels it); a later removal of it takes its place.

import {
  type AnyOperation,
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
  replaceField,
  same,
  shape,
  snake,
  type TableOption,
  withOptions,
} from "./_handler.ts";
import { alterColumn } from "./_sql.ts";
import type { RemoveField } from "./_remove_field.ts";

/** Changes a field's definition (type, null, default, unique, foreign key, column). */
export interface AlterField {
  /** The kind of operation. */
  readonly kind: "alterField";
  /** The model: `app.Model`. */
  readonly model: string;
  /** The model's table. */
  readonly table: string;
  /** The field's name. */
  readonly name: string;
  /** The field before. */
  readonly from: FieldState;
  /** The field after. */
  readonly to: FieldState;
}

/**
 * Changes a field from one definition to another; unapplying changes it back.
 *
 * @example
 * ```ts
 * import { alterField } from "../mod.ts";
 *
 * const before = {
 *   type: "varchar",
 *   column: "name",
 *   maxLength: 50,
 *   null: false,
 *   unique: false,
 *   primaryKey: false,
 * } as const;
 * const operation = alterField("shop.Product", "name", before, { ...before, maxLength: 100 });
 * console.assert(operation.to.maxLength === 100);
 * ```
 */
export function alterField(
  model: string,
  name: string,
  from: FieldState,
  to: FieldState,
  options: TableOption = {},
): AlterField {
  return { kind: "alterField", model, table: options.table ?? defaultTable(model), name, from, to };
}

function reduce(
  op: AlterField,
  next: AnyOperation,
): readonly (AlterField | RemoveField)[] | boolean {
  const other = next as AlterField | RemoveField;
  if (other.model === op.model && other.name === op.name) {
    if (next.kind === "alterField") {
      const to = (other as AlterField).to;
      return same(op.from, to) ? [] : [{ ...op, to }];
    }
    // The removal undone gives the field back as it was before both.
    if (next.kind === "removeField") return [{ ...(other as RemoveField), field: op.from }];
  }
  return fieldIndependent(op.model, op.name, next, op.to);
}

/** A field change's handler. */
export const alterFieldHandler: Handler<AlterField> = {
  kind: "alterField",
  check: shape({
    model: isString,
    table: isString,
    name: isString,
    from: isObject,
    to: isObject,
  }),
  describe: (op) => `Alter field ${op.name} on ${modelName(op.model)}`,
  state: (state, op) => {
    const m = modelOf(state, op.model);
    fieldOf(state, op.model, op.name);
    state.set(op.model, { ...m, fields: replaceField(m.fields, op.name, op.name, op.to) });
  },
  sql: (op, backwards) =>
    backwards ? alterColumn(op.table, op.to, op.from) : alterColumn(op.table, op.from, op.to),
  reversible: () => true,
  nameFragment: (op) => `alter_${modelName(op.model)}_${snake(op.name)}`,
  source: (op) =>
    withOptions(
      op,
      "alterField",
      alterField,
      [op.model, op.name, orderField(op.from), orderField(op.to)],
      { table: op.table },
    ),
  fields: (op) => [op.to],
  reduce,
};
