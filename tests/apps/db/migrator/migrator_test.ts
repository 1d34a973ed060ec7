// The migration engine and the migrate, showmigrations and sqlmigrate commands, in-process: the
// graph and its plans without a database, then every command on both drivers, with migrations
// given as data through a registry whose database is the test's open connection.

import assert from "node:assert/strict";
import {
  callCommand,
  captureOutput,
  CommandError,
  defineMigration,
  runSQL,
} from "../../../../mod.ts";
import type { Command, Database, Migration, OpenDatabase, Registry } from "../../../../mod.ts";
import migrateCommand from "../../../../apps/db/commands/migrate.ts";
import showmigrationsCommand from "../../../../apps/db/commands/showmigrations.ts";
import sqlmigrateCommand from "../../../../apps/db/commands/sqlmigrate.ts";
import { MIGRATION_LOCK_KEY } from "../../../../apps/db/migrator/_advisory_lock.ts";
import { loadMigrationGraph, migrationChecksum } from "../../../../apps/db/migrator/_executor.ts";
import type { MigrationGraph } from "../../../../apps/db/migrator/mod.ts";
import { forEachDatabase } from "../../../_database.ts";
import { dropTables, recorded, snapshot, tables } from "../_migrations.ts";

// ---- Fixtures ----

const CREATE_PRODUCT = "CREATE TABLE shop_product (id bigserial PRIMARY KEY, name text NOT NULL)";
const SHOP_INITIAL = defineMigration({
  operations: [runSQL(CREATE_PRODUCT, "DROP TABLE shop_product")],
});
const SHOP_PRICE = defineMigration({
  operations: [
    runSQL(
      "ALTER TABLE shop_product ADD COLUMN price integer",
      "ALTER TABLE shop_product DROP COLUMN price",
    ),
  ],
});
const BILLING_INITIAL = defineMigration({
  dependencies: [["shop", "0002_price"]],
  operations: [
    runSQL(
      "CREATE TABLE billing_invoice (id bigserial PRIMARY KEY, product_id bigint REFERENCES shop_product (id))",
      "DROP TABLE billing_invoice",
    ),
  ],
});

const BASE: Record<string, Migration> = {
  "shop.0001_initial": SHOP_INITIAL,
  "shop.0002_price": SHOP_PRICE,
  "billing.0001_initial": BILLING_INITIAL,
};

/** A connection the commands may use but not close (the test closes it). */
function borrowed(db: Database): Database {
  return {
    get driver() {
      return db.driver;
    },
    get url() {
      return db.url;
    },
    sql: (strings, ...values) => db.sql(strings, ...values),
    query: (text, params) => db.query(text, params),
    exec: (text) => db.exec(text),
    transaction: (fn) => db.transaction(fn),
    tryAdvisoryLock: (key) => db.tryAdvisoryLock(key),
    advisoryUnlock: (key) => db.advisoryUnlock(key),
    listen: (channel, onMessage) => db.listen(channel, onMessage),
    notify: (channel, payload) => db.notify(channel, payload),
    close: () => Promise.resolve(),
  };
}

/** A registry of `migrations` (by `app.name`) whose database is `db`. */
function registryOf(migrations: Record<string, Migration>, db?: Database): Registry {
  const open: OpenDatabase = () => Promise.resolve(borrowed(db!));
  return {
    commands: [],
    checks: [],
    migrations: Object.keys(migrations).sort().map((key) => {
      const [app, name] = key.split(".");
      return {
        app,
        name,
        module: `apps/${app}/migrations/${name}.ts`,
        load: () => Promise.resolve({ default: migrations[key] }),
      };
    }),
    ...(db
      ? {
        database: {
          app: "db",
          module: "apps/db/database.ts",
          load: () => Promise.resolve({ default: open }),
        },
      }
      : {}),
  };
}

function graphOf(migrations: Record<string, Migration>): Promise<MigrationGraph> {
  return loadMigrationGraph(registryOf(migrations).migrations);
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in-process, colour off; a CommandError becomes its exit code and message. */
async function run(
  // deno-lint-ignore no-explicit-any
  command: Command<any>,
  args: string[],
  registry: Registry,
): Promise<Outcome> {
  const stdout = captureOutput();
  const stderr = captureOutput();
  try {
    await callCommand(command as Command<never>, args, { registry, stdout, stderr, env: {} });
    return { code: 0, stdout: stdout.text, stderr: stderr.text };
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    return { code: error.returncode, stdout: stdout.text, stderr: stderr.text + error.message };
  }
}

async function expectError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof CommandError, String(error));
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/, "one line");
    return true;
  });
}

const keys = (steps: { node: { key: string }; backwards: boolean }[]) =>
  steps.map((s) => `${s.backwards ? "-" : "+"}${s.node.key}`);

// ---- The graph, without a database ----

Deno.test("the graph orders migrations by number within an app and by dependencies across apps", async () => {
  const graph = await graphOf(BASE);
  assert.deepEqual(graph.apps(), ["billing", "shop"]);
  assert.deepEqual(graph.node("shop.0002_price").dependencies, ["shop.0001_initial"]);
  assert.deepEqual(graph.node("billing.0001_initial").dependencies, ["shop.0002_price"]);
  assert.deepEqual(keys(graph.plan({ kind: "all" }, [])), [
    "+shop.0001_initial",
    "+shop.0002_price",
    "+billing.0001_initial",
  ]);
  assert.deepEqual(keys(graph.plan({ kind: "app", app: "billing" }, ["shop.0001_initial"])), [
    "+shop.0002_price",
    "+billing.0001_initial",
  ]);
  assert.deepEqual(keys(graph.plan({ kind: "all" }, Object.keys(BASE))), []);
});

Deno.test("plans to a target, back to a target and to zero unapply dependents first", async () => {
  const graph = await graphOf({
    ...BASE,
    "shop.0003_stock": defineMigration({ operations: [runSQL("SELECT 1", "")] }),
  });
  const all = [...graph.nodes.keys()];
  assert.deepEqual(keys(graph.plan({ kind: "migration", app: "shop", name: "0001_initial" }, [])), [
    "+shop.0001_initial",
  ]);
  assert.deepEqual(
    keys(graph.plan({ kind: "migration", app: "shop", name: "0001_initial" }, all)),
    ["-shop.0003_stock", "-billing.0001_initial", "-shop.0002_price"],
  );
  assert.deepEqual(keys(graph.plan({ kind: "zero", app: "shop" }, all)), [
    "-shop.0003_stock",
    "-billing.0001_initial",
    "-shop.0002_price",
    "-shop.0001_initial",
  ]);
  assert.deepEqual(keys(graph.plan({ kind: "zero", app: "billing" }, all)), [
    "-billing.0001_initial",
  ]);
  assert.deepEqual(
    keys(graph.plan({ kind: "migration", app: "shop", name: "0003_stock" }, all)),
    [],
  );
  assert.equal(graph.find("shop", "0002").name, "0002_price");
  assert.throws(
    () => graph.find("shop", "00"),
    /More than one migration matches '00' in app 'shop'/,
  );
  assert.throws(
    () => graph.find("shop", "0009"),
    /^CommandError: Cannot find a migration matching '0009' from app 'shop'/,
  );
});

Deno.test("unknown, malformed and circular dependencies and duplicate numbers are errors naming the file", async () => {
  await expectError(
    graphOf({
      ...BASE,
      "billing.0002_tax": defineMigration({
        dependencies: [["tax", "0001_initial"]],
        operations: [],
      }),
    }),
    /^apps\/billing\/migrations\/0002_tax\.ts depends on tax\.0001_initial, which does not exist: /,
  );
  await expectError(
    graphOf({
      "shop.0001_initial": defineMigration({
        dependencies: ["billing.0001_initial" as never],
        operations: [],
      }),
    }),
    /^apps\/shop\/migrations\/0001_initial\.ts has a malformed dependency "billing.0001_initial": /,
  );
  await expectError(
    graphOf({
      ...BASE,
      "shop.0001_initial": defineMigration({
        dependencies: [["billing", "0001_initial"]],
        operations: [],
      }),
    }),
    /^Migrations depend on each other in a circle: .*billing\.0001_initial -> shop\.0002_price -> shop\.0001_initial -> billing\.0001_initial/,
  );
  await expectError(
    graphOf({ ...BASE, "shop.0002_other": defineMigration({ operations: [] }) }),
    /^apps\/shop\/migrations\/0002_other\.ts and apps\/shop\/migrations\/0002_price\.ts have the same number: /,
  );
  await expectError(
    loadMigrationGraph([{
      app: "shop",
      name: "0001_initial",
      module: "apps/shop/migrations/0001_initial.ts",
      load: () => Promise.resolve({ default: { operations: [] } }),
    }]),
    /^apps\/shop\/migrations\/0001_initial\.ts does not default-export a migration: /,
  );
});

Deno.test("a migration's checksum depends on its operations and atomic flag only", async () => {
  const sum = await migrationChecksum(SHOP_INITIAL);
  // Fixed, so that a change to how checksums are computed is seen before it flags every database.
  assert.equal(sum, "64f8bf342442613cbe57b618280221810addd5a1818a6acd95ecd00b44082d77");
  const same = defineMigration({
    dependencies: [["x", "0001_y"]],
    operations: [{
      reverse: "DROP TABLE shop_product",
      kind: "sql",
      sql: CREATE_PRODUCT,
    }],
  });
  assert.equal(await migrationChecksum(same), sum);
  assert.notEqual(
    await migrationChecksum(defineMigration({ ...SHOP_INITIAL, atomic: false })),
    sum,
  );
  assert.notEqual(
    await migrationChecksum(defineMigration({
      operations: [runSQL(CREATE_PRODUCT, "DROP TABLE shop_product CASCADE")],
    })),
    sum,
  );
});

Deno.test("the migration lock's key is a fixed constant, shared by every version of manage", () => {
  assert.equal(MIGRATION_LOCK_KEY, -8497361069521148315n);
});

Deno.test("sqlmigrate prints a migration's SQL, and its reverse with --backwards", async () => {
  const registry = registryOf({
    ...BASE,
    "shop.0003_index": defineMigration({
      atomic: false,
      operations: [
        runSQL("CREATE INDEX CONCURRENTLY shop_product_name ON shop_product (name);"),
      ],
    }),
    "shop.0004_two": defineMigration({
      operations: [
        runSQL("CREATE TABLE a (id int);\nCREATE TABLE b (id int)", "DROP TABLE b;\nDROP TABLE a"),
        runSQL("SELECT 1", ""),
      ],
    }),
    "shop.0005_empty": defineMigration({ operations: [] }),
  });
  assert.deepEqual(await run(sqlmigrateCommand, ["shop", "0001_initial"], registry), {
    code: 0,
    stdout: "BEGIN;\n--\n-- Raw SQL operation\n--\n" +
      "CREATE TABLE shop_product (id bigserial PRIMARY KEY, name text NOT NULL);\nCOMMIT;\n",
    stderr: "",
  });
  assert.deepEqual(await run(sqlmigrateCommand, ["shop", "0004", "--backwards"], registry), {
    code: 0,
    stdout: "BEGIN;\n--\n-- Raw SQL operation\n--\n-- (no-op)\n" +
      "--\n-- Raw SQL operation\n--\nDROP TABLE b;\nDROP TABLE a;\nCOMMIT;\n",
    stderr: "",
  });
  assert.deepEqual(await run(sqlmigrateCommand, ["shop", "0003"], registry), {
    code: 0,
    stdout: "--\n-- Raw SQL operation\n--\n" +
      "CREATE INDEX CONCURRENTLY shop_product_name ON shop_product (name);\n",
    stderr: "",
  });
  assert.deepEqual(await run(sqlmigrateCommand, ["shop", "0005"], registry), {
    code: 0,
    stdout: "",
    stderr: "No operations found.\n",
  });
  const irreversible = await run(sqlmigrateCommand, ["shop", "0003", "--backwards"], registry);
  assert.equal(irreversible.code, 1);
  assert.equal(
    irreversible.stderr,
    "Migration shop.0003_index is irreversible: its operation 1 has no reverse SQL " +
      "(apps/shop/migrations/0003_index.ts); give runSQL a reverse to unapply it",
  );
  assert.match(
    (await run(sqlmigrateCommand, ["shop", "0009"], registry)).stderr,
    /^Cannot find a migration matching '0009' from app 'shop'/,
  );
  assert.match(
    (await run(sqlmigrateCommand, ["nope", "0001"], registry)).stderr,
    /^No installed app with label 'nope' \(installed: billing, shop\)$/,
  );
});

// ---- The commands, on both drivers ----

const APPLY_ALL =
  "Operations to perform:\n  Apply all migrations: billing, shop\nRunning migrations:\n";

Deno.test("migrate, showmigrations and their options on both drivers", async (t) => {
  await forEachDatabase(t, async (database, t) => {
    const db = await database.open();
    try {
      const registry = registryOf(BASE, db);
      const migrate = (...args: string[]) => run(migrateCommand, args, registry);
      const show = (...args: string[]) => run(showmigrationsCommand, args, registry);

      await t.step("--check and --plan change nothing", async () => {
        const before = await snapshot(db);
        assert.deepEqual(await migrate("--check"), {
          code: 1,
          stdout: "",
          stderr:
            "3 unapplied migrations (shop.0001_initial, shop.0002_price, billing.0001_initial): run 'manage migrate'",
        });
        assert.deepEqual(await migrate("--plan"), {
          code: 0,
          stdout: "Planned operations:\n" +
            "shop.0001_initial\n    Raw SQL operation -> CREATE TABLE shop_product (id bigse…\n" +
            "shop.0002_price\n    Raw SQL operation -> ALTER TABLE shop_product ADD COLUMN…\n" +
            "billing.0001_initial\n    Raw SQL operation -> CREATE TABLE billing_invoice (id bi…\n",
          stderr: "",
        });
        assert.deepEqual(await snapshot(db), before);
        assert.deepEqual(before.records, []);
      });

      await t.step("migrate applies everything in dependency order", async () => {
        assert.deepEqual(await migrate(), {
          code: 0,
          stdout: APPLY_ALL +
            "  Applying shop.0001_initial... OK\n" +
            "  Applying shop.0002_price... OK\n" +
            "  Applying billing.0001_initial... OK\n",
          stderr: "",
        });
        assert.deepEqual(await tables(db), [
          "billing_invoice",
          "manage_migrations",
          "shop_product",
        ]);
        assert.deepEqual(await recorded(db), [
          "shop.0001_initial",
          "shop.0002_price",
          "billing.0001_initial",
        ]);
        const [row] = await db.query<{ checksum: string }>(
          "SELECT checksum FROM manage_migrations WHERE app = 'shop' AND name = '0001_initial'",
        );
        assert.equal(row.checksum, await migrationChecksum(SHOP_INITIAL));
      });

      await t.step("a second migrate has nothing to do", async () => {
        assert.deepEqual(await migrate(), {
          code: 0,
          stdout: APPLY_ALL + "  No migrations to apply.\n",
          stderr: "",
        });
        assert.deepEqual(await migrate("--check"), { code: 0, stdout: "", stderr: "" });
        assert.deepEqual(await migrate("--plan"), {
          code: 0,
          stdout: "Planned operations:\n  No planned migration operations.\n",
          stderr: "",
        });
      });

      await t.step("showmigrations lists, plans and prints JSON", async () => {
        await db.exec(
          "UPDATE manage_migrations SET applied_at = '2024-05-01 12:30:00+00' WHERE app = 'shop'",
        );
        await migrate("billing", "zero");
        assert.deepEqual(await show(), {
          code: 0,
          stdout: "billing\n [ ] 0001_initial\nshop\n [X] 0001_initial\n [X] 0002_price\n",
          stderr: "",
        });
        assert.deepEqual(await show("shop", "db", "-v", "2"), {
          code: 0,
          stdout: "shop\n [X] 0001_initial (applied at 2024-05-01 12:30:00)\n" +
            " [X] 0002_price (applied at 2024-05-01 12:30:00)\ndb\n (no migrations)\n",
          stderr: "",
        });
        assert.deepEqual(await show("--plan"), {
          code: 0,
          stdout: "[X]  shop.0001_initial\n[X]  shop.0002_price\n[ ]  billing.0001_initial\n",
          stderr: "",
        });
        const json = await show("--format", "json");
        assert.equal(json.code, 0);
        assert.deepEqual(JSON.parse(json.stdout), [
          { app: "billing", name: "0001_initial", applied: false, applied_at: null },
          {
            app: "shop",
            name: "0001_initial",
            applied: true,
            applied_at: "2024-05-01T12:30:00.000Z",
          },
          {
            app: "shop",
            name: "0002_price",
            applied: true,
            applied_at: "2024-05-01T12:30:00.000Z",
          },
        ]);
        assert.deepEqual(await show("nope"), {
          code: 2,
          stdout: "",
          stderr: "No installed app with label 'nope' (installed: billing, db, shop)",
        });
      });

      await t.step("zero, then migrate, round-trips", async () => {
        assert.deepEqual(await migrate("shop", "zero"), {
          code: 0,
          stdout: "Operations to perform:\n  Unapply all migrations: shop\nRunning migrations:\n" +
            "  Unapplying shop.0002_price... OK\n  Unapplying shop.0001_initial... OK\n",
          stderr: "",
        });
        assert.deepEqual(await tables(db), ["manage_migrations"]);
        assert.deepEqual(await recorded(db), []);
        assert.equal((await migrate()).code, 0);
        assert.deepEqual(await tables(db), [
          "billing_invoice",
          "manage_migrations",
          "shop_product",
        ]);
        assert.deepEqual(await recorded(db), [
          "shop.0001_initial",
          "shop.0002_price",
          "billing.0001_initial",
        ]);
      });

      await t.step(
        "partial targets apply up to, or back to, a migration",
        async () => {
          assert.deepEqual(await migrate("shop", "0001"), {
            code: 0,
            stdout:
              "Operations to perform:\n  Target specific migration: 0001_initial, from shop\n" +
              "Running migrations:\n" +
              "  Unapplying billing.0001_initial... OK\n  Unapplying shop.0002_price... OK\n",
            stderr: "",
          });
          assert.deepEqual(await tables(db), ["manage_migrations", "shop_product"]);
          assert.deepEqual(await migrate("shop"), {
            code: 0,
            stdout: "Operations to perform:\n  Apply all migrations: shop\nRunning migrations:\n" +
              "  Applying shop.0002_price... OK\n",
            stderr: "",
          });
          assert.equal((await migrate("billing", "0001_initial")).code, 0);
          assert.deepEqual(await recorded(db), [
            "shop.0001_initial",
            "shop.0002_price",
            "billing.0001_initial",
          ]);
        },
      );

      await t.step("unknown apps and migrations are errors", async () => {
        assert.deepEqual(await migrate("nope"), {
          code: 1,
          stdout: "",
          stderr: "No installed app with label 'nope' (installed: billing, db, shop)",
        });
        assert.deepEqual(await migrate("db"), {
          code: 1,
          stdout: "",
          stderr:
            "App 'db' does not have migrations: create one with 'manage makemigrations --empty db'",
        });
        assert.deepEqual(await migrate("shop", "0009"), {
          code: 1,
          stdout: "",
          stderr:
            "Cannot find a migration matching '0009' from app 'shop': 'manage showmigrations shop' lists them",
        });
      });

      await t.step("--fake records without running the SQL", async () => {
        await dropTables(db);
        assert.deepEqual(await migrate("shop", "--fake"), {
          code: 0,
          stdout: "Operations to perform:\n  Apply all migrations: shop\nRunning migrations:\n" +
            "  Applying shop.0001_initial... FAKED\n  Applying shop.0002_price... FAKED\n",
          stderr: "",
        });
        assert.deepEqual(await tables(db), ["manage_migrations"]);
        assert.deepEqual(await recorded(db), ["shop.0001_initial", "shop.0002_price"]);
        assert.equal((await migrate("shop", "zero", "--fake")).code, 0);
        assert.deepEqual(await recorded(db), []);
      });

      await t.step(
        "an edited applied migration is refused, naming its file",
        async () => {
          await dropTables(db);
          assert.equal((await migrate()).code, 0);
          const edited = registryOf({
            ...BASE,
            "shop.0002_price": defineMigration({
              operations: [runSQL("ALTER TABLE shop_product ADD COLUMN price numeric")],
            }),
            "shop.0003_more": defineMigration({
              operations: [runSQL("CREATE TABLE shop_more ()")],
            }),
          }, db);
          const message = "apps/shop/migrations/0002_price.ts was changed after it was applied " +
            "(checksum mismatch): undo the change and put it in a new migration";
          const before = await snapshot(db);
          for (const args of [[], ["--check"], ["--plan"], ["shop", "zero"]]) {
            assert.deepEqual(await run(migrateCommand, args, edited), {
              code: 1,
              stdout: "",
              stderr: message,
            }, args.join(" "));
          }
          assert.deepEqual(await snapshot(db), before);
        },
      );

      await t.step(
        "an irreversible unapply is refused before anything changes",
        async () => {
          await dropTables(db);
          const withIrreversible = registryOf({
            ...BASE,
            "shop.0003_fill": defineMigration({
              operations: [runSQL("INSERT INTO shop_product (name) VALUES ('x')")],
            }),
            "shop.0004_index": defineMigration({
              operations: [
                runSQL("CREATE INDEX shop_name ON shop_product (name)", "DROP INDEX shop_name"),
              ],
            }),
          }, db);
          assert.equal((await run(migrateCommand, [], withIrreversible)).code, 0);
          const before = await snapshot(db);
          const refused = await run(migrateCommand, ["shop", "0002"], withIrreversible);
          assert.equal(refused.code, 1);
          assert.equal(
            refused.stderr,
            "Migration shop.0003_fill is irreversible: its operation 1 has no reverse SQL " +
              "(apps/shop/migrations/0003_fill.ts); give runSQL a reverse to unapply it",
          );
          assert.doesNotMatch(refused.stdout, /Unapplying/);
          assert.deepEqual(await snapshot(db), before);
          const plan = await run(migrateCommand, ["shop", "0002", "--plan"], withIrreversible);
          assert.equal(
            plan.stdout,
            "Planned operations:\nshop.0004_index\n    Raw SQL operation -> DROP INDEX shop_name\n" +
              "shop.0003_fill\n    Raw SQL operation -> IRREVERSIBLE\n",
          );
        },
      );

      await t.step(
        "a failing migration is rolled back; earlier ones stay",
        async () => {
          await dropTables(db);
          const failing = registryOf({
            ...BASE,
            "shop.0003_bad": defineMigration({
              operations: [
                runSQL("CREATE TABLE shop_tmp (id int)", "DROP TABLE shop_tmp"),
                runSQL(
                  "INSERT INTO shop_product (name) VALUES ('kept?');\nINSERT INTO shop_nowhere VALUES (1)",
                  "",
                ),
              ],
            }),
          }, db);
          assert.equal((await migrate("shop", "0001")).code, 0);
          const result = await run(migrateCommand, [], failing);
          assert.equal(result.code, 1);
          assert.equal(
            result.stdout,
            APPLY_ALL +
              "  Applying shop.0002_price... OK\n  Applying billing.0001_initial... OK\n" +
              "  Applying shop.0003_bad... FAILED\n",
          );
          assert.match(
            result.stderr,
            /^Applying shop\.0003_bad failed and was rolled back: .*shop_nowhere.* \(apps\/shop\/migrations\/0003_bad\.ts\)$/,
          );
          assert.deepEqual(await tables(db), [
            "billing_invoice",
            "manage_migrations",
            "shop_product",
          ]);
          assert.deepEqual(await db.query("SELECT name FROM shop_product"), []);
          const before = await snapshot(db);
          assert.equal((await run(migrateCommand, [], failing)).code, 1);
          assert.deepEqual(await snapshot(db), before);
        },
      );

      await t.step(
        "a non-atomic migration runs outside a transaction",
        async () => {
          await dropTables(db);
          const registry = registryOf({
            "shop.0001_initial": SHOP_INITIAL,
            "shop.0002_index": defineMigration({
              atomic: false,
              operations: [
                runSQL(
                  "CREATE INDEX CONCURRENTLY shop_product_name ON shop_product (name)",
                  "DROP INDEX CONCURRENTLY shop_product_name",
                ),
              ],
            }),
          }, db);
          assert.equal((await run(migrateCommand, [], registry)).stderr, "");
          assert.deepEqual(await recorded(db), ["shop.0001_initial", "shop.0002_index"]);
          assert.equal((await run(migrateCommand, ["shop", "0001"], registry)).stderr, "");
          assert.deepEqual(await recorded(db), ["shop.0001_initial"]);
        },
      );

      if (database.kind === "postgres") {
        await t.step(
          "migrate waits for the lock, then gives up after --lock-timeout",
          async () => {
            await dropTables(db);
            const other = await database.open();
            try {
              assert.equal(await other.tryAdvisoryLock(MIGRATION_LOCK_KEY), true);
              const started = performance.now();
              const result = await migrate("--lock-timeout", "0.5");
              assert.ok(performance.now() - started >= 450);
              assert.equal(result.code, 1);
              assert.equal(
                result.stderr,
                "Waiting for the migration lock: another migrate is running on this database\n" +
                  "Could not take the migration lock within 0.5s: another migrate is running on " +
                  "this database; wait for it to finish or raise --lock-timeout",
              );
              assert.deepEqual(await tables(db), []);
              await other.advisoryUnlock(MIGRATION_LOCK_KEY);
              assert.equal((await migrate("--lock-timeout", "0.5")).code, 0);
            } finally {
              await other.close();
            }
          },
        );
      }
    } finally {
      await db.close();
    }
  });
});
