// Shared by the migration tests: a password no output may show, and what a database holds
// (tables, recorded migrations, a snapshot of both) to compare before and after.

import type { Queryable } from "../../../core/database.ts";

/** A password the tests put in every server URL; no output may contain it. */
export const PASSWORD = "pw-NEVER-SHOWN";

/** `url` with {@linkcode PASSWORD} as its password when it names a server. */
export function withPassword(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  const parsed = new URL(url);
  parsed.password = PASSWORD;
  return parsed.href;
}

/** The tables of the current schema, by name. */
export async function tables(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
  );
  return rows.map((row) => row.name);
}

/** The migrations recorded in manage_migrations (`app.name`), in the order applied. */
export async function recorded(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ key: string }>(
    "SELECT app || '.' || name AS key FROM manage_migrations ORDER BY id",
  );
  return rows.map((row) => row.key);
}

/** The columns of every table of the current schema, and every row of manage_migrations. */
export async function snapshot(db: Queryable): Promise<{ columns: unknown[]; records: unknown[] }> {
  const columns = await db.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  const records = (await tables(db)).includes("manage_migrations")
    ? await db.query("SELECT * FROM manage_migrations ORDER BY id")
    : [];
  return { columns, records };
}

/** Drops every table of the current schema. */
export async function dropTables(db: Queryable): Promise<void> {
  const names = await tables(db);
  if (names.length > 0) await db.exec(`DROP TABLE ${names.map((n) => `"${n}"`).join(", ")}`);
}
