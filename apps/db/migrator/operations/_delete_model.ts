// `deleteModel`: drops a model's table; it carries the whole model, so that undoing it creates
// the table again.

import {
  type Handler,
  independent,
  isModel,
  modelOf,
  type ModelState,
  orderModel,
  shape,
} from "./_handler.ts";
import { createTable, dropTable } from "./_sql.ts";

/** Drops a model's table. Carries the whole model, so that undoing it recreates the table. */
export interface DeleteModel {
  /** The kind of operation. */
  readonly kind: "deleteModel";
  /** The model as it was. */
  readonly model: ModelState;
}

/**
 * Drops a model's table. It takes the whole model, as it was, so that unapplying the migration
 * creates the table again (empty).
 *
 * @example
 * ```ts
 * import { deleteModel } from "../mod.ts";
 *
 * const operation = deleteModel({
 *   app: "shop",
 *   name: "Coupon",
 *   table: "shop_coupon",
 *   fields: {
 *     id: { type: "bigserial", column: "id", null: false, unique: false, primaryKey: true },
 *   },
 *   indexes: [],
 * });
 * console.assert(operation.kind === "deleteModel");
 * ```
 */
export function deleteModel(model: ModelState): DeleteModel {
  return { kind: "deleteModel", model };
}

/** A model deletion's handler. */
export const deleteModelHandler: Handler<DeleteModel> = {
  kind: "deleteModel",
  check: shape({ model: isModel }),
  describe: (op) => `Delete model ${op.model.name}`,
  state: (state, op) => {
    const label = `${op.model.app}.${op.model.name}`;
    modelOf(state, label);
    state.delete(label);
  },
  sql: (op, backwards) => backwards ? createTable(op.model) : dropTable(op.model),
  reversible: () => true,
  nameFragment: (op) => `delete_${op.model.name.toLowerCase()}`,
  source: (op) => ["deleteModel", [orderModel(op.model)]],
  fields: () => [],
  reduce: (op, next) => independent(`${op.model.app}.${op.model.name}`, next),
};
