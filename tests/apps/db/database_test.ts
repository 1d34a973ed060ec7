// The database layer (apps/db/database.ts and its drivers): URLs, the one interface on both
// drivers, the embedded database's lock and creation, and passwords kept out of every message.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import openDatabase, { parseDatabaseUrl } from "../../../apps/db/database.ts";
import { PGLITE_VERSION } from "../../../apps/db/backends/pglite/_template.ts";
import {
  forEachDatabase,
  pgliteTestDatabase,
  seedPgliteTemplate,
  serverTestDatabase,
} from "../../_database.ts";
import { rejection, ROOT } from "../../_helpers.ts";
import { needs, SERVER_URL } from "../../_requires.ts";

const ROOT_DIR = fileURLToPath(ROOT);
const PASSWORD = "s3cr3t-Pa55";

const quiet = { env: {}, cwd: ROOT_DIR, notice: () => {} };

/** The server URL with `PASSWORD` as its password and `name` as its database. */
function withPassword(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.password = PASSWORD;
  url.pathname = `/${name}`;
  return url.href;
}

function nextMessage(
  db: Database,
  channel: string,
): Promise<[Promise<string>, () => Promise<void>]> {
  let received: (payload: string) => void;
  const message = new Promise<string>((resolve) => received = resolve);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No notification on ${channel}`)), 5000);
  });
  return db.listen(channel, (payload) => received(payload)).then((stop) => [
    Promise.race([message, timeout]).finally(() => clearTimeout(timer)),
    stop,
  ]);
}

Deno.test("database URLs", async (t) => {
  await t.step("postgres:// and postgresql:// name a server, shown without the password", () => {
    for (const scheme of ["postgres", "postgresql", "POSTGRES"]) {
      const target = parseDatabaseUrl(`${scheme}://app:${PASSWORD}@db:5432/app`);
      assert.equal(target.driver, "postgres");
      assert.equal(target.url, `${scheme}://app:****@db:5432/app`);
    }
  });

  await t.step("pglite:<dir> and pglite:memory name the embedded database", () => {
    assert.deepEqual(parseDatabaseUrl("pglite:data/db"), {
      driver: "pglite",
      dir: "data/db",
      url: "pglite:data/db",
    });
    assert.deepEqual(parseDatabaseUrl("pglite:/abs/db"), {
      driver: "pglite",
      dir: "/abs/db",
      url: "pglite:/abs/db",
    });
    assert.deepEqual(
      parseDatabaseUrl("pglite:///abs/db").driver === "pglite" &&
        parseDatabaseUrl("pglite:///abs/db").url,
      "pglite:/abs/db",
    );
    assert.deepEqual(parseDatabaseUrl("pglite:memory"), {
      driver: "pglite",
      dir: undefined,
      url: "pglite:memory",
    });
  });

  await t.step("nothing, or an empty value, is the default .manage/db of the project", () => {
    for (const url of [undefined, "", "  "]) {
      assert.deepEqual(parseDatabaseUrl(url), {
        driver: "pglite",
        dir: ".manage/db",
        url: "pglite:.manage/db",
        inProject: true,
      });
    }
  });

  await t.step("an unknown scheme is a CommandError naming the accepted forms", () => {
    assert.throws(
      () => parseDatabaseUrl(`mysql://root:${PASSWORD}@db/app`),
      (error: unknown) => {
        assert.ok(error instanceof CommandError);
        assert.equal(
          error.message,
          "Unsupported database URL 'mysql://root:****@db/app': use postgres://user@host:5432/name, " +
            "pglite:<dir> or pglite:memory",
        );
        return true;
      },
    );
    assert.throws(() => parseDatabaseUrl("pglite:"), /names no directory: use pglite:<dir>/);
  });
});

Deno.test("importing the provider loads neither driver", async () => {
  // The module graph as `deno info` sees it: follow static imports only.
  for (const root of ["apps/db/database.ts", "cli.ts"]) {
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
      roots: string[];
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
      }[];
    };
    const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
    const seen = new Set<string>();
    const queue = [...graph.roots];
    while (queue.length > 0) {
      const specifier = queue.pop()!;
      if (seen.has(specifier)) continue;
      seen.add(specifier);
      for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
        if (!dep.isDynamic && dep.code) queue.push(dep.code.specifier);
      }
    }
    const npm = [...seen].filter((s) => s.startsWith("npm:"));
    assert.deepEqual(npm, [], `${root} imports npm packages statically`);
    assert.ok(seen.size > 1, `deno info found no module graph for ${root}`);
  }
});

Deno.test("the template's PGlite version is the one deno.json imports", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.equal(
    config.imports["@electric-sql/pglite"],
    `npm:@electric-sql/pglite@${PGLITE_VERSION}`,
  );
});

Deno.test("the database interface, on each driver", async (outer) => {
  await forEachDatabase(outer, async (testDb, t) => {
    const db = await testDb.open();
    try {
      assert.equal(db.driver, testDb.kind);

      await t.step("sql binds its values: an injection string stays a value", async () => {
        await db.exec("CREATE TABLE people (id bigserial PRIMARY KEY, name text NOT NULL)");
        const evil = "x'); DROP TABLE people; --";
        await db.sql`INSERT INTO people (name) VALUES (${evil})`;
        const rows = await db.sql<{ name: string }>`SELECT name FROM people WHERE name = ${evil}`;
        assert.deepEqual(rows, [{ name: evil }]);
      });

      await t.step("query takes $n parameters", async () => {
        const rows = await db.query("SELECT $1::int + $2::int AS sum, $3::text AS t", [2, 3, "ok"]);
        assert.deepEqual(rows, [{ sum: 5, t: "ok" }]);
      });

      await t.step("values come back alike on both drivers", async () => {
        const [row] = await db.sql`SELECT count(*) AS n, ${9007199254740993n}::int8 AS big,
          1.5::numeric AS num, ${{ a: [1] }}::jsonb AS doc, NULL::text AS nothing,
          ${true}::boolean AS yes, '1970-01-01T00:00:00Z'::timestamptz AS at FROM people`;
        assert.deepEqual(row, {
          n: 1,
          big: 9007199254740993n,
          num: "1.5",
          doc: { a: [1] },
          nothing: null,
          yes: true,
          at: new Date(0),
        });
      });

      await t.step("query runs one statement; exec runs several", async () => {
        await rejection(db.query("SELECT 1; SELECT 2"));
        await db.exec(`
          CREATE TABLE notes (body text);
          INSERT INTO notes VALUES ('a');
          INSERT INTO notes VALUES ('b');
        `);
        assert.deepEqual(await db.sql`SELECT body FROM notes ORDER BY body`, [
          { body: "a" },
          { body: "b" },
        ]);
      });

      await t.step("a SQL error keeps its SQLSTATE code", async () => {
        const error = await rejection(db.sql`SELECT * FROM missing_table`);
        assert.equal((error as Error & { code?: string }).code, "42P01");
        assert.match(error.message, /missing_table/);
      });

      await t.step("a transaction commits when fn resolves, and returns its value", async () => {
        const result = await db.transaction(async (tx) => {
          await tx.sql`INSERT INTO notes VALUES (${"c"})`;
          await tx.exec("INSERT INTO notes VALUES ('d'); INSERT INTO notes VALUES ('e')");
          return (await tx.query<{ n: number }>("SELECT count(*) AS n FROM notes"))[0].n;
        });
        assert.equal(result, 5);
        assert.equal((await db.sql`SELECT count(*) AS n FROM notes`)[0].n, 5);
      });

      await t.step("a transaction rolls back when fn throws, and rethrows", async () => {
        const boom = new Error("boom");
        const error = await rejection(db.transaction(async (tx) => {
          await tx.sql`INSERT INTO notes VALUES (${"f"})`;
          await tx.exec("CREATE TABLE doomed (x int)");
          throw boom;
        }));
        assert.equal(error, boom);
        assert.equal((await db.sql`SELECT count(*) AS n FROM notes`)[0].n, 5);
        assert.deepEqual(await db.sql`SELECT to_regclass('doomed') AS t`, [{ t: null }]);
      });

      await t.step("a failing statement rolls the transaction back", async () => {
        await rejection(db.transaction(async (tx) => {
          await tx.sql`INSERT INTO notes VALUES (${"g"})`;
          await tx.sql`SELECT 1/0`;
        }));
        assert.equal((await db.sql`SELECT count(*) AS n FROM notes`)[0].n, 5);
      });

      await t.step("advisory locks: taken, held by the session, released", async () => {
        assert.equal(await db.tryAdvisoryLock(7001n), true);
        const [row] = await db.sql`SELECT count(*) AS n FROM pg_locks
          WHERE locktype = 'advisory' AND objid = 7001 AND pid = pg_backend_pid()`;
        assert.equal(row.n, 1);
        await db.advisoryUnlock(7001n);
        const [after] = await db.sql`SELECT count(*) AS n FROM pg_locks
          WHERE locktype = 'advisory' AND objid = 7001 AND pid = pg_backend_pid()`;
        assert.equal(after.n, 0);
        assert.equal(await db.tryAdvisoryLock(-9007199254740993n), true);
        await db.advisoryUnlock(-9007199254740993n);
      });

      await t.step(
        "LISTEN/NOTIFY delivers payloads; channel names are taken as they are",
        async () => {
          for (const channel of ["jobs", 'Mixed Case "quoted"']) {
            const [message, stop] = await nextMessage(db, channel);
            try {
              await db.notify(channel, `payload for ${channel}`);
              assert.equal(await message, `payload for ${channel}`);
            } finally {
              await stop();
            }
          }
        },
      );

      await t.step("a stopped listener hears nothing more", async () => {
        const heard: string[] = [];
        const stop = await db.listen("quiet", (payload) => heard.push(payload));
        const [other, stopOther] = await nextMessage(db, "other");
        try {
          await stop();
          await db.notify("quiet", "unheard");
          await db.notify("other", "heard");
          assert.equal(await other, "heard");
          assert.deepEqual(heard, []);
        } finally {
          await stopOther();
        }
      });
    } finally {
      await db.close();
    }

    await t.step("close is idempotent and ends the connection", async () => {
      await db.close();
      await rejection(db.sql`SELECT 1`);
    });
  });
});

Deno.test(needs("server", {
  name: "advisory locks exclude between two connections to one server database",
  async fn() {
    const testDb = await serverTestDatabase(SERVER_URL!);
    const [a, b] = [await testDb.open(), await testDb.open()];
    try {
      assert.equal(await a.tryAdvisoryLock(42n), true);
      assert.equal(await b.tryAdvisoryLock(42n), false);
      await a.advisoryUnlock(42n);
      assert.equal(await b.tryAdvisoryLock(42n), true);
      assert.equal(await a.tryAdvisoryLock(42n), false);
      await b.advisoryUnlock(42n);
    } finally {
      await a.close();
      await b.close();
      await testDb.drop();
    }
  },
}));

Deno.test(needs("server", {
  name: "a lost server connection fails every later query instead of reconnecting",
  async fn() {
    const testDb = await serverTestDatabase(SERVER_URL!);
    const db = await testDb.open();
    try {
      assert.equal(await db.tryAdvisoryLock(42n), true);
      await rejection(db.sql`SELECT pg_terminate_backend(pg_backend_pid())`);
      const error = await rejection(db.sql`SELECT 1`);
      assert.ok(error instanceof CommandError);
      assert.match(
        error.message,
        /^The connection to postgres:\/\/.* was lost, and with it the session's locks: run the command again$/,
      );
    } finally {
      await db.close();
      await testDb.drop();
    }
  },
}));

Deno.test(needs("server", {
  name: "a notification crosses connections on a server",
  async fn() {
    const testDb = await serverTestDatabase(SERVER_URL!);
    const [a, b] = [await testDb.open(), await testDb.open()];
    try {
      const [message, stop] = await nextMessage(a, "wake");
      await b.notify("wake", "from b");
      assert.equal(await message, "from b");
      await stop();
    } finally {
      await a.close();
      await b.close();
      await testDb.drop();
    }
  },
}));

Deno.test("an embedded database is opened by one process and served to the others", async (t) => {
  const testDb = await pgliteTestDatabase();
  try {
    await t.step("a second open in this process is served by the first", async () => {
      const db = await testDb.open();
      try {
        await db.exec("CREATE TABLE seen (n int); INSERT INTO seen VALUES (1)");
        const second = await testDb.open();
        try {
          assert.equal(second.driver, "pglite");
          assert.equal(second.url, testDb.url);
          assert.deepEqual(await second.sql`SELECT n FROM seen`, [{ n: 1 }]);
        } finally {
          await second.close();
        }
      } finally {
        await db.close();
      }
      // Closed: free again.
      await (await testDb.open()).close();
    });

    await t.step("another process uses it while this one holds it", async () => {
      const db = await testDb.open();
      try {
        const result = await runScript(
          `const db = await openDatabase(${JSON.stringify(testDb.url)}, options);
           const [row] = await db.sql\`SELECT count(*)::int AS n FROM seen\`;
           await db.close();
           console.log(row.n);`,
        );
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, "1\n");
      } finally {
        await db.close();
      }
    });

    await t.step(
      "this process uses it while another one holds it, and carries on when that one stops",
      async () => {
        const holder = await spawnScript(
          `const db = await openDatabase(${JSON.stringify(testDb.url)}, options);
         console.log("ready");
         for await (const _ of Deno.stdin.readable) { /* until stdin closes */ }
         await db.close();`,
        );
        let finished = false;
        try {
          await holder.ready;
          const db = await testDb.open();
          try {
            assert.deepEqual(await db.sql`SELECT n FROM seen`, [{ n: 1 }]);
            finished = true;
            assert.equal(await holder.finish(), 0);
            // The holder has gone: the database opens here, under the same connection.
            assert.deepEqual(await db.sql`SELECT n FROM seen`, [{ n: 1 }]);
          } finally {
            await db.close();
          }
        } finally {
          if (!finished) await holder.finish();
        }
      },
    );

    await t.step("a holder that dies releases the database", async () => {
      const holder = await spawnScript(
        `await openDatabase(${JSON.stringify(testDb.url)}, options);
         console.log("ready");
         setInterval(() => {}, 1000);`,
      );
      await holder.ready;
      await holder.kill();
      const db = await testDb.open();
      await db.close();
    });
  } finally {
    await testDb.drop();
  }
});

const SCRIPT_HEADER = `
import openDatabase from ${JSON.stringify(new URL("apps/db/database.ts", ROOT).href)};
const options = { env: {}, cwd: ${JSON.stringify(ROOT_DIR)}, notice: () => {} };
`;

async function writeScript(body: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "manage_script_" });
  const path = join(dir, "holder.ts");
  await Deno.writeTextFile(path, SCRIPT_HEADER + body);
  return path;
}

function scriptArgs(path: string): string[] {
  return ["run", "--quiet", "-A", "--config", fileURLToPath(new URL("deno.json", ROOT)), path];
}

async function runScript(body: string) {
  const path = await writeScript(body);
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: scriptArgs(path),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
  } finally {
    await Deno.remove(join(path, ".."), { recursive: true });
  }
}

/** A running script: closing its stdin tells it to finish. */
interface Holder {
  readonly pid: number;
  /** Resolves when the script prints `ready`. */
  readonly ready: Promise<void>;
  /** Closes its stdin and returns its exit code. */
  finish(): Promise<number>;
  /** Kills it with SIGKILL and waits for it to end. */
  kill(): Promise<void>;
}

async function spawnScript(body: string): Promise<Holder> {
  const path = await writeScript(body);
  const child = new Deno.Command(Deno.execPath(), {
    args: scriptArgs(path),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let seen!: () => void;
  let ended!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => [seen, ended] = [resolve, reject]);
  let stdout = "";
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      stdout += chunk;
      if (stdout.split("\n").includes("ready")) seen();
    }
  })();
  const stderr = new Response(child.stderr).text();
  const done = async () => {
    const status = await child.status;
    await reading;
    const errors = await stderr;
    ended(new Error(`The script ended before it was ready: ${stdout}${errors}`));
    await Deno.remove(join(path, ".."), { recursive: true });
    return status;
  };
  return {
    pid: child.pid,
    ready,
    async finish() {
      await child.stdin.close();
      return (await done()).code;
    },
    async kill() {
      child.kill("SIGKILL");
      await child.stdin.close().catch(() => {});
      await done();
    },
  };
}

Deno.test("the default embedded database is created on first use, with one notice", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "manage_cwd_" });
  try {
    await seedPgliteTemplate(cwd);
    const notices: string[] = [];
    const options = { env: {}, cwd, notice: (line: string) => notices.push(line) };
    let db = await openDatabase(undefined, options);
    try {
      assert.equal(db.url, "pglite:.manage/db");
      await db.exec("CREATE TABLE kept (x int); INSERT INTO kept VALUES (1)");
    } finally {
      await db.close();
    }
    assert.deepEqual(notices, ["Created the embedded database in .manage/db"]);
    await Deno.stat(join(cwd, ".manage", "db", "PG_VERSION"));
    db = await openDatabase("", options);
    try {
      assert.deepEqual(await db.sql`SELECT x FROM kept`, [{ x: 1 }]);
    } finally {
      await db.close();
    }
    assert.equal(notices.length, 1);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("pglite:memory is a new, empty database each time, with no notice", async () => {
  const notices: string[] = [];
  const options = { ...quiet, notice: (line: string) => notices.push(line) };
  for (let i = 0; i < 2; i++) {
    const db = await openDatabase("pglite:memory", options);
    try {
      assert.equal(db.url, "pglite:memory");
      assert.deepEqual(await db.sql`SELECT to_regclass('mem') AS t`, [{ t: null }]);
      await db.exec("CREATE TABLE mem (x int)");
    } finally {
      await db.close();
    }
  }
  assert.deepEqual(notices, []);
});

Deno.test("a directory with other files is not taken for a database", async () => {
  const dir = await Deno.makeTempDir({ prefix: "manage_notdb_" });
  try {
    await Deno.writeTextFile(join(dir, "notes.txt"), "mine");
    const error = await rejection(openDatabase(`pglite:${dir}`, quiet));
    assert.ok(error instanceof CommandError);
    assert.equal(
      error.message,
      `${dir} holds files but no PGlite database: give pglite: a new or empty directory`,
    );
    assert.equal(await Deno.readTextFile(join(dir, "notes.txt")), "mine");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(`${dir}.lock`).catch(() => {});
  }
});

Deno.test("a password in the URL appears in no error", async (t) => {
  await t.step("a closed port", async () => {
    const error = await rejection(
      openDatabase(`postgres://postgres:${PASSWORD}@127.0.0.1:1/app`, quiet),
    );
    assert.ok(error instanceof CommandError);
    assert.equal(
      error.message,
      "Cannot connect to postgres://postgres:****@127.0.0.1:1/app: connect ECONNREFUSED 127.0.0.1:1",
    );
    assert.ok(!String(error.stack).includes(PASSWORD));
  });

  await t.step(needs("server", {
    name: "a database that does not exist, on the server",
    async fn() {
      const url = withPassword(SERVER_URL!, "nonexistent_db");
      const error = await rejection(openDatabase(url, quiet));
      assert.ok(error instanceof CommandError);
      assert.match(error.message, /database "nonexistent_db" does not exist/);
      assert.match(error.message, /postgres:\/\/postgres:\*\*\*\*@/);
      for (const text of [error.message, String(error.stack), String(error.cause)]) {
        assert.ok(!text.includes(PASSWORD), text);
      }
    },
  }));

  await t.step(needs("server", {
    name: "a query error, on the server",
    async fn() {
      const testDb = await serverTestDatabase(SERVER_URL!);
      try {
        const url = withPassword(testDb.url, new URL(testDb.url).pathname.slice(1));
        const db = await openDatabase(url, quiet);
        try {
          assert.equal(db.url.includes(PASSWORD), false);
          assert.match(db.url, /:\*\*\*\*@/);
          const error = await rejection(db.query(`SELECT '${PASSWORD}'::int`));
          // The server quotes the statement's text back; the password is removed from it too.
          assert.ok(!error.message.includes(PASSWORD), error.message);
          assert.ok(!String(error.stack).includes(PASSWORD));
        } finally {
          await db.close();
        }
      } finally {
        await testDb.drop();
      }
    },
  }));
});
