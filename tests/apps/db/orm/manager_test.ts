// The manager and its QuerySets on both drivers: writes and the JS types of values, every
// lookup, ordering and slicing, get/first/count/exists, update/delete counts, bulkCreate
// batches, streaming through a server-side cursor, the errors, and (compile-time) the types.
// Tables are made here with plain CREATE TABLE from the model state, not by the migrations.

import assert from "node:assert/strict";
import type { Database, Queryable } from "../../../../core/database.ts";
import {
  defineModel,
  DoesNotExist,
  field,
  type ModelState,
  MultipleObjectsReturned,
  quoteIdent,
  type RowOf,
} from "../../../../apps/db/orm/mod.ts";
import { forEachDatabase } from "../../../_database.ts";

const Article = defineModel("blog.Article", {
  title: field.varchar(200),
  body: field.text({ null: true }),
  views: field.integer({ default: 0 }),
  score: field.bigint({ null: true }),
  price: field.numeric(10, 2, { null: true }),
  published: field.boolean({ default: false }),
  createdAt: field.timestamptz({ default: "now()" }),
  day: field.date({ null: true }),
  ref: field.uuid({ default: "gen_random_uuid()" }),
  meta: field.jsonb({ null: true }),
});

const Tag = defineModel("blog.Tag", {
  slug: field.text({ primaryKey: true }),
  label: field.text(),
});

type ArticleRow = Awaited<ReturnType<ReturnType<typeof Article.objects.using>["get"]>>;

/** CREATE TABLE for a model state, enough for these tests. */
async function createTable(db: Queryable, state: ModelState): Promise<void> {
  const columns = Object.values(state.fields).map((f) => {
    const type = f.type === "varchar"
      ? `varchar(${f.maxLength})`
      : f.type === "numeric"
      ? `numeric(${f.precision}, ${f.scale})`
      : f.type;
    let sql = `${quoteIdent(f.column)} ${type}${f.primaryKey ? " PRIMARY KEY" : ""}`;
    if (!f.null && !f.primaryKey) sql += " NOT NULL";
    if (f.default) {
      sql += ` DEFAULT ${"sql" in f.default ? f.default.sql : JSON.stringify(f.default.value)}`;
    }
    return sql;
  });
  await db.exec(`CREATE TABLE ${quoteIdent(state.table)} (${columns.join(", ")})`);
}

/** Runs `fn` on each driver with the tables made, closing the connection after. */
function withTables(
  fn: (db: Database, t: Deno.TestContext) => Promise<void>,
): (t: Deno.TestContext) => Promise<void> {
  return (outer) =>
    forEachDatabase(outer, async (testDb, t) => {
      const db = await testDb.open();
      try {
        await createTable(db, Article.state);
        await createTable(db, Tag.state);
        await fn(db, t);
      } finally {
        await db.close();
      }
    });
}

type Transactional = Queryable & Pick<Database, "transaction">;

/** A database that records every statement run through it and its transactions. */
function recording(db: Database): { db: Transactional; statements: string[] } {
  const statements: string[] = [];
  const wrap = (q: Queryable): Queryable => ({
    sql: (strings, ...values) => {
      statements.push(strings.join("?"));
      return q.sql(strings, ...values);
    },
    query: (text, params) => {
      statements.push(text);
      return q.query(text, params);
    },
    exec: (text) => {
      statements.push(text);
      return q.exec(text);
    },
  });
  return {
    db: { ...wrap(db), transaction: (fn) => db.transaction((tx) => fn(wrap(tx))) },
    statements,
  };
}

/** Fails instead of hanging when `promise` takes longer than `ms` (a connection left busy). */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const SAMPLE = [
  { title: "Alpha", body: "100% pure", views: 10, day: new Date("2024-01-01"), price: "1.50" },
  { title: "beta_test", body: null, views: 20, day: new Date("2024-02-01"), price: null },
  { title: "Gamma \\ slash", body: "under_score", views: 30, day: null, price: "30.00" },
  { title: "delta", body: "ALPHA beta", views: 40, day: new Date("2024-04-01"), price: "4.25" },
];

/** How many cursors the session has open. */
async function openCursors(db: Queryable): Promise<number> {
  return Number(
    (await db.query<{ n: number }>(
      "SELECT count(*) AS n FROM pg_cursors WHERE name LIKE 'manage\\_cursor\\_%'",
    ))[0].n,
  );
}

async function titles(rows: Promise<ArticleRow[]>): Promise<string[]> {
  return (await rows).map((row) => row.title);
}

Deno.test(
  "create and get return rows by field name, with the fields' JS types",
  withTables(async (db) => {
    const qs = Article.objects.using(db);
    const before = Date.now();
    const minimal = await qs.create({ title: "Minimal" });
    assert.equal(minimal.id, 1);
    assert.deepEqual(Object.keys(minimal), Object.keys(Article.state.fields));
    assert.equal(minimal.views, 0);
    assert.equal(minimal.published, false);
    assert.equal(minimal.body, null);
    assert.ok(minimal.createdAt instanceof Date);
    assert.ok(Math.abs(minimal.createdAt.getTime() - before) < 60_000);
    assert.match(minimal.ref, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const full = {
      title: "Full",
      body: "text",
      views: 7,
      score: 9_007_199_254_740_991,
      price: "12.50",
      published: true,
      createdAt: new Date("2024-05-06T07:08:09.123Z"),
      day: new Date("2024-05-06"),
      ref: "00000000-0000-4000-8000-000000000001",
      meta: { tags: ["a", "b"], nested: { n: 1.5, ok: true, none: null } },
    };
    const created = await qs.create(full);
    assert.deepEqual(created, { id: 2, ...full });
    assert.deepEqual(await qs.get({ id: 2 }), created);
    // The column names are the snake_case of the field names.
    const [raw] = await db.query("SELECT created_at, day FROM blog_article WHERE id = 2");
    assert.deepEqual(raw, { created_at: full.createdAt, day: full.day });
    // numeric keeps its scale, as text.
    assert.equal((await qs.create({ title: "Price", price: "3" })).price, "3.00");
  }),
);

Deno.test(
  "jsonb values round-trip on both drivers, strings included; null is SQL NULL",
  withTables(async (db) => {
    const qs = Article.objects.using(db);
    const values = ["hi", '{"not":"parsed"}', 42, 1.5, true, [1, "two", null], { a: { b: [] } }];
    for (const meta of values) {
      const row = await qs.create({ title: "json", meta });
      assert.deepEqual(row.meta, meta);
      assert.deepEqual((await qs.get({ id: row.id })).meta, meta);
      const [stored] = await db.query<{ type: string }>(
        "SELECT jsonb_typeof(meta) AS type FROM blog_article WHERE id = $1",
        [row.id],
      );
      assert.equal(stored.type, Array.isArray(meta) ? "array" : typeof meta);
    }
    const none = await qs.create({ title: "none", meta: null });
    const [stored] = await db.query(
      "SELECT meta IS NULL AS sql_null FROM blog_article WHERE id = $1",
      [
        none.id,
      ],
    );
    assert.deepEqual(stored, { sql_null: true });
    // Equality on jsonb compares values.
    assert.equal(await qs.filter({ meta: { a: { b: [] } } }).count(), 1);
    assert.equal(await qs.filter({ meta: "hi" }).count(), 1);
  }),
);

Deno.test(
  "filter lookups: equality, in, comparisons, contains, icontains, isnull",
  withTables(async (db, t) => {
    const qs = Article.objects.using(db);
    await qs.bulkCreate(SAMPLE);
    const all = qs.orderBy("id");
    await t.step("equality, and null as IS NULL", async () => {
      assert.deepEqual(await titles(all.filter({ title: "Alpha" }).toArray()), ["Alpha"]);
      assert.deepEqual(await titles(all.filter({ body: null }).toArray()), ["beta_test"]);
      assert.deepEqual(await titles(all.filter({ title__exact: "delta" }).toArray()), ["delta"]);
    });
    await t.step("in, and an empty in matches nothing", async () => {
      assert.deepEqual(await titles(all.filter({ views__in: [10, 40, 99] }).toArray()), [
        "Alpha",
        "delta",
      ]);
      assert.deepEqual(await all.filter({ views__in: [] }).toArray(), []);
    });
    await t.step("lt, lte, gt, gte on numbers, numerics and dates", async () => {
      assert.deepEqual(await titles(all.filter({ views__lt: 20 }).toArray()), ["Alpha"]);
      assert.deepEqual(await titles(all.filter({ views__lte: 20 }).toArray()), [
        "Alpha",
        "beta_test",
      ]);
      assert.deepEqual(await titles(all.filter({ views__gt: 30 }).toArray()), ["delta"]);
      assert.deepEqual(await titles(all.filter({ views__gte: 30 }).toArray()), [
        "Gamma \\ slash",
        "delta",
      ]);
      assert.deepEqual(await titles(all.filter({ price__gt: "4.00" }).toArray()), [
        "Gamma \\ slash",
        "delta",
      ]);
      assert.deepEqual(
        await titles(all.filter({ day__gte: new Date("2024-02-01") }).toArray()),
        ["beta_test", "delta"],
      );
      assert.deepEqual(await titles(all.filter({ day__lt: new Date("2024-02-01") }).toArray()), [
        "Alpha",
      ]);
    });
    await t.step("contains takes %, _ and \\ literally", async () => {
      assert.deepEqual(await titles(all.filter({ body__contains: "%" }).toArray()), ["Alpha"]);
      assert.deepEqual(await titles(all.filter({ title__contains: "_" }).toArray()), [
        "beta_test",
      ]);
      assert.deepEqual(await titles(all.filter({ title__contains: "\\" }).toArray()), [
        "Gamma \\ slash",
      ]);
      assert.deepEqual(await titles(all.filter({ body__contains: "alpha" }).toArray()), []);
      assert.deepEqual(await titles(all.filter({ price__contains: ".5" }).toArray()), ["Alpha"]);
    });
    await t.step("icontains ignores case", async () => {
      assert.deepEqual(await titles(all.filter({ body__icontains: "alpha" }).toArray()), [
        "delta",
      ]);
      assert.deepEqual(await titles(all.filter({ title__icontains: "A_T" }).toArray()), [
        "beta_test",
      ]);
    });
    await t.step("isnull", async () => {
      assert.deepEqual(await titles(all.filter({ day__isnull: true }).toArray()), [
        "Gamma \\ slash",
      ]);
      assert.equal(await qs.filter({ day__isnull: false }).count(), 3);
    });
    await t.step("several lookups, and chained filters, all hold", async () => {
      assert.deepEqual(
        await titles(all.filter({ views__gt: 10, body__isnull: false }).toArray()),
        ["Gamma \\ slash", "delta"],
      );
      assert.deepEqual(
        await titles(all.filter({ views__gt: 10 }).filter({ views__lt: 40 }).toArray()),
        ["beta_test", "Gamma \\ slash"],
      );
    });
    await t.step("exclude removes exactly what the filter keeps, NULLs included", async () => {
      assert.deepEqual(await titles(all.exclude({ body: "100% pure" }).toArray()), [
        "beta_test",
        "Gamma \\ slash",
        "delta",
      ]);
      assert.deepEqual(await titles(all.exclude({ body__contains: "e" }).toArray()), [
        "beta_test",
      ]);
      // Not (views > 10 and body is not null): a row is kept unless both hold.
      assert.deepEqual(
        await titles(all.exclude({ views__gt: 10, body__isnull: false }).toArray()),
        ["Alpha", "beta_test"],
      );
      assert.equal(await qs.exclude({ views__in: [] }).count(), 4);
      assert.equal(await qs.exclude({}).count(), 4);
    });
    await t.step("a value that looks like SQL is only a value", async () => {
      const evil = "x'; DROP TABLE blog_article; --";
      const query = qs.filter({ title: evil, body__contains: evil }).toSQL();
      assert.ok(!query.text.includes("DROP"));
      assert.deepEqual(query.params, [evil, "x'; DROP TABLE blog\\_article; --"]);
      assert.equal(await qs.filter({ title: evil }).count(), 0);
      assert.equal(await qs.count(), 4);
    });
  }),
);

Deno.test(
  "orderBy, limit and offset",
  withTables(async (db) => {
    const qs = Article.objects.using(db);
    await qs.bulkCreate(SAMPLE);
    assert.deepEqual(await titles(qs.orderBy("-views").toArray()), [
      "delta",
      "Gamma \\ slash",
      "beta_test",
      "Alpha",
    ]);
    await qs.filter({ title: "delta" }).update({ views: 10 });
    assert.deepEqual(await titles(qs.orderBy("views", "-title").toArray()), [
      "delta",
      "Alpha",
      "beta_test",
      "Gamma \\ slash",
    ]);
    // A later orderBy replaces the earlier one.
    assert.deepEqual(await titles(qs.orderBy("-id").orderBy("id").limit(2).toArray()), [
      "Alpha",
      "beta_test",
    ]);
    assert.deepEqual(await titles(qs.orderBy("id").offset(1).limit(2).toArray()), [
      "beta_test",
      "Gamma \\ slash",
    ]);
    assert.deepEqual(await titles(qs.orderBy("id").offset(3).toArray()), ["delta"]);
    assert.equal(await qs.limit(2).count(), 2);
    assert.equal(await qs.offset(3).count(), 1);
    assert.equal(await qs.offset(4).exists(), false);
    assert.equal(await qs.limit(0).exists(), false);
    assert.equal(await qs.offset(3).exists(), true);
    // QuerySets are immutable: each step is a new one.
    const base = qs.filter({ views__gte: 20 });
    const sorted = base.orderBy("-id");
    assert.notEqual(base, sorted);
    assert.equal(await base.limit(1).count(), 1);
    assert.equal(await base.count(), 2);
  }),
);

Deno.test(
  "get, first, count and exists",
  withTables(async (db) => {
    const qs = Article.objects.using(db);
    assert.equal(await qs.first(), null);
    assert.equal(await qs.exists(), false);
    assert.equal(await qs.count(), 0);
    await assert.rejects(() => qs.get({ title: "nope" }), (error) => {
      assert.ok(error instanceof DoesNotExist);
      assert.equal(error.message, "Article matching query does not exist.");
      assert.equal(error.model, "blog.Article");
      return true;
    });

    await qs.bulkCreate(SAMPLE);
    assert.equal((await qs.get({ title: "Alpha" })).views, 10);
    assert.equal((await qs.filter({ views__gt: 30 }).get()).title, "delta");
    await assert.rejects(() => qs.get({ views__gte: 30 }), (error) => {
      assert.ok(error instanceof MultipleObjectsReturned);
      assert.equal(error.message, "get() returned more than one Article -- it returned 2!");
      assert.equal(error.model, "blog.Article");
      return true;
    });
    await qs.bulkCreate(Array.from({ length: 30 }, (_, i) => ({ title: `Bulk ${i}` })));
    await assert.rejects(
      () => qs.get(),
      new MultipleObjectsReturned("blog.Article", "more than 20"),
    );
    await assert.rejects(
      () => qs.orderBy("id").limit(25).get(),
      /get\(\) returned more than one Article -- it returned 25!/,
    );

    assert.equal((await qs.first())?.title, "Alpha");
    assert.equal((await qs.orderBy("-views", "-id").first())?.title, "delta");
    assert.equal((await qs.orderBy("id").offset(1).first())?.title, "beta_test");
    assert.equal(await qs.filter({ title: "nope" }).first(), null);
    assert.equal(await qs.count(), 34);
    assert.equal(await qs.filter({ title__contains: "Bulk" }).count(), 30);
    assert.equal(await qs.filter({ title: "delta" }).exists(), true);

    // A model whose primary key is declared has no id; first() orders by that key.
    const tags = Tag.objects.using(db);
    await tags.bulkCreate([{ slug: "b", label: "B" }, { slug: "a", label: "A" }]);
    assert.deepEqual(await tags.first(), { slug: "a", label: "A" });
    assert.deepEqual(await tags.get({ slug: "b" }), { slug: "b", label: "B" });
  }),
);

Deno.test(
  "update and delete return how many rows they touched",
  withTables(async (db) => {
    const qs = Article.objects.using(db);
    await qs.bulkCreate(SAMPLE);
    assert.equal(await qs.filter({ views__gte: 20 }).update({ published: true, score: 5 }), 3);
    assert.equal(await qs.filter({ published: true, score: 5 }).count(), 3);
    assert.equal(await qs.filter({ title: "nope" }).update({ views: 1 }), 0);
    assert.equal(await qs.update({}), 0);
    assert.equal(await qs.update({ body: undefined }), 0);
    assert.equal(await qs.filter({ title: "Alpha" }).update({ body: null, meta: [1] }), 1);
    const alpha = await qs.get({ title: "Alpha" });
    assert.deepEqual([alpha.body, alpha.meta, alpha.views], [null, [1], 10]);
    assert.equal(await qs.exclude({ published: true }).delete(), 1);
    assert.equal(await qs.filter({ views__in: [] }).delete(), 0);
    assert.equal(await qs.delete(), 3);
    assert.equal(await qs.count(), 0);
    await assert.rejects(
      () => qs.limit(1).update({ views: 1 }),
      new TypeError("Cannot update a query once a slice has been taken."),
    );
    await assert.rejects(
      () => qs.offset(1).delete(),
      new TypeError("Cannot use 'limit' or 'offset' with delete()."),
    );
  }),
);

Deno.test(
  "bulkCreate inserts in batches, in one transaction, and returns the rows in order",
  withTables(async (plain) => {
    const { db, statements } = recording(plain);
    const qs = Article.objects.using(db);
    assert.deepEqual(await qs.bulkCreate([]), []);
    assert.equal(statements.length, 0);

    const rows = Array.from({ length: 2500 }, (_, i) => ({ title: `Row ${i}`, views: i }));
    const stored = await qs.bulkCreate(rows, { batchSize: 1000 });
    assert.equal(statements.filter((s) => s.startsWith("INSERT")).length, 3);
    assert.equal(stored.length, 2500);
    assert.deepEqual(stored.map((r) => r.title), rows.map((r) => r.title));
    assert.deepEqual(stored.map((r) => r.id), rows.map((_, i) => i + 1));

    // A field some rows leave out gets its default in those rows.
    const mixed = await qs.bulkCreate([{ title: "a", views: 5 }, { title: "b" }]);
    assert.deepEqual(mixed.map((r) => r.views), [5, 0]);

    // A failing batch undoes the batches before it.
    const before = await qs.count();
    await assert.rejects(() =>
      qs.bulkCreate([{ title: "ok" }, { title: "ok" }, { title: "x".repeat(201) }], {
        batchSize: 1,
      })
    );
    assert.equal(await qs.count(), before);

    // Batches never exceed PostgreSQL's 65,535 parameters.
    statements.length = 0;
    const wide = Array.from({ length: 7000 }, (_, i) => ({
      title: `W${i}`,
      body: "b",
      views: i,
      score: i,
      price: "1.00",
      published: true,
      createdAt: new Date(0),
      day: new Date(0),
      ref: crypto.randomUUID(),
      meta: i,
    }));
    assert.equal((await qs.bulkCreate(wide, { batchSize: 10_000 })).length, 7000);
    assert.equal(statements.filter((s) => s.startsWith("INSERT")).length, 2);
  }),
);

Deno.test(
  "for await streams through a cursor, and closes it however the loop ends",
  withTables(async (plain, t) => {
    const { db, statements } = recording(plain);
    const qs = Article.objects.using(db);
    await qs.bulkCreate(Array.from({ length: 5000 }, (_, i) => ({ title: `Row ${i}`, views: i })));

    await t.step("5,000 rows, 1,000 per FETCH", async () => {
      statements.length = 0;
      let count = 0;
      for await (const row of qs.orderBy("id")) {
        assert.equal(row.views, count);
        count++;
      }
      assert.equal(count, 5000);
      assert.equal(statements.filter((s) => s.startsWith("DECLARE")).length, 1);
      assert.match(statements[0], /^DECLARE manage_cursor_\d+ NO SCROLL CURSOR FOR SELECT /);
      // Five full chunks, then the empty one that ends the loop.
      assert.deepEqual(
        statements.slice(1).map((s) => s.replace(/manage_cursor_\d+/, "c")),
        Array(6).fill("FETCH 1000 FROM c"),
      );
      assert.equal(await within(5000, openCursors(plain)), 0);
    });

    await t.step("a short last chunk ends the loop without another FETCH", async () => {
      statements.length = 0;
      let count = 0;
      for await (const _ of qs.filter({ views__lt: 2500 }).iterator({ chunkSize: 1000 })) {
        count++;
      }
      assert.equal(count, 2500);
      assert.equal(statements.filter((s) => s.startsWith("FETCH")).length, 3);
    });

    await t.step("an empty result", async () => {
      const rows = [];
      for await (const row of qs.filter({ views__lt: 0 })) rows.push(row);
      assert.deepEqual(rows, []);
    });

    await t.step("break closes the cursor and its transaction", async () => {
      statements.length = 0;
      let count = 0;
      // Leaving the loop waits for the transaction to end: it must not wait forever.
      await within(
        5000,
        (async () => {
          for await (const _ of qs.orderBy("id")) {
            if (++count === 1500) break;
          }
        })(),
      );
      assert.equal(count, 1500);
      assert.equal(statements.filter((s) => s.startsWith("FETCH")).length, 2);
      // The connection is free again (a transaction left open would make this wait forever).
      assert.equal(await within(5000, openCursors(plain)), 0);
      assert.equal(await within(5000, qs.count()), 5000);
    });

    await t.step("an error in the loop propagates, and the cursor is closed", async () => {
      await assert.rejects(async () => {
        for await (const row of qs.orderBy("id")) {
          if (row.views === 1200) throw new Error("Stop here");
        }
      }, /Stop here/);
      assert.equal(await within(5000, openCursors(plain)), 0);
    });

    await t.step("a failing query rejects, and the connection stays usable", async () => {
      const missing = defineModel("blog.Missing", { name: field.text() });
      await assert.rejects(async () => {
        for await (const _ of missing.objects.using(db)) { /* never reached */ }
      }, /blog_missing/);
      assert.equal(await within(5000, qs.count()), 5000);
    });

    await t.step(
      "inside a transaction, the cursor is its own and other queries interleave",
      async () => {
        const seen = await plain.transaction(async (tx) => {
          const inTx = Article.objects.using(tx);
          let n = 0;
          for await (const row of inTx.orderBy("id").iterator({ chunkSize: 100 })) {
            if (row.views % 1000 === 0) {
              await inTx.filter({ id: row.id }).update({ published: true });
              assert.equal(await openCursors(tx), 1);
            }
            if (++n === 2500) break;
          }
          assert.equal(await openCursors(tx), 0);
          return n;
        });
        assert.equal(seen, 2500);
        assert.equal(await qs.filter({ published: true }).count(), 3);
      },
    );
  }),
);

Deno.test("mistakes in a query are errors naming the model, the field and the valid ones", async () => {
  const qs = Article.objects.using({} as Queryable);
  const fields = "id, title, body, views, score, price, published, createdAt, day, ref, meta";
  const loose = qs as unknown as {
    filter(lookups: Record<string, unknown>): unknown;
    orderBy(...names: string[]): unknown;
  };
  assert.throws(
    () => loose.filter({ titel: "x" }),
    new Error(`blog.Article has no field 'titel'; its fields are ${fields}`),
  );
  assert.throws(
    () => loose.filter({ titel__in: [] }),
    new Error(`blog.Article has no field 'titel'; its fields are ${fields}`),
  );
  assert.throws(
    () => loose.orderBy("-titel"),
    new Error(`blog.Article has no field 'titel'; its fields are ${fields}`),
  );
  assert.throws(
    () => loose.filter({ title__startswith: "x" }),
    new Error(
      "Unsupported lookup 'startswith' for the varchar field blog.Article.title; valid are " +
        "title, title__exact, title__in, title__lt, title__lte, title__gt, title__gte, " +
        "title__contains, title__icontains, title__isnull",
    ),
  );
  assert.throws(
    () => loose.filter({ published__gt: true }),
    /Unsupported lookup 'gt' for the boolean field blog.Article.published; valid are published, published__exact, published__in, published__isnull$/,
  );
  assert.throws(
    () => loose.filter({ views__contains: "1" }),
    /Unsupported lookup 'contains' for the integer field/,
  );
  assert.throws(
    () => loose.filter({ title: undefined }),
    new Error("Filter title on blog.Article is undefined: give a value, or null for NULL"),
  );
  assert.throws(
    () => loose.filter({ body__isnull: "yes" }),
    new Error('Filter body__isnull on blog.Article takes true or false, not "yes"'),
  );
  assert.throws(
    () => loose.filter({ views__in: 3 }),
    new Error("Filter views__in on blog.Article takes an array, not number 3"),
  );
  assert.throws(
    () => loose.filter({ views__lt: null }),
    new Error("Filter views__lt on blog.Article takes a value, not null: use views__isnull"),
  );
  await assert.rejects(
    () => qs.create({ title: "x", titel: "y" } as never),
    /has no field 'titel'/,
  );
  await assert.rejects(() => qs.update({ titel: "y" } as never), /has no field 'titel'/);
  assert.throws(
    () => qs.limit(1).filter({ title: "x" }),
    new TypeError("Cannot filter a query once a slice has been taken."),
  );
  assert.throws(
    () => qs.offset(1).orderBy("id"),
    new TypeError("Cannot reorder a query once a slice has been taken."),
  );
  assert.throws(
    () => qs.limit(-1),
    new RangeError("QuerySet limit takes a whole number, 0 or more, not -1"),
  );
  assert.throws(() => qs.offset(1.5), RangeError);
  await assert.rejects(() => qs.iterator({ chunkSize: 0 }).next(), RangeError);
  assert.throws(
    () => qs.filter({ createdAt: new Date("nonsense") }).toSQL(),
    new Error("blog.Article.createdAt (timestamptz) cannot take an invalid Date"),
  );
  assert.throws(
    () => qs.filter({ title: { x: 1 } as never }).toSQL(),
    new Error("blog.Article.title (varchar) cannot take an object"),
  );
});

/** True when X and Y are the same type. */
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true
  : false;

/** Compiles only when given `true`. */
function check<T extends true>(_proof: T): void {}

Deno.test("row, insert and lookup types come from the model (compile-time)", () => {
  check<
    Equal<ArticleRow, {
      id: number;
      title: string;
      body: string | null;
      views: number;
      score: number | null;
      price: string | null;
      published: boolean;
      createdAt: Date;
      day: Date | null;
      ref: string;
      meta: unknown;
    }>
  >(true);
  check<
    Equal<RowOf<{ slug: ReturnType<typeof field.text<{ primaryKey: true }>> }>, { slug: string }>
  >(
    true,
  );
  type TagRow = Awaited<ReturnType<ReturnType<typeof Tag.objects.using>["get"]>>;
  check<Equal<TagRow, { slug: string; label: string }>>(true);

  // Never run: each line must compile, and each @ts-expect-error line must not.
  const _types = (db: Queryable) => {
    const qs = Article.objects.using(db);
    qs.filter({ title: "x", views__gte: 1, body__isnull: true, title__in: ["a"], body: null });
    qs.filter({ day__lt: new Date(), title__icontains: "x", price__contains: "1" });
    qs.exclude({ meta: { any: "json" } });
    // @ts-expect-error: no field titel
    qs.filter({ titel: "x" });
    // @ts-expect-error: no lookup startswith
    qs.filter({ title__startswith: "x" });
    // @ts-expect-error: views is a number
    qs.filter({ views: "10" });
    // @ts-expect-error: title is never null
    qs.filter({ title: null });
    // @ts-expect-error: views__in takes numbers
    qs.filter({ views__in: ["1"] });
    // @ts-expect-error: contains is for text
    qs.filter({ views__contains: "1" });
    // @ts-expect-error: isnull takes a boolean
    qs.filter({ body__isnull: 1 });
    qs.orderBy("-views", "title");
    // @ts-expect-error: no field titel
    qs.orderBy("-titel");
    qs.create({ title: "x" });
    qs.create({ title: "x", meta: [1], day: null, id: 5 });
    // @ts-expect-error: title is required
    qs.create({ views: 1 });
    // @ts-expect-error: no field titel
    qs.create({ title: "x", titel: "y" });
    // @ts-expect-error: title is a string
    qs.create({ title: 1 });
    qs.update({ views: 2, body: null });
    // @ts-expect-error: views is a number
    qs.update({ views: "2" });
    // @ts-expect-error: a Tag has no id
    Tag.objects.using(db).filter({ id: 1 });
  };
  assert.equal(typeof _types, "function");
});
