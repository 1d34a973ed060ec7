// The tables of the current schema that `flush` and `sqlflush` empty.

import type { Queryable } from "../../../core/database.ts";
import { quoteIdent } from "../orm/mod.ts";
import { MIGRATIONS_TABLE } from "../migrator/mod.ts";

/** Every table of the current schema except the migrations record, by name. */
export async function userTables(db: Queryable): Promise<string[]> {
  const rows = await db.sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables
    WHERE schemaname = current_schema() AND tablename <> ${MIGRATIONS_TABLE}
    ORDER BY tablename`;
  return rows.map((row) => row.name);
}

/** The statement that empties `tables` and restarts their sequences. */
export function truncateSql(tables: readonly string[]): string {
  return `TRUNCATE ${tables.map(quoteIdent).join(", ")} RESTART IDENTITY CASCADE;`;
}
