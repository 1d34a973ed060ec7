// makemigrations and migrate through the real cli.ts, on both drivers: a project copy's models
// change one step at a time (each schema operation alone, then several at once); after each step
// the generated migration is applied and the database's schema, read from the catalogs, must be
// what the models say; then `migrate shop <previous>` must give back the schema before, down to
// `zero`.

import assert from "node:assert/strict";
import type { Queryable } from "../../../../core/database.ts";
import type { FieldState, ModelState } from "../../../../apps/db/orm/mod.ts";
import { forEachDatabase } from "../../../_database.ts";
import { copyProject, type Project } from "../../../_helpers.ts";

// ---- The schema, read from the database and derived from the models ----

interface Schema {
  columns: string[];
  constraints: string[];
  indexes: string[];
  sequences: string[];
}

const ON_DELETE: Record<string, string> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
};

/** The schema of the database's current schema, but manage_migrations, as sorted lines. */
async function readSchema(db: Queryable): Promise<Schema> {
  const columns = await db.query<Record<string, string | number | null>>(
    `SELECT table_name AS t, column_name AS c, data_type AS type,
            character_maximum_length AS len, numeric_precision AS p, numeric_scale AS s,
            is_nullable AS nullable, column_default AS dflt
     FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name <> 'manage_migrations'`,
  );
  const lines: string[] = [];
  for (const col of columns) {
    let type = String(col.type);
    if (type === "character varying") type = `varchar(${col.len})`;
    if (type === "numeric" && col.p !== null) type = `numeric(${col.p}, ${col.s})`;
    let dflt = col.dflt === null ? "" : String(col.dflt);
    if (dflt.startsWith("nextval(")) dflt = "serial";
    else if (dflt !== "" && dflt !== "now()" && dflt !== "gen_random_uuid()") {
      // A constant: compared by its value, as the database prints it.
      const [row] = await db.query<{ v: string }>(`SELECT (${dflt})::text AS v`);
      dflt = `=${type === "jsonb" ? JSON.stringify(JSON.parse(row.v)) : row.v}`;
    }
    lines.push(
      `${col.t}.${col.c} ${type}${col.nullable === "YES" ? " null" : ""}${
        dflt ? ` default ${dflt}` : ""
      }`,
    );
  }
  const constraints = await db.query<Record<string, string | boolean | null>>(
    `SELECT con.conname AS name, con.contype AS kind, rel.relname AS t, frel.relname AS ref,
            con.confdeltype AS del, con.condeferrable AS deferrable, con.condeferred AS deferred,
            (SELECT string_agg(att.attname, ',' ORDER BY k.ord)
             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = k.attnum) AS cols
     FROM pg_constraint con
     JOIN pg_class rel ON rel.oid = con.conrelid
     JOIN pg_namespace n ON n.oid = rel.relnamespace
     LEFT JOIN pg_class frel ON frel.oid = con.confrelid
     WHERE n.nspname = current_schema() AND rel.relname <> 'manage_migrations'
       AND con.contype IN ('p', 'u', 'f')`,
  );
  const indexes = await db.query<Record<string, string | boolean>>(
    `SELECT i.relname AS name, t.relname AS t, ix.indisunique AS uniq,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
             FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols
     FROM pg_index ix
     JOIN pg_class i ON i.oid = ix.indexrelid
     JOIN pg_class t ON t.oid = ix.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = current_schema() AND t.relname <> 'manage_migrations'
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)`,
  );
  const sequences = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'S' AND n.nspname = current_schema()
       AND c.relname NOT LIKE 'manage_migrations%'`,
  );
  return {
    columns: lines.sort(),
    constraints: constraints.map((c) =>
      c.kind === "f"
        ? `${c.t} ${c.name} foreign key (${c.cols}) -> ${c.ref} on delete ${
          ON_DELETE[String(c.del)]
        }${c.deferrable ? " deferrable" : ""}${c.deferred ? " initially deferred" : ""}`
        : `${c.t} ${c.name} ${c.kind === "p" ? "primary key" : "unique"} (${c.cols})`
    ).sort(),
    indexes: indexes.map((i) => `${i.t} ${i.name}${i.uniq ? " unique" : ""} (${i.cols})`).sort(),
    sequences: sequences.map((s) => s.name).sort(),
  };
}

function expectedType(field: FieldState): string {
  switch (field.type) {
    case "bigserial":
      return "bigint";
    case "varchar":
      return `varchar(${field.maxLength})`;
    case "numeric":
      return `numeric(${field.precision}, ${field.scale})`;
    case "timestamptz":
      return "timestamp with time zone";
    default:
      return field.type;
  }
}

function expectedDefault(field: FieldState): string {
  if (field.type === "bigserial") return " default serial";
  const dflt = field.default;
  if (!dflt) return "";
  if ("sql" in dflt) return ` default ${dflt.sql}`;
  const value = field.type === "jsonb" ? JSON.stringify(dflt.value) : String(dflt.value);
  return ` default =${value}`;
}

/** The schema the models say the database has, in the lines {@linkcode readSchema} gives. */
function schemaOf(models: readonly ModelState[]): Schema {
  const schema: Schema = { columns: [], constraints: [], indexes: [], sequences: [] };
  for (const model of models) {
    const t = model.table;
    for (const field of Object.values(model.fields)) {
      const c = field.column;
      schema.columns.push(
        `${t}.${c} ${expectedType(field)}${field.null ? " null" : ""}${expectedDefault(field)}`,
      );
      if (field.primaryKey) schema.constraints.push(`${t} ${t}_pkey primary key (${c})`);
      if (field.type === "bigserial") schema.sequences.push(`${t}_${c}_seq`);
      if (field.unique && !field.primaryKey) {
        schema.constraints.push(`${t} ${t}_${c}_key unique (${c})`);
      }
      const ref = field.references;
      if (ref) {
        schema.constraints.push(
          `${t} ${t}_${c}_fkey foreign key (${c}) -> ${ref.table} on delete ${ref.onDelete} deferrable initially deferred`,
        );
        if (!field.unique) schema.indexes.push(`${t} ${t}_${c}_fkey_idx (${c})`);
      }
    }
    for (const index of model.indexes) {
      const cols = index.fields.map((f) => model.fields[f].column).join(",");
      schema.indexes.push(`${t} ${index.name}${index.unique ? " unique" : ""} (${cols})`);
    }
  }
  schema.columns.sort();
  schema.constraints.sort();
  schema.indexes.sort();
  schema.sequences.sort();
  return schema;
}

// ---- The steps: models.ts versions and what makemigrations says of each ----

function modelsFile(body: string): string {
  return `import { defineModel, field } from "../../mod.ts";\n\n${body.trim()}\n`;
}

const CATEGORY = `
export const Category = defineModel("shop.Category", {
  name: field.varchar(50, { unique: true }),
});`;

/** Product as first created; the steps edit its text. */
const PRODUCT = `
export const Product = defineModel("shop.Product", {
  name: field.varchar(100),
  sku: field.varchar(20),
  price: field.numeric(10, 2, { default: "0.00" }),
  category: field.foreignKey(Category, { onDelete: "cascade", null: true }),
  createdAt: field.timestamptz({ default: "now()" }),
}, { indexes: [{ fields: ["name"], name: "shop_product_name_idx" }] });`;

interface Step {
  /** What the step does (its t.step name). */
  title: string;
  /** The models.ts after it. */
  models: string;
  /** makemigrations' extra arguments (--rename). */
  args?: string[];
  /** The migration it writes, and the descriptions of its operations. */
  file: string;
  operations: string[];
}

function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `the fixture has no ${from}`);
  return text.replace(from, to);
}

function steps(): Step[] {
  const list: Step[] = [];
  let product = PRODUCT;
  let extra = "";
  const add = (step: Omit<Step, "models">) =>
    list.push({ ...step, models: modelsFile(`${CATEGORY}\n${product}\n${extra}`) });

  add({
    title: "createModel (with unique, foreign key, defaults and an index)",
    file: "0001_initial",
    operations: ["Create model Category", "Create model Product"],
  });
  product = edit(product, "createdAt:", "stock: field.integer({ default: 0 }),\n  createdAt:");
  add({
    title: "addField with a default, to a table with rows",
    file: "0002_product_stock",
    operations: ["Add field stock to product"],
  });
  product = edit(product, "name: field.varchar(100),", "name: field.varchar(200, { null: true }),");
  add({
    title: "alterField: longer and nullable",
    file: "0003_alter_product_name",
    operations: ["Alter field name on product"],
  });
  product = edit(product, "  sku: field.varchar(20),\n", "");
  add({
    title: "removeField of a required column (unapplying refills it)",
    file: "0004_remove_product_sku",
    operations: ["Remove field sku from product"],
  });
  product = edit(product, "name: field.varchar(200", "title: field.varchar(200");
  product = edit(product, 'fields: ["name"]', 'fields: ["title"]');
  add({
    title: "renameField, told with --rename",
    args: ["--rename", "shop.Product.name:title"],
    file: "0005_rename_name_product_title",
    operations: ["Rename field name on product to title"],
  });
  product = edit(product, "indexes: [", 'indexes: [{ fields: ["category", "createdAt"] }, ');
  add({
    title: "addIndex on two fields",
    file: "0006_product_shop_product_category_id_created_at_idx",
    operations: [
      "Create index shop_product_category_id_created_at_idx on field(s) category, createdAt of model product",
    ],
  });
  product = edit(product, '{ fields: ["category", "createdAt"] }, ', "");
  add({
    title: "removeIndex",
    file: "0007_remove_product_shop_product_category_id_created_at_idx",
    operations: ["Remove index shop_product_category_id_created_at_idx from product"],
  });
  extra = `
export const Tag = defineModel("shop.Tag", {
  label: field.varchar(30, { default: "new" }),
  product: field.foreignKey(Product, { onDelete: "set null", null: true, unique: true }),
  data: field.jsonb({ default: { a: [1, "it's"] } }),
}, { indexes: [{ fields: ["label", "product"], unique: true }] });`;
  add({
    title: "createModel of a model pointing at another",
    file: "0008_tag",
    operations: ["Create model Tag"],
  });
  extra = edit(extra, "Tag = ", "Label = ");
  extra = edit(extra, '"shop.Tag"', '"shop.Label"');
  extra = edit(
    extra,
    "indexes: [{ fields",
    'indexes: [{ name: "shop_tag_label_product_id_uniq", fields',
  );
  add({
    title: "renameModel, told with --rename",
    args: ["--rename", "shop.Tag:Label"],
    file: "0009_rename_tag_label",
    operations: ["Rename model Tag to Label"],
  });
  extra = "";
  add({
    title: "deleteModel",
    file: "0010_delete_label",
    operations: ["Delete model Label"],
  });
  product = edit(
    product,
    'field.foreignKey(Category, { onDelete: "cascade", null: true })',
    'field.foreignKey(Category, { onDelete: "restrict", unique: true, null: true })',
  );
  product = edit(product, 'field.numeric(10, 2, { default: "0.00" })', "field.numeric(12, 3)");
  add({
    title: "alterField of a foreign key and of a default and type",
    file: "0011_alter_product_price_alter_product_category",
    operations: ["Alter field price on product", "Alter field category on product"],
  });
  product = edit(product, "  stock: field.integer({ default: 0 }),\n", "");
  product = edit(product, "title: field.varchar(200, { null: true })", "title: field.text()");
  product = edit(
    product,
    "createdAt:",
    'code: field.uuid({ default: "gen_random_uuid()", unique: true }),\n  active: field.boolean({ default: true }),\n  createdAt:',
  );
  extra = `
export const Review = defineModel("shop.Review", {
  product: field.foreignKey(Product, { onDelete: "cascade" }),
  stars: field.integer(),
  reviewedOn: field.date({ null: true }),
  votes: field.bigint({ default: 0 }),
}, { indexes: [{ fields: ["stars"] }] });`;
  add({
    title: "several operations at once",
    file: "0012_review_product_code_product_active_and_more",
    operations: [
      "Create model Review",
      "Add field code to product",
      "Add field active to product",
      "Alter field title on product",
      "Remove field stock from product",
    ],
  });
  return list;
}

/** The models of a models.ts text, imported from a file of its own in the project copy. */
async function statesOf(project: Project, models: string, n: number): Promise<ModelState[]> {
  const url = new URL(`apps/shop/_expected_${n}.ts`, project.root);
  await Deno.writeTextFile(url, models);
  const module: Record<string, { state?: ModelState }> = await import(url.href);
  await Deno.remove(url);
  return Object.values(module).flatMap((value) => value.state ? [value.state] : []);
}

Deno.test("each schema operation, alone and together, round-trips through makemigrations and migrate", async (t) => {
  const all = steps();
  await using project = await copyProject({ "apps/shop/models.ts": all[0].models });
  const expected: Schema[] = [{ columns: [], constraints: [], indexes: [], sequences: [] }];

  const generated = await t.step("makemigrations writes one migration per step", async () => {
    for (const [n, step] of all.entries()) {
      await Deno.writeTextFile(new URL("apps/shop/models.ts", project.root), step.models);
      const result = await project.run(["makemigrations", "shop", ...(step.args ?? [])]);
      assert.deepEqual(result, {
        code: 0,
        stdout: `Migrations for 'shop':\n  apps/shop/migrations/${step.file}.ts\n` +
          step.operations.map((line) => `    - ${line}\n`).join(""),
        stderr: "",
      }, step.title);
      assert.deepEqual(await project.run(["makemigrations", "shop", "--check"]), {
        code: 0,
        stdout: "No changes detected in app 'shop'\n",
        stderr: "",
      }, `${step.title}: nothing left to detect`);
      expected.push(schemaOf(await statesOf(project, step.models, n)));
    }
  });

  await t.step("the migrations are formatted as deno fmt formats them", async () => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--check", "apps/shop/migrations/"],
      cwd: project.root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
  });

  if (!generated) return;
  await forEachDatabase(t, async (database, t) => {
    const migrate = async (...args: string[]) => {
      const result = await project.run(["migrate", ...args], {
        env: { DATABASE_URL: database.url },
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
    };
    const check = async (n: number, message: string) => {
      const db = await database.open();
      try {
        assert.deepEqual(await readSchema(db), expected[n], message);
      } finally {
        await db.close();
      }
    };
    for (const [index, step] of all.entries()) {
      const ok = await t.step(`${step.file}: ${step.title}`, async () => {
        // Applies this step (and the one before, which the step before unapplied).
        await migrate("shop", step.file);
        await check(index + 1, "the schema after applying it is the models'");
        if (index === 0) {
          // Rows, so that the later steps change tables that have some; the first step is
          // unapplied by the last.
          const db = await database.open();
          try {
            await db.exec(
              "INSERT INTO shop_category (name) VALUES ('tools');" +
                "INSERT INTO shop_product (name, sku, category_id) " +
                "VALUES ('hammer', 'H1', 1), ('saw', 'S1', NULL)",
            );
          } finally {
            await db.close();
          }
          return;
        }
        const previous = all[index - 1].file;
        await migrate("shop", previous);
        await check(index, `migrate shop ${previous} gives the schema before back`);
      });
      if (!ok) return;
    }
    await t.step("migrate shop zero undoes them all, with rows in the tables", async () => {
      await migrate("shop", "zero");
      await check(0, "no table is left");
    });
  }, { root: project.root });
});

const CRM = `import { defineModel, field } from "../../mod.ts";

export const Customer = defineModel("crm.Customer", { name: field.text() });
`;

const ORDERS = `import { defineModel, field } from "../../mod.ts";
import { Customer } from "../crm/models.ts";

export const Order = defineModel("shop.Order", {
  customer: field.foreignKey(Customer, { onDelete: "restrict" }),
});
`;

Deno.test("a foreign key to another app's model depends on that app's migration", async (t) => {
  await using project = await copyProject({
    "apps/crm/models.ts": CRM,
    "apps/shop/models.ts": ORDERS,
  });
  const read = (path: string) => Deno.readTextFile(new URL(path, project.root));
  const make = (...args: string[]) => project.run(["makemigrations", ...args]);

  await t.step("the first migrations: shop's depends on crm's", async () => {
    assert.deepEqual(await make("crm", "shop"), {
      code: 0,
      stdout: "Migrations for 'crm':\n  apps/crm/migrations/0001_initial.ts\n" +
        "    - Create model Customer\n" +
        "Migrations for 'shop':\n  apps/shop/migrations/0001_initial.ts\n" +
        "    - Create model Order\n",
      stderr: "",
    });
    assert.match(
      await read("apps/shop/migrations/0001_initial.ts"),
      /dependencies: \[\["crm", "0001_initial"\]\],/,
    );
    assert.match(await read("apps/crm/migrations/0001_initial.ts"), /dependencies: \[\],/);
  });

  await t.step("a model made in the same run: on the migration being made", async () => {
    await Deno.writeTextFile(
      new URL("apps/crm/models.ts", project.root),
      `${CRM}\nexport const Address = defineModel("crm.Address", { city: field.text() });\n`,
    );
    await Deno.writeTextFile(
      new URL("apps/shop/models.ts", project.root),
      ORDERS.replace("{ Customer }", "{ Address, Customer }").replace(
        "\n});",
        '\n  address: field.foreignKey(Address, { onDelete: "set null", null: true }),\n});',
      ),
    );
    // Alone, shop's migration would point at a model no migration creates.
    assert.deepEqual(await make("shop"), {
      code: 1,
      stdout: "",
      stderr:
        "CommandError: Models of app 'shop' point at crm.Address, which no migration creates: " +
        "run 'manage makemigrations shop crm' (or without app labels)\n",
    });
    const result = await make("shop", "crm");
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      await read("apps/shop/migrations/0002_order_address.ts"),
      /dependencies: \[\["crm", "0002_address"\]\],/,
    );
  });

  await t.step("a model migrated before: on that app's latest migration", async () => {
    await Deno.writeTextFile(
      new URL("apps/shop/models.ts", project.root),
      (await read("apps/shop/models.ts")).replace(
        "\n});",
        '\n  payer: field.foreignKey(Customer, { onDelete: "cascade", null: true }),\n});',
      ),
    );
    assert.deepEqual(await make("shop"), {
      code: 0,
      stdout: "Migrations for 'shop':\n  apps/shop/migrations/0003_order_payer.ts\n" +
        "    - Add field payer to order\n",
      stderr: "",
    });
    assert.match(
      await read("apps/shop/migrations/0003_order_payer.ts"),
      /dependencies: \[\["crm", "0002_address"\]\],/,
    );
  });

  await forEachDatabase(t, async (database) => {
    const run = (...args: string[]) =>
      project.run(["migrate", ...args], { env: { DATABASE_URL: database.url } });
    assert.deepEqual(await run("shop", "--plan"), {
      code: 0,
      stdout: "Planned operations:\n" +
        "crm.0001_initial\n    Create model Customer\n" +
        "shop.0001_initial\n    Create model Order\n" +
        "crm.0002_address\n    Create model Address\n" +
        "shop.0002_order_address\n    Add field address to order\n" +
        "shop.0003_order_payer\n    Add field payer to order\n",
      stderr: "",
    });
    assert.deepEqual(await run("shop"), {
      code: 0,
      stdout: "Operations to perform:\n  Apply all migrations: shop\nRunning migrations:\n" +
        "  Applying crm.0001_initial... OK\n  Applying shop.0001_initial... OK\n" +
        "  Applying crm.0002_address... OK\n  Applying shop.0002_order_address... OK\n" +
        "  Applying shop.0003_order_payer... OK\n",
      stderr: "",
    });
    const db = await database.open();
    try {
      const fks = await db.query<{ name: string; ref: string }>(
        `SELECT conname AS name, confrelid::regclass::text AS ref FROM pg_constraint
         WHERE contype = 'f' AND conrelid = 'shop_order'::regclass ORDER BY 1`,
      );
      assert.deepEqual(fks, [
        { name: "shop_order_address_id_fkey", ref: "crm_address" },
        { name: "shop_order_customer_id_fkey", ref: "crm_customer" },
        { name: "shop_order_payer_id_fkey", ref: "crm_customer" },
      ]);
    } finally {
      await db.close();
    }
    const plan = await run("crm", "0001", "--plan");
    assert.equal(
      plan.stdout,
      "Planned operations:\n" +
        "shop.0003_order_payer\n    Undo Add field payer to order\n" +
        "shop.0002_order_address\n    Undo Add field address to order\n" +
        "crm.0002_address\n    Undo Create model Address\n",
    );
    const back = await run("crm", "zero");
    assert.equal(back.code, 0, back.stderr);
    assert.equal(
      back.stdout,
      "Operations to perform:\n  Unapply all migrations: crm\nRunning migrations:\n" +
        "  Unapplying shop.0003_order_payer... OK\n  Unapplying shop.0002_order_address... OK\n" +
        "  Unapplying shop.0001_initial... OK\n  Unapplying crm.0002_address... OK\n" +
        "  Unapplying crm.0001_initial... OK\n",
    );
    const after = await database.open();
    try {
      const left = await after.query<{ name: string }>(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
      );
      assert.deepEqual(left.map((row) => row.name), ["manage_migrations"]);
    } finally {
      await after.close();
    }
  }, { root: project.root });
});
