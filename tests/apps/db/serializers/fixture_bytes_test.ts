// loaddata keeps a fixture's characters exactly or refuses the fixture: bytes that are not UTF-8,
// NUL characters and unpaired surrogates (which PostgreSQL cannot store, or a driver would
// replace), and input that is malformed in any other way (a gzip file cut short, a lone object
// where a list belongs, a record without a model) are each one line naming the file and record,
// exit 1, with nothing loaded — in every format the reader takes (.json, .jsonl, gzipped, stdin).

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { readFixture } from "../../../../apps/db/serializers/mod.ts";
import { forEachDatabase } from "../../../_database.ts";
import { counts, SCHEMA, shopProject, withDb } from "../_shop.ts";

const encoder = new TextEncoder();

/** Text and raw bytes, joined. */
function bytes(...parts: (string | number[])[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(parts.flatMap((part) => [
    ...(typeof part === "string" ? encoder.encode(part) : part),
  ]));
}

async function gzip(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const AUTHOR_1 = '{"model": "shop.author", "pk": 1, "fields": {"name": "Ann"}}';
/** "café" in Latin-1: the é is the single byte 0xe9. */
const LATIN1 = bytes('{"model": "shop.author", "pk": 2, "fields": {"name": "caf', [0xe9], '"}}');
/** Where the 0xe9 is, after the first record and its separator (", " or a new line). */
const latin1At = (separator: number) => AUTHOR_1.length + separator + LATIN1.indexOf(0xe9);
const CUT = `{"model": "shop.author", "pk": 2, "fields": {"name": "`;
const MANY = Array.from(
  { length: 5 },
  (_, i) => `{"model": "shop.author", "pk": ${i + 1}, "fields": {"name": "Author ${i}"}}`,
);

/**
 * [file name, its bytes, what loaddata prints on stderr, whether it is loaded alone rather than
 * after a good fixture].
 */
const CASES: [string, Uint8Array | Promise<Uint8Array>, string | RegExp, boolean?][] = [
  [
    "latin1.json",
    bytes(`[${AUTHOR_1}, `, [...LATIN1], "]"),
    `latin1.json: record 2: invalid UTF-8 at byte offset ${latin1At(3)} (0xe9): ` +
    "save the fixture as UTF-8",
  ],
  [
    "latin1.jsonl",
    bytes(`${AUTHOR_1}\n`, [...LATIN1], "\n"),
    `latin1.jsonl: record 2: invalid UTF-8 at byte offset ${latin1At(1)} (0xe9): ` +
    "save the fixture as UTF-8",
  ],
  [
    "latin1.jsonl.gz",
    gzip(bytes(`${AUTHOR_1}\n`, [...LATIN1], "\n")),
    `latin1.jsonl.gz: record 2: invalid UTF-8 at byte offset ${
      latin1At(1)
    } of the uncompressed data (0xe9): save the fixture as UTF-8`,
  ],
  [
    // A sequence cut off by the end of the file.
    "cut.jsonl",
    bytes(`${AUTHOR_1}\n${CUT}`, [0xe6, 0x97]),
    `cut.jsonl: record 2: invalid UTF-8 at byte offset ${
      AUTHOR_1.length + 1 + CUT.length
    } (0xe6): save the fixture as UTF-8`,
  ],
  [
    // Escaped NUL: valid JSON, but no PostgreSQL text or jsonb can hold it.
    "nul.json",
    bytes(`[${AUTHOR_1}, {"model": "shop.author", "pk": 2, "fields": {"name": "a\\u0000b"}}]`),
    "nul.json: record 2: field 'name' of shop.author: contains a NUL character (\\u0000), " +
    "which PostgreSQL cannot store: remove it",
  ],
  [
    "nul_json.jsonl",
    bytes(
      `${AUTHOR_1}\n`,
      '{"model": "shop.book", "pk": 1, "fields": {"title": "T", "author": 1, "price": "1", ' +
        '"meta": {"k": ["x\\u0000"]}}}\n',
    ),
    "nul_json.jsonl: record 2: field 'meta' of shop.book: contains a NUL character (\\u0000), " +
    "which PostgreSQL cannot store: remove it",
  ],
  [
    // A NUL byte as it is: JSON allows no control character in a string.
    "raw_nul.json",
    bytes(`[${AUTHOR_1}, {"model": "shop.author", "pk": 2, "fields": {"name": "a`, [0], 'b"}}]'),
    /^raw_nul\.json: record 2: invalid JSON at line 1, column \d+: Bad control character in string literal$/,
  ],
  [
    "surrogate.json",
    bytes(`[${AUTHOR_1}, {"model": "shop.author", "pk": 2, "fields": {"name": "x\\ud800y"}}]`),
    "surrogate.json: record 2: field 'name' of shop.author: contains an unpaired surrogate " +
    "(\\ud800), which is not a character: fix the escape",
  ],
  [
    "surrogate_json.json",
    bytes(
      `[${AUTHOR_1}, {"model": "shop.book", "pk": 1, "fields": {"title": "T", "author": 1, ` +
        '"price": "1", "meta": {"\\udc00": 1}}}]',
    ),
    "surrogate_json.json: record 2: field 'meta' of shop.book: contains an unpaired surrogate " +
    "(\\udc00), which is not a character: fix the escape",
  ],
  [
    "cut.json.gz",
    gzip(bytes(`[${MANY.join(", ")}]`)).then((data) => data.subarray(0, data.length - 30)),
    /^cut\.json\.gz: record \d: cannot be decompressed \(.+\): the file is not gzip data, or is damaged or cut short$/,
  ],
  [
    "plain.json.gz",
    bytes(`[${AUTHOR_1}]`),
    /^plain\.json\.gz: record 1: cannot be decompressed \(.+\): the file is not gzip data, or is damaged or cut short$/,
  ],
  [
    "gzipped.json",
    gzip(bytes(`[${AUTHOR_1}]`)),
    "gzipped.json: record 1: the data is gzip-compressed: name the file with .gz at the end",
  ],
  [
    "object.json",
    bytes(AUTHOR_1),
    "object.json: record 1: expected a list of objects ('[') at line 1, column 1, found '{': " +
    "put the records in an array, or name the file .jsonl for one object per line",
  ],
  [
    "object.json.gz",
    gzip(bytes(`\n  ${AUTHOR_1}`)),
    "object.json.gz: record 1: expected a list of objects ('[') at line 2, column 3, found '{': " +
    "put the records in an array, or name the file .jsonl for one object per line",
  ],
  [
    // Names are shown escaped: a message never moves the cursor or colours the terminal.
    "escape.json",
    bytes(
      `[${AUTHOR_1}, {"model": "shop.\\u001b[31mbook", "pk": 2, "fields": {}}]`,
    ),
    "escape.json: record 2: unknown model 'shop.\\u001b[31mbook' (did you mean 'shop.book'?)",
  ],
  [
    "newline.jsonl",
    bytes(`${AUTHOR_1}\n{"model": "shop.author", "pk": 2, "fields": {"na\\nme": "Bob"}}\n`),
    "newline.jsonl: record 2: shop.author has no field 'na\\u000ame' (did you mean 'name'?)",
  ],
  [
    // The first record of the load.
    "no_model.json",
    bytes('[{"pk": 1, "fields": {"name": "Ann"}}]'),
    'no_model.json: record 1: the record has no "model": give it as "app.model"',
    true,
  ],
  [
    "no_model.jsonl",
    bytes(`${AUTHOR_1}\n{"pk": 2, "fields": {"name": "Bob"}}\n`),
    'no_model.jsonl: record 2: the record has no "model": give it as "app.model"',
  ],
  [
    "null_model.jsonl",
    bytes(`${AUTHOR_1}\n{"model": null, "pk": 2, "fields": {"name": "Bob"}}\n`),
    'null_model.jsonl: record 2: expected "model" to name a model, got null',
  ],
];

Deno.test("loaddata refuses bytes it would change and malformed input, naming the record", async (t) => {
  await using project = await shopProject();
  const dir = fileURLToPath(project.root);
  for (const [name, data] of CASES) await Deno.writeFile(`${dir}/${name}`, await data);
  await Deno.writeTextFile(`${dir}/good.jsonl`, `${MANY.join("\n")}\n`);
  await forEachDatabase(t, async (database, t) => {
    const env = { DATABASE_URL: database.url };
    await withDb(database, (db) => db.exec(SCHEMA));
    for (const [name, , message, alone] of CASES) {
      await t.step(name, async () => {
        await withDb(database, (db) => db.exec("TRUNCATE shop_book, shop_author"));
        // A good fixture first: it is not loaded either.
        const labels = alone ? [name] : ["good.jsonl", name];
        const result = await project.run(["loaddata", ...labels], { env });
        assert.equal(result.code, 1, result.stderr);
        assert.equal(result.stdout, "");
        if (typeof message === "string") {
          assert.equal(result.stderr, `CommandError: ${message}\n`);
        } else {
          assert.match(result.stderr, /^CommandError: [^\n]*\n$/);
          assert.match(result.stderr.slice("CommandError: ".length, -1), message);
        }
        assert.deepEqual(await withDb(database, counts), [0, 0]);
      });
    }
    await t.step("standard input", async () => {
      const result = await project.run(["loaddata", "-"], { env, stdin: LATIN1 });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `CommandError: -: record 1: invalid UTF-8 at byte offset ${
          LATIN1.indexOf(0xe9)
        } (0xe9): save the fixture as UTF-8\n`,
      );
      assert.deepEqual(await withDb(database, counts), [0, 0]);
    });
  }, { root: project.root });
});

// Characters a careless decoder or encoder would change: astral ones (raw and as escaped pairs),
// a literal U+FFFD, a byte-order mark inside a value, combining marks, line separators.
const EXACT = String
  .raw`[{"model": "shop.author", "pk": 1, "fields": {"name": "😀 \ud83d\ude00 � \ufeff e\u0301 \u2028 日本", "born": null}}, {"model": "shop.book", "pk": 1, "fields": {"title": "𝄞\u0001", "author": 1, "price": "1.00", "published": null, "in_stock": true, "meta": {"😀": "\ud83d\ude00", "�": "\u2029"}, "code": null, "pages": null, "copies": null}}]`;

Deno.test("loaddata keeps every character: what dumpdata writes back is the same text", async (t) => {
  await using project = await shopProject();
  const dir = fileURLToPath(project.root);
  // With a byte-order mark before it, as some editors save files.
  await Deno.writeTextFile(`${dir}/exact.json`, `\ufeff${EXACT}`);
  await forEachDatabase(t, async (database) => {
    const env = { DATABASE_URL: database.url };
    await withDb(database, (db) => db.exec(SCHEMA));
    const loaded = await project.run(["loaddata", "exact.json"], { env });
    assert.equal(loaded.code, 0, loaded.stderr);
    const dumped = await project.run(["dumpdata", "shop"], { env });
    assert.equal(dumped.code, 0, dumped.stderr);
    assert.deepEqual(JSON.parse(dumped.stdout), JSON.parse(EXACT));
    // Characters as they are (as Django writes them), escaped only where JSON must.
    assert.ok(
      dumped.stdout.includes('"name": "😀 😀 � \ufeff e\u0301 \u2028 日本"'),
      dumped.stdout,
    );
  }, { root: project.root });
});

Deno.test("the reader finds the same bad byte however the bytes are cut into chunks", async () => {
  // A 4-byte character, then bad bytes of each kind: a stray continuation, an overlong form,
  // a surrogate, a code point past U+10FFFF, and a sequence the end of the file cuts off.
  const good = bytes(`[${AUTHOR_1}, {"model": "shop.author", "pk": 2, "fields": {"name": "😀`);
  for (const bad of [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe6]]) {
    const data = new Uint8Array([
      ...good,
      ...bad,
      ...(bad.length === 1 && bad[0] === 0xe6 ? [] : bytes('"}}]')),
    ]);
    const hex = bad[0].toString(16);
    const expected =
      `invalid UTF-8 at byte offset ${good.length} (0x${hex}): save the fixture as UTF-8`;
    for (let size = 1; size <= 9; size++) {
      const chunks = Array.from(
        { length: Math.ceil(data.length / size) },
        (_, i) => data.slice(i * size, (i + 1) * size),
      );
      const records: unknown[] = [];
      const error = await readFixture(ReadableStream.from(chunks), (r) => void records.push(r))
        .then(() => undefined, (e: Error & { record?: number }) => e);
      assert.equal(error?.message, expected, `0x${hex} in chunks of ${size}`);
      assert.equal(error?.record, 2);
      // The record before it was read first.
      assert.equal(records.length, 1);
    }
  }
});
