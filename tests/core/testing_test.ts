// testCase(), the testing module: output captured, one transaction per test rolled back at its
// end, a command's own transactions as savepoints, and a clear error outside `manage test`.

import assert from "node:assert/strict";
import { CommandError, defineCommand } from "../../core/mod.ts";
import { TEST_DATABASE_ENV, testCase } from "../../core/testing.ts";
import { registry } from "../fixtures/registry.ts";
import { forEachDatabase } from "../_database.ts";
import { rejection } from "../_helpers.ts";

const addNote = defineCommand({
  help: "Adds a note, and one more in a transaction that fails",
  arguments: { text: {} },
  async handle({ options, stdout, stderr, db }) {
    await db.sql`INSERT INTO note (text) VALUES (${options.text})`;
    await db.transaction(async (tx) => {
      await tx.sql`INSERT INTO note (text) VALUES ('lost')`;
      throw new CommandError("rolled back to its savepoint");
    }).catch((error) => stderr.write(error.message));
    const [row] = await db.sql<{ n: number }>`SELECT count(*)::int AS n FROM note`;
    stdout.write(`${row.n} note(s)`);
  },
});

Deno.test("a command that queries the database outside manage test says to run it there", async () => {
  await using t = await testCase({ registry, env: {} });
  const error = await rejection(t.callCommand(addNote, ["x"]));
  assert.equal(
    error.message,
    `No test database: ${TEST_DATABASE_ENV} is not set; run the tests with 'manage test' ` +
      "(deno task manage test), which makes one",
  );
});

Deno.test("a command without a database runs under a plain deno test, its output captured", async () => {
  await using t = await testCase({ registry, env: {} });
  const { stdout, stderr } = await t.callCommand("greet_user", ["Ann"]);
  assert.equal(stdout, "Hello, Ann!\n");
  assert.equal(stderr, "");
});

Deno.test("each test's writes are rolled back; a command's transaction is a savepoint", async (t) => {
  await forEachDatabase(t, async (db) => {
    const env = { [TEST_DATABASE_ENV]: db.url };
    {
      await using first = await testCase({ registry, env });
      await first.db.exec("CREATE TABLE note (id serial PRIMARY KEY, text text NOT NULL)");
      const { stdout, stderr } = await first.callCommand(addNote, ["kept"]);
      assert.equal(stdout, "1 note(s)\n");
      assert.equal(stderr, "rolled back to its savepoint\n");
      const rows = await first.db.sql`SELECT text FROM note`;
      assert.deepEqual(rows.map((row) => row.text), ["kept"]);
    }
    await using second = await testCase({ registry, env });
    const [found] = await second.db.sql`SELECT to_regclass('note') AS note`;
    assert.equal(found.note, null);
  });
});
