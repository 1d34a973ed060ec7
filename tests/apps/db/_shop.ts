import type { Database } from "../../../core/database.ts";
import type { TestDatabase } from "../../_database.ts";
import { copyProject, type Project } from "../../_helpers.ts";

// Shared by the fixture tests: a project copy with a shop app (authors and their books, a field
// of each type), the SQL of its tables, and a few queries on them.

/** The shop app's `models.ts`. */
export const MODELS = `import { defineModel, field } from "../../mod.ts";

export const Author = defineModel("shop.Author", {
  name: field.varchar(100),
  born: field.date({ null: true }),
});

export const Book = defineModel("shop.Book", {
  title: field.text(),
  author: field.foreignKey(Author, { onDelete: "cascade" }),
  price: field.numeric(8, 2),
  published: field.timestamptz({ null: true }),
  inStock: field.boolean({ default: true }),
  meta: field.jsonb({ null: true }),
  code: field.uuid({ null: true }),
  pages: field.integer({ null: true }),
  copies: field.bigint({ null: true }),
});
`;

/** The shop app's tables. */
export const SCHEMA = `
  CREATE TABLE shop_author (id bigserial PRIMARY KEY, name varchar(100) NOT NULL, born date);
  CREATE TABLE shop_book (
    id bigserial PRIMARY KEY, title text NOT NULL,
    author_id bigint NOT NULL REFERENCES shop_author (id) ON DELETE CASCADE,
    price numeric(8, 2) NOT NULL, published timestamptz, in_stock boolean NOT NULL DEFAULT true,
    meta jsonb, code uuid, pages integer, copies bigint
  );
`;

/** SQL that empties the tables and adds one author and `n` books of about 200 bytes each. */
export function fillBooks(n: number): string {
  return `
    TRUNCATE shop_book, shop_author;
    INSERT INTO shop_author (id, name) VALUES (1, 'a');
    INSERT INTO shop_book (title, author_id, price, published, meta, pages)
    SELECT 'A book with a title long enough to matter, number ' || g, 1, g % 100000 / 100.0,
      now(), jsonb_build_object('n', g), g FROM generate_series(1, ${n}) g;
  `;
}

/** Opens the test database, runs `fn`, closes it (PGlite allows one process at a time). */
export async function withDb<T>(
  database: TestDatabase,
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  const db = await database.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The number of authors and of books. */
export async function counts(db: Database): Promise<[number, number]> {
  const [row] = await db.query<{ a: number; b: number }>(
    "SELECT (SELECT count(*) FROM shop_author)::int AS a, (SELECT count(*) FROM shop_book)::int AS b",
  );
  return [row.a, row.b];
}

/** A project copy with the shop app, and `files` besides. */
export async function shopProject(files: Record<string, string> = {}): Promise<Project> {
  return await copyProject({ "apps/shop/models.ts": MODELS, ...files });
}
