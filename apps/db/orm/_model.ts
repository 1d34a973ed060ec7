/**
 * Models: typed table definitions. `defineModel("myapp.MyModel", { name: field.varchar(100) })`
 * gives the model's state (for migrations and the autodetector), the types of its rows, and its
 * manager, `MyModel.objects`, whose queries run on the running command's database
 * (`MyModel.objects.all()`) or on one given to them (`MyModel.objects.using(db)`).
 *
 * @module
 */

import type { Simplify } from "../../../core/arguments.ts";
import { Manager } from "./_manager.ts";
import {
  defaultTable,
  type FieldDefault,
  type FieldState,
  type FieldType,
  type IndexState,
  type ModelState,
  type OnDelete,
  snakeCase,
  splitLabel,
} from "./_model_state.ts";

/**
 * A field's declaration; `T` is its value's type, `N` whether it may be null, `D` whether it
 * has a default, `P` whether it is the primary key.
 */
export interface Field<
  T = unknown,
  N extends boolean = boolean,
  D extends boolean = boolean,
  P extends boolean = boolean,
> {
  /** The field's state, but for its column name (set from the field's name). */
  readonly spec: Omit<FieldState, "column"> & { readonly column?: string };
  /** Type-only, never set: what the row types are inferred from. */
  readonly "~types"?: { value: T; nullable: N; hasDefault: D; primaryKey: P };
}

/** Options every field takes. */
export interface FieldOptions<T> {
  /** NULL is allowed (the value's type gains `null`). */
  null?: boolean;
  /** The default: a value, or `"now()"` / `"gen_random_uuid()"` where the type fits. */
  default?: T | "now()" | "gen_random_uuid()";
  /** Values are unique. */
  unique?: boolean;
  /** The field is the primary key (instead of the automatic `id`). */
  primaryKey?: boolean;
  /** The column's name, when it is not the snake_case of the field's name. */
  column?: string;
}

/** Whether field options make the field nullable (`{ null: true }`). */
export type IsNullable<O> = O extends { null: true } ? true : false;
/** Whether field options let creating a row leave the field out (a default, or `null: true`). */
export type IsDefaulted<O> = O extends { default: unknown } ? true
  : O extends { null: true } ? true
  : false;
/** Whether field options make the field the primary key. */
export type IsPrimaryKey<O> = O extends { primaryKey: true } ? true : false;
/** The declaration a field function returns for a value type `T` and options `O`. */
export type FieldFor<T, O> = Field<T, IsNullable<O>, IsDefaulted<O>, IsPrimaryKey<O>>;

function make<T, O extends FieldOptions<T>>(
  type: FieldType,
  options: O | undefined,
  extra: Partial<FieldState> = {},
): FieldFor<T, O> {
  const o = (options ?? {}) as FieldOptions<T>;
  let dflt: FieldDefault | undefined;
  if (o.default === "now()" || o.default === "gen_random_uuid()") {
    // Narrowing by === does not narrow the type parameter T out of the union.
    dflt = { sql: o.default as "now()" | "gen_random_uuid()" };
  } else if (o.default !== undefined) {
    dflt = { value: o.default instanceof Date ? o.default.toISOString() : o.default };
  }
  return {
    spec: {
      type,
      null: o.null ?? false,
      unique: o.unique ?? false,
      primaryKey: o.primaryKey ?? false,
      ...(dflt ? { default: dflt } : {}),
      ...(o.column ? { column: o.column } : {}),
      ...extra,
    },
  };
}

/** Options of a foreign key. */
export interface ForeignKeyOptions extends Omit<FieldOptions<number>, "default" | "primaryKey"> {
  /** What happens to this row when the row it points at is deleted. */
  onDelete: OnDelete;
}

/** A model's label and table, as a foreign key names its target. */
export type ModelRef = string | { readonly state: Pick<ModelState, "app" | "name" | "table"> };

/** The field types. Each returns a declaration for {@linkcode defineModel}. */
export const field = {
  /** An auto-incrementing 64-bit integer primary key (the default `id`). */
  bigAutoField: (): Field<number, false, true, true> => ({
    spec: { type: "bigserial", null: false, unique: false, primaryKey: true },
  }),
  /** Text of any length. */
  text: <const O extends FieldOptions<string>>(options?: O): FieldFor<string, O> =>
    make<string, O>("text", options),
  /** Text of at most `maxLength` characters. */
  varchar: <const O extends FieldOptions<string>>(maxLength: number, options?: O): FieldFor<
    string,
    O
  > => make<string, O>("varchar", options, { maxLength }),
  /** A 32-bit integer. */
  integer: <const O extends FieldOptions<number>>(options?: O): FieldFor<number, O> =>
    make<number, O>("integer", options),
  /** A 64-bit integer (a `bigint` in JavaScript beyond 2^53). */
  bigint: <const O extends FieldOptions<number>>(options?: O): FieldFor<number, O> =>
    make<number, O>("bigint", options),
  /** An exact decimal, as a string (`"12.50"`). */
  numeric: <const O extends FieldOptions<string>>(
    precision: number,
    scale: number,
    options?: O,
  ): FieldFor<string, O> => make<string, O>("numeric", options, { precision, scale }),
  /** True or false. */
  boolean: <const O extends FieldOptions<boolean>>(options?: O): FieldFor<boolean, O> =>
    make<boolean, O>("boolean", options),
  /** A moment in time. */
  timestamptz: <const O extends FieldOptions<Date>>(options?: O): FieldFor<Date, O> =>
    make<Date, O>("timestamptz", options),
  /** A calendar date. */
  date: <const O extends FieldOptions<Date>>(options?: O): FieldFor<Date, O> =>
    make<Date, O>("date", options),
  /** A UUID, as a string. */
  uuid: <const O extends FieldOptions<string>>(options?: O): FieldFor<string, O> =>
    make<string, O>("uuid", options),
  /** JSON. */
  jsonb: <T = unknown, const O extends FieldOptions<T> = FieldOptions<T>>(
    options?: O,
  ): FieldFor<T, O> => make<T, O>("jsonb", options),
  /** A reference to another model's row, by its primary key (the column is `<name>_id`). */
  foreignKey: <const O extends ForeignKeyOptions>(
    target: ModelRef,
    options: O,
  ): FieldFor<number, O> => {
    const ref = typeof target === "string" ? { label: target, table: defaultTable(target) } : {
      label: `${target.state.app}.${target.state.name}`,
      table: target.state.table,
    };
    return make<number, O>("bigint", options, {
      references: { model: ref.label, table: ref.table, onDelete: options.onDelete },
    });
  },
};

/** A model's field declarations, by field name. */
export type Fields = Record<string, Field>;
/** The type of a field's value (with `null` when the field is nullable). */
export type FieldValue<F> = F extends Field<infer T, infer N, boolean>
  ? (N extends true ? T | null : T)
  : never;
/** Whether creating a row may leave the field out (it has a default, or may be null). */
export type FieldHasDefault<F> = F extends Field<unknown, boolean, infer D> ? D : false;
/** Whether one of the fields is declared the primary key (else the model gets an `id`). */
export type HasPrimaryKey<F> = true extends
  { [K in keyof F]: F[K] extends Field<unknown, boolean, boolean, true> ? true : false }[keyof F]
  ? true
  : false;

/** A model's row: every field's value (and `id` unless a field is the primary key). */
export type RowOf<F> = Simplify<
  & (HasPrimaryKey<F> extends true ? unknown : { id: number })
  & { -readonly [K in keyof F]: FieldValue<F[K]> }
>;

/** What creating a row takes: fields with a default (or nullable) may be left out. */
export type InsertOf<F> = Simplify<
  & (HasPrimaryKey<F> extends true ? unknown : { id?: number })
  & { -readonly [K in keyof F as FieldHasDefault<F[K]> extends true ? never : K]: FieldValue<F[K]> }
  & {
    -readonly [K in keyof F as FieldHasDefault<F[K]> extends true ? K : never]?: FieldValue<F[K]>;
  }
>;

/** Options of {@linkcode defineModel}. */
export interface ModelOptions<K extends string = string> {
  /** The table, when it is not `<app>_<model>` in lower case. */
  table?: string;
  /** Indexes, and unique constraints over several fields. */
  indexes?: readonly { fields: readonly K[]; unique?: boolean; name?: string }[];
  /**
   * Many-to-many relations of the Django model this one mirrors that it does not store, by the
   * field name Django's fixtures give them (`groups`) → the related model (`auth.Group`): a
   * fixture's empty list for one loads, a non-empty one is an error naming the record.
   */
  manyToMany?: Readonly<Record<string, string>>;
}

/** A model: its state, its manager, and (type-only) its row types. */
export interface Model<Row = Record<string, unknown>, Insert = Record<string, unknown>> {
  /** The model's state: app, name, table, fields, indexes. */
  readonly state: ModelState;
  /** The manager: `Model.objects.filter({...})` in a command, `.using(db)` for another. */
  readonly objects: Manager<Row, Insert>;
}

function indexName(table: string, columns: readonly string[], unique: boolean): string {
  const base = `${table}_${columns.join("_")}_${unique ? "uniq" : "idx"}`;
  if (base.length <= 63) return base;
  let hash = 0;
  for (const ch of base) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `${base.slice(0, 54)}_${hash.toString(16).padStart(8, "0")}`;
}

/**
 * Defines a model. The table is `<app>_<model>` (lower case) unless `table` is given; without a
 * field declared `primaryKey`, the model gets an auto-incrementing `id`.
 *
 * @example
 * ```ts
 * import { defineModel, field } from "./mod.ts";
 *
 * export const MyModel = defineModel("myapp.MyModel", {
 *   name: field.varchar(100),
 *   createdAt: field.timestamptz({ default: "now()" }),
 * });
 * console.assert(MyModel.state.table === "myapp_mymodel");
 * console.assert(MyModel.state.fields.createdAt.column === "created_at");
 * ```
 */
export function defineModel<const F extends Fields>(
  label: string,
  fields: F,
  options: ModelOptions<Extract<keyof F, string>> = {},
): Model<RowOf<F>, InsertOf<F>> {
  const [app, name] = splitLabel(label);
  const table = options.table ?? defaultTable(label);
  const states: Record<string, FieldState> = {};
  const hasPk = Object.values(fields).some((f) => f.spec.primaryKey);
  if (!hasPk) states.id = { ...field.bigAutoField().spec, column: "id" };
  for (const [key, declared] of Object.entries(fields)) {
    const column = declared.spec.column ??
      (declared.spec.references ? `${snakeCase(key)}_id` : snakeCase(key));
    states[key] = { ...declared.spec, column };
  }
  const indexes: IndexState[] = (options.indexes ?? []).map((index) => {
    for (const f of index.fields) {
      if (!(f in states)) {
        throw new Error(`Model ${label}: index names '${f}', which is not a field`);
      }
    }
    const columns = index.fields.map((f) => states[f].column);
    const unique = index.unique ?? false;
    return {
      name: index.name ?? indexName(table, columns, unique),
      fields: [...index.fields],
      unique,
    };
  });
  const state: ModelState = options.manyToMany
    ? { app, name, table, fields: states, indexes, manyToMany: { ...options.manyToMany } }
    : { app, name, table, fields: states, indexes };
  return { state, objects: new Manager<RowOf<F>, InsertOf<F>>(state) };
}
