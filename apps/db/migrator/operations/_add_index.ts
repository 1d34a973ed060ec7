// `addIndex`: an index (or a unique index over several fields) created; a later `removeIndex` of
// it cancels it.

import {
  type AnyOperation,
  defaultTable,
  type Handler,
  independent,
  type IndexState,
  isIndex,
  isString,
  modelName,
  modelOf,
  shape,
  snake,
  type TableOption,
  withOptions,
} from "./_handler.ts";
import { createIndex, dropIndex } from "./_sql.ts";

/** Creates an index (or a unique index over several fields). */
export interface AddIndex {
  /** The kind of operation. */
  readonly kind: "addIndex";
  /** The model: `app.Model`. */
  readonly model: string;
  /** The model's table. */
  readonly table: string;
  /** The index. */
  readonly index: IndexState;
  /** The columns of the index's fields, in order. */
  readonly columns: readonly string[];
}

/** What {@linkcode addIndex} and `removeIndex` take besides the index. */
export interface IndexOptions extends TableOption {
  /** The columns of the index's fields; the snake_case of the field names by default. */
  readonly columns?: readonly string[];
}

/**
 * Creates an index on some of a model's fields (a unique index when `index.unique`).
 *
 * @example
 * ```ts
 * import { addIndex } from "../mod.ts";
 *
 * const operation = addIndex("shop.Product", {
 *   name: "shop_product_name_idx",
 *   fields: ["name"],
 *   unique: false,
 * });
 * console.assert(operation.columns[0] === "name");
 * ```
 */
export function addIndex(model: string, index: IndexState, options: IndexOptions = {}): AddIndex {
  return {
    kind: "addIndex",
    model,
    table: options.table ?? defaultTable(model),
    index,
    columns: options.columns ?? index.fields.map(snake),
  };
}

/** Whether `other` leaves the index `name` of `model` alone. */
export function indexIndependent(model: string, name: string, other: AnyOperation): boolean {
  const o = other as AnyOperation & { model?: unknown; index?: IndexState };
  if (o.model !== model) return independent(model, other) || isString(o.model);
  if (other.kind === "addIndex" || other.kind === "removeIndex") return o.index!.name !== name;
  return false;
}

function reduce(op: AddIndex, next: AnyOperation): readonly AnyOperation[] | boolean {
  const other = next as AddIndex;
  if (
    next.kind === "removeIndex" && other.model === op.model && other.index.name === op.index.name
  ) {
    return [];
  }
  return indexIndependent(op.model, op.index.name, next);
}

/** An index creation's handler. */
export const addIndexHandler: Handler<AddIndex> = {
  kind: "addIndex",
  check: shape({ model: isString, table: isString, index: isIndex, columns: Array.isArray }),
  describe: (op) =>
    `Create index ${op.index.name} on field(s) ${op.index.fields.join(", ")} of model ${
      modelName(op.model)
    }`,
  state: (state, op) => {
    const m = modelOf(state, op.model);
    if (m.indexes.some((index) => index.name === op.index.name)) {
      throw new Error(`${op.model} has an index ${op.index.name} already`);
    }
    state.set(op.model, { ...m, indexes: [...m.indexes, op.index] });
  },
  sql: (op, backwards) =>
    backwards ? [dropIndex(op.index)] : [createIndex(op.table, op.index, op.columns)],
  reversible: () => true,
  nameFragment: (op) => `${modelName(op.model)}_${op.index.name.toLowerCase()}`,
  source: (op) =>
    withOptions(op, "addIndex", addIndex, [op.model, op.index], {
      table: op.table,
      columns: op.columns,
    }),
  fields: () => [],
  reduce,
};
