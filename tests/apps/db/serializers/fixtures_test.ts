// dumpdata and loaddata through the real cli.ts, on both drivers, in a project copy with a shop
// app whose tables the tests create with SQL: Django's fixture format byte for byte, round trips,
// a fixture Django wrote, broken fixtures that load nothing, progress, and flat memory.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dumpModels, Progress, readFixture } from "../../../../apps/db/serializers/mod.ts";
import type { Database } from "../../../../core/database.ts";
import type { ModelState } from "../../../../apps/db/orm/mod.ts";
import { forEachDatabase } from "../../../_database.ts";
import { CLI_PERMISSIONS, type Project } from "../../../_helpers.ts";
import { counts, fillBooks, SCHEMA, shopProject, withDb } from "../_shop.ts";

const ROWS = String.raw`
  INSERT INTO shop_author (name, born) VALUES
    ('Ann "Q" \ Lee', '1970-05-06'), (E'Bob\ttab\nline é 日本 \x01', NULL), ('Zed', '0900-01-01');
  INSERT INTO shop_book (title, author_id, price, published, in_stock, meta, code, pages, copies)
  VALUES
    ('One', 1, 12.50, '2024-05-01 12:30:00.123+02', true,
     '{"tags": ["a", "b"], "n": 1.5, "nested": {"x": null}}',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 100, 9007199254740993),
    ('Two', 2, 0.05, '2024-05-01 12:30:00+00', false, '[]', NULL, NULL, NULL),
    ('Three', 1, -123456.78, '1850-01-01 00:00:00.5+00', true, '"x"', NULL, -5, -9007199254740993),
    ('Four', 3, 0, NULL, true, NULL, NULL, 0, 0);
`;

// What Django's serializers write for these rows (checked against Python's json module).
const JSONL = String
  .raw`{"model": "shop.author","pk": 1,"fields": {"name": "Ann \"Q\" \\ Lee","born": "1970-05-06"}}
{"model": "shop.author","pk": 2,"fields": {"name": "Bob\ttab\nline é 日本 \u0001","born": null}}
{"model": "shop.author","pk": 3,"fields": {"name": "Zed","born": "0900-01-01"}}
{"model": "shop.book","pk": 1,"fields": {"title": "One","author": 1,"price": "12.50","published": "2024-05-01T10:30:00.123Z","in_stock": true,"meta": {"n": 1.5,"tags": ["a","b"],"nested": {"x": null}},"code": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","pages": 100,"copies": 9007199254740993}}
{"model": "shop.book","pk": 2,"fields": {"title": "Two","author": 2,"price": "0.05","published": "2024-05-01T12:30:00Z","in_stock": false,"meta": [],"code": null,"pages": null,"copies": null}}
{"model": "shop.book","pk": 3,"fields": {"title": "Three","author": 1,"price": "-123456.78","published": "1850-01-01T00:00:00.500Z","in_stock": true,"meta": "x","code": null,"pages": -5,"copies": -9007199254740993}}
{"model": "shop.book","pk": 4,"fields": {"title": "Four","author": 3,"price": "0.00","published": null,"in_stock": true,"meta": null,"code": null,"pages": 0,"copies": 0}}
`;

/** Django's default `json`: the same objects in one array on one line, `, ` between items. */
const JSON_ARRAY = String
  .raw`[{"model": "shop.author", "pk": 1, "fields": {"name": "Ann \"Q\" \\ Lee", "born": "1970-05-06"}}, {"model": "shop.author", "pk": 2, "fields": {"name": "Bob\ttab\nline é 日本 \u0001", "born": null}}, {"model": "shop.author", "pk": 3, "fields": {"name": "Zed", "born": "0900-01-01"}}, {"model": "shop.book", "pk": 1, "fields": {"title": "One", "author": 1, "price": "12.50", "published": "2024-05-01T10:30:00.123Z", "in_stock": true, "meta": {"n": 1.5, "tags": ["a", "b"], "nested": {"x": null}}, "code": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "pages": 100, "copies": 9007199254740993}}, {"model": "shop.book", "pk": 2, "fields": {"title": "Two", "author": 2, "price": "0.05", "published": "2024-05-01T12:30:00Z", "in_stock": false, "meta": [], "code": null, "pages": null, "copies": null}}, {"model": "shop.book", "pk": 3, "fields": {"title": "Three", "author": 1, "price": "-123456.78", "published": "1850-01-01T00:00:00.500Z", "in_stock": true, "meta": "x", "code": null, "pages": -5, "copies": -9007199254740993}}, {"model": "shop.book", "pk": 4, "fields": {"title": "Four", "author": 3, "price": "0.00", "published": null, "in_stock": true, "meta": null, "code": null, "pages": 0, "copies": 0}}]`;

// A fixture as Django writes it with --indent 4 (and one record without a pk, as Django allows).
const DJANGO_FIXTURE = `[
{
    "model": "shop.author",
    "pk": 7,
    "fields": {
        "name": "Grace",
        "born": "1906-12-09"
    }
},
{
    "model": "shop.book",
    "pk": 70,
    "fields": {
        "title": "Compilers",
        "author": 7,
        "price": "39.90",
        "published": "1952-05-01T08:00:00Z",
        "in_stock": true,
        "meta": {"edition": 2, "tags": ["cs"]},
        "code": null,
        "pages": 320,
        "copies": 5
    }
},
{
    "model": "shop.book",
    "pk": 71,
    "fields": {
        "title": "Nanoseconds",
        "author": 7,
        "price": "0.50",
        "published": "1961-03-04T10:11:12.345+02:00",
        "in_stock": false
    }
},
{
    "model": "shop.author",
    "fields": {
        "name": "Ada"
    }
}
]
`;

/** Every row of both tables, as text. */
function snapshot(db: Database): Promise<unknown[]> {
  return db.query(
    `SELECT 'author' AS t, row_to_json(a)::text AS row FROM shop_author a
     UNION ALL SELECT 'book', row_to_json(b)::text FROM shop_book b ORDER BY 1, 2`,
  );
}

Deno.test("dumpdata writes Django's fixture format, and loaddata reads it back", async (t) => {
  await using project = await shopProject();
  const dir = fileURLToPath(project.root);
  await forEachDatabase(t, async (database) => {
    const env = { DATABASE_URL: database.url };
    const before = await withDb(database, async (db) => {
      await db.exec(SCHEMA + ROWS);
      return await snapshot(db);
    });

    const json = await project.run(["dumpdata", "shop"], { env });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, JSON_ARRAY);
    const jsonl = await project.run(["dumpdata", "shop.Author", "shop.book", "--format", "jsonl"], {
      env,
    });
    assert.equal(jsonl.code, 0, jsonl.stderr);
    assert.equal(jsonl.stdout, JSONL);
    const indented = await project.run(["dumpdata", "shop.author", "--indent", "2"], { env });
    assert.equal(
      indented.stdout,
      `[\n${
        JSONL.split("\n").slice(0, 3).map((line) => JSON.stringify(JSON.parse(line), null, 2)).join(
          ",\n",
        )
      }\n]\n`,
    );
    const output = await project.run(["dumpdata", "shop", "--output", "dump.json"], { env });
    assert.equal(output.code, 0, output.stderr);
    assert.equal(output.stdout, "");
    assert.equal(await Deno.readTextFile(`${dir}/dump.json`), JSON_ARRAY);
    await Deno.writeTextFile(`${dir}/dump.jsonl`, JSONL);

    // Into empty tables (direct COPY), then over the rows already there (upserts).
    await withDb(database, (db) => db.exec("TRUNCATE shop_book, shop_author RESTART IDENTITY"));
    const loaded = await project.run(["loaddata", "dump.json"], { env });
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout, "Installed 7 object(s) from 1 fixture(s)\n");
    await withDb(database, async (db) => {
      assert.deepEqual(await snapshot(db), before);
      await db.exec("UPDATE shop_book SET title = 'changed'");
    });
    const again = await project.run(["loaddata", "dump.jsonl"], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, "Installed 7 object(s) from 1 fixture(s)\n");
    await withDb(database, async (db) => {
      assert.deepEqual(await snapshot(db), before);
      // The sequences were moved past the loaded pks.
      const [row] = await db.query<{ id: number }>(
        "INSERT INTO shop_author (name) VALUES ('new') RETURNING id::int AS id",
      );
      assert.equal(row.id, 4);
    });
  }, { root: project.root });
});

Deno.test("loaddata reads a fixture Django wrote, found by name in apps/<app>/fixtures", async (t) => {
  await using project = await shopProject({ "apps/shop/fixtures/library.json": DJANGO_FIXTURE });
  await forEachDatabase(t, async (database) => {
    const env = { DATABASE_URL: database.url };
    await withDb(database, (db) => db.exec(SCHEMA));
    const result = await project.run(["loaddata", "library"], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "Installed 4 object(s) from 1 fixture(s)\n");
    await withDb(database, async (db) => {
      assert.deepEqual(
        await db.query(
          "SELECT id::int, name, born::text FROM shop_author ORDER BY id",
        ),
        // The record without a pk took the sequence's next value, as in Django.
        [{ id: 1, name: "Ada", born: null }, { id: 7, name: "Grace", born: "1906-12-09" }],
      );
      assert.deepEqual(
        await db.query(
          `SELECT id::int, title, author_id::int, price::text, in_stock, meta::text, pages,
             copies::int, to_char(published AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS at
           FROM shop_book ORDER BY id`,
        ),
        [
          {
            id: 70,
            title: "Compilers",
            author_id: 7,
            price: "39.90",
            in_stock: true,
            meta: '{"tags": ["cs"], "edition": 2}',
            pages: 320,
            copies: 5,
            at: "1952-05-01 08:00:00.000",
          },
          {
            id: 71,
            title: "Nanoseconds",
            author_id: 7,
            price: "0.50",
            in_stock: false,
            meta: null,
            pages: null,
            copies: null,
            at: "1961-03-04 08:11:12.345",
          },
        ],
      );
    });
  }, { root: project.root });
});

const BROKEN: [name: string, text: string, message: string][] = [
  [
    "model.json",
    '[{"model": "shop.author", "pk": 1, "fields": {"name": "A"}}, {"model": "shop.bok", "pk": 2}]',
    "model.json: record 2: unknown model 'shop.bok' (did you mean 'shop.book'?)",
  ],
  [
    "field.jsonl",
    '{"model": "shop.author", "pk": 1, "fields": {"nmae": "A"}}\n',
    "field.jsonl: record 1: shop.author has no field 'nmae' (did you mean 'name'?)",
  ],
  [
    "type.json",
    '[{"model": "shop.author", "pk": 1, "fields": {"name": "A"}},\n' +
    ' {"model": "shop.book", "pk": 1, "fields": {"title": "T", "author": 1, "price": true}}]',
    "type.json: record 2: field 'price' of shop.book: expected a decimal number (such as \"12.50\"), got true",
  ],
  [
    "date.json",
    '[{"model": "shop.author", "pk": 1, "fields": {"name": "A", "born": "2023-02-30"}}]',
    "date.json: record 1: field 'born' of shop.author: expected a date (YYYY-MM-DD), got \"2023-02-30\"",
  ],
  [
    "syntax.json",
    '[\n{"model": "shop.author", "pk": 1, "fields": {"name": "A"}},\n{"model": "shop.author" "pk": 2}\n]',
    "syntax.json: record 2: invalid JSON at line 3, column 25: Expected ',' or '}' after property value",
  ],
  [
    "missing.json",
    '[{"model": "shop.book", "pk": 1, "fields": {"title": "T", "price": "1.00"}}]',
    "missing.json: record 1: shop.book needs field 'author' (it has no default and may not be null)",
  ],
];

Deno.test("a broken fixture loads nothing and says which record is wrong", async (t) => {
  await using project = await shopProject();
  const dir = fileURLToPath(project.root);
  for (const [name, text] of BROKEN) await Deno.writeTextFile(`${dir}/${name}`, text);
  await Deno.writeTextFile(`${dir}/good.jsonl`, JSONL);
  await forEachDatabase(t, async (database, t) => {
    const env = { DATABASE_URL: database.url };
    await withDb(database, (db) => db.exec(SCHEMA));
    for (const [name, , message] of BROKEN) {
      await t.step(name, async () => {
        // The good fixture comes first: it loads nothing either.
        const result = await project.run(["loaddata", "good.jsonl", name], { env });
        assert.equal(result.code, 1, result.stdout);
        assert.equal(result.stderr, `CommandError: ${message}\n`);
        assert.equal(result.stdout, "");
        assert.deepEqual(await withDb(database, counts), [0, 0]);
      });
    }
    await t.step("a row that points at no row", async () => {
      await Deno.writeTextFile(
        `${dir}/dangling.json`,
        '[{"model": "shop.book", "pk": 1, "fields": {"title": "T", "author": 99, "price": "1"}}]',
      );
      const result = await project.run(["loaddata", "good.jsonl", "dangling.json"], { env });
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /^CommandError: Could not load shop\.book: .*violates foreign key constraint.*\(Key \(author_id\)=\(99\) is not present in table "shop_author"\)\n$/,
      );
      assert.deepEqual(await withDb(database, counts), [0, 0]);
    });
    await t.step("a record broken after megabytes of good ones", async () => {
      // Batches went to the database (a COPY is open on a server) before the broken record.
      const records = Array.from(
        { length: 120_000 },
        (_, i) => `{"model": "shop.author", "pk": ${i + 1}, "fields": {"name": "Author ${i}"}}`,
      );
      await Deno.writeTextFile(
        `${dir}/late.json`,
        `[${records.join(", ")}, {"model": "shop.author", "pk": 0, "fields": {"name": 7}}]`,
      );
      const result = await project.run(["loaddata", "late.json"], { env });
      assert.equal(result.code, 1);
      assert.equal(
        // A busy machine may take the 5 seconds after which a progress line is printed.
        result.stderr.replace(/^Loading fixtures: .*\n/gm, ""),
        "CommandError: late.json: record 120001: field 'name' of shop.author: expected a string, got 7\n",
      );
      assert.deepEqual(await withDb(database, counts), [0, 0]);
    });
    await t.step("a fixture that is not there", async () => {
      const result = await project.run(["loaddata", "nowhere"], { env });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, "CommandError: No fixture named 'nowhere' found.\n");
    });
  }, { root: project.root });
});

Deno.test("loaddata of several fixtures is one transaction: a large good one before a bad one loads nothing", async (t) => {
  await using project = await shopProject();
  const dir = fileURLToPath(project.root);
  // About 8 MB of authors: several of the loader's batches (1 MB of COPY text each) go to the
  // database, and its COPY is open on a server, before the next fixture is opened.
  const authors = Array.from(
    { length: 120_000 },
    (_, i) => `{"model": "shop.author", "pk": ${i + 1}, "fields": {"name": "Author ${i}"}}`,
  );
  await Deno.writeTextFile(`${dir}/authors.json`, `[${authors.join(", ")}]`);
  const books = Array.from(
    { length: 3 },
    (_, i) =>
      `{"model": "shop.book", "pk": ${i + 1}, "fields": {"title": "T", "author": ${
        i + 1
      }, "price": "1.00"}}`,
  );
  await Deno.writeTextFile(`${dir}/books.jsonl`, `${books.join("\n")}\n`);
  await Deno.writeTextFile(
    `${dir}/bad.json`,
    '[{"model": "shop.author", "pk": 200000, "fields": {"name": 7}}]',
  );
  // Refused by the database only at the commit (a deferred foreign key).
  await Deno.writeTextFile(
    `${dir}/dangling.json`,
    '[{"model": "shop.book", "pk": 9, "fields": {"title": "T", "author": 999999, "price": "1"}}]',
  );
  await forEachDatabase(t, async (database, t) => {
    const env = { DATABASE_URL: database.url };
    await withDb(database, (db) => db.exec(SCHEMA));
    const cases: [string, RegExp][] = [
      [
        "bad.json",
        /^CommandError: bad\.json: record 1: field 'name' of shop\.author: expected a string, got 7\n$/,
      ],
      ["dangling.json", /^CommandError: Could not load shop\.book: .*foreign key.*\n$/],
    ];
    for (const [bad, message] of cases) {
      await t.step(bad, async () => {
        // A load that waits on itself (a statement behind its own open COPY) fails here
        // rather than hanging the suite.
        const result = await project.run(["loaddata", "authors.json", "books.jsonl", bad], {
          env,
          killAfter: 120_000,
        });
        assert.notEqual(result.code, 137, "loaddata did not finish in 120 s");
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr.replace(/^Loading fixtures: .*\n/gm, ""), message);
        assert.deepEqual(await withDb(database, counts), [0, 0]);
      });
    }
    await t.step("the same fixtures without the bad one load", async () => {
      const result = await project.run(["loaddata", "authors.json", "books.jsonl"], {
        env,
        killAfter: 120_000,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "Installed 120003 object(s) from 2 fixture(s)\n");
      assert.deepEqual(await withDb(database, counts), [120_000, 3]);
    });
  }, { root: project.root });
});

Deno.test("dumpdata and loaddata: unknown apps and models, stdin, --ignorenonexistent, progress", async (t) => {
  await using project = await shopProject();
  const dir = fileURLToPath(project.root);
  await forEachDatabase(t, async (database) => {
    const env = { DATABASE_URL: database.url };
    await withDb(database, (db) => db.exec(SCHEMA));
    const app = await project.run(["dumpdata", "nope"], { env });
    assert.equal(app.code, 1);
    assert.equal(app.stderr, "CommandError: No installed app with label 'nope'.\n");
    const model = await project.run(["dumpdata", "shop.Nope"], { env });
    assert.equal(model.stderr, "CommandError: Unknown model: shop.Nope\n");
    const empty = await project.run(["dumpdata", "shop"], { env });
    assert.equal(empty.stdout, "[]");

    const extra = JSONL.replace('"born": "1970-05-06"', '"born": "1970-05-06","nickname": "A"') +
      '{"model": "other.thing", "pk": 1, "fields": {}}\n';
    const refused = await project.run(["loaddata", "-"], { env, stdin: extra });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^CommandError: -: record 1: shop\.author has no field 'nickname'/,
    );
    const ignored = await project.run(["loaddata", "-", "--ignorenonexistent", "-v", "2"], {
      env,
      stdin: extra,
    });
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.equal(ignored.stdout, "Installed 7 object(s) from 1 fixture(s)\n");
    // Not a terminal: whole lines, no redrawn bar.
    assert.equal(ignored.stderr, "Read 8 record(s) from -\n");

    await Deno.writeTextFile(`${dir}/a.json`, "[]");
    const none = await project.run(["loaddata", "a.json"], { env });
    assert.equal(none.code, 0);
    assert.equal(none.stdout, "Installed 0 object(s) from 1 fixture(s)\n");
    assert.equal(
      none.stderr,
      "No fixture data found for 'a.json'. (File format may be invalid.)\n",
    );
  }, { root: project.root });
});

Deno.test("progress: lines every few seconds off a terminal, a bar redrawn on one", () => {
  let now = 0;
  const lines: string[] = [];
  const progress = new Progress({
    write: (text) => lines.push(text),
    terminal: false,
    totalBytes: 1000,
    now: () => now,
  });
  progress.file = "big.json";
  for (let i = 1; i <= 1024; i++) {
    progress.bytes = i;
    if (i === 600) now = 6000;
    progress.tick();
  }
  assert.deepEqual(lines, ["Loading fixtures: 768 objects, 76% (big.json)\n"]);
  progress.done();
  assert.equal(lines.length, 1);

  const drawn: string[] = [];
  const bar = new Progress({
    write: (text) => drawn.push(text),
    terminal: true,
    totalBytes: 100,
    barWidth: 10,
    now: () => now,
  });
  now += 500;
  bar.bytes = 50;
  for (let i = 0; i < 256; i++) bar.tick();
  assert.deepEqual(drawn, ["\r\x1b[2KLoading fixtures [#####.....] 256 objects, 50%"]);
  bar.done();
  assert.equal(drawn.at(-1), "\r\x1b[2K");
});

Deno.test("the fixture reader splits any chunking of arrays and lines into the same records", async () => {
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const pieces = ["}, {", "},\n{", '"', "\\", "]", "[", "{", "}", ", ", "é", "日本", "\n"];
  const text = () =>
    Array.from({ length: random(5) }, () => pieces[random(pieces.length)]).join("");
  const value = (depth: number): unknown => {
    switch (random(depth > 2 ? 3 : 6)) {
      case 0:
        return text();
      case 1:
        return random(1000);
      case 2:
        return null;
      case 3:
        return Array.from({ length: random(3) }, () => value(depth + 1));
      case 4:
        return Object.fromEntries(
          Array.from({ length: random(3) }, () => [text(), value(depth + 1)]),
        );
      default:
        return 9007199254740993n;
    }
  };
  const raw = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
  const stringify = (v: unknown) =>
    JSON.stringify(v, (_k, x) => typeof x === "bigint" ? raw(x.toString()) : x);
  for (let round = 0; round < 200; round++) {
    const records = Array.from({ length: random(20) }, (_, pk) => ({
      model: "shop.book",
      pk,
      fields: { meta: value(0), title: text() },
    }));
    const form = random(3);
    const source = form === 0
      ? `[${records.map((r) => stringify(r).replaceAll('","', '", "')).join(", ")}]`
      : form === 1
      ? `[\n${
        records.map((r) => JSON.stringify(JSON.parse(stringify(r)), null, 4)).join(",\n")
      }\n]\n`
      : records.map(stringify).join("\n") + "\n";
    const bytes = new TextEncoder().encode(source);
    const size = 1 + random(300);
    const chunks = Array.from(
      { length: Math.ceil(bytes.length / size) },
      (_, i) => bytes.slice(i * size, (i + 1) * size),
    );
    const read: unknown[] = [];
    await readFixture(ReadableStream.from(chunks), (record) => void read.push(record));
    // Indented through JSON.parse, the big integers were rounded on the way.
    const expected = form === 1 ? JSON.parse(source) : records;
    assert.equal(stringify(read), stringify(expected), source);
  }
});

Deno.test("dumpdata pages through the embedded database by pk, whatever its type", async (t) => {
  const { defineModel, field } = await import("../../../../mod.ts");
  const Tag = defineModel("shop.Tag", { code: field.varchar(10, { primaryKey: true }) });
  const Event = defineModel("shop.Event", {
    at: field.timestamptz({ primaryKey: true }),
    day: field.date(),
  });
  await forEachDatabase(t, async (database) => {
    await withDb(database, async (db) => {
      await db.exec(`
        CREATE TABLE shop_tag (code varchar(10) PRIMARY KEY);
        INSERT INTO shop_tag VALUES ('b'), ('a'), ('it''s'), ('c'), ('é');
        CREATE TABLE shop_event (at timestamptz PRIMARY KEY, day date NOT NULL);
        INSERT INTO shop_event VALUES ('2024-01-01 00:00:00.000001+00', '2024-01-01'),
          ('2024-01-01 00:00:00.000002+00', '-infinity'), ('infinity', 'infinity'),
          ('2024-01-01 00:00:00+00', '0001-01-01');
      `);
      const chunks: string[] = [];
      const decoder = new TextDecoder();
      const states: ModelState[] = [Tag.state, Event.state];
      const count = await dumpModels(db, states, { format: "jsonl", pageSize: 2 }, (bytes) => {
        chunks.push(decoder.decode(bytes, { stream: true }));
      });
      assert.equal(count, 9);
      const lines = chunks.join("").trimEnd().split("\n").map((line) => JSON.parse(line));
      // Text sorts by the database's collation.
      const tags = await db.query<{ code: string }>("SELECT code FROM shop_tag ORDER BY code");
      assert.deepEqual(lines.map((o) => o.pk), [
        ...tags.map((tag) => tag.code),
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T00:00:00.000Z",
        "infinity",
      ]);
      assert.deepEqual(lines.slice(5).map((o) => o.fields.day), [
        "0001-01-01",
        "2024-01-01",
        "-infinity",
        "infinity",
      ]);
    });
  });
});

// Polls the command's VmHWM (its peak resident memory, in kB) from a shell: Deno lets a test
// read another process's /proc entries only with --allow-all.
const PEAK_SCRIPT = `"$@" >/dev/null & pid=$!
peak=0
while kill -0 "$pid" 2>/dev/null; do
  hwm=$(sed -n 's/^VmHWM:[[:space:]]*\\([0-9]*\\).*/\\1/p' "/proc/$pid/status" 2>/dev/null)
  if [ -n "$hwm" ] && [ "$hwm" -gt "$peak" ]; then peak=$hwm; fi
  sleep 0.02
done
wait "$pid"; code=$?
echo "$peak"
exit $code`;

/** Runs `manage <args>` in `project` and returns its peak resident memory, in kB. */
async function peakMemory(
  project: Project,
  args: string[],
  env: Record<string, string>,
  v8Flags: string[] = [],
): Promise<number> {
  const { code, stdout, stderr } = await new Deno.Command("sh", {
    args: [
      "-c",
      PEAK_SCRIPT,
      "sh",
      Deno.execPath(),
      "run",
      "--quiet",
      ...CLI_PERMISSIONS,
      ...v8Flags,
      "cli.ts",
      ...args,
    ],
    cwd: project.root,
    env: { NO_COLOR: "1", ...env },
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  return Number(decoder.decode(stdout).trim());
}

Deno.test("dumpdata streams: 100,000 rows fit a 20 MB heap, and memory does not grow", async (t) => {
  await using project = await shopProject();
  const dir = fileURLToPath(project.root);
  const proc = await Deno.stat("/proc/self/status").then(() => true, () => false);
  await forEachDatabase(t, async (database) => {
    const env = { DATABASE_URL: database.url };
    const fill = (n: number) => withDb(database, (db) => db.exec(fillBooks(n)));
    await withDb(database, (db) => db.exec(SCHEMA));
    await fill(1000);
    const small = await peakMemory(project, ["dumpdata", "shop", "-o", "small.json"], env);
    await fill(100_000);
    // The JSON is about 20 MB: a dump that held it, or its rows, would not fit this heap.
    const large = await peakMemory(
      project,
      ["dumpdata", "shop", "-o", "large.json"],
      env,
      ["--v8-flags=--max-old-space-size=20"],
    );
    const objects = JSON.parse(await Deno.readTextFile(`${dir}/large.json`)) as { pk: number }[];
    assert.equal(objects.length, 100_001);
    assert.ok(objects.slice(1).every((o, i) => i === 0 || o.pk === objects[i].pk + 1));
    if (proc && database.kind === "postgres") {
      // On the embedded database the process also holds the database's pages; on a server
      // the dump alone is measured.
      assert.ok(small > 0, "no memory measured");
      assert.ok(
        large - small < 40_000,
        `peak memory grew from ${small} kB (1,000 rows) to ${large} kB (100,000 rows)`,
      );
    }
  }, { root: project.root });
});

Deno.test("the drivers' COPY: data in and out, and the errors of either side", async (t) => {
  await forEachDatabase(t, async (database) => {
    await withDb(database, async (db) => {
      await db.exec("CREATE TABLE copied (n integer PRIMARY KEY, word text)");
      const encoder = new TextEncoder();
      await db.copyFrom!("copied (n, word)", "", ["1\tone\n", encoder.encode("2\ttwo\n3\t\\N\n")]);
      await db.copyFrom!(
        "copied",
        "(FORMAT csv)",
        (async function* () {
          yield '4,"four, with a comma"\n';
          yield "5,five\n";
        })(),
      );
      let text = "";
      await db.copyTo!("(SELECT * FROM copied ORDER BY n)", "", (chunk) => {
        text += new TextDecoder().decode(chunk);
      });
      assert.equal(text, "1\tone\n2\ttwo\n3\t\\N\n4\tfour, with a comma\n5\tfive\n");

      // A row the database refuses, data that fails, a writer that fails: each rejects with
      // its own error, and the connection goes on.
      await assert.rejects(() => db.copyFrom!("copied", "", ["6\tsix\nseven\t7\n"]), /integer/);
      await assert.rejects(
        () =>
          db.copyFrom!(
            "copied",
            "",
            (async function* () {
              yield "8\teight\n";
              throw new Error("The fixture broke");
            })(),
          ),
        /The fixture broke/,
      );
      await assert.rejects(
        () =>
          db.copyTo!("copied", "", () => {
            throw new Error("The disk is full");
          }),
        /The disk is full/,
      );
      await assert.rejects(() => db.copyTo!("nowhere", "", () => {}), /nowhere/);
      assert.deepEqual(await db.query("SELECT count(*)::int AS n FROM copied"), [{ n: 5 }]);

      // In a transaction, a refused row fails the COPY (and the transaction with it).
      await assert.rejects(() =>
        db.transaction(async (tx) => {
          await tx.copyFrom!("copied", "", ["9\tnine\n"]);
          await tx.copyFrom!("copied", "", ["1\tagain\n"]);
        }), /duplicate key/);
      assert.deepEqual(await db.query("SELECT count(*)::int AS n FROM copied"), [{ n: 5 }]);

      if (database.kind === "postgres") {
        // Each COPY ends at once: no 40 ms wait for a delayed acknowledgement (TCP_NODELAY).
        const start = performance.now();
        for (let i = 0; i < 30; i++) await db.copyFrom!("copied", "", [`${100 + i}\tx\n`]);
        const elapsed = performance.now() - start;
        assert.ok(elapsed < 1000, `30 small COPYs took ${elapsed.toFixed(0)} ms`);
      }
    });
  });
});
