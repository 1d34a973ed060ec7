// `renameModel`: a model (and its table, with the sequences, constraints and indexes named after
// it) renamed; foreign keys to it follow it. A rename of the renamed model folds into it; one
// back to the old name cancels it.

import {
  type AnyOperation,
  defaultTable,
  type FieldState,
  type Handler,
  independent,
  isString,
  modelOf,
  type ModelState,
  objectName,
  orderFields,
  shape,
  shortest,
  splitLabel,
} from "./_handler.ts";
import { renameTable } from "./_sql.ts";

/** Renames a model (and its table). */
export interface RenameModel {
  /** The kind of operation. */
  readonly kind: "renameModel";
  /** The old label: `app.Old`. */
  readonly from: string;
  /** The new label: `app.New`. */
  readonly to: string;
  /** The old table. */
  readonly fromTable: string;
  /** The new table. */
  readonly toTable: string;
  /**
   * The model's fields, when known: the names of their sequences, constraints and indexes follow
   * the table.
   */
  readonly fields?: Readonly<Record<string, FieldState>>;
}

/**
 * Renames a model (`app.Old` → `app.New`) and its table. Given the model's fields, the names of
 * its sequences, constraints and foreign key indexes follow the new table too.
 *
 * @example
 * ```ts
 * import { renameModel } from "../mod.ts";
 *
 * const operation = renameModel("shop.Item", "shop.Product");
 * console.assert(operation.fromTable === "shop_item" && operation.toTable === "shop_product");
 * ```
 */
export function renameModel(
  from: string,
  to: string,
  fromTable: string = defaultTable(from),
  toTable: string = defaultTable(to),
  fields?: Readonly<Record<string, FieldState>>,
): RenameModel {
  return { kind: "renameModel", from, to, fromTable, toTable, ...(fields ? { fields } : {}) };
}

function reduce(op: RenameModel, next: AnyOperation): readonly RenameModel[] | boolean {
  const other = next as RenameModel;
  if (next.kind === "renameModel" && other.from === op.to) {
    if (other.to === op.from && other.toTable === op.fromTable) return [];
    return [renameModel(op.from, other.to, op.fromTable, other.toTable, op.fields ?? other.fields)];
  }
  return independent(op.from, next) && independent(op.to, next);
}

/** A model rename's handler. */
export const renameModelHandler: Handler<RenameModel> = {
  kind: "renameModel",
  check: shape({ from: isString, to: isString, fromTable: isString, toTable: isString }),
  describe: (op) => `Rename model ${objectName(op.from)} to ${objectName(op.to)}`,
  state: (state, op) => {
    const m = modelOf(state, op.from);
    if (state.has(op.to)) throw new Error(`it renames ${op.from} to ${op.to}, which exists`);
    const [app, name] = splitLabel(op.to);
    const entries = [...state.entries()].map(([label, value]): [string, ModelState] =>
      label === op.from ? [op.to, { ...m, app, name, table: op.toTable }] : [label, value]
    );
    state.clear();
    for (const [label, value] of entries) {
      // Foreign keys to the renamed model follow it.
      const fields = Object.entries(value.fields);
      if (!fields.some(([, f]) => f.references?.model === op.from)) {
        state.set(label, value);
        continue;
      }
      state.set(label, {
        ...value,
        fields: Object.fromEntries(
          fields.map(([k, f]) =>
            f.references?.model === op.from
              ? [k, { ...f, references: { ...f.references, model: op.to, table: op.toTable } }]
              : [k, f]
          ),
        ),
      });
    }
  },
  sql: (op, backwards) =>
    backwards
      ? renameTable(op.toTable, op.fromTable, op.fields)
      : renameTable(op.fromTable, op.toTable, op.fields),
  reversible: () => true,
  nameFragment: (op) =>
    `rename_${splitLabel(op.from)[1].toLowerCase()}_${splitLabel(op.to)[1].toLowerCase()}`,
  source: (op) => {
    const fields = op.fields ? orderFields(op.fields) : undefined;
    const candidates: Parameters<typeof renameModel>[] = [
      [op.from, op.to],
      [op.from, op.to, op.fromTable, op.toTable],
      [op.from, op.to, op.fromTable, op.toTable, fields],
    ];
    return ["renameModel", shortest(op, renameModel, candidates)];
  },
  fields: () => [],
  reduce,
};
