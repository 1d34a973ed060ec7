/**
 * The ORM: models as typed table definitions and the queries on them, as Django's
 * `django.db.models`.
 *
 * - `defineModel("shop.Book", { title: field.varchar(200) })` and the `field` builders give a
 *   model: its state (plain JSON: fields, columns, indexes — what migrations carry and the
 *   autodetector compares), the types of its rows, and its manager, `Book.objects`.
 * - `Book.objects.all()` inside a command (the run's database, as Django's default one), or
 *   `Book.objects.using(db)` anywhere, is a lazy, immutable `QuerySet`: `filter` / `exclude` with Django's
 *   lookups, `orderBy`, slices, and `get`, `first`, `count`, `exists`, `create`, `bulkCreate`,
 *   `update`, `delete`, and `for await` over a server-side cursor. Every value is a bound
 *   parameter; every identifier comes from the model.
 * - The model state's types and helpers (`ModelState`, `FieldState`, `quoteIdent`, `snakeCase`,
 *   …), which the migration engine, the fixtures and the drivers read.
 *
 * - `projectModels(registry.models)`: the project's models, by label, read from the apps'
 *   `models.ts` modules.
 *
 * It imports the command framework's database interface, registry and errors (`core/`) and
 * nothing else: no driver, so that `mod.ts` re-exports it without loading an npm package.
 *
 * @example
 * ```ts ignore
 * import { defineModel, field } from "./mod.ts";
 *
 * const Book = defineModel("shop.Book", { title: field.varchar(200) });
 * const titles = await Book.objects.using(db).orderBy("title").toArray();
 * ```
 *
 * @module
 */

export {
  defineModel,
  type Field,
  field,
  type FieldFor,
  type FieldHasDefault,
  type FieldOptions,
  type Fields,
  type FieldValue,
  type ForeignKeyOptions,
  type HasPrimaryKey,
  type InsertOf,
  type IsDefaulted,
  type IsNullable,
  type IsPrimaryKey,
  type Model,
  type ModelOptions,
  type ModelRef,
  type RowOf,
} from "./_model.ts";
export {
  canonicalJson,
  defaultTable,
  type FieldDefault,
  type FieldState,
  type FieldType,
  type IndexState,
  type ModelState,
  type OnDelete,
  primaryKeyOf,
  quoteIdent,
  snakeCase,
  splitLabel,
} from "./_model_state.ts";
export { isModel, projectModels } from "./_project_models.ts";
export {
  type BulkCreateOptions,
  DoesNotExist,
  type FieldName,
  type IteratorOptions,
  type Lookup,
  type Lookups,
  type LookupValue,
  MultipleObjectsReturned,
  type OrderBy,
  QuerySet,
  type SqlQuery,
} from "./_queryset.ts";
export { Manager } from "./_manager.ts";
