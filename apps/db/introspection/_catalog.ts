// What `inspectdb` reads from PostgreSQL's catalog: the tables of the current schema (the
// migrations record left out), their columns (types, NULL, defaults, identity), constraints
// (primary key, unique, foreign keys with their ON DELETE) and indexes.

import type { Queryable } from "../../../core/database.ts";
import { MIGRATIONS_TABLE } from "../migrator/mod.ts";

/** A column as the catalog describes it. */
export interface ColumnInfo {
  /** The column's name. */
  readonly name: string;
  /** `pg_type.typname` (`int8`, `varchar`, …). */
  readonly typname: string;
  /** The type as SQL writes it (`character varying(100)`). */
  readonly type: string;
  /** `atttypmod`: the length or precision the type was given, -1 for none. */
  readonly typmod: number;
  /** NOT NULL. */
  readonly notNull: boolean;
  /** An identity column (`a` or `d`), or empty. */
  readonly identity: string;
  /** The default as SQL, or null. */
  readonly default: string | null;
}

/** A constraint: primary key, unique, or foreign key. */
export interface ConstraintInfo {
  /** `p`, `u` or `f`. */
  readonly type: "p" | "u" | "f";
  /** Its name. */
  readonly name: string;
  /** Its columns, by name. */
  readonly columns: readonly string[];
  /** For a foreign key: the table it points at. */
  readonly refTable?: string;
  /** For a foreign key: the columns it points at. */
  readonly refColumns?: readonly string[];
  /** For a foreign key: `confdeltype` (`a`, `r`, `c`, `n`, `d`). */
  readonly onDelete?: string;
}

/** An index that no constraint made. */
export interface IndexInfo {
  /** Its name. */
  readonly name: string;
  /** Its columns, by name; undefined when it indexes expressions or part of the table. */
  readonly columns: readonly string[] | undefined;
  /** A unique index. */
  readonly unique: boolean;
}

/** A table as the catalog describes it. */
export interface TableInfo {
  /** Its name. */
  readonly name: string;
  /** Its columns, in order. */
  readonly columns: readonly ColumnInfo[];
  /** Its primary key, unique and foreign key constraints. */
  readonly constraints: readonly ConstraintInfo[];
  /** Its other indexes. */
  readonly indexes: readonly IndexInfo[];
}

/** The tables of the current schema (all, or those named), but the migrations record. */
export async function inspectTables(
  db: Queryable,
  only: readonly string[] = [],
): Promise<TableInfo[]> {
  const tables = await db.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, c.relname AS name
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> $1
       AND (cardinality($2::text[]) = 0 OR c.relname = ANY($2::text[]))
     ORDER BY c.relname`,
    [MIGRATIONS_TABLE, [...only]],
  );
  if (tables.length === 0) return [];
  const oids = tables.map((t) => t.oid);
  const columns = await db.query<
    { [K in keyof ColumnInfo]: ColumnInfo[K] } & { table: number; attnum: number }
  >(
    `SELECT a.attrelid::int AS "table", a.attnum::int AS attnum, a.attname AS name,
       t.typname AS typname, format_type(a.atttypid, a.atttypmod) AS type,
       a.atttypmod AS typmod, a.attnotnull AS "notNull", a.attidentity::text AS identity,
       pg_get_expr(d.adbin, d.adrelid) AS "default"
     FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  const constraints = await db.query<{
    table: number;
    type: "p" | "u" | "f";
    name: string;
    columns: number[];
    refTable: string | null;
    refColumns: string[] | null;
    onDelete: string;
  }>(
    `SELECT c.conrelid::int AS "table", c.contype::text AS type, c.conname AS name,
       array_to_json(c.conkey) AS columns, r.relname AS "refTable",
       (SELECT json_agg(a.attname ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS "refColumns",
       c.confdeltype::text AS "onDelete"
     FROM pg_constraint c LEFT JOIN pg_class r ON r.oid = c.confrelid
     WHERE c.conrelid = ANY($1::oid[]) AND c.contype IN ('p', 'u', 'f')
     ORDER BY c.conname`,
    [oids],
  );
  const indexes = await db.query<
    { table: number; name: string; keys: number[]; unique: boolean; partial: boolean }
  >(
    `SELECT i.indrelid::int AS "table", c.relname AS name, array_to_json(i.indkey::int2[]) AS keys,
       i.indisunique AS "unique", (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL) AS partial
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = ANY($1::oid[]) AND NOT i.indisprimary
       AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
     ORDER BY c.relname`,
    [oids],
  );
  return tables.map((table) => {
    const own = columns.filter((c) => c.table === table.oid);
    const byNumber = new Map(own.map((c) => [c.attnum, c.name]));
    return {
      name: table.name,
      columns: own.map(({ table: _t, attnum: _a, ...column }) => column),
      constraints: constraints.filter((c) => c.table === table.oid).map((c) => ({
        type: c.type,
        name: c.name,
        columns: c.columns.map((n) => byNumber.get(n)!),
        ...(c.type === "f"
          ? { refTable: c.refTable!, refColumns: c.refColumns ?? [], onDelete: c.onDelete }
          : {}),
      })),
      indexes: indexes.filter((i) => i.table === table.oid).map((i) => ({
        name: i.name,
        unique: i.unique,
        columns: i.partial || i.keys.includes(0) ? undefined : i.keys.map((n) => byNumber.get(n)!),
      })),
    };
  });
}
