// flush, sqlflush and dbshell on both drivers, through the real cli.ts.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../../_database.ts";
import { runCli } from "../../../_helpers.ts";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS manage_migrations (id bigserial PRIMARY KEY, app text, name text);
  CREATE TABLE shop_item (id bigserial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE "shop_odd""name" (id bigserial PRIMARY KEY);
  INSERT INTO manage_migrations (app, name) VALUES ('shop', '0001_initial');
  INSERT INTO shop_item (name) VALUES ('a'), ('b');
`;

Deno.test("flush, sqlflush and dbshell", async (t) => {
  await forEachDatabase(t, async (database) => {
    const env = { DATABASE_URL: database.url };
    const db = await database.open();
    await db.exec(SCHEMA);
    await db.close();

    const sql = await runCli(["sqlflush"], { env });
    assert.equal(sql.code, 0, sql.stderr);
    assert.equal(
      sql.stdout,
      'BEGIN;\nTRUNCATE "shop_item", "shop_odd""name" RESTART IDENTITY CASCADE;\nCOMMIT;\n',
    );

    const cancelled = await runCli(["flush"], { env, stdin: "no\n" });
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(
      cancelled.stdout,
      /Type 'yes' to continue, or 'no' to cancel: Flush cancelled\.\n$/,
    );

    const noAnswer = await runCli(["flush"], { env });
    assert.equal(noAnswer.code, 1);
    assert.match(
      noAnswer.stderr,
      /Flush needs confirmation: answer 'yes', or run it with --noinput/,
    );

    const shell = await runCli(["dbshell", "-c", "SELECT count(*)::int AS n FROM shop_item"], {
      env,
    });
    assert.equal(shell.code, 0, shell.stderr);
    // The embedded shell prints as psql does; on a server it is psql itself.
    assert.match(shell.stdout, /^ n ?\n---\n 2\n\(1 row\)\n\n?$/);

    const flushed = await runCli(["flush", "--noinput"], { env });
    assert.equal(flushed.code, 0, flushed.stderr);
    const after = await database.open();
    try {
      assert.deepEqual(await after.sql`SELECT count(*)::int AS n FROM shop_item`, [{ n: 0 }]);
      assert.deepEqual(await after.sql`SELECT count(*)::int AS n FROM manage_migrations`, [{
        n: 1,
      }]);
      const [row] = await after.sql<
        { id: number }
      >`INSERT INTO shop_item (name) VALUES ('c') RETURNING id::int AS id`;
      assert.equal(row.id, 1, "sequences restart");
    } finally {
      await after.close();
    }

    if (database.kind === "pglite") {
      const piped = await runCli(["dbshell"], {
        env,
        stdin: "SELECT 1 AS one;\nSELECT\n  'x' AS letter;\nSELECT nope;\n",
      });
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(piped.stdout, " one\n-----\n   1\n(1 row)\n letter\n--------\n x\n(1 row)\n");
      assert.match(piped.stderr, /^ERROR: {2}.*nope/);
    }
  });
});
