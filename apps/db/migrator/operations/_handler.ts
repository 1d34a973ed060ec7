// What every kind of migration operation has (its handler), and the small helpers the kinds
// share: names of models and fields, the shape checks, the project state, and the search for the
// shortest builder call that makes an operation again.

import {
  canonicalJson,
  defaultTable,
  type FieldState,
  type IndexState,
  type ModelState,
  snakeCase as snake,
  splitLabel,
} from "../../orm/mod.ts";

export { defaultTable, snake, splitLabel };

/** The models of a project by label (`app.Model`), in the order they were created. */
export type ProjectState = Map<string, ModelState>;

/** A builder call that makes an operation again: `["addField", ["shop.Book", "title", {…}]]`. */
export type BuilderCall = readonly [builder: string, args: readonly unknown[]];

/**
 * All of one kind of operation, as Django keeps all of an operation on its class. The operation
 * itself stays plain JSON (it is checksummed and stored); its handler knows what to do with it.
 */
export interface Handler<Op extends { readonly kind: string }> {
  /** The kind it handles. */
  readonly kind: Op["kind"];
  /** Whether a loaded value (its `kind` already matched) has the properties this kind needs. */
  check(value: Readonly<Record<string, unknown>>): boolean;
  /** What it does, in a line, as Django's `Operation.describe()`. */
  describe(op: Op): string;
  /**
   * Applies it to `state` (in place), as Django's `state_forwards()`. Throws an `Error` saying
   * what does not fit, for the caller to put in context.
   */
  state(state: ProjectState, op: Op): void;
  /**
   * Its statements (or with `backwards`, those that undo it), without their `;`: empty for an
   * operation that changes no table, undefined when it cannot be undone.
   */
  sql(op: Op, backwards: boolean): readonly string[] | undefined;
  /** Whether it can be undone. */
  reversible(op: Op): boolean;
  /** What it adds to a migration's name, as Django's `migration_name_fragment`. */
  nameFragment(op: Op): string;
  /** The shortest builder call that makes it again, for the migration files `makemigrations` writes. */
  source(op: Op): BuilderCall;
  /** The fields it defines (whose foreign keys may point at other apps' models). */
  fields(op: Op): readonly FieldState[];
  /**
   * It followed by `next` as a shorter list of operations, as Django's `Operation.reduce()`: `[]`
   * when the two cancel out, `undefined` when they cannot be combined. `true` when `next` does
   * not touch what this operation touches, so the optimizer may move it past.
   */
  reduce(op: Op, next: AnyOperation): readonly AnyOperation[] | boolean;
}

/** Any operation, as the handlers see it (the precise union is `Operation`, in mod.ts). */
export interface AnyOperation {
  /** The kind of operation. */
  readonly kind: string;
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
export const isString = (value: unknown): value is string => typeof value === "string";
export const isModel = (value: unknown): boolean =>
  isObject(value) && isString(value.app) && isString(value.name) && isString(value.table) &&
  isObject(value.fields) && Array.isArray(value.indexes);
export const isIndex = (value: unknown): boolean =>
  isObject(value) && isString(value.name) && Array.isArray(value.fields);

/** A `check` that each property satisfies its test. */
export function shape(
  tests: Readonly<Record<string, (value: unknown) => boolean>>,
): Handler<{ kind: string }>["check"] {
  return (value) => Object.entries(tests).every(([key, valid]) => valid(value[key]));
}

/** `app.Model` → `model`, as Django names a model in its descriptions and migration names. */
export function modelName(label: string): string {
  return label.slice(label.indexOf(".") + 1).toLowerCase();
}

/** `app.Model` → `Model`. */
export function objectName(label: string): string {
  return label.slice(label.indexOf(".") + 1);
}

/** Two states are the same. */
export function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** The model `label` of `state`, or an error saying it does not exist. */
export function modelOf(state: ProjectState, label: string): ModelState {
  const found = state.get(label);
  if (!found) throw new Error(`it names model ${label}, which does not exist at that point`);
  return found;
}

/** The field `name` of model `label`, or an error saying it has none. */
export function fieldOf(state: ProjectState, label: string, name: string): FieldState {
  const found = modelOf(state, label).fields[name];
  if (!found) throw new Error(`it names field ${name} of ${label}, which it does not have`);
  return found;
}

/** `fields` with `key` replaced (in its place) by `newKey`: `value`. */
export function replaceField(
  fields: Readonly<Record<string, FieldState>>,
  key: string,
  newKey: string,
  value: FieldState,
): Record<string, FieldState> {
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => k === key ? [newKey, value] : [k, v]),
  );
}

/** The first of the candidate argument lists with which `build` makes `op` again. */
export function shortest<A extends unknown[]>(
  op: unknown,
  build: (...args: A) => unknown,
  candidates: readonly A[],
): A {
  for (const args of candidates) if (same(build(...args), op)) return args;
  throw new Error(`No builder call makes ${JSON.stringify(op)}`);
}

/** Every subset of `options`'s keys, smallest first. */
export function subsets(options: Record<string, unknown>): Record<string, unknown>[] {
  const keys = Object.keys(options).filter((k) => options[k] !== undefined);
  const all: Record<string, unknown>[] = [];
  for (let mask = 0; mask < 1 << keys.length; mask++) {
    all.push(
      Object.fromEntries(keys.filter((_, i) => mask & (1 << i)).map((k) => [k, options[k]])),
    );
  }
  return all.sort((a, b) => Object.keys(a).length - Object.keys(b).length);
}

/** The arguments without a last, empty options object. */
export function trim(args: readonly unknown[]): unknown[] {
  const last = args.at(-1);
  return isObject(last) && Object.keys(last).length === 0 ? args.slice(0, -1) : [...args];
}

/**
 * The shortest call of `builder` (whose last argument is options) that makes `op` again: the
 * leading arguments, then each subset of `options` in turn, the empty one left out.
 */
export function withOptions<A extends unknown[]>(
  op: unknown,
  name: string,
  build: (...args: A) => unknown,
  leading: readonly unknown[],
  options: Record<string, unknown>,
): BuilderCall {
  const candidates = subsets(options).map((o) => [...leading, o] as A);
  return [name, trim(shortest(op, build, candidates))];
}

const FIELD_KEYS = [
  "type",
  "column",
  "maxLength",
  "precision",
  "scale",
  "null",
  "default",
  "unique",
  "primaryKey",
  "references",
];

/** A field with its properties in a fixed, readable order (type and column first). */
export function orderField(field: FieldState): FieldState {
  const known = FIELD_KEYS.filter((k) => k in field).map((k) => [k, field[k as keyof FieldState]]);
  const rest = Object.entries(field).filter(([k]) => !FIELD_KEYS.includes(k));
  return Object.fromEntries([...known, ...rest]) as unknown as FieldState;
}

/** The fields, each with its properties in a readable order. */
export function orderFields(
  fields: Readonly<Record<string, FieldState>>,
): Readonly<Record<string, FieldState>> {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, orderField(f)]));
}

/** The model with its properties (and its fields') in a readable order. */
export function orderModel(model: ModelState): ModelState {
  return {
    app: model.app,
    name: model.name,
    table: model.table,
    fields: orderFields(model.fields),
    indexes: model.indexes,
  };
}

/** The `model` (`app.Model`) an operation on a model's fields or indexes names, if any. */
export function modelLabel(op: AnyOperation): string | undefined {
  const o = op as { kind: string; model?: unknown; from?: unknown; to?: unknown };
  if (isString(o.model)) return o.model;
  if (isObject(o.model)) return `${o.model.app}.${o.model.name}`;
  return undefined;
}

/**
 * Whether `op` (an operation on model `label`) may be moved past `other` by the optimizer: `other`
 * names neither `label` nor a model whose foreign keys point at it (raw SQL is a barrier).
 */
export function independent(label: string, other: AnyOperation): boolean {
  if (other.kind === "sql") return false;
  const o = other as AnyOperation & {
    from?: unknown;
    to?: unknown;
    field?: FieldState;
    model?: unknown;
  };
  if (other.kind === "renameModel") return o.from !== label && o.to !== label;
  if (modelLabel(other) === label) return false;
  const pointsAt = (f: FieldState | undefined) => f?.references?.model === label;
  if (isObject(o.model)) {
    return !Object.values((o.model as unknown as ModelState).fields).some(pointsAt);
  }
  return !pointsAt(o.field) && !pointsAt(o.to as FieldState | undefined);
}

/** An index state, for the kinds that take one. */
export type { FieldState, IndexState, ModelState };

/**
 * Whether an operation on field `name` of model `label` may be moved past `other`: `other` does
 * not touch that field, nor the model as a whole, nor the model the field points at (raw SQL is
 * a barrier).
 */
export function fieldIndependent(
  label: string,
  name: string,
  other: AnyOperation,
  field?: FieldState,
): boolean {
  // A foreign key stays with the model it points at.
  const target = field?.references?.model;
  if (target !== undefined && target !== label && !independent(target, other)) return false;
  const o = other as AnyOperation & {
    model?: unknown;
    name?: string;
    from?: string;
    to?: string;
    index?: IndexState;
  };
  if (o.model !== label) return independent(label, other) || isString(o.model);
  switch (other.kind) {
    case "addField":
    case "removeField":
    case "alterField":
      return o.name !== name;
    case "renameField":
      return o.from !== name && o.to !== name;
    case "addIndex":
    case "removeIndex":
      return !o.index!.fields.includes(name);
  }
  return false;
}

/** Where a schema operation finds its model's table, when it is not `<app>_<model>`. */
export interface TableOption {
  /** The model's table; `<app>_<model>` in lower case by default. */
  readonly table?: string;
}
