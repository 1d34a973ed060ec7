// `removeIndex`: an index dropped; it carries the index, so that undoing it creates it again.

import {
  defaultTable,
  type Handler,
  type IndexState,
  isIndex,
  isString,
  modelName,
  modelOf,
  shape,
  snake,
  withOptions,
} from "./_handler.ts";
import { createIndex, dropIndex } from "./_sql.ts";
import { indexIndependent, type IndexOptions } from "./_add_index.ts";

/** Drops an index; carries it, so that undoing it creates it again. */
export interface RemoveIndex {
  /** The kind of operation. */
  readonly kind: "removeIndex";
  /** The model: `app.Model`. */
  readonly model: string;
  /** The model's table. */
  readonly table: string;
  /** The index as it was. */
  readonly index: IndexState;
  /** The columns of the index's fields, in order. */
  readonly columns: readonly string[];
}

/**
 * Drops an index. It takes the index as it was, so that unapplying the migration creates it again.
 *
 * @example
 * ```ts
 * import { removeIndex } from "../mod.ts";
 *
 * const operation = removeIndex("shop.Product", {
 *   name: "shop_product_name_idx",
 *   fields: ["name"],
 *   unique: false,
 * });
 * console.assert(operation.kind === "removeIndex");
 * ```
 */
export function removeIndex(
  model: string,
  index: IndexState,
  options: IndexOptions = {},
): RemoveIndex {
  return {
    kind: "removeIndex",
    model,
    table: options.table ?? defaultTable(model),
    index,
    columns: options.columns ?? index.fields.map(snake),
  };
}

/** An index removal's handler. */
export const removeIndexHandler: Handler<RemoveIndex> = {
  kind: "removeIndex",
  check: shape({ model: isString, table: isString, index: isIndex, columns: Array.isArray }),
  describe: (op) => `Remove index ${op.index.name} from ${modelName(op.model)}`,
  state: (state, op) => {
    const m = modelOf(state, op.model);
    if (!m.indexes.some((index) => index.name === op.index.name)) {
      throw new Error(`${op.model} has no index ${op.index.name}`);
    }
    state.set(op.model, {
      ...m,
      indexes: m.indexes.filter((index) => index.name !== op.index.name),
    });
  },
  sql: (op, backwards) =>
    backwards ? [createIndex(op.table, op.index, op.columns)] : [dropIndex(op.index)],
  reversible: () => true,
  nameFragment: (op) => `remove_${modelName(op.model)}_${op.index.name.toLowerCase()}`,
  source: (op) =>
    withOptions(op, "removeIndex", removeIndex, [op.model, op.index], {
      table: op.table,
      columns: op.columns,
    }),
  fields: () => [],
  reduce: (op, next) => indexIndependent(op.model, op.index.name, next),
};
