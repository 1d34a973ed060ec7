// migrate, showmigrations, sqlmigrate and makemigrations through the real cli.ts, in project
// copies with migrations of their own: on both drivers, with a password in every server URL that
// no output may show, and 8 concurrent migrate processes against one server database.

import assert from "node:assert/strict";
import { forEachDatabase, testDatabases } from "../../../_database.ts";
import { copyProject, ONLY_DB_APP, type Project, type RunResult } from "../../../_helpers.ts";
import { PASSWORD, recorded, snapshot, tables, withPassword } from "../_migrations.ts";
import { needs } from "../../../_requires.ts";

function migration(body: string): string {
  return `import { defineMigration, runSQL } from "../../../mod.ts";\n\nexport default defineMigration(${body});\n`;
}

/** A migration that runs `sql` (reversed by `reverse`) and logs its own name in shop_log. */
function logged(key: string, sql: string, reverse: string, dependencies = "[]"): string {
  return migration(`{
  dependencies: ${dependencies},
  operations: [
    runSQL(${JSON.stringify(sql)}, ${JSON.stringify(reverse)}),
    runSQL("INSERT INTO shop_log (name) SELECT '${key}' FROM pg_sleep(0.05)", "DELETE FROM shop_log WHERE name = '${key}'"),
  ],
}`);
}

const MIGRATIONS: Record<string, string> = {
  "apps/shop/migrations/0001_initial.ts": logged(
    "shop.0001_initial",
    "CREATE TABLE shop_log (name text NOT NULL); CREATE TABLE shop_product (id bigserial PRIMARY KEY, name text NOT NULL)",
    "DROP TABLE shop_product; DROP TABLE shop_log",
  ),
  "apps/shop/migrations/0002_price.ts": logged(
    "shop.0002_price",
    "ALTER TABLE shop_product ADD COLUMN price integer",
    "ALTER TABLE shop_product DROP COLUMN price",
  ),
  "apps/billing/migrations/0001_initial.ts": logged(
    "billing.0001_initial",
    "CREATE TABLE billing_invoice (id bigserial PRIMARY KEY, product_id bigint REFERENCES shop_product (id))",
    "DROP TABLE billing_invoice",
    '[["shop", "0002_price"]]',
  ),
};

const APPLY_ALL = "Operations to perform:\n  Apply all migrations: billing, shop\n" +
  "Running migrations:\n" +
  "  Applying shop.0001_initial... OK\n" +
  "  Applying shop.0002_price... OK\n" +
  "  Applying billing.0001_initial... OK\n";

/** Runs `manage <args>` in `project` on `url`, and checks the password is in no output. */
async function manage(project: Project, url: string, args: string[]): Promise<RunResult> {
  const result = await project.run(args, { env: { DATABASE_URL: url } });
  assert.ok(!result.stdout.includes(PASSWORD), `the password is shown on stdout of ${args}`);
  assert.ok(!result.stderr.includes(PASSWORD), `the password is shown on stderr of ${args}`);
  return result;
}

Deno.test("migrate through cli.ts: applies, round-trips, and rolls back a failing migration", async (t) => {
  await using project = await copyProject(MIGRATIONS, {
    without: ONLY_DB_APP,
  });
  await forEachDatabase(t, async (database, t) => {
    const url = withPassword(database.url);
    const run = (...args: string[]) => manage(project, url, args);
    try {
      await t.step("migrate applies every migration, then has nothing to do", async () => {
        assert.deepEqual(await run("migrate", "--check"), {
          code: 1,
          stdout: "",
          stderr: "CommandError: 3 unapplied migrations (shop.0001_initial, shop.0002_price, " +
            "billing.0001_initial): run 'manage migrate'\n",
        });
        assert.deepEqual(await run("migrate"), { code: 0, stdout: APPLY_ALL, stderr: "" });
        assert.deepEqual(await run("migrate"), {
          code: 0,
          stdout: "Operations to perform:\n  Apply all migrations: billing, shop\n" +
            "Running migrations:\n  No migrations to apply.\n",
          stderr: "",
        });
      });

      await t.step("showmigrations lists them as applied", async () => {
        assert.deepEqual(await run("showmigrations"), {
          code: 0,
          stdout: "billing\n [X] 0001_initial\nshop\n [X] 0001_initial\n [X] 0002_price\n",
          stderr: "",
        });
      });

      await t.step("migrate shop zero, then migrate, round-trips", async () => {
        assert.deepEqual(await run("migrate", "shop", "zero"), {
          code: 0,
          stdout: "Operations to perform:\n  Unapply all migrations: shop\nRunning migrations:\n" +
            "  Unapplying billing.0001_initial... OK\n" +
            "  Unapplying shop.0002_price... OK\n" +
            "  Unapplying shop.0001_initial... OK\n",
          stderr: "",
        });
        const db = await database.open();
        try {
          assert.deepEqual(await tables(db), ["manage_migrations"]);
          assert.deepEqual(await recorded(db), []);
        } finally {
          await db.close();
        }
        assert.deepEqual(await run("migrate"), { code: 0, stdout: APPLY_ALL, stderr: "" });
        const after = await database.open();
        try {
          assert.deepEqual(await tables(after), [
            "billing_invoice",
            "manage_migrations",
            "shop_log",
            "shop_product",
          ]);
          assert.deepEqual(await recorded(after), [
            "shop.0001_initial",
            "shop.0002_price",
            "billing.0001_initial",
          ]);
          assert.deepEqual(await after.query("SELECT name FROM shop_log ORDER BY name"), [
            { name: "billing.0001_initial" },
            { name: "shop.0001_initial" },
            { name: "shop.0002_price" },
          ]);
        } finally {
          await after.close();
        }
      });

      await t.step(
        "a failing migration changes nothing, exits 1 and says why in one line",
        async () => {
          await Deno.writeTextFile(
            new URL("apps/shop/migrations/0003_broken.ts", project.root),
            migration(`{
  operations: [
    runSQL("CREATE TABLE shop_stock (id int); INSERT INTO shop_nowhere VALUES (1)", "DROP TABLE shop_stock"),
  ],
}`),
          );
          assert.equal((await project.buildRegistry()).code, 0);
          const db = await database.open();
          const before = await snapshot(db);
          await db.close();
          const result = await run("migrate");
          assert.equal(result.code, 1);
          assert.equal(
            result.stdout,
            "Operations to perform:\n  Apply all migrations: billing, shop\n" +
              "Running migrations:\n  Applying shop.0003_broken... FAILED\n",
          );
          assert.match(
            result.stderr,
            /^CommandError: Applying shop\.0003_broken failed and was rolled back: .*shop_nowhere.* \(apps\/shop\/migrations\/0003_broken\.ts\)\n$/,
          );
          const after = await database.open();
          try {
            assert.deepEqual(await snapshot(after), before);
            assert.ok(!(await tables(after)).includes("shop_stock"));
          } finally {
            await after.close();
          }
        },
      );

      await t.step(
        "an applied migration edited afterwards is refused, naming its file",
        async () => {
          await Deno.remove(new URL("apps/shop/migrations/0003_broken.ts", project.root));
          await Deno.writeTextFile(
            new URL("apps/shop/migrations/0002_price.ts", project.root),
            logged(
              "shop.0002_price",
              "ALTER TABLE shop_product ADD COLUMN price numeric",
              "ALTER TABLE shop_product DROP COLUMN price",
            ),
          );
          assert.equal((await project.buildRegistry()).code, 0);
          for (const args of [["migrate"], ["migrate", "--check"]]) {
            assert.deepEqual(await run(...args), {
              code: 1,
              stdout: "",
              stderr: "CommandError: apps/shop/migrations/0002_price.ts was changed after it was " +
                "applied (checksum mismatch): undo the change and put it in a new migration\n",
            });
          }
        },
      );
    } finally {
      // The next database starts from the project's first migrations.
      await Deno.remove(new URL("apps/shop/migrations/0003_broken.ts", project.root))
        .catch(() => {});
      for (const [path, source] of Object.entries(MIGRATIONS)) {
        await Deno.writeTextFile(new URL(path, project.root), source);
      }
      assert.equal((await project.buildRegistry()).code, 0);
    }
  }, { root: project.root });
});

Deno.test("sqlmigrate prints SQL without opening a database", async () => {
  await using project = await copyProject(MIGRATIONS, {
    without: ONLY_DB_APP,
  });
  const result = await manage(project, "postgres://postgres:pw-NEVER-SHOWN@127.0.0.1:1/none", [
    "sqlmigrate",
    "billing",
    "0001",
    "--backwards",
  ]);
  assert.deepEqual(result, {
    code: 0,
    stdout: "BEGIN;\n--\n-- Raw SQL operation\n--\n" +
      "DELETE FROM shop_log WHERE name = 'billing.0001_initial';\n" +
      "--\n-- Raw SQL operation\n--\nDROP TABLE billing_invoice;\nCOMMIT;\n",
    stderr: "",
  });
});

Deno.test("a password in the database URL appears in no output, even when the server is unreachable", async () => {
  await using project = await copyProject(MIGRATIONS, {
    without: ONLY_DB_APP,
  });
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:1/nowhere`;
  for (
    const args of [
      ["migrate"],
      ["migrate", "--plan"],
      ["showmigrations", "--format", "json"],
      ["migrate", "--database", url, "--traceback"],
    ]
  ) {
    const result = await manage(project, url, args);
    assert.equal(result.code, 1, args.join(" "));
    assert.equal(result.stdout, "");
  }
});

Deno.test("makemigrations --empty writes a numbered migration that migrate then applies", async (t) => {
  await using project = await copyProject({
    ...MIGRATIONS,
    "apps/inventory/mod.ts": "/** The inventory app. */\nexport {};\n",
  }, { without: ONLY_DB_APP });
  const root = project.root;
  const make = (...args: string[]) => project.run(["makemigrations", ...args]);

  await t.step("mistakes are refused before anything is written", async () => {
    const expectations: [string[], string][] = [
      [
        ["--empty"],
        "You must supply at least one app label when using --empty: 'manage makemigrations --empty <app>'",
      ],
      [
        ["--empty", "shop", "--name", "Add-Stock"],
        "'Add-Stock' is not a valid migration name: use lowercase letters, digits and _",
      ],
      [
        ["--empty", "nope"],
        "No installed app with label 'nope': create it with 'manage startapp nope'",
      ],
    ];
    for (const [args, message] of expectations) {
      assert.deepEqual(await make(...args), {
        code: 1,
        stdout: "",
        stderr: `CommandError: ${message}\n`,
      });
    }
  });

  await t.step("--dry-run shows the file (with -v 3) and writes nothing", async () => {
    const result = await make("--empty", "shop", "--dry-run", "-v", "3");
    assert.equal(result.code, 0, result.stderr);
    const match =
      /^Migrations for 'shop':\n {2}apps\/shop\/migrations\/(0003_auto_\d{8}_\d{4})\.ts\nFull migrations file '\1\.ts':\nimport/
        .exec(result.stdout);
    assert.ok(match, result.stdout);
    const files = [...Deno.readDirSync(new URL("apps/shop/migrations/", root))].map((e) => e.name);
    assert.deepEqual(files.sort(), ["0001_initial.ts", "0002_price.ts"]);
  });

  await t.step("it writes the next number, or 0001_initial for an app's first", async () => {
    assert.deepEqual(await make("--empty", "shop", "--name", "add_stock"), {
      code: 0,
      stdout: "Migrations for 'shop':\n  apps/shop/migrations/0003_add_stock.ts\n",
      stderr: "",
    });
    assert.deepEqual(await make("--empty", "inventory"), {
      code: 0,
      stdout: "Migrations for 'inventory':\n  apps/inventory/migrations/0001_initial.ts\n",
      stderr: "",
    });
    const source = await Deno.readTextFile(
      new URL("apps/shop/migrations/0003_add_stock.ts", root),
    );
    assert.equal(
      source,
      'import { defineMigration } from "../../../mod.ts";\n\n' +
        "export default defineMigration({\n  dependencies: [],\n  operations: [],\n});\n",
    );
    const registry = await Deno.readTextFile(new URL("commands/_registry.ts", root));
    assert.match(registry, /"apps\/shop\/migrations\/0003_add_stock\.ts"/);
    assert.match(registry, /"apps\/inventory\/migrations\/0001_initial\.ts"/);
  });

  await t.step("migrate applies the new migrations", async () => {
    const [database, ...others] = await testDatabases({ root: project.root });
    for (const other of others) await other.drop();
    try {
      const result = await manage(project, database.url, ["migrate"]);
      assert.deepEqual(result, {
        code: 0,
        stdout: "Operations to perform:\n  Apply all migrations: billing, inventory, shop\n" +
          "Running migrations:\n" +
          "  Applying shop.0001_initial... OK\n" +
          "  Applying shop.0002_price... OK\n" +
          "  Applying billing.0001_initial... OK\n" +
          "  Applying inventory.0001_initial... OK\n" +
          "  Applying shop.0003_add_stock... OK\n",
        stderr: "",
      });
    } finally {
      await database.drop();
    }
  });
});

const CONCURRENT = 8;

Deno.test(needs("server", {
  name:
    `${CONCURRENT} concurrent migrate processes on one server database apply each migration once`,
  async fn() {
    const files: Record<string, string> = { ...MIGRATIONS };
    for (let i = 3; i <= 8; i++) {
      const name = `000${i}_step_${i}`;
      files[`apps/shop/migrations/${name}.ts`] = logged(
        `shop.${name}`,
        `CREATE TABLE shop_step_${i} (id int)`,
        `DROP TABLE shop_step_${i}`,
      );
    }
    const keys = Object.keys(files).map((path) => {
      const [, app, , file] = path.split("/");
      return `${app}.${file.slice(0, -3)}`;
    }).sort();
    await using project = await copyProject(files, {
      without: ONLY_DB_APP,
    });
    const databases = await testDatabases({ root: project.root });
    try {
      const database = databases.find((d) => d.kind === "postgres")!;
      const url = withPassword(database.url);
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, () => manage(project, url, ["migrate"])),
      );
      for (const result of results) {
        assert.equal(result.code, 0, result.stderr);
        // The only thing a waiting process may say is that it waits.
        assert.match(
          result.stderr,
          /^(Waiting for the migration lock: another migrate is running on this database\n)?$/,
        );
      }
      const applying = results.flatMap((r) => r.stdout.match(/Applying \S+\.\.\. OK/g) ?? []);
      assert.deepEqual(applying.map((line) => line.split(" ")[1].slice(0, -3)).sort(), keys);
      const db = await database.open();
      try {
        assert.deepEqual(
          await db.query(
            "SELECT name, count(*)::int AS n FROM shop_log GROUP BY name ORDER BY name",
          ),
          keys.map((name) => ({ name, n: 1 })),
        );
        assert.deepEqual((await recorded(db)).sort(), keys);
      } finally {
        await db.close();
      }
    } finally {
      for (const database of databases) await database.drop();
    }
  },
}));
