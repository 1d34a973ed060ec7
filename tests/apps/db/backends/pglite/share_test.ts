// The embedded database shared between processes: the process that opens it first serves it to
// the others on a Unix socket, and each behaves as its own PostgreSQL session (types, errors,
// transactions, advisory locks, notifications); when the first one stops, the others carry on.

import assert from "node:assert/strict";
import { dirname } from "node:path";
import type { Database } from "../../../../../core/database.ts";
import { CommandError } from "../../../../../core/errors.ts";
import { MIGRATION_LOCK_KEY } from "../../../../../apps/db/migrator/_advisory_lock.ts";
import { tryLockFile } from "../../../../../apps/db/backends/pglite/_directory_lock.ts";
import { socketPath } from "../../../../../apps/db/backends/pglite/_driver.ts";
import { socketAddress } from "../../../../../apps/db/backends/pglite/_server.ts";
import { decodeValue, encodeValue } from "../../../../../apps/db/backends/pglite/_wire.ts";
import { pgliteTestDatabase, type TestDatabase } from "../../../../_database.ts";
import { rejection, runCli } from "../../../../_helpers.ts";
import { sleep, spawnScript } from "../../_scripts.ts";

/** A test database and this process holding it: `run` gets both, then both are closed. */
async function withHolder(
  run: (holder: Database, testDb: TestDatabase) => Promise<void>,
): Promise<void> {
  const testDb = await pgliteTestDatabase();
  try {
    const holder = await testDb.open();
    try {
      await run(holder, testDb);
    } finally {
      await holder.close();
    }
  } finally {
    await testDb.drop();
  }
}

Deno.test("another process uses the database this one holds: migrate, then dbshell sees the data", async () => {
  await withHolder(async (holder, testDb) => {
    const env = { DATABASE_URL: testDb.url };
    const migrate = await runCli(["migrate"], { env });
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /Applying jobs\.0001_initial\.\.\. OK/);
    // The holder sees what the other process did, and the other process what the holder does.
    const applied = await holder.sql<{ app: string }>`
      SELECT app FROM manage_migrations WHERE app = 'jobs' AND name = '0001_initial'`;
    assert.equal(applied.length, 1);
    await holder.exec("CREATE TABLE share_note (id int PRIMARY KEY, body text)");
    await holder.sql`INSERT INTO share_note VALUES (1, ${"from the holder"})`;
    const shell = await runCli(["dbshell", "-c", "SELECT body FROM share_note"], { env });
    assert.deepEqual(shell, {
      code: 0,
      stdout: "      body\n-----------------\n from the holder\n(1 row)\n",
      stderr: "",
    });
    const again = await runCli(["migrate"], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /No migrations to apply\./);
  });
});

Deno.test("a second open in this process is served by the first, with the same types and errors", async () => {
  await withHolder(async (holder, testDb) => {
    const client = await testDb.open();
    try {
      assert.equal(client.driver, "pglite");
      assert.equal(client.url, testDb.url);
      const sql = `SELECT 1 AS int4, 2::int8 AS int8, 9007199254740993::int8 AS big,
        1.5::float8 AS float, 'NaN'::float8 AS nan, 'Infinity'::float8 AS inf, 12.50::numeric AS num,
        true AS yes, NULL::text AS nothing, 'é "quoted" \\n' AS text,
        '2024-02-29 12:34:56.789+00'::timestamptz AS at, '2024-02-29'::date AS day,
        '\\x00ff10'::bytea AS bytes, '{"a": [1, {"$": "tag"}], "__proto__": {"x": 1}}'::jsonb AS doc,
        '[1, 2]'::json AS list, ARRAY[1, 2, NULL] AS ints, ARRAY['a', 'b'] AS texts,
        $1::text AS param, $2::bytea AS param_bytes, $3::timestamptz AS param_at,
        $4::int8 AS param_big, $5::jsonb AS param_doc, $6::int[] AS param_ints`;
      const params = [
        "p",
        new Uint8Array([1, 2, 3]),
        new Date("2020-01-02T03:04:05.678Z"),
        -9007199254740993n,
        { $: 1, nested: [null, "x"] },
        [3, 4],
      ];
      const here = await holder.query(sql, params);
      const there = await client.query(sql, params);
      assert.deepEqual(there, here);
      assert.equal(typeof there[0].big, "bigint");
      assert.ok(there[0].at instanceof Date);
      assert.ok(there[0].bytes instanceof Uint8Array);
      assert.ok(Object.hasOwn(there[0].doc as object, "__proto__"));

      await holder.exec("CREATE TABLE share_unique (id int PRIMARY KEY)");
      await client.sql`INSERT INTO share_unique VALUES (${1})`;
      const error = await rejection(client.sql`INSERT INTO share_unique VALUES (${1})`);
      const local = await rejection(holder.sql`INSERT INTO share_unique VALUES (${1})`);
      assert.equal(error.message, local.message);
      assert.equal((error as Error & { code: string }).code, "23505");
      assert.equal(
        (error as Error & { constraint: string }).constraint,
        "share_unique_pkey",
      );
    } finally {
      await client.close();
    }
  });
});

Deno.test("COPY goes both ways through the holder", async () => {
  await withHolder(async (holder, testDb) => {
    await holder.exec("CREATE TABLE share_copy (id int, name text)");
    const client = await testDb.open();
    try {
      const big = "x".repeat(1_500_000);
      await client.copyFrom!("share_copy (id, name)", "(FORMAT csv)", [
        "1,one\n",
        new TextEncoder().encode(`2,${big}\n`),
      ]);
      const rows = await holder.query<{ id: number; n: number }>(
        "SELECT id, length(name) AS n FROM share_copy ORDER BY id",
      );
      assert.deepEqual(rows, [{ id: 1, n: 3 }, { id: 2, n: big.length }]);
      const chunks: Uint8Array[] = [];
      await client.copyTo!("share_copy", "(FORMAT csv)", (chunk) => chunks.push(chunk));
      const text = new TextDecoder().decode(
        new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer()),
      );
      assert.equal(text, `1,one\n2,${big}\n`);
      const error = await rejection(
        client.copyFrom!("share_copy (id, name)", "(FORMAT csv)", ["not a number,x\n"]),
      );
      assert.equal((error as Error & { code: string }).code, "22P02");
    } finally {
      await client.close();
    }
  });
});

Deno.test("transactions of different processes do not interleave, and a failed one leaves nothing", async () => {
  await withHolder(async (holder, testDb) => {
    await holder.exec("CREATE TABLE share_log (seq serial PRIMARY KEY, who text)");
    const [a, b] = [await testDb.open(), await testDb.open()];
    try {
      const writer = (db: Database, who: string) =>
        db.transaction(async (tx) => {
          for (let i = 0; i < 3; i++) {
            await tx.sql`INSERT INTO share_log (who) VALUES (${who})`;
            await sleep(30);
          }
        });
      await Promise.all([writer(a, "a"), writer(b, "b"), writer(holder, "h")]);
      const order = (await holder.sql<{ who: string }>`SELECT who FROM share_log ORDER BY seq`)
        .map((row) => row.who).join("");
      assert.match(order, /^(aaa|bbb|hhh){3}$/);
      assert.equal(new Set(order.match(/(.)\1\1/g)).size, 3);

      const failed = await rejection(a.transaction(async (tx) => {
        await tx.sql`INSERT INTO share_log (who) VALUES (${"lost"})`;
        await tx.sql`SELECT 1/0`;
      }));
      assert.equal((failed as Error & { code: string }).code, "22012");
      const thrown = await rejection(b.transaction(async (tx) => {
        await tx.sql`INSERT INTO share_log (who) VALUES (${"lost"})`;
        throw new Error("Changed my mind");
      }));
      assert.equal(thrown.message, "Changed my mind");
      assert.deepEqual(await holder.sql`SELECT who FROM share_log WHERE who = 'lost'`, []);

      // A client's transaction has the session: the holder's statements wait for its end.
      const events: string[] = [];
      const inside = a.transaction(async (tx) => {
        await tx.sql`INSERT INTO share_log (who) VALUES (${"t"})`;
        await sleep(200);
        events.push("commit");
      });
      await sleep(50);
      const seen = await holder.sql`SELECT count(*)::int AS n FROM share_log WHERE who = 't'`;
      events.push("holder read");
      await inside;
      assert.deepEqual(events, ["commit", "holder read"]);
      assert.deepEqual(seen, [{ n: 1 }]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

Deno.test("a transaction begun in SQL keeps the session for its process until it ends", async () => {
  await withHolder(async (holder, testDb) => {
    await holder.exec("CREATE TABLE share_block (id int)");
    const client = await testDb.open();
    try {
      // The holder's own, as an interactive dbshell there would.
      await holder.query("BEGIN");
      await holder.query("INSERT INTO share_block VALUES (0)");
      const counting = client.query("SELECT count(*)::int AS n FROM share_block");
      await sleep(100);
      await holder.query("DELETE FROM share_block");
      await holder.query("COMMIT");
      assert.deepEqual(await counting, [{ n: 0 }]);

      await client.query("BEGIN");
      await client.query("INSERT INTO share_block VALUES (1)");
      const events: string[] = [];
      const reading = holder.query("SELECT count(*)::int AS n FROM share_block").then((rows) => {
        events.push("holder read");
        return rows;
      });
      await sleep(100);
      events.push("rollback");
      await client.query("ROLLBACK");
      assert.deepEqual(await reading, [{ n: 0 }]);
      assert.deepEqual(events, ["rollback", "holder read"]);

      await client.query("BEGIN");
      const error = await rejection(client.transaction(() => Promise.resolve()));
      assert.match(error.message, /^A transaction begun in SQL is open on this connection/);
      await client.query("INSERT INTO share_block VALUES (2)");
    } finally {
      // Closed in the block: rolled back.
      await client.close();
    }
    assert.deepEqual(await holder.query("SELECT count(*)::int AS n FROM share_block"), [{ n: 0 }]);
  });
});

Deno.test("advisory locks exclude between processes, and go with the process that held them", async () => {
  await withHolder(async (holder, testDb) => {
    const client = await testDb.open();
    try {
      assert.equal(await client.tryAdvisoryLock(42n), true);
      assert.equal(await client.tryAdvisoryLock(42n), true, "taken again by the same session");
      assert.equal(await holder.tryAdvisoryLock(42n), false);
      await client.advisoryUnlock(42n);
      assert.equal(await holder.tryAdvisoryLock(42n), false, "still held once");
      await client.advisoryUnlock(42n);
      assert.equal(await holder.tryAdvisoryLock(42n), true);
      assert.equal(await client.tryAdvisoryLock(42n), false);
      await holder.advisoryUnlock(42n);
      assert.equal(await client.tryAdvisoryLock(-9007199254740993n), true);
    } finally {
      await client.close();
    }
    assert.equal(await holder.tryAdvisoryLock(-9007199254740993n), true, "released on close");
    await holder.advisoryUnlock(-9007199254740993n);

    // Another process: it holds the lock until it is killed.
    const script = await spawnScript(
      `const db = await openDatabase(${JSON.stringify(testDb.url)}, options);
       console.log("locked", await db.tryAdvisoryLock(${MIGRATION_LOCK_KEY}n));
       await untilStdinCloses();`,
    );
    try {
      assert.equal(await script.line("locked"), "locked true");
      assert.equal(await holder.tryAdvisoryLock(MIGRATION_LOCK_KEY), false);
      const env = { DATABASE_URL: testDb.url };
      const blocked = await runCli(["migrate", "--lock-timeout", "0"], { env });
      assert.equal(blocked.code, 1);
      assert.match(blocked.stderr, /Could not take the migration lock within 0s/);
    } finally {
      await script.kill();
    }
    assert.equal(await holder.tryAdvisoryLock(MIGRATION_LOCK_KEY), true);
    await holder.advisoryUnlock(MIGRATION_LOCK_KEY);
  });
});

Deno.test("migrate in two processes at once applies each migration once", async () => {
  await withHolder(async (holder, testDb) => {
    const env = { DATABASE_URL: testDb.url };
    const runs = await Promise.all([runCli(["migrate"], { env }), runCli(["migrate"], { env })]);
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const applying = runs.map((run) => (run.stdout.match(/Applying /g) ?? []).length);
    const recorded = await holder.sql<{ n: number }>`
      SELECT count(*)::int AS n FROM manage_migrations`;
    const distinct = await holder.sql<{ n: number }>`
      SELECT count(DISTINCT (app, name))::int AS n FROM manage_migrations`;
    assert.deepEqual(recorded, distinct);
    assert.equal(applying[0] + applying[1], recorded[0].n);
  });
});

Deno.test("notifications reach listeners in every process", async () => {
  await withHolder(async (holder, testDb) => {
    const heard: string[] = [];
    const stop = await holder.listen("share_channel", (payload) => heard.push(payload));
    const client = await testDb.open();
    try {
      const script = await spawnScript(
        `const db = await openDatabase(${JSON.stringify(testDb.url)}, options);
         await db.listen("share_channel", (payload) => console.log("heard", payload));
         await db.notify("share_channel", "from the script");
         console.log("listening");
         await untilStdinCloses();
         await db.close();`,
      );
      try {
        assert.equal(await script.line("heard"), "heard from the script");
        await script.line("listening");
        await holder.notify("share_channel", "from the holder");
        assert.equal(await script.line("heard from the holder"), "heard from the holder");
        await client.notify("share_channel", "from a client");
        assert.equal(await script.line("heard from a client"), "heard from a client");
        // Sent inside a transaction: delivered when it commits.
        await client.transaction(async (tx) => {
          await tx.sql`SELECT pg_notify('share_channel', 'committed')`;
        });
        assert.equal(await script.line("heard committed"), "heard committed");
      } finally {
        const { code, stderr } = await script.finish();
        assert.equal(code, 0, stderr);
      }
      const clientHeard: string[] = [];
      const last = Promise.withResolvers<void>();
      const stopClient = await client.listen("share_channel", (payload) => {
        clientHeard.push(payload);
        last.resolve();
      });
      await holder.notify("share_channel", "last");
      await last.promise;
      await stopClient();
      await holder.notify("share_channel", "unheard by the client");
      await sleep(100);
      assert.deepEqual(clientHeard, ["last"]);
      assert.deepEqual(heard, [
        "from the script",
        "from the holder",
        "from a client",
        "committed",
        "last",
        "unheard by the client",
      ]);
    } finally {
      await stop();
      await client.close();
    }
  });
});

Deno.test("a client killed in a transaction is rolled back, and the holder serves on", async () => {
  await withHolder(async (holder, testDb) => {
    await holder.exec("CREATE TABLE share_killed (id int)");
    const script = await spawnScript(
      `const db = await openDatabase(${JSON.stringify(testDb.url)}, options);
       await db.tryAdvisoryLock(7n);
       await db.transaction(async (tx) => {
         await tx.sql\`INSERT INTO share_killed VALUES (1)\`;
         console.log("inside");
         await untilStdinCloses();
       });`,
    );
    await script.line("inside");
    // Waits for the transaction, which ends when its process dies.
    const reading = holder.sql`SELECT count(*)::int AS n FROM share_killed`;
    await sleep(100);
    await script.kill();
    assert.deepEqual(await reading, [{ n: 0 }]);
    assert.equal(await holder.tryAdvisoryLock(7n), true);
    const env = { DATABASE_URL: testDb.url };
    const shell = await runCli(["dbshell", "-c", "SELECT count(*) AS n FROM share_killed"], {
      env,
    });
    assert.equal(shell.code, 0, shell.stderr);
    assert.match(shell.stdout, /^\s+n\s*\n-+\n\s+0\n\(1 row\)/);
  });
});

Deno.test("when the holder stops, another process carries on: its next query opens the database itself", async () => {
  const testDb = await pgliteTestDatabase();
  try {
    const script = await spawnScript(
      `const db = await openDatabase(${JSON.stringify(testDb.url)}, options);
       await db.exec("CREATE TABLE share_stop (id int); INSERT INTO share_stop VALUES (5)");
       console.log("ready");
       await untilStdinCloses();
       await db.close();`,
    );
    let finished = false;
    try {
      await script.line("ready");
      const client = await testDb.open();
      try {
        assert.deepEqual(await client.sql`SELECT id FROM share_stop`, [{ id: 5 }]);
        const { code, stderr } = await script.finish();
        finished = true;
        assert.equal(code, 0, stderr);
        // It holds the database now, and sees what the stopped one wrote.
        await client.sql`INSERT INTO share_stop VALUES (6)`;
        assert.deepEqual(await client.sql`SELECT id FROM share_stop ORDER BY id`, [
          { id: 5 },
          { id: 6 },
        ]);
        const shell = await runCli(["dbshell", "-c", "SELECT count(*) AS n FROM share_stop"], {
          env: { DATABASE_URL: testDb.url },
        });
        assert.equal(shell.code, 0, shell.stderr);
        assert.match(shell.stdout, /^\s+n\s*\n-+\n\s+2\n/);
      } finally {
        await client.close();
      }
    } finally {
      if (!finished) await script.finish();
    }
  } finally {
    await testDb.drop();
  }
});

Deno.test("a holder that is killed leaves a socket the next one replaces", async () => {
  const testDb = await pgliteTestDatabase();
  try {
    const script = await spawnScript(
      `await openDatabase(${JSON.stringify(testDb.url)}, options);
       console.log("ready");
       await untilStdinCloses();`,
    );
    await script.line("ready");
    const dir = testDb.url.slice("pglite:".length);
    const socket = socketPath(dir);
    // In a folder only its user may enter.
    assert.equal((await Deno.stat(dirname(socket))).mode! & 0o777, 0o700);
    await script.kill();
    assert.ok((await Deno.stat(socket)).isSocket, "left behind");
    const holder = await testDb.open();
    try {
      const result = await runCli(["dbshell", "-c", "SELECT 1 AS one"], {
        env: { DATABASE_URL: testDb.url },
      });
      assert.equal(result.code, 0, result.stderr);
    } finally {
      await holder.close();
    }
    await assert.rejects(Deno.stat(socket), Deno.errors.NotFound);
  } finally {
    await testDb.drop();
  }
});

Deno.test("a holder that serves no one makes a second process fail at once, naming it", async () => {
  const testDb = await pgliteTestDatabase();
  const dir = testDb.url.slice("pglite:".length);
  // A lock whose holder names no socket: as one that could not make one.
  const lock = await tryLockFile(`${dir}.lock`, { pid: 4242, command: "manage runserver" });
  try {
    const started = performance.now();
    const error = await rejection(testDb.open());
    assert.ok(performance.now() - started < 1000);
    assert.ok(error instanceof CommandError);
    assert.equal(
      error.message,
      `The embedded database ${dir} is in use by process 4242 (manage runserver); stop that ` +
        "process, or set DATABASE_URL to a PostgreSQL server to share one database between " +
        "processes",
    );
  } finally {
    await lock.release();
    await testDb.drop();
  }
});

Deno.test("values keep their types through the encoding", () => {
  const values = [
    null,
    undefined,
    -0,
    Number.NaN,
    -Infinity,
    2 ** 53 + 2,
    12345678901234567890n,
    new Date(Number.NaN),
    new Date(0),
    new Uint8Array(0),
    new Uint8Array([0, 255]),
    { $: "date", v: 1, nested: { $: { $: 2 } } },
    JSON.parse('{"__proto__": {"polluted": true}}'),
    [[1, "a"], [], [null]],
  ];
  const decoded = decodeValue(JSON.parse(JSON.stringify(encodeValue(values))));
  assert.deepEqual(decoded, values);
  assert.ok(Object.is((decoded as unknown[])[2], -0));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("the socket address is relative to the process's directory when the path is too long", () => {
  assert.equal(socketAddress("/tmp/x/db.sock"), "/tmp/x/db.sock");
  const cwd = "/srv/site";
  assert.equal(socketAddress(`${cwd}/${"d".repeat(120)}/db.sock`, cwd), undefined);
  // 103 bytes relative, more in full: the relative path is used.
  const long = `${cwd}/${"d".repeat(95)}/db.sock`;
  assert.equal(socketAddress(long, cwd), `${"d".repeat(95)}/db.sock`);
  assert.equal(socketAddress(long, `${cwd}/`), `${"d".repeat(95)}/db.sock`);
  // The process's directory not given: only the full path would do.
  assert.equal(socketAddress(long), undefined);
  assert.equal(socketAddress(`/elsewhere/${"d".repeat(120)}/db.sock`, cwd), undefined);
});
