// The SQL behind a QuerySet: filters compiled into WHERE clauses, values turned into bound
// parameters and back. Identifiers come only from the model state (quoted); every value is a
// parameter, sent as text and cast to the column's type, so that both drivers see the same
// thing (each serializes typed parameters its own way: postgres.js would encode a JSON string
// given for a jsonb parameter a second time, PGlite would not).

import { type FieldState, modelLabel, type ModelState, quoteIdent } from "./_model_state.ts";
import type { Row as DbRow } from "../../../core/database.ts";

/** The lookups a filter key can end with (`age__gte`); a bare field name is `exact`. */
/** The lookup a filter key ends with: `age__gte`, `name__icontains`, `email__isnull`. */
export type Lookup =
  | "exact"
  | "in"
  | "lt"
  | "lte"
  | "gt"
  | "gte"
  | "contains"
  | "icontains"
  | "isnull";

export const LOOKUPS: readonly Lookup[] = [
  "exact",
  "in",
  "lt",
  "lte",
  "gt",
  "gte",
  "contains",
  "icontains",
  "isnull",
];

/** One compiled lookup: a field, what to do, and the value. */
export interface Predicate {
  readonly field: string;
  readonly lookup: Lookup;
  readonly value: unknown;
}

/** A group of predicates that all hold (filter), or not all hold (exclude). */
export interface Condition {
  readonly negated: boolean;
  readonly predicates: readonly Predicate[];
}

/** Collects bound parameters and hands out their `$n` placeholders. */
export class Params {
  readonly values: (string | null)[] = [];

  /** The placeholder of a parameter given as text, cast to an SQL type. */
  add(text: string | null, type: string): string {
    this.values.push(text);
    const placeholder = `$${this.values.length}`;
    return type === "text" ? `${placeholder}::text` : `${placeholder}::text::${type}`;
  }

  /** The placeholder of a field's value. */
  value(model: ModelState, name: string, value: unknown): string {
    return this.add(toParam(model, name, value), sqlType(model.fields[name]));
  }
}

/** The type a parameter is cast to for a field. */
function sqlType(field: FieldState): string {
  switch (field.type) {
    case "text":
    case "varchar":
      return "text";
    case "bigserial":
      return "bigint";
    default:
      return field.type;
  }
}

const TEXT_LIKE = new Set(["text", "varchar", "uuid", "numeric"]);
const UNORDERED = new Set(["boolean", "jsonb"]);
const COMPARISONS = new Set(["lt", "lte", "gt", "gte"]);

/** The lookups a field takes. */
export function lookupsOf(field: FieldState): Lookup[] {
  return LOOKUPS.filter((lookup) => {
    if (lookup === "contains" || lookup === "icontains") return TEXT_LIKE.has(field.type);
    if (COMPARISONS.has(lookup)) return !UNORDERED.has(field.type);
    return true;
  });
}

/** The error for a name that is no field of the model. */
export function unknownField(model: ModelState, name: string): Error {
  return new Error(
    `${modelLabel(model)} has no field '${name}'; its fields are ${
      Object.keys(model.fields).join(", ")
    }`,
  );
}

/** The field named `name`, or an error naming the model's fields. */
export function fieldOf(model: ModelState, name: string): FieldState {
  if (!Object.hasOwn(model.fields, name)) throw unknownField(model, name);
  return model.fields[name];
}

/**
 * Compiles `{ name: "x", age__gte: 18 }` into predicates, checking every field, lookup and
 * value now, where the filter is written, rather than when the query runs.
 */
export function compileLookups(
  model: ModelState,
  lookups: Readonly<Record<string, unknown>>,
): Predicate[] {
  return Object.entries(lookups).map(([key, value]) => {
    let name = key;
    let lookup: string = "exact";
    const split = key.lastIndexOf("__");
    if (!Object.hasOwn(model.fields, key) && split > 0) {
      name = key.slice(0, split);
      lookup = key.slice(split + 2);
    }
    const field = fieldOf(model, name);
    if (!(lookupsOf(field) as string[]).includes(lookup)) {
      throw unsupportedLookup(model, name, lookup);
    }
    checkValue(model, key, name, lookup as Lookup, value);
    return { field: name, lookup: lookup as Lookup, value };
  });
}

function unsupportedLookup(model: ModelState, name: string, lookup: string): Error {
  const field = model.fields[name];
  const valid = lookupsOf(field).map((l) => `${name}__${l}`);
  return new Error(
    `Unsupported lookup '${lookup}' for the ${field.type} field ${modelLabel(model)}.${name}; ` +
      `valid are ${name}, ${valid.join(", ")}`,
  );
}

function checkValue(
  model: ModelState,
  key: string,
  name: string,
  lookup: Lookup,
  value: unknown,
): void {
  const where = `Filter ${key} on ${modelLabel(model)}`;
  if (value === undefined) {
    // Leaving an undefined filter out would widen the query (and what update/delete touch).
    throw new Error(`${where} is undefined: give a value, or null for NULL`);
  }
  if (lookup === "isnull" && typeof value !== "boolean") {
    throw new Error(`${where} takes true or false, not ${describe(value)}`);
  }
  if (lookup === "in" && !Array.isArray(value)) {
    throw new Error(`${where} takes an array, not ${describe(value)}`);
  }
  if ((lookup === "contains" || lookup === "icontains") && typeof value !== "string") {
    throw new Error(`${where} takes a string, not ${describe(value)}`);
  }
  if (lookup !== "exact" && lookup !== "isnull" && value === null) {
    throw new Error(`${where} takes a value, not null: use ${name}__isnull`);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

/** `%`, `_` and `\` taken literally in a LIKE pattern (whose escape character is `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

function predicateSql(model: ModelState, p: Predicate, params: Params): string {
  const field = model.fields[p.field];
  const column = quoteIdent(field.column);
  const bind = (value: unknown) => params.value(model, p.field, value);
  switch (p.lookup) {
    case "exact":
      return p.value === null ? `${column} IS NULL` : `${column} = ${bind(p.value)}`;
    case "isnull":
      return p.value ? `${column} IS NULL` : `${column} IS NOT NULL`;
    case "in": {
      const values = p.value as unknown[];
      return values.length === 0 ? "FALSE" : `${column} IN (${values.map(bind).join(", ")})`;
    }
    case "contains":
    case "icontains": {
      const text = field.type === "text" || field.type === "varchar" ? column : `${column}::text`;
      const pattern = params.add(escapeLike(p.value as string), "text");
      return `${text} ${p.lookup === "contains" ? "LIKE" : "ILIKE"} '%' || ${pattern} || '%'`;
    }
    default: {
      const op = { lt: "<", lte: "<=", gt: ">", gte: ">=" }[p.lookup];
      return `${column} ${op} ${bind(p.value)}`;
    }
  }
}

/**
 * The WHERE clause (with its keyword) of conditions, or "". An exclude removes exactly the rows
 * its filter would keep: a comparison with NULL counts as false there, not as unknown, so
 * `exclude({ name: "x" })` keeps the rows whose name is NULL, as in Django.
 */
export function whereSql(
  model: ModelState,
  conditions: readonly Condition[],
  params: Params,
): string {
  const parts: string[] = [];
  for (const condition of conditions) {
    if (condition.predicates.length === 0) continue;
    const all = condition.predicates.map((p) => predicateSql(model, p, params)).join(" AND ");
    parts.push(condition.negated ? `NOT COALESCE((${all}), FALSE)` : `(${all})`);
  }
  return parts.length === 0 ? "" : ` WHERE ${parts.join(" AND ")}`;
}

/** The model's columns, quoted, in field order. */
export function columnsSql(model: ModelState): string {
  return Object.values(model.fields).map((f) => quoteIdent(f.column)).join(", ");
}

/**
 * A value as the text of a bound parameter: JSON for jsonb, ISO 8601 for moments, `YYYY-MM-DD`
 * (the UTC date, as the drivers read dates back) for dates.
 */
export function toParam(model: ModelState, name: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const field = model.fields[name];
  const bad = (what: string) =>
    new Error(`${modelLabel(model)}.${name} (${field.type}) cannot take ${what}`);
  switch (field.type) {
    case "jsonb": {
      const json = JSON.stringify(value);
      if (json === undefined) throw bad(describe(value));
      return json;
    }
    case "timestamptz":
    case "date": {
      const date = value instanceof Date ? value : typeof value === "string" ? null : undefined;
      if (date === null) return value as string;
      if (date === undefined) throw bad(describe(value));
      if (Number.isNaN(date.getTime())) throw bad("an invalid Date");
      return field.type === "date" ? date.toISOString().slice(0, 10) : date.toISOString();
    }
    default:
      if (typeof value === "object") throw bad(describe(value));
      return String(value);
  }
}

/** A database row (by column) as a model row (by field), with values of the field's JS type. */
export function fromDatabase(model: ModelState, row: DbRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(model.fields)) {
    out[name] = fromValue(field, row[field.column]);
  }
  return out;
}

function fromValue(field: FieldState, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case "timestamptz":
    case "date":
      return value instanceof Date ? value : new Date(value as string);
    case "numeric":
      return String(value);
    case "integer":
    case "bigint":
    case "bigserial": {
      if (typeof value === "number") return value;
      const number = Number(value);
      return Number.isSafeInteger(number) ? number : BigInt(value as string | bigint);
    }
    default:
      return value;
  }
}
