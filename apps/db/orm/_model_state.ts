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

/**
 * `createdAt` → `created_at`, `due-date` → `due_date`: the column a field's key gives, and the
 * name fixtures and migration names use for it.
 *
 * @example
 * ```ts
 * import { snakeCase } from "./_model_state.ts";
 *
 * console.assert(snakeCase("createdAt") === "created_at");
 * console.assert(snakeCase("due-date") === "due_date");
 * ```
 */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/-/g, "_").toLowerCase();
}

/**
 * `shop.BookAuthor` → `["shop", "BookAuthor"]`. Throws when the label is not an app label (a
 * lower-case identifier) and a model name (letters and digits) joined by a dot.
 *
 * @example
 * ```ts
 * import { splitLabel } from "./_model_state.ts";
 *
 * console.assert(splitLabel("shop.Book").join() === "shop,Book");
 * ```
 */
export function splitLabel(label: string): [string, string] {
  const match = /^([a-z][a-z0-9_]*)\.([A-Za-z][A-Za-z0-9]*)$/.exec(label);
  if (!match) throw new Error(`Model label '${label}' is not of the form app.ModelName`);
  return [match[1], match[2]];
}

/**
 * The table a model has unless it names another: `myapp.MyModel` → `myapp_mymodel`. Throws,
 * as {@linkcode splitLabel}, on a label that is not `app.ModelName`.
 *
 * @example
 * ```ts
 * import { defaultTable } from "./_model_state.ts";
 *
 * console.assert(defaultTable("myapp.MyModel") === "myapp_mymodel");
 * ```
 */
export function defaultTable(label: string): string {
  const [app, name] = splitLabel(label);
  return `${app}_${name.toLowerCase()}`;
}

/**
 * `value` as JSON with object keys sorted, `undefined` properties left out and `undefined` array
 * items written `null` (as `JSON.stringify` writes them), so that equal values give equal text:
 * what migration checksums hash and the autodetector compares.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./_model_state.ts";
 *
 * console.assert(canonicalJson({ b: 1, a: [undefined], c: undefined }) === '{"a":[null],"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
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
