/**
 * Models as data: the state of a model's table (its fields, columns, indexes), which
 * `defineModel` produces, schema operations carry, the autodetector compares, and queries read.
 * Everything here is plain JSON, so migrations can hold it verbatim.
 *
 * @module
 */

/** The column types a field can have. */
export type FieldType =
  | "bigserial"
  | "text"
  | "varchar"
  | "integer"
  | "bigint"
  | "numeric"
  | "boolean"
  | "timestamptz"
  | "date"
  | "uuid"
  | "jsonb";

/** What happens to rows that point at a deleted row (`ON DELETE`). */
export type OnDelete = "cascade" | "restrict" | "set null" | "no action";

/** A default value: a constant, or an SQL expression of a fixed few. */
export type FieldDefault = { readonly value: unknown } | {
  readonly sql: "now()" | "gen_random_uuid()";
};

/** One field: a column. */
export interface FieldState {
  /** The column type. */
  readonly type: FieldType;
  /** The column's name (snake_case of the field's name; `<name>_id` for foreign keys). */
  readonly column: string;
  /** For varchar: the maximum length. */
  readonly maxLength?: number;
  /** For numeric: total digits. */
  readonly precision?: number;
  /** For numeric: digits after the point. */
  readonly scale?: number;
  /** NULL is allowed. */
  readonly null: boolean;
  /** The column's default. */
  readonly default?: FieldDefault;
  /** Values are unique. */
  readonly unique: boolean;
  /** It is the primary key. */
  readonly primaryKey: boolean;
  /** For foreign keys: the model (`app.Model`) and table it points at, and what deletes do. */
  readonly references?: {
    readonly model: string;
    readonly table: string;
    readonly onDelete: OnDelete;
  };
}

/** An index on some fields. */
export interface IndexState {
  /** The index's name. */
  readonly name: string;
  /** The fields, in order. */
  readonly fields: readonly string[];
  /** A unique index (a unique constraint on several fields). */
  readonly unique: boolean;
}

/** A model: a table. */
export interface ModelState {
  /** The app (`myapp`). */
  readonly app: string;
  /** The model's name (`MyModel`). */
  readonly name: string;
  /** The table (`myapp_mymodel` by default). */
  readonly table: string;
  /** The fields, in declaration order (the primary key first). */
  readonly fields: Readonly<Record<string, FieldState>>;
  /** Indexes and multi-field unique constraints. */
  readonly indexes: readonly IndexState[];
  /**
   * Many-to-many relations the Django model has and this one does not store (a fixture's field
   * name → the related model, `auth.Group`): fixtures may give them as empty lists.
   */
  readonly manyToMany?: Readonly<Record<string, string>>;
}

/** `createdAt` → `created_at`. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/-/g, "_").toLowerCase();
}

/** `app.Model` for a model state. */
export function modelLabel(model: Pick<ModelState, "app" | "name">): string {
  return `${model.app}.${model.name}`;
}

/** The primary key field's name. */
export function primaryKeyOf(model: ModelState): string {
  const found = Object.entries(model.fields).find(([, field]) => field.primaryKey);
  if (!found) throw new Error(`Model ${modelLabel(model)} has no primary key`);
  return found[0];
}

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
