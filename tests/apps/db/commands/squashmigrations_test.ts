// squashmigrations and optimizemigration through the real cli.ts in a project copy: what they
// say and write, their refusals, and, on both databases, a squashed migration on a database that
// applied some of the originals, all of them (recorded later), and none.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { captureOutput, type Registry } from "../../../../mod.ts";
import { runIn } from "../../../../core/call_command.ts";
import squashmigrations from "../../../../apps/db/commands/squashmigrations.ts";
import { forEachDatabase } from "../../../_database.ts";
import { copyProject, ONLY_DB_APP, type Project } from "../../../_helpers.ts";

const FIELD = '{ type: "text", column: "COLUMN", null: true, unique: false, primaryKey: false }';

const MIGRATIONS: Record<string, string> = {
  "apps/shop/migrations/0001_initial.ts":
    `import { createModel, defineMigration } from "../../../mod.ts";

export default defineMigration({
  dependencies: [],
  operations: [
    createModel({
      app: "shop",
      name: "Product",
      table: "shop_product",
      fields: {
        id: { type: "bigserial", column: "id", null: false, unique: false, primaryKey: true },
      },
      indexes: [],
    }),
  ],
});
`,
  "apps/shop/migrations/0002_product_name.ts":
    `import { addField, defineMigration } from "../../../mod.ts";

export default defineMigration({
  dependencies: [],
  operations: [addField("shop.Product", "name", ${FIELD.replace("COLUMN", "name")})],
});
`,
  "apps/shop/migrations/0003_product_sku.ts":
    `import { addField, defineMigration, removeField } from "../../../mod.ts";

export default defineMigration({
  dependencies: [],
  operations: [
    addField("shop.Product", "sku", ${FIELD.replace("COLUMN", "sku")}),
    addField("shop.Product", "note", ${FIELD.replace("COLUMN", "note")}),
    removeField("shop.Product", "note", ${FIELD.replace("COLUMN", "note")}),
  ],
});
`,
};

const SQUASHED = "apps/shop/migrations/0001_squashed_0003_product_sku.ts";

const SQUASH_OUTPUT = "Will squash the following migrations:\n" +
  " - 0001_initial\n - 0002_product_name\n - 0003_product_sku\n" +
  "Optimizing...\n  Optimized from 5 operations to 1 operations.\n" +
  `Created new squashed migration ${SQUASHED}\n` +
  "  You should commit this migration but leave the old ones in place;\n" +
  "  the new migration will be used for new installs. Once you are sure\n" +
  "  all instances of the codebase have applied the migrations you squashed,\n" +
  "  you can delete them.\n";

async function shopProject(): Promise<Project> {
  return await copyProject(MIGRATIONS, { without: ONLY_DB_APP });
}

Deno.test("squashmigrations writes one optimized migration that replaces the originals", async (t) => {
  await using project = await shopProject();

  await t.step("the output, Django's, and the file", async () => {
    assert.deepEqual(await project.run(["squashmigrations", "shop", "0003", "--noinput"]), {
      code: 0,
      stdout: SQUASH_OUTPUT,
      stderr: "",
    });
    const source = await Deno.readTextFile(new URL(SQUASHED, project.root));
    assert.match(
      source,
      /replaces: \[\["shop", "0001_initial"\], \["shop", "0002_product_name"\], \["shop", "0003_product_sku"\]\],/,
    );
    assert.match(source, /createModel\(/);
    assert.doesNotMatch(source, /addField|removeField|note/);
    assert.match(source, /sku: \{/);
    // sqlmigrate prints the squashed migration's SQL, and still the originals'.
    const squashed = await project.run(["sqlmigrate", "shop", "0001_squashed"]);
    assert.equal(squashed.code, 0, squashed.stderr);
    assert.match(squashed.stdout, /CREATE TABLE "shop_product" \([^;]*"sku" text/);
    const original = await project.run(["sqlmigrate", "shop", "0002"]);
    assert.equal(original.code, 0, original.stderr);
    assert.match(original.stdout, /ADD COLUMN "name" text/);
  });

  await t.step("the file exists: a different name is needed", async () => {
    assert.deepEqual(await project.run(["squashmigrations", "shop", "0003", "--noinput"]), {
      code: 1,
      stdout: SQUASH_OUTPUT.split("Created")[0],
      stderr: "CommandError: Migration 0001_squashed_0003_product_sku already exists. " +
        "Use a different name.\n",
    });
  });

  await t.step("start and --squashed-name and --no-optimize", async () => {
    const result = await project.run([
      "squashmigrations",
      "shop",
      "0002",
      "0003",
      "--squashed-name",
      "tail",
      "--no-optimize",
      "--noinput",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(
      result.stdout.startsWith(
        "Will squash the following migrations:\n - 0002_product_name\n - 0003_product_sku\n" +
          "(Skipping optimization.)\n" +
          "Created new squashed migration apps/shop/migrations/0002_tail.ts\n",
      ),
      result.stdout,
    );
    const source = await Deno.readTextFile(
      new URL("apps/shop/migrations/0002_tail.ts", project.root),
    );
    assert.equal(source.match(/addField\(/g)?.length, 3);
    assert.match(source, /removeField\(/);
  });

  await t.step("refusals", async () => {
    const cases: [string[], string][] = [
      [["nope", "0001"], "No installed app with label 'nope'"],
      [
        ["shop", "0003", "0001"],
        "The migration 'shop.0003_product_sku' cannot be found. " +
        "Maybe it comes after the migration 'shop.0001_initial'?",
      ],
      [["shop", "0009"], "Cannot find a migration matching '0009' from app 'shop'"],
      [["shop", "0001", "--squashed-name", "Bad-Name"], "'Bad-Name' is not a valid migration name"],
    ];
    for (const [args, message] of cases) {
      const result = await project.run(["squashmigrations", ...args, "--noinput"]);
      assert.equal(result.code, 1, args.join(" "));
      assert.ok(result.stderr.startsWith(`CommandError: ${message}`), result.stderr);
    }
    const usage = await project.run(["squashmigrations", "shop"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /the following arguments are required: migration_name/);
  });
});

Deno.test("on a terminal squashmigrations asks first, and anything but yes stops it", async () => {
  await using project = await shopProject();
  const { registry } = await import(new URL("commands/_registry.ts", project.root).href) as {
    registry: Registry;
  };
  const stdout = captureOutput();
  await runIn(
    {
      registry,
      stdout,
      stderr: captureOutput(),
      env: { NO_COLOR: "1" },
      cwd: fileURLToPath(project.root),
      stdin: new Blob(["maybe\n\n"]).stream(),
      stdinIsTerminal: true,
    },
    squashmigrations,
    ["shop", "0002"],
    {},
  );
  assert.equal(
    stdout.text,
    "Will squash the following migrations:\n - 0001_initial\n - 0002_product_name\n" +
      "Do you wish to proceed? [y/N] Do you wish to proceed? [y/N] ",
  );
  await assert.rejects(
    () =>
      Deno.stat(new URL("apps/shop/migrations/0001_squashed_0002_product_name.ts", project.root)),
    Deno.errors.NotFound,
  );
});

Deno.test("optimizemigration rewrites a migration whose operations combine; --check only says so", async () => {
  await using project = await shopProject();
  const path = new URL("apps/shop/migrations/0003_product_sku.ts", project.root);
  const before = await Deno.readTextFile(path);
  assert.deepEqual(await project.run(["optimizemigration", "shop", "0003", "--check"]), {
    code: 1,
    stdout: "Optimizing from 3 operations to 1 operations.\n",
    stderr: "CommandError: Migration shop.0003_product_sku can be optimized: " +
      "run 'manage optimizemigration shop 0003_product_sku'\n",
  });
  assert.equal(await Deno.readTextFile(path), before);
  assert.deepEqual(await project.run(["optimizemigration", "shop", "0003"]), {
    code: 0,
    stdout: "Optimizing from 3 operations to 1 operations.\n" +
      "Optimized migration apps/shop/migrations/0003_product_sku.ts\n",
    stderr: "",
  });
  const after = await Deno.readTextFile(path);
  assert.equal(after.match(/addField\(/g)?.length, 1);
  assert.doesNotMatch(after, /note/);
  assert.deepEqual(await project.run(["optimizemigration", "shop", "0003"]), {
    code: 0,
    stdout: "No optimizations possible.\n",
    stderr: "",
  });
  const nope = await project.run(["optimizemigration", "nope", "0001"]);
  assert.equal(nope.code, 1);
  assert.match(nope.stderr, /^CommandError: No installed app with label 'nope'/);
});

Deno.test("a squashed migration on databases that applied some, all or none of the originals", async (t) => {
  await using project = await shopProject();
  await forEachDatabase(t, async (database, t) => {
    const env = { DATABASE_URL: database.url };
    const run = async (...args: string[]) => {
      const result = await project.run(args, { env });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
      return result.stdout;
    };
    const query = async (sql: string) => {
      const db = await database.open();
      try {
        return await db.query<Record<string, unknown>>(sql);
      } finally {
        await db.close();
      }
    };
    const recorded = async () =>
      (await query("SELECT name FROM manage_migrations WHERE app = 'shop' ORDER BY name"))
        .map((row) => row.name);
    const columns = async () =>
      (await query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'shop_product' " +
          "ORDER BY column_name",
      )).map((row) => row.column_name);
    const migrating = (...keys: string[]) =>
      keys.map((key) =>
        `  ${key.startsWith("-") ? "Unapplying" : "Applying"} shop.${key.replace(/^-/, "")}... OK\n`
      ).join("");
    const withSquashed = [
      "0001_initial",
      "0001_squashed_0003_product_sku",
      "0002_product_name",
      "0003_product_sku",
    ];
    const squashed = "0001_squashed_0003_product_sku";

    await t.step("some applied: the originals stay, and migrate goes on with them", async () => {
      // A fresh copy's state: the originals only.
      await Deno.remove(new URL(SQUASHED, project.root)).catch(() => {});
      assert.equal((await project.buildRegistry()).code, 0);
      await run("migrate", "shop", "0001");
      await run("squashmigrations", "shop", "0003", "--noinput");
      assert.equal(
        await run("showmigrations", "shop"),
        "shop\n [X] 0001_initial\n [ ] 0002_product_name\n [ ] 0003_product_sku\n",
      );
      assert.ok(
        (await run("migrate", "shop")).endsWith(
          migrating("0002_product_name", "0003_product_sku"),
        ),
      );
      assert.deepEqual(await recorded(), withSquashed);
      assert.equal(
        await run("showmigrations", "shop"),
        `shop\n [X] ${squashed} (3 squashed migrations)\n`,
      );
      assert.deepEqual(await columns(), ["id", "name", "sku"]);
    });

    await t.step(
      "all applied: the squashed one counts as applied, migrate records it",
      async () => {
        await query(`DELETE FROM manage_migrations WHERE name = '${squashed}'`);
        assert.equal(
          await run("showmigrations", "shop"),
          `shop\n [-] ${squashed} (3 squashed migrations) Run 'manage migrate' to finish recording.\n`,
        );
        assert.ok((await run("migrate", "shop")).endsWith("  No migrations to apply.\n"));
        assert.deepEqual(await recorded(), withSquashed);
        assert.equal(
          await run("migrate", "--check"),
          "",
          "nothing is left to apply",
        );
      },
    );

    await t.step("unapplied: the squashed one unrecords its originals too", async () => {
      assert.ok((await run("migrate", "shop", "zero")).endsWith(migrating(`-${squashed}`)));
      assert.deepEqual(await recorded(), []);
      assert.deepEqual(await columns(), []);
    });

    await t.step("none applied: the squashed one is applied instead of the originals", async () => {
      assert.ok((await run("migrate", "shop")).endsWith(migrating(squashed)));
      assert.deepEqual(await recorded(), withSquashed);
      assert.deepEqual(await columns(), ["id", "name", "sku"]);
      assert.equal(
        await run("showmigrations", "shop"),
        `shop\n [X] ${squashed} (3 squashed migrations)\n`,
      );
    });
  }, { root: project.root });
});
