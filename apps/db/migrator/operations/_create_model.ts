// `createModel`: a model's table, with its constraints and indexes. The optimizer folds the later
// operations on the model into it (fields added, altered, renamed and removed, indexes, a
// rename), and a `deleteModel` of it cancels it.

import {
  type AnyOperation,
  type FieldState,
  type Handler,
  independent,
  isModel,
  type ModelState,
  orderModel,
  replaceField,
  shape,
  splitLabel,
} from "./_handler.ts";
import { createTable, dropTable } from "./_sql.ts";
import type { AddField } from "./_add_field.ts";
import type { AlterField } from "./_alter_field.ts";
import type { RemoveField } from "./_remove_field.ts";
import type { RenameField } from "./_rename_field.ts";
import type { RenameModel } from "./_rename_model.ts";
import type { AddIndex } from "./_add_index.ts";
import type { RemoveIndex } from "./_remove_index.ts";

/** Creates a model's table, with its constraints and indexes. Undone by dropping the table. */
export interface CreateModel {
  /** The kind of operation. */
  readonly kind: "createModel";
  /** The model as created. */
  readonly model: ModelState;
}

/**
 * Creates a model's table: its columns, primary key, unique and foreign key constraints (with an
 * index on each foreign key) and its indexes.
 *
 * @example
 * ```ts
 * import { createModel, defineMigration } from "../mod.ts";
 *
 * export default defineMigration({
 *   operations: [
 *     createModel({
 *       app: "shop",
 *       name: "Product",
 *       table: "shop_product",
 *       fields: {
 *         id: { type: "bigserial", column: "id", null: false, unique: false, primaryKey: true },
 *         name: { type: "text", column: "name", null: false, unique: false, primaryKey: false },
 *       },
 *       indexes: [],
 *     }),
 *   ],
 * });
 * ```
 */
export function createModel(model: ModelState): CreateModel {
  return { kind: "createModel", model };
}

const labelOf = (model: ModelState) => `${model.app}.${model.name}`;

/** The model with `next` (an operation on it) folded in, or undefined when it does not fold. */
function fold(model: ModelState, next: AnyOperation): ModelState | undefined {
  const label = labelOf(model);
  const with_ = (fields: Record<string, FieldState>, indexes = model.indexes): ModelState => ({
    ...model,
    fields,
    indexes,
  });
  switch (next.kind) {
    case "addField": {
      const op = next as AddField;
      if (op.model !== label || op.name in model.fields) return undefined;
      return with_({ ...model.fields, [op.name]: op.field });
    }
    case "alterField": {
      const op = next as AlterField;
      if (op.model !== label || !(op.name in model.fields)) return undefined;
      return with_(replaceField(model.fields, op.name, op.name, op.to));
    }
    case "removeField": {
      const op = next as RemoveField;
      if (op.model !== label || !(op.name in model.fields)) return undefined;
      const fields = { ...model.fields };
      delete fields[op.name];
      return with_(fields, model.indexes.filter((index) => !index.fields.includes(op.name)));
    }
    case "renameField": {
      const op = next as RenameField;
      const old = model.fields[op.from];
      if (op.model !== label || !old || op.to in model.fields) return undefined;
      return with_(
        replaceField(model.fields, op.from, op.to, { ...old, column: op.toColumn }),
        model.indexes.map((index) => ({
          ...index,
          fields: index.fields.map((f) => f === op.from ? op.to : f),
        })),
      );
    }
    case "addIndex": {
      const op = next as AddIndex;
      if (op.model !== label || model.indexes.some((i) => i.name === op.index.name)) {
        return undefined;
      }
      return with_({ ...model.fields }, [...model.indexes, op.index]);
    }
    case "removeIndex": {
      const op = next as RemoveIndex;
      if (op.model !== label || !model.indexes.some((i) => i.name === op.index.name)) {
        return undefined;
      }
      return with_({ ...model.fields }, model.indexes.filter((i) => i.name !== op.index.name));
    }
    case "renameModel": {
      const op = next as RenameModel;
      if (op.from !== label) return undefined;
      const [app, name] = splitLabel(op.to);
      return { ...model, app, name, table: op.toTable };
    }
  }
  return undefined;
}

/** A model creation's handler. */
export const createModelHandler: Handler<CreateModel> = {
  kind: "createModel",
  check: shape({ model: isModel }),
  describe: (op) => `Create model ${op.model.name}`,
  state: (state, op) => {
    const label = labelOf(op.model);
    if (state.has(label)) throw new Error(`it creates model ${label}, which exists already`);
    state.set(label, op.model);
  },
  sql: (op, backwards) => backwards ? dropTable(op.model) : createTable(op.model),
  reversible: () => true,
  nameFragment: (op) => op.model.name.toLowerCase(),
  source: (op) => ["createModel", [orderModel(op.model)]],
  fields: (op) => Object.values(op.model.fields),
  reduce: (op, next) => {
    const label = labelOf(op.model);
    if (next.kind === "deleteModel") {
      const deleted = (next as CreateModel).model;
      if (labelOf(deleted) === label) return [];
    }
    const folded = fold(op.model, next);
    if (folded) return [createModel(folded)];
    // It stays before what it points at, too.
    return independent(label, next) &&
      Object.values(op.model.fields).every((field) => {
        const target = field.references?.model;
        return target === undefined || target === label || independent(target, next);
      });
  },
};
