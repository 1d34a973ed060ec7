// makemigrations without a database: what it says and writes through the real cli.ts in project
// copies (--check for CI, --dry-run, refusals), and its rename question, answered in-process on a
// standard input that is a terminal.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { captureOutput } from "../../../../mod.ts";
import type { Registry } from "../../../../mod.ts";
import { runIn } from "../../../../core/call_command.ts";
import makemigrations from "../../../../apps/db/commands/makemigrations.ts";
import { copyProject, type Project, sampleProject } from "../../../_helpers.ts";

const PRODUCT = `import { defineModel, field } from "../../mod.ts";

export const Product = defineModel("shop.Product", {
  name: field.varchar(100),
});
`;

function migrationFiles(project: Project, app = "shop"): string[] {
  try {
    return [...Deno.readDirSync(new URL(`apps/${app}/migrations/`, project.root))]
      .map((entry) => entry.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

async function writeModels(project: Project, text: string, app = "shop"): Promise<void> {
  await Deno.mkdir(new URL(`apps/${app}/`, project.root), { recursive: true });
  await Deno.writeTextFile(new URL(`apps/${app}/models.ts`, project.root), text);
}

Deno.test("makemigrations --check fails while models have changes without migrations, and passes after", async (t) => {
  await using project = await sampleProject({ "apps/shop/models.ts": PRODUCT });
  const make = (...args: string[]) => project.run(["makemigrations", "shop", ...args]);
  const initial = "Migrations for 'shop':\n  apps/shop/migrations/0001_initial.ts\n" +
    "    - Create model Product\n";

  await t.step("--check: the summary, exit code 1, nothing written", async () => {
    assert.deepEqual(await make("--check"), {
      code: 1,
      stdout: initial,
      stderr: "CommandError: Models in app(s) 'shop' have changes that are not in a migration: " +
        "run 'manage makemigrations' and commit the migrations\n",
    });
    assert.deepEqual(migrationFiles(project), []);
  });

  await t.step("--dry-run: the summary, the file with -v 3, nothing written", async () => {
    assert.deepEqual(await make("--dry-run"), { code: 0, stdout: initial, stderr: "" });
    const verbose = await make("--dry-run", "-v", "3");
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.ok(
      verbose.stdout.startsWith(
        `${initial}Full migrations file '0001_initial.ts':\n` +
          'import { createModel, defineMigration } from "../../../mod.ts";\n',
      ),
      verbose.stdout,
    );
    assert.deepEqual(migrationFiles(project), []);
  });

  await t.step("after makemigrations, --check passes", async () => {
    assert.deepEqual(await make(), { code: 0, stdout: initial, stderr: "" });
    assert.deepEqual(migrationFiles(project), ["0001_initial.ts"]);
    assert.deepEqual(await make("--check"), {
      code: 0,
      stdout: "No changes detected in app 'shop'\n",
      stderr: "",
    });
  });

  await t.step("a changed model fails --check again; --name names its migration", async () => {
    await writeModels(project, PRODUCT.replace("field.varchar(100)", "field.varchar(150)"));
    const check = await make("--check");
    assert.equal(check.code, 1);
    assert.equal(
      check.stdout,
      "Migrations for 'shop':\n  apps/shop/migrations/0002_alter_product_name.ts\n" +
        "    - Alter field name on product\n",
    );
    assert.deepEqual(await make("--name", "longer_name"), {
      code: 0,
      stdout: "Migrations for 'shop':\n  apps/shop/migrations/0002_longer_name.ts\n" +
        "    - Alter field name on product\n",
      stderr: "",
    });
    assert.equal((await make("--check")).code, 0);
    assert.match(
      await Deno.readTextFile(new URL("commands/_registry.ts", project.root)),
      /"apps\/shop\/migrations\/0002_longer_name\.ts"/,
    );
  });

  await t.step("No changes detected, for every app or the named ones", async () => {
    assert.deepEqual(
      await project.run(["makemigrations", "shop", "sample"]).then((r) => r.code),
      0,
    );
    assert.deepEqual(await project.run(["makemigrations"]), {
      code: 0,
      stdout: "No changes detected\n",
      stderr: "",
    });
    assert.deepEqual(await project.run(["makemigrations", "shop", "sample"]), {
      code: 0,
      stdout: "No changes detected in apps 'shop', 'sample'\n",
      stderr: "",
    });
  });
});

Deno.test("makemigrations refuses what it cannot do, writing nothing", async () => {
  await using project = await copyProject({ "apps/shop/models.ts": PRODUCT });
  assert.equal((await project.run(["makemigrations", "shop"])).code, 0);
  const refusals: [string, string[], string][] = [
    [
      PRODUCT.replace("name:", "stock: field.integer(),\n  name:"),
      [],
      "It is impossible to add a non-nullable field 'stock' to product without specifying a " +
      "default (the existing rows need a value): give it a default or null: true in " +
      "apps/shop/models.ts",
    ],
    [
      PRODUCT,
      ["nope"],
      "No installed app with label 'nope': create it with 'manage startapp nope'",
    ],
    [
      `${PRODUCT}\nexport const Thing = defineModel("crm.Thing", { name: field.text() });\n`,
      [],
      "apps/shop/models.ts exports model crm.Thing, which apps/crm/models.ts does not: define " +
      "and export it in apps/crm/models.ts, or give it a label of app 'shop'",
    ],
    [
      PRODUCT,
      ["--rename", "shop.Product.name"],
      "--rename shop.Product.name: write app.Model.old:new for a field or app.Old:New for a model",
    ],
    [
      PRODUCT.replace("name:", "title:"),
      ["--rename", "shop.Product.label:title"],
      "--rename shop.Product.label:title: shop.Product has no field label in its migrations",
    ],
  ];
  for (const [models, args, message] of refusals) {
    await writeModels(project, models);
    assert.deepEqual(await project.run(["makemigrations", "shop", ...args]), {
      code: 1,
      stdout: "",
      stderr: `CommandError: ${message}\n`,
    }, message);
    assert.deepEqual(migrationFiles(project), ["0001_initial.ts"]);
  }
});

Deno.test("a rename is asked about when standard input is a terminal, else not", async (t) => {
  await using project = await copyProject({ "apps/shop/models.ts": PRODUCT });
  assert.equal((await project.run(["makemigrations", "shop"])).code, 0);
  await writeModels(project, PRODUCT.replace("name:", "title:"));

  await t.step("without a terminal: no question; a removal and an addition", async () => {
    await writeModels(
      project,
      PRODUCT.replace("name: field.varchar(100)", "title: field.varchar(100, { null: true })"),
    );
    assert.deepEqual(await project.run(["makemigrations", "shop", "--dry-run"]), {
      code: 0,
      stdout: "Migrations for 'shop':\n" +
        "  apps/shop/migrations/0002_product_title_remove_product_name.ts\n" +
        "    - Add field title to product\n    - Remove field name from product\n",
      stderr: "",
    });
  });

  await t.step("on a terminal: the question, and the answer decides", async () => {
    await writeModels(project, PRODUCT.replace("name:", "title:"));
    const { registry } = await import(new URL("commands/_registry.ts", project.root).href) as {
      registry: Registry;
    };
    const run = async (answer: string, args: string[]) => {
      const stdout = captureOutput();
      const stderr = captureOutput();
      await runIn(
        {
          registry,
          stdout,
          stderr,
          env: { NO_COLOR: "1" },
          cwd: fileURLToPath(project.root),
          stdin: new Blob([answer]).stream(),
          stdinIsTerminal: true,
        },
        makemigrations,
        args,
        {},
      );
      return stdout.text;
    };
    const question = "Was product.name renamed to product.title (a CharField)? [y/N] ";
    // --noinput asks nothing: a required field cannot be added.
    await assert.rejects(
      () => run("y\n", ["shop", "--noinput", "--dry-run"]),
      /impossible to add a non-nullable field 'title'/,
    );
    // An unclear answer is asked again; "n" refuses, and a required field cannot be added.
    await assert.rejects(
      () => run("maybe\nn\n", ["shop", "--dry-run"]),
      /impossible to add a non-nullable field 'title'/,
    );
    assert.equal(
      await run("yes\n", ["shop"]),
      `${question}Migrations for 'shop':\n` +
        "  apps/shop/migrations/0002_rename_name_product_title.ts\n" +
        "    - Rename field name on product to title\n",
    );
    assert.deepEqual(migrationFiles(project), [
      "0001_initial.ts",
      "0002_rename_name_product_title.ts",
    ]);
  });
});

Deno.test("the registry refuses a models.ts that exports no model, naming it", async () => {
  await using project = await copyProject();
  await writeModels(project, "export const notAModel = 1;\n", "empty");
  const result = await project.buildRegistry();
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    "error: apps/empty/models.ts exports no model: export each model, as in " +
      `'export const MyModel = defineModel("empty.MyModel", {...})'\n`,
  );
});

Deno.test("sqlmigrate prints the SQL of schema operations, and of their reverse", async () => {
  await using project = await copyProject({
    "apps/shop/models.ts": `import { defineModel, field } from "../../mod.ts";

export const Category = defineModel("shop.Category", {
  name: field.varchar(50, { unique: true }),
});

export const Product = defineModel("shop.Product", {
  name: field.varchar(100, { default: "it's new" }),
  price: field.numeric(10, 2, { null: true }),
  category: field.foreignKey(Category, { onDelete: "set null", null: true }),
  code: field.uuid({ default: "gen_random_uuid()" }),
}, { indexes: [{ fields: ["name", "price"], unique: true }] });
`,
  });
  assert.equal((await project.run(["makemigrations", "shop"])).code, 0);
  await writeModels(
    project,
    (await Deno.readTextFile(new URL("apps/shop/models.ts", project.root)))
      .replace("field.numeric(10, 2, { null: true })", "field.numeric(12, 2, { default: 0 })")
      .replace('onDelete: "set null", null: true', 'onDelete: "cascade", null: true, unique: true'),
  );
  assert.equal((await project.run(["makemigrations", "shop"])).code, 0);
  const sqlmigrate = (...args: string[]) => project.run(["sqlmigrate", "shop", ...args]);
  assert.deepEqual(await sqlmigrate("0001"), {
    code: 0,
    stdout: `BEGIN;
--
-- Create model Category
--
CREATE TABLE "shop_category" (
  "id" bigserial CONSTRAINT "shop_category_pkey" PRIMARY KEY,
  "name" varchar(50) NOT NULL CONSTRAINT "shop_category_name_key" UNIQUE
);
--
-- Create model Product
--
CREATE TABLE "shop_product" (
  "id" bigserial CONSTRAINT "shop_product_pkey" PRIMARY KEY,
  "name" varchar(100) NOT NULL DEFAULT 'it''s new',
  "price" numeric(10, 2),
  "category_id" bigint CONSTRAINT "shop_product_category_id_fkey" REFERENCES "shop_category" ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  "code" uuid NOT NULL DEFAULT gen_random_uuid()
);
CREATE INDEX "shop_product_category_id_fkey_idx" ON "shop_product" ("category_id");
CREATE UNIQUE INDEX "shop_product_name_price_uniq" ON "shop_product" ("name", "price");
COMMIT;
`,
    stderr: "",
  });
  assert.deepEqual(await sqlmigrate("0002"), {
    code: 0,
    stdout: `BEGIN;
--
-- Alter field price on product
--
ALTER TABLE "shop_product" ALTER COLUMN "price" TYPE numeric(12, 2) USING "price"::numeric(12, 2);
ALTER TABLE "shop_product" ALTER COLUMN "price" SET DEFAULT 0;
UPDATE "shop_product" SET "price" = 0 WHERE "price" IS NULL;
ALTER TABLE "shop_product" ALTER COLUMN "price" SET NOT NULL;
--
-- Alter field category on product
--
ALTER TABLE "shop_product" DROP CONSTRAINT "shop_product_category_id_fkey";
DROP INDEX "shop_product_category_id_fkey_idx";
ALTER TABLE "shop_product" ADD CONSTRAINT "shop_product_category_id_key" UNIQUE ("category_id");
ALTER TABLE "shop_product" ADD CONSTRAINT "shop_product_category_id_fkey" FOREIGN KEY ("category_id") REFERENCES "shop_category" ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
COMMIT;
`,
    stderr: "",
  });
  assert.deepEqual(await sqlmigrate("0002", "--backwards"), {
    code: 0,
    stdout: `BEGIN;
--
-- Alter field category on product
--
ALTER TABLE "shop_product" DROP CONSTRAINT "shop_product_category_id_fkey";
ALTER TABLE "shop_product" DROP CONSTRAINT "shop_product_category_id_key";
ALTER TABLE "shop_product" ADD CONSTRAINT "shop_product_category_id_fkey" FOREIGN KEY ("category_id") REFERENCES "shop_category" ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "shop_product_category_id_fkey_idx" ON "shop_product" ("category_id");
--
-- Alter field price on product
--
ALTER TABLE "shop_product" ALTER COLUMN "price" DROP DEFAULT;
ALTER TABLE "shop_product" ALTER COLUMN "price" TYPE numeric(10, 2) USING "price"::numeric(10, 2);
ALTER TABLE "shop_product" ALTER COLUMN "price" DROP NOT NULL;
COMMIT;
`,
    stderr: "",
  });
});
