// check_database, the seed's example, end to end through cli.ts: connected on each driver, the
// one-line failure with exit 1, --wait, and no password in any output.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { callCommand, captureOutput, CommandError } from "../../../mod.ts";
import { registry } from "../../../commands/_registry.ts";
import { CLI_PERMISSIONS, copyProject, ROOT, runCli } from "../../_helpers.ts";
import { forEachDatabase, pgliteTestDatabase, seedPgliteTemplate } from "../../_database.ts";
import { tryLockFile } from "../../../apps/db/backends/pglite/_directory_lock.ts";
import { needs, SERVER_URL } from "../../_requires.ts";

const PASSWORD = "s3cr3t-Pa55";
const DEAD_URL = `postgres://postgres:${PASSWORD}@127.0.0.1:1/app`;
const DEAD_LINE = "Error connecting to the database: Cannot connect to " +
  "postgres://postgres:****@127.0.0.1:1/app: connect ECONNREFUSED 127.0.0.1:1\n";

Deno.test("check_database connects, on each driver", async (outer) => {
  await forEachDatabase(outer, async (db, t) => {
    await t.step("through DATABASE_URL", async () => {
      const result = await runCli(["check_database"], { env: { DATABASE_URL: db.url } });
      assert.deepEqual(result, { code: 0, stdout: "Database is connected!\n", stderr: "" });
    });
    await t.step("through --database", async () => {
      const result = await runCli(["check_database", "--database", db.url], {
        env: { DATABASE_URL: DEAD_URL },
      });
      assert.deepEqual(result, { code: 0, stdout: "Database is connected!\n", stderr: "" });
    });
  });
});

Deno.test("check_database fails with one line on stderr and exit 1", async () => {
  const result = await runCli(["check_database"], { env: { DATABASE_URL: DEAD_URL } });
  assert.deepEqual(result, { code: 1, stdout: "", stderr: DEAD_LINE });
});

Deno.test("check_database names an unsupported URL without its password", async () => {
  const result = await runCli(["check_database", "--database", `mysql://root:${PASSWORD}@db/app`]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    "Error connecting to the database: Unsupported database URL 'mysql://root:****@db/app': " +
      "use postgres://user@host:5432/name, pglite:<dir> or pglite:memory\n",
  );
});

Deno.test("check_database --wait 1 keeps trying for a second, then fails", async () => {
  const started = performance.now();
  const result = await runCli(["check_database", "--wait", "1"], {
    env: { DATABASE_URL: DEAD_URL },
  });
  const elapsed = performance.now() - started;
  assert.deepEqual(result, { code: 1, stdout: "", stderr: DEAD_LINE });
  assert.ok(elapsed >= 1000, `took ${elapsed} ms`);
  assert.ok(elapsed < 10000, `took ${elapsed} ms`);
});

Deno.test("check_database --wait succeeds once the database is free", async () => {
  const testDb = await pgliteTestDatabase();
  try {
    // A process that holds the embedded database and serves no one (its lock names no
    // socket): the command waits until it lets go.
    const dir = testDb.url.slice("pglite:".length);
    const holder = await tryLockFile(`${dir}.lock`, { pid: Deno.pid, command: "holder" });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...CLI_PERMISSIONS, "cli.ts", "check_database", "--wait", "20"],
      cwd: ROOT,
      env: { DATABASE_URL: testDb.url, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await holder.release();
    const { code, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    assert.equal(decoder.decode(stderr), "");
    assert.equal(decoder.decode(stdout), "Database is connected!\n");
    assert.equal(code, 0);
  } finally {
    await testDb.drop();
  }
});

Deno.test("check_database connects through the process that holds the embedded database", async () => {
  const testDb = await pgliteTestDatabase();
  try {
    const holder = await testDb.open();
    try {
      const result = await runCli(["check_database"], { env: { DATABASE_URL: testDb.url } });
      assert.deepEqual(result, { code: 0, stdout: "Database is connected!\n", stderr: "" });
    } finally {
      await holder.close();
    }
  } finally {
    await testDb.drop();
  }
});

Deno.test("check_database reports an embedded database held by a process that serves no one", async () => {
  const testDb = await pgliteTestDatabase();
  try {
    const dir = testDb.url.slice("pglite:".length);
    const holder = await tryLockFile(`${dir}.lock`, { pid: Deno.pid, command: "holder" });
    try {
      const result = await runCli(["check_database"], { env: { DATABASE_URL: testDb.url } });
      assert.deepEqual(result, {
        code: 1,
        stdout: "",
        stderr: `Error connecting to the database: The embedded database ${dir} is in use by ` +
          `process ${Deno.pid} (holder); stop that process, or set DATABASE_URL to a PostgreSQL ` +
          "server to share one database between processes\n",
      });
    } finally {
      await holder.release();
    }
  } finally {
    await testDb.drop();
  }
});

Deno.test("check_database creates the default embedded database, saying so once", async () => {
  await using project = await copyProject();
  await seedPgliteTemplate(fileURLToPath(project.root));
  const first = await project.run(["check_database"]);
  assert.deepEqual(first, {
    code: 0,
    stdout: "Database is connected!\n",
    stderr: "Created the embedded database in .manage/db\n",
  });
  const second = await project.run(["check_database"]);
  assert.deepEqual(second, { code: 0, stdout: "Database is connected!\n", stderr: "" });

  // A test database made for the copy lies inside it, within the manage task's permissions.
  const testDb = await pgliteTestDatabase({ root: project.root });
  try {
    const result = await project.run(["check_database"], { env: { DATABASE_URL: testDb.url } });
    assert.deepEqual(result, { code: 0, stdout: "Database is connected!\n", stderr: "" });
  } finally {
    await testDb.drop();
  }
});

Deno.test(needs("server", {
  name: "check_database keeps the password out of a server's error",
  async fn() {
    const url = new URL(SERVER_URL!);
    url.password = PASSWORD;
    url.pathname = "/nonexistent_db";
    const result = await runCli(["check_database"], { env: { DATABASE_URL: url.href } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^Error connecting to the database: Cannot connect to postgres:/);
    assert.match(result.stderr, /database "nonexistent_db" does not exist\n$/);
    assert.ok(!result.stderr.includes(PASSWORD) && !result.stdout.includes(PASSWORD));
  },
}));

Deno.test("check_database from code throws the same line as a CommandError", async () => {
  const stdout = captureOutput();
  await assert.rejects(
    callCommand("check_database", ["--database", DEAD_URL], { registry, stdout }),
    (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.message, DEAD_LINE.trimEnd());
      assert.equal(error.returncode, 1);
      return true;
    },
  );
  assert.equal(stdout.text, "");
});
