// The SQL building blocks of the schema operations, for PostgreSQL 15 and later (servers and PGlite): each operation
// carries what its SQL and its reverse need, so this reads nothing else. Constraints, indexes and
// sequences the fields imply are named from the table and the column (`shop_book_author_id_fkey`),
// and the operations that rename a table or a column rename them too, so later operations find
// them by name without asking the database.

import {
  type FieldDefault,
  type FieldState,
  type IndexState,
  type ModelState,
  quoteIdent as q,
} from "../../orm/mod.ts";

/** PostgreSQL's limit on identifiers, in bytes. */
const MAX_NAME = 63;

/** `<table>_<column>_<suffix>`, shortened with a hash when longer than PostgreSQL allows. */
function derivedName(table: string, column: string, suffix: string): string {
  const base = column === "" ? `${table}_${suffix}` : `${table}_${column}_${suffix}`;
  if (new TextEncoder().encode(base).length <= MAX_NAME) return base;
  let hash = 0;
  for (const ch of base) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `${base.slice(0, 40)}_${hash.toString(16).padStart(8, "0")}_${suffix}`;
}

/** The name of a table's primary key constraint. */
export function primaryKeyName(table: string): string {
  return derivedName(table, "", "pkey");
}

/** The name of a unique field's constraint. */
export function uniqueName(table: string, column: string): string {
  return derivedName(table, column, "key");
}

/** The name of a foreign key's constraint. */
export function foreignKeyName(table: string, column: string): string {
  return derivedName(table, column, "fkey");
}

/** The name of the index on a foreign key's column. */
export function foreignKeyIndexName(table: string, column: string): string {
  return derivedName(table, column, "fkey_idx");
}

/** A foreign key gets an index of its own unless it is unique (its constraint has one). */
function hasForeignKeyIndex(field: FieldState): boolean {
  return field.references !== undefined && !field.unique && !field.primaryKey;
}

/** The column type: `varchar(100)`, `numeric(10, 2)`, `bigserial`… */
export function columnType(field: FieldState): string {
  switch (field.type) {
    case "varchar":
      return field.maxLength === undefined ? "varchar" : `varchar(${field.maxLength})`;
    case "numeric":
      return field.precision === undefined
        ? "numeric"
        : `numeric(${field.precision}, ${field.scale ?? 0})`;
    default:
      return field.type;
  }
}

/** The type to `ALTER COLUMN … TYPE` to: a serial is an integer with a sequence. */
function alterType(field: FieldState): string {
  return field.type === "bigserial" ? "bigint" : columnType(field);
}

/** An SQL string literal: `it's` → `'it''s'`. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A constant as an SQL literal for a column of `field`'s type. */
export function literal(value: unknown, field: FieldState): string {
  if (field.type === "jsonb") return `${quoteLiteral(JSON.stringify(value ?? null))}::jsonb`;
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`The default ${value} is not a finite number`);
    return String(value);
  }
  if (typeof value === "string") return quoteLiteral(value);
  throw new Error(
    `The default ${JSON.stringify(value)} does not fit a ${field.type} column: use a string, ` +
      "a number or a boolean",
  );
}

/** The `DEFAULT` expression of a field, or undefined. */
export function defaultSQL(field: FieldState): string | undefined {
  const dflt: FieldDefault | undefined = field.default;
  if (dflt === undefined) return undefined;
  if ("sql" in dflt) {
    if (dflt.sql !== "now()" && dflt.sql !== "gen_random_uuid()") {
      throw new Error(`The default ${dflt.sql} is not one of now() and gen_random_uuid()`);
    }
    return dflt.sql;
  }
  return literal(dflt.value, field);
}

const ON_DELETE: Record<string, string> = {
  "cascade": "CASCADE",
  "restrict": "RESTRICT",
  "set null": "SET NULL",
  "no action": "NO ACTION",
};

/** `REFERENCES "t" ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED` (the target's primary key). */
function referencesSQL(field: FieldState): string {
  const ref = field.references!;
  const onDelete = ON_DELETE[ref.onDelete];
  if (!onDelete) throw new Error(`Unknown onDelete '${ref.onDelete}'`);
  return `REFERENCES ${q(ref.table)} ON DELETE ${onDelete} DEFERRABLE INITIALLY DEFERRED`;
}

/** A column's definition, as in `CREATE TABLE` and `ADD COLUMN`. */
function columnSQL(table: string, field: FieldState, options: { dflt?: string } = {}): string {
  const parts = [q(field.column), columnType(field)];
  if (field.primaryKey) {
    parts.push(`CONSTRAINT ${q(primaryKeyName(table))} PRIMARY KEY`);
  } else if (!field.null) {
    parts.push("NOT NULL");
  }
  const dflt = options.dflt ?? defaultSQL(field);
  if (dflt !== undefined) parts.push(`DEFAULT ${dflt}`);
  if (field.unique && !field.primaryKey) {
    parts.push(`CONSTRAINT ${q(uniqueName(table, field.column))} UNIQUE`);
  }
  if (field.references) {
    parts.push(`CONSTRAINT ${q(foreignKeyName(table, field.column))} ${referencesSQL(field)}`);
  }
  return parts.join(" ");
}

export function createForeignKeyIndex(table: string, column: string): string {
  return `CREATE INDEX ${q(foreignKeyIndexName(table, column))} ON ${q(table)} (${q(column)})`;
}

export function createIndex(table: string, index: IndexState, columns: readonly string[]): string {
  return `CREATE ${index.unique ? "UNIQUE " : ""}INDEX ${q(index.name)} ON ${q(table)} (${
    columns.map(q).join(", ")
  })`;
}

export function dropIndex(index: IndexState): string {
  return `DROP INDEX ${q(index.name)}`;
}

/** The columns of an index of `model`. */
function indexColumns(model: ModelState, index: IndexState): string[] {
  return index.fields.map((name) => {
    const field = model.fields[name];
    if (!field) {
      throw new Error(
        `Index ${index.name} of ${model.app}.${model.name} names '${name}', which is not a field`,
      );
    }
    return field.column;
  });
}

export function createTable(model: ModelState): string[] {
  const fields = Object.values(model.fields);
  const columns = fields.map((field) => `  ${columnSQL(model.table, field)}`);
  const statements = [`CREATE TABLE ${q(model.table)} (\n${columns.join(",\n")}\n)`];
  for (const field of fields) {
    if (hasForeignKeyIndex(field)) {
      statements.push(createForeignKeyIndex(model.table, field.column));
    }
  }
  for (const index of model.indexes) {
    statements.push(createIndex(model.table, index, indexColumns(model, index)));
  }
  return statements;
}

export function dropTable(model: ModelState): string[] {
  return [`DROP TABLE ${q(model.table)} CASCADE`];
}

/** A value every row can take for a while, for re-adding a required column to a table with rows. */
function placeholder(field: FieldState): string | undefined {
  if (field.references || field.unique || field.primaryKey) return undefined;
  switch (field.type) {
    case "text":
    case "varchar":
      return "''";
    case "integer":
    case "bigint":
    case "numeric":
      return "0";
    case "boolean":
      return "false";
    case "timestamptz":
      return "now()";
    case "date":
      return "CURRENT_DATE";
    case "uuid":
      return "gen_random_uuid()";
    case "jsonb":
      return "'null'::jsonb";
    default:
      return undefined;
  }
}

export function addColumn(table: string, field: FieldState, fill = false): string[] {
  const temporary = fill && !field.null && field.default === undefined
    ? placeholder(field)
    : undefined;
  const statements = [
    `ALTER TABLE ${q(table)} ADD COLUMN ${columnSQL(table, field, { dflt: temporary })}`,
  ];
  if (temporary !== undefined) {
    statements.push(`ALTER TABLE ${q(table)} ALTER COLUMN ${q(field.column)} DROP DEFAULT`);
  }
  if (hasForeignKeyIndex(field)) statements.push(createForeignKeyIndex(table, field.column));
  return statements;
}

export function dropColumn(table: string, field: FieldState): string[] {
  // Its constraints and indexes go with it.
  return [`ALTER TABLE ${q(table)} DROP COLUMN ${q(field.column)} CASCADE`];
}

function sameReference(a: FieldState["references"], b: FieldState["references"]): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.table === b.table && a.onDelete === b.onDelete;
}

/** Renames what is named after a field's column (its constraints and index). */
function renameDerived(
  table: string,
  field: FieldState,
  from: string,
  to: string,
  keep: { unique: boolean; foreignKey: boolean; index: boolean },
): string[] {
  const statements: string[] = [];
  if (keep.unique && field.unique && !field.primaryKey) {
    // Renaming the index of a unique constraint renames the constraint.
    statements.push(
      `ALTER INDEX ${q(uniqueName(table, from))} RENAME TO ${q(uniqueName(table, to))}`,
    );
  }
  if (keep.foreignKey && field.references) {
    statements.push(
      `ALTER TABLE ${q(table)} RENAME CONSTRAINT ${q(foreignKeyName(table, from))} TO ${
        q(foreignKeyName(table, to))
      }`,
    );
  }
  if (keep.index && hasForeignKeyIndex(field)) {
    statements.push(
      `ALTER INDEX ${q(foreignKeyIndexName(table, from))} RENAME TO ${
        q(foreignKeyIndexName(table, to))
      }`,
    );
  }
  return statements;
}

export function alterColumn(table: string, from: FieldState, to: FieldState): string[] {
  const t = q(table);
  const statements: string[] = [];
  const referenceChanged = !sameReference(from.references, to.references);
  const uniqueChanged = (from.unique && !from.primaryKey) !== (to.unique && !to.primaryKey);
  const indexChanged = hasForeignKeyIndex(from) !== hasForeignKeyIndex(to);

  // What the new definition drops, by the names of the old column.
  if (from.references && referenceChanged) {
    statements.push(`ALTER TABLE ${t} DROP CONSTRAINT ${q(foreignKeyName(table, from.column))}`);
  }
  if (hasForeignKeyIndex(from) && indexChanged) {
    statements.push(`DROP INDEX ${q(foreignKeyIndexName(table, from.column))}`);
  }
  if (from.unique && !from.primaryKey && uniqueChanged) {
    statements.push(`ALTER TABLE ${t} DROP CONSTRAINT ${q(uniqueName(table, from.column))}`);
  }

  let column = q(from.column);
  if (from.column !== to.column) {
    statements.push(`ALTER TABLE ${t} RENAME COLUMN ${column} TO ${q(to.column)}`);
    statements.push(...renameDerived(table, from, from.column, to.column, {
      unique: !uniqueChanged,
      foreignKey: !referenceChanged,
      index: !indexChanged,
    }));
    column = q(to.column);
  }

  const typeChanged = alterType(from) !== alterType(to);
  const oldDefault = defaultSQL(from);
  const newDefault = defaultSQL(to);
  const defaultChanged = oldDefault !== newDefault;
  if (oldDefault !== undefined && (defaultChanged || typeChanged)) {
    statements.push(`ALTER TABLE ${t} ALTER COLUMN ${column} DROP DEFAULT`);
  }
  if (typeChanged) {
    const type = alterType(to);
    statements.push(
      `ALTER TABLE ${t} ALTER COLUMN ${column} TYPE ${type} USING ${column}::${type}`,
    );
  }
  if (newDefault !== undefined && (defaultChanged || typeChanged)) {
    statements.push(`ALTER TABLE ${t} ALTER COLUMN ${column} SET DEFAULT ${newDefault}`);
  }
  if (from.null && !to.null && !to.primaryKey) {
    // As Django: rows without a value take the default before the column requires one.
    if (newDefault !== undefined) {
      statements.push(`UPDATE ${t} SET ${column} = ${newDefault} WHERE ${column} IS NULL`);
    }
    statements.push(`ALTER TABLE ${t} ALTER COLUMN ${column} SET NOT NULL`);
  } else if (!from.null && to.null) {
    statements.push(`ALTER TABLE ${t} ALTER COLUMN ${column} DROP NOT NULL`);
  }

  if (to.unique && !to.primaryKey && uniqueChanged) {
    statements.push(
      `ALTER TABLE ${t} ADD CONSTRAINT ${q(uniqueName(table, to.column))} UNIQUE (${column})`,
    );
  }
  if (to.references && referenceChanged) {
    statements.push(
      `ALTER TABLE ${t} ADD CONSTRAINT ${
        q(foreignKeyName(table, to.column))
      } FOREIGN KEY (${column}) ${referencesSQL(to)}`,
    );
  }
  if (hasForeignKeyIndex(to) && indexChanged) {
    statements.push(createForeignKeyIndex(table, to.column));
  }
  return statements;
}

export function renameColumn(
  table: string,
  fromColumn: string,
  toColumn: string,
  field: FieldState | undefined,
): string[] {
  if (fromColumn === toColumn) return [];
  return [
    `ALTER TABLE ${q(table)} RENAME COLUMN ${q(fromColumn)} TO ${q(toColumn)}`,
    ...(field
      ? renameDerived(table, field, fromColumn, toColumn, {
        unique: true,
        foreignKey: true,
        index: true,
      })
      : []),
  ];
}

export function renameTable(
  from: string,
  to: string,
  fields: Readonly<Record<string, FieldState>> | undefined,
): string[] {
  if (from === to) return [];
  const statements = [`ALTER TABLE ${q(from)} RENAME TO ${q(to)}`];
  for (const field of Object.values(fields ?? {})) {
    if (field.type === "bigserial") {
      statements.push(
        `ALTER SEQUENCE IF EXISTS ${q(derivedName(from, field.column, "seq"))} RENAME TO ${
          q(derivedName(to, field.column, "seq"))
        }`,
      );
    }
    if (field.primaryKey) {
      statements.push(
        `ALTER INDEX IF EXISTS ${q(primaryKeyName(from))} RENAME TO ${q(primaryKeyName(to))}`,
      );
    }
    if (field.unique && !field.primaryKey) {
      statements.push(
        `ALTER INDEX ${q(uniqueName(from, field.column))} RENAME TO ${
          q(uniqueName(to, field.column))
        }`,
      );
    }
    if (field.references) {
      statements.push(
        `ALTER TABLE ${q(to)} RENAME CONSTRAINT ${q(foreignKeyName(from, field.column))} TO ${
          q(foreignKeyName(to, field.column))
        }`,
      );
    }
    if (hasForeignKeyIndex(field)) {
      statements.push(
        `ALTER INDEX ${q(foreignKeyIndexName(from, field.column))} RENAME TO ${
          q(foreignKeyIndexName(to, field.column))
        }`,
      );
    }
  }
  return statements;
}
