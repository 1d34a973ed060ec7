// The process holding the embedded database never drops what it accepted: real `manage`
// processes run at once on one database, holders start and stop under them, and every command
// either succeeds or fails with nothing done. Effects are counted in the database afterwards.

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import openDatabase from "../../../../../apps/db/database.ts";
import { tryLockFile } from "../../../../../apps/db/backends/pglite/_directory_lock.ts";
import {
  encodeValue,
  FrameSocket,
  type Message,
} from "../../../../../apps/db/backends/pglite/_wire.ts";
import type { Database } from "../../../../../core/database.ts";
import { CommandError } from "../../../../../core/errors.ts";
import { pgliteTestDatabase } from "../../../../_database.ts";
import {
  rejection,
  ROOT,
  type RunCliOptions,
  type RunResult,
  sampleProject,
} from "../../../../_helpers.ts";
import { spawnScript } from "../../_scripts.ts";

const ROOT_DIR = fileURLToPath(ROOT);
// The commands run in one project copy for the file: without myapp, with the fixture app sample
// (whose greet_user is enqueued).
const project = await sampleProject();
globalThis.addEventListener("unload", () => Deno.removeSync(project.root, { recursive: true }));
const runCli = (args: string[], options: Omit<RunCliOptions, "root"> = {}) =>
  project.run(args, options);
const quiet = { env: {}, cwd: ROOT_DIR, notice: () => {} };

/** Counts rows with a connection of this process, closed again before the next command runs. */
async function count(url: string, sql: string): Promise<number> {
  const db = await openDatabase(url, quiet);
  try {
    const [row] = await db.query<{ n: number }>(`SELECT (${sql})::int AS n`);
    return row.n;
  } finally {
    await db.close();
  }
}

/** The URL of an embedded database not made yet, in a folder of its own under `.manage/test`. */
async function freshDatabase(): Promise<{ url: string } & AsyncDisposable> {
  const parent = join(ROOT_DIR, ".manage", "test");
  await Deno.mkdir(parent, { recursive: true });
  const temp = await Deno.makeTempDir({ dir: parent, prefix: "fresh_" });
  return {
    url: `pglite:${join(temp, "db")}`,
    [Symbol.asyncDispose]: () => Deno.remove(temp, { recursive: true }),
  };
}

/** How many migrations `migrate` runs said they applied, all together. */
function applyingCount(runs: RunResult[]): number {
  return runs.reduce((sum, run) => sum + (run.stdout.match(/Applying /g) ?? []).length, 0);
}

function describe(runs: RunResult[]): string {
  return runs.filter((run) => run.code !== 0).map((run) => `${run.code}: ${run.stderr.trim()}`)
    .join("\n");
}

Deno.test("three loops of 15 enqueue on one embedded database: 45 exit 0 and 45 jobs", async () => {
  const testDb = await pgliteTestDatabase();
  try {
    const env = { DATABASE_URL: testDb.url };
    const migrate = await runCli(["migrate"], { env });
    assert.equal(migrate.code, 0, migrate.stderr);
    const loop = async (shell: number) => {
      const runs: RunResult[] = [];
      for (let i = 0; i < 15; i++) {
        runs.push(await runCli(["enqueue", "greet_user", `shell${shell}-${i}`], { env }));
      }
      return runs;
    };
    const runs = (await Promise.all([loop(1), loop(2), loop(3)])).flat();
    assert.equal(runs.filter((run) => run.code === 0).length, 45, describe(runs));
    assert.equal(await count(testDb.url, "SELECT count(*) FROM manage_job"), 45);
    assert.equal(
      await count(testDb.url, "SELECT count(DISTINCT args) FROM manage_job"),
      45,
      "each job once",
    );
  } finally {
    await testDb.drop();
  }
});

Deno.test("six migrate at once on a fresh embedded database: all exit 0, each migration once", async () => {
  await using fresh = await freshDatabase();
  const url = fresh.url;
  const env = { DATABASE_URL: url };
  const runs = await Promise.all(Array.from({ length: 6 }, () => runCli(["migrate"], { env })));
  assert.deepEqual(runs.map((run) => run.code), [0, 0, 0, 0, 0, 0], describe(runs));
  const applying = applyingCount(runs);
  const recorded = await count(url, "SELECT count(*) FROM manage_migrations");
  const distinct = await count(url, "SELECT count(DISTINCT (app, name)) FROM manage_migrations");
  assert.equal(recorded, distinct);
  assert.equal(applying, recorded);
  assert.ok(recorded > 0);
});

Deno.test("migrate, enqueue and holders that come and go, all at once: each command succeeds or does nothing", async () => {
  await using fresh = await freshDatabase();
  const url = fresh.url;
  const env = { DATABASE_URL: url };
  const sequence = async (count: number, args: (i: number) => string[]) => {
    const runs: RunResult[] = [];
    for (let i = 0; i < count; i++) runs.push(await runCli(args(i), { env }));
    return runs;
  };
  const [holders, migrates, ...enqueues] = await Promise.all([
    // Each opens the database (holding it when it is free), queries it, and stops.
    sequence(6, () => ["dbshell", "-c", "SELECT 1 AS one"]),
    Promise.all([1, 2, 3].map(() => runCli(["migrate"], { env }))),
    ...[1, 2, 3].map((shell) =>
      sequence(6, (i) => ["enqueue", "greet_user", `mixed-${shell}-${i}`])
    ),
  ]);
  assert.deepEqual(holders.map((run) => run.code), [0, 0, 0, 0, 0, 0], describe(holders));
  assert.deepEqual(migrates.map((run) => run.code), [0, 0, 0], describe(migrates));
  const recorded = await count(url, "SELECT count(*) FROM manage_migrations");
  assert.equal(
    recorded,
    await count(url, "SELECT count(DISTINCT (app, name)) FROM manage_migrations"),
  );
  const applying = applyingCount(migrates);
  assert.equal(applying, recorded);
  // An enqueue that came before the tables failed, and stored nothing; each other one, once.
  // (One that held the database may first have said whom it waited for before stopping.)
  const runs = enqueues.flat();
  for (const run of runs.filter((run) => run.code !== 0)) {
    assert.match(
      run.stderr,
      /(^|\n)CommandError: The job queue's tables are missing: run 'manage migrate' to create them\n$/,
    );
  }
  const succeeded = runs.filter((run) => run.code === 0).length;
  assert.equal(await count(url, "SELECT count(*) FROM manage_job"), succeeded);
  assert.equal(await count(url, "SELECT count(DISTINCT args) FROM manage_job"), succeeded);
});

Deno.test("a holder that stops first finishes a client's transaction, and the client carries on", async () => {
  const testDb = await pgliteTestDatabase();
  const url = JSON.stringify(testDb.url);
  try {
    const holder = await spawnScript(
      `const notice = (line) => console.log("notice", line);
       const db = await openDatabase(${url}, { ...options, notice });
       await db.exec("CREATE TABLE holder_rows (id int)");
       console.log("ready");
       await untilStdinCloses();
       await db.close();
       console.log("closed");`,
    );
    await holder.line("ready");
    const client = await spawnScript(
      `const db = await openDatabase(${url}, options);
       await db.listen("holder_channel", (payload) => console.log("heard", payload));
       await db.transaction(async (tx) => {
         await tx.sql\`INSERT INTO holder_rows VALUES (1)\`;
         console.log("inside");
         await nextLine();
         await tx.sql\`INSERT INTO holder_rows VALUES (2)\`;
       });
       console.log("committed");
       const [row] = await db.sql\`SELECT count(*)::int AS n FROM holder_rows\`;
       console.log("count", row.n);
       await untilStdinCloses();
       await db.close();`,
    );
    try {
      await client.line("inside");
      // The holder is told to stop while the client is inside its transaction: it waits, and
      // after a while says for whom.
      const stopped = holder.finish();
      assert.equal(
        await holder.line("notice"),
        "notice Waiting before stopping for the processes that use the embedded database " +
          `${testDb.url.slice("pglite:".length)} through this one: process ${client.pid} ` +
          "(script.ts), in a transaction",
      );
      await client.send("go");
      assert.equal(await client.line("committed"), "committed");
      assert.equal(await client.line("count"), "count 2");
      const { code, stdout, stderr } = await stopped;
      assert.equal(code, 0, stderr);
      assert.match(stdout, /closed/);
      // The client now holds the database (it had a listener, so it reopened it at once): this
      // process reaches it, and its notification reaches the client's listener.
      const db = await testDb.open();
      try {
        assert.deepEqual(await db.sql`SELECT count(*)::int AS n FROM holder_rows`, [{ n: 2 }]);
        await db.notify("holder_channel", "after the move");
        assert.equal(await client.line("heard after the move"), "heard after the move");
      } finally {
        await db.close();
      }
    } finally {
      const { code, stderr } = await client.finish();
      assert.equal(code, 0, stderr);
    }
  } finally {
    await testDb.drop();
  }
});

/**
 * A holder of this process's making that speaks the protocol: it answers the first client as
 * `answer` says, and when `answer` returns "vanish" it disappears as a killed holder does (the
 * lock released, the connection dropped, no reply).
 */
async function fakeHolder(
  dir: string,
  answer: (message: Message, socket: FrameSocket) => Promise<"vanish" | void>,
): Promise<{ gone: Promise<void> }> {
  const path = join(dirname(dir), `fake-${crypto.randomUUID().slice(0, 8)}.sock`);
  const lock = await tryLockFile(`${dir}.lock`, {
    pid: 999999,
    command: "manage fake",
    socket: path,
  });
  const listener = Deno.listen({ transport: "unix", path });
  const gone = (async () => {
    const socket = new FrameSocket(await listener.accept());
    try {
      for await (const frame of socket.frames()) {
        if (frame.kind === "message" && await answer(frame.message, socket) === "vanish") break;
      }
    } finally {
      await lock.release();
      socket.close();
      listener.close();
      await Deno.remove(path).catch(() => {});
    }
  })();
  return { gone };
}

/** Answers hello, begin and statements as a holder would (statements return no rows). */
async function answerPlainly(message: Message, socket: FrameSocket): Promise<void> {
  const ok = message.op === "hello" ? { pid: 999999 } : message.op === "begin" ? 1 : [];
  await socket.send({ id: message.id, ok: encodeValue(ok) });
}

Deno.test("a client whose holder dies is told what became of its work, never a committed change as failed", async (t) => {
  const testDb = await pgliteTestDatabase();
  const dir = testDb.url.slice("pglite:".length);
  try {
    // Two real transactions of this database: one committed, one rolled back.
    const db = await testDb.open();
    let committed = "";
    let aborted = "";
    try {
      await db.exec("CREATE TABLE doubt_rows (id int)");
      await db.transaction(async (tx) => {
        await tx.sql`INSERT INTO doubt_rows VALUES (1)`;
        [{ xid: committed }] = await tx.sql<
          { xid: string }
        >`SELECT pg_current_xact_id()::text AS xid`;
      });
      await rejection(db.transaction(async (tx) => {
        await tx.sql`INSERT INTO doubt_rows VALUES (2)`;
        [{ xid: aborted }] = await tx.sql<
          { xid: string }
        >`SELECT pg_current_xact_id()::text AS xid`;
        throw new Error("Rolled back");
      }));
    } finally {
      await db.close();
    }
    const diesAtCommit =
      (xid: string | undefined) => async (message: Message, socket: FrameSocket) => {
        if (message.op !== "commit") return await answerPlainly(message, socket);
        if (xid !== undefined) await socket.send({ id: message.id, event: "committing", xid });
        return "vanish" as const;
      };
    const insertOne = (client: Database) =>
      client.transaction(async (tx) => {
        await tx.sql`INSERT INTO doubt_rows VALUES (3)`;
        return "done";
      });

    await t.step("committed before it died: the transaction succeeds", async () => {
      const fake = await fakeHolder(dir, diesAtCommit(committed));
      const client = await testDb.open();
      try {
        assert.equal(await insertOne(client), "done");
        // The client carries on with the database, which it now holds itself.
        assert.deepEqual(await client.sql`SELECT count(*)::int AS n FROM doubt_rows`, [{ n: 1 }]);
      } finally {
        await client.close();
        await fake.gone;
      }
    });

    await t.step(
      "rolled back before it died: the transaction fails, saying nothing was committed",
      async () => {
        const fake = await fakeHolder(dir, diesAtCommit(aborted));
        const client = await testDb.open();
        try {
          const error = await rejection(insertOne(client));
          assert.ok(error instanceof CommandError);
          assert.equal(
            error.message,
            `The process serving the embedded database ${dir} (pid 999999) stopped during a ` +
              "transaction of this one: it was rolled back, nothing of it was committed",
          );
        } finally {
          await client.close();
          await fake.gone;
        }
      },
    );

    await t.step("died before it began to commit: nothing was committed", async () => {
      const fake = await fakeHolder(dir, diesAtCommit(undefined));
      const client = await testDb.open();
      try {
        const error = await rejection(insertOne(client));
        assert.match(error.message, /stopped during a transaction of this one: it was rolled back/);
      } finally {
        await client.close();
        await fake.gone;
      }
    });

    await t.step(
      "died before answering a statement outside a transaction: the outcome is unknown",
      async () => {
        const fake = await fakeHolder(dir, async (message, socket) => {
          if (message.op === "query") return "vanish";
          await answerPlainly(message, socket);
        });
        const client = await testDb.open();
        try {
          const error = await rejection(client.sql`INSERT INTO doubt_rows VALUES (4)`);
          assert.ok(error instanceof CommandError);
          assert.equal(
            error.message,
            `The process serving the embedded database ${dir} (pid 999999) stopped before it ` +
              "answered: whether the statement took effect is unknown; check before running the " +
              "command again",
          );
          assert.doesNotMatch(error.message, /run the command again/);
          // Nothing pending: the next statement goes to the next holder.
          assert.deepEqual(await client.sql`SELECT count(*)::int AS n FROM doubt_rows`, [{ n: 1 }]);
        } finally {
          await client.close();
          await fake.gone;
        }
      },
    );

    await t.step(
      "died with a transaction begun in SQL open: the next request is told",
      async () => {
        const fake = await fakeHolder(dir, async (message, socket) => {
          if (message.op !== "query") return await answerPlainly(message, socket);
          // BEGIN, answered as a holder does when a block stays open; then gone.
          await socket.send({ id: message.id, ok: encodeValue([]), block: true });
          return "vanish";
        });
        const client = await testDb.open();
        try {
          await client.query("BEGIN");
          await fake.gone;
          // A request that changes no data: it may reach the socket before this process has
          // seen the holder go, and a statement sent then would be of unknown outcome.
          const error = await rejection(client.listen("doubt_channel", () => {}));
          assert.equal(
            error.message,
            `The process serving the embedded database ${dir} (pid 999999) stopped while a ` +
              "transaction begun in SQL was open here: it was rolled back, nothing of it was " +
              "committed",
          );
          // Told once: then on with the next holder (this process).
          assert.deepEqual(await client.sql`SELECT count(*)::int AS n FROM doubt_rows`, [{ n: 1 }]);
        } finally {
          await client.close();
        }
      },
    );

    await t.step(
      "died while this one held an advisory lock: stopped until it unlocks",
      async () => {
        const fake = await fakeHolder(dir, async (message, socket) => {
          if (message.op !== "lock") return await answerPlainly(message, socket);
          await socket.send({ id: message.id, ok: true });
          return "vanish";
        });
        const client = await testDb.open();
        try {
          assert.equal(await client.tryAdvisoryLock(7n), true);
          await fake.gone;
          // A request that changes no data (see the step above).
          const error = await rejection(client.tryAdvisoryLock(8n));
          assert.equal(
            error.message,
            `The process serving the embedded database ${dir} (pid 999999) stopped, and the ` +
              "advisory locks this one held went with it: stopped here, as what they guarded " +
              "may have changed; run the command again",
          );
          assert.match((await rejection(client.sql`SELECT 1`)).message, /went with it/);
          await client.advisoryUnlock(7n);
          assert.deepEqual(await client.sql`SELECT count(*)::int AS n FROM doubt_rows`, [{ n: 1 }]);
          assert.equal(await client.tryAdvisoryLock(7n), true);
          await client.advisoryUnlock(7n);
        } finally {
          await client.close();
        }
      },
    );
  } finally {
    await testDb.drop();
  }
});

Deno.test("a holder killed under a client's transactions: every reported commit is there, every reported failure is not", async () => {
  const testDb = await pgliteTestDatabase();
  const url = JSON.stringify(testDb.url);
  try {
    const holder = await spawnScript(
      `const db = await openDatabase(${url}, options);
       await db.exec("CREATE TABLE killed_rows (id int PRIMARY KEY)");
       console.log("ready");
       await untilStdinCloses();`,
    );
    await holder.line("ready");
    const client = await spawnScript(
      `const db = await openDatabase(${url}, options);
       for (let i = 1; i <= 150; i++) {
         try {
           await db.transaction((tx) => tx.sql\`INSERT INTO killed_rows VALUES (\${i})\`);
           console.log("ok", i);
         } catch (error) {
           console.log("failed", i, error.message);
         }
       }
       await db.close();
       console.log("done");`,
    );
    await client.line("ok 20");
    await holder.kill();
    const { code, stdout, stderr } = await client.finish();
    assert.equal(code, 0, stderr);
    const ok = [...stdout.matchAll(/^ok (\d+)$/gm)].map((match) => Number(match[1]));
    const failed = [...stdout.matchAll(/^failed (\d+) (.*)$/gm)];
    const rolledBack = failed.filter((match) => /nothing of it was committed/.test(match[2]));
    assert.ok(ok.some((i) => i > 100), `the client carries on after the kill:\n${stdout}`);
    assert.ok(failed.length <= 1, `at most the transaction in flight fails:\n${stdout}`);
    const db = await testDb.open();
    try {
      const rows = new Set(
        (await db.sql<{ id: number }>`SELECT id FROM killed_rows`).map((row) => row.id),
      );
      for (const i of ok) assert.ok(rows.has(i), `reported committed, but missing: ${i}`);
      for (const match of rolledBack) {
        assert.ok(!rows.has(Number(match[1])), `reported rolled back, but there: ${match[1]}`);
      }
    } finally {
      await db.close();
    }
  } finally {
    await testDb.drop();
  }
});
