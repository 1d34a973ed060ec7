// The server driver after its server was crashed (`pg_ctl stop -m immediate`) and started
// again, on a PostgreSQL server of the test's own: the connection is opened again on its next
// use, a transaction cut short fails saying so, a lost advisory lock is never silently dropped,
// and the session's settings and listeners come back.

import assert from "node:assert/strict";
import openDatabase from "../../../../../apps/db/database.ts";
import { CommandError } from "../../../../../core/errors.ts";
import type { Database } from "../../../../../core/database.ts";
import { OWN_SERVER_AVAILABLE, type OwnServer, startOwnServer } from "../../../../_own_server.ts";
import { rejection } from "../../../../_helpers.ts";

const ignore = !OWN_SERVER_AVAILABLE;

/** `url` with a password that trust authentication ignores: it must never be shown. */
function withPassword(url: string): string {
  return url.replace("postgres@", "postgres:s3cr3t-pw@");
}

async function open(server: OwnServer): Promise<Database> {
  return await openDatabase(withPassword(server.url), { env: {}, cwd: ".", notice: () => {} });
}

async function backend(db: Database): Promise<number> {
  const [row] = await db.sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`;
  return row.pid;
}

/** A one-line error that names the database without its password. */
function assertClear(error: Error, pattern: RegExp): void {
  assert.ok(error instanceof CommandError, `not a CommandError: ${error.stack}`);
  assert.match(error.message, pattern);
  assert.doesNotMatch(error.message, /s3cr3t-pw|\n/);
}

Deno.test({
  name: "a connection lost to a server restart is opened again on its next use",
  ignore,
  async fn() {
    await using server = await startOwnServer();
    const db = await open(server);
    try {
      const before = await backend(db);
      await server.crash();
      const down = await rejection(db.sql`SELECT 1`);
      assertClear(down, /postgres:\/\/postgres:\*\*\*\*@127\.0\.0\.1:\d+\/postgres/);
      // Still down: each use tries again, and fails at once.
      assertClear(await rejection(db.sql`SELECT 1`), /Cannot connect to .*ECONNREFUSED/);
      await server.start();
      const after = await backend(db);
      assert.notEqual(after, before, "a new session");
      assert.deepEqual(await db.sql`SELECT 41 + 1 AS n`, [{ n: 42 }]);
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "a transaction cut short by a lost connection fails saying so; nothing of it stays",
  ignore,
  async fn() {
    await using server = await startOwnServer();
    const db = await open(server);
    try {
      await db.exec("CREATE TABLE t (n integer)");
      const cut = await rejection(db.transaction(async (tx) => {
        await tx.sql`INSERT INTO t VALUES (1)`;
        await server.crash();
        await tx.sql`INSERT INTO t VALUES (2)`;
      }));
      assertClear(cut, /lost during a transaction, which was rolled back/);
      await server.start();
      assert.deepEqual(await db.sql`SELECT count(*)::int AS n FROM t`, [{ n: 0 }]);
      await db.transaction((tx) => tx.sql`INSERT INTO t VALUES (3)`);
      assert.deepEqual(await db.sql`SELECT n FROM t`, [{ n: 3 }]);
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "a connection lost while it held an advisory lock fails until that lock is let go",
  ignore,
  async fn() {
    await using server = await startOwnServer();
    const db = await open(server);
    try {
      assert.equal(await db.tryAdvisoryLock(7n), true);
      await server.crash();
      await server.start();
      // Carrying on would run without the lock another process may now hold.
      assertClear(await rejection(db.sql`SELECT 1`), /lost, and with it the session's locks/);
      assertClear(await rejection(db.sql`SELECT 1`), /lost, and with it the session's locks/);
      await db.advisoryUnlock(7n);
      assert.deepEqual(await db.sql`SELECT 1 AS n`, [{ n: 1 }]);
      assert.equal(
        await db.tryAdvisoryLock(7n),
        true,
        "free again: it was released with the session",
      );
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "the session's settings and listeners come back with the connection",
  ignore,
  async fn() {
    await using server = await startOwnServer();
    const db = await open(server);
    const heard: string[] = [];
    try {
      await db.exec("SET statement_timeout = '4321ms'");
      const stop = await db.listen("news", (payload) => heard.push(payload));
      await server.crash();
      await server.start();
      assert.deepEqual(await db.sql`SHOW statement_timeout`, [{ statement_timeout: "4321ms" }]);
      const deadline = Date.now() + 20_000;
      for (let i = 0; !heard.includes("back") && Date.now() < deadline; i++) {
        await server.psql("NOTIFY news, 'back'");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(heard.includes("back"), "the listener hears notifications again");
      await stop();
    } finally {
      await db.close();
    }
  },
});
