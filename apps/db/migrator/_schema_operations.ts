/**
 * The schema operations a migration holds, and their builders (`createModel`, `addField`, …):
 * each is plain data that carries everything its SQL and its reverse SQL need (the table, the
 * columns, the old definition), so `sqlmigrate` prints it without reading other migrations.
 * `manage makemigrations` writes them from the models.
 *
 * @module
 */

import {
  defaultTable,
  type FieldState,
  type IndexState,
  type ModelState,
  snakeCase,
} from "../orm/mod.ts";

/** Creates a model's table, with its constraints and indexes. Undone by dropping the table. */
export interface CreateModel {
  /** The kind of operation. */
  readonly kind: "createModel";
  /** The model as created. */
  readonly model: ModelState;
}

/** Drops a model's table. Carries the whole model, so that undoing it recreates the table. */
export interface DeleteModel {
  /** The kind of operation. */
  readonly kind: "deleteModel";
  /** The model as it was. */
  readonly model: ModelState;
}

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

/** A schema operation: one change to the models, which `makemigrations` writes. */
export type SchemaOperation =
  | CreateModel
  | DeleteModel
  | AddField
  | RemoveField
  | AlterField
  | RenameField
  | RenameModel
  | AddIndex
  | RemoveIndex;

/** Where a schema operation finds its model's table, when it is not `<app>_<model>`. */
export interface TableOption {
  /** The model's table; `<app>_<model>` in lower case by default. */
  readonly table?: string;
}

/** What {@linkcode addIndex} and {@linkcode removeIndex} take besides the index. */
export interface IndexOptions extends TableOption {
  /** The columns of the index's fields; the snake_case of the field names by default. */
  readonly columns?: readonly string[];
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
 * Creates a model's table: its columns, primary key, unique and foreign key constraints (with an
 * index on each foreign key) and its indexes.
 *
 * @example
 * ```ts
 * import { createModel, defineMigration } from "./mod.ts";
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

/**
 * Drops a model's table. It takes the whole model, as it was, so that unapplying the migration
 * creates the table again (empty).
 *
 * @example
 * ```ts
 * import { deleteModel } from "./mod.ts";
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

/**
 * Adds a field to a model (`app.Model`). A field that is neither nullable nor defaulted cannot be
 * added to a table that has rows.
 *
 * @example
 * ```ts
 * import { addField } from "./mod.ts";
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

/**
 * Removes a field from a model. It takes the field as it was, so that unapplying the migration
 * adds the column back (its data is lost).
 *
 * @example
 * ```ts
 * import { removeField } from "./mod.ts";
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

/**
 * Changes a field from one definition to another; unapplying changes it back.
 *
 * @example
 * ```ts
 * import { alterField } from "./mod.ts";
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

/**
 * Renames a field, and its column when the column follows the name.
 *
 * @example
 * ```ts
 * import { renameField } from "./mod.ts";
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
    fromColumn: options.fromColumn ?? `${snakeCase(from)}${suffix}`,
    toColumn: options.toColumn ?? options.field?.column ?? `${snakeCase(to)}${suffix}`,
    ...(options.field ? { field: options.field } : {}),
  };
}

/**
 * Renames a model (`app.Old` → `app.New`) and its table. Given the model's fields, the names of
 * its sequences, constraints and foreign key indexes follow the new table too.
 *
 * @example
 * ```ts
 * import { renameModel } from "./mod.ts";
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

/**
 * Creates an index on some of a model's fields (a unique index when `index.unique`).
 *
 * @example
 * ```ts
 * import { addIndex } from "./mod.ts";
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
    columns: options.columns ?? index.fields.map(snakeCase),
  };
}

/**
 * Drops an index. It takes the index as it was, so that unapplying the migration creates it again.
 *
 * @example
 * ```ts
 * import { removeIndex } from "./mod.ts";
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
    columns: options.columns ?? index.fields.map(snakeCase),
  };
}
