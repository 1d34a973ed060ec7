// The autodetector on states, without a database: which operations it finds, in which order,
// what it refuses, and how it asks about renames. Every result is also replayed onto the state
// it started from, which must then be the models' state.

import assert from "node:assert/strict";
import { CommandError, defineModel, field, type ModelState } from "../../../../mod.ts";
import {
  defineMigration,
  describeOperation,
  migrationSource,
  runSQL,
  type SchemaOperation,
} from "../../../../apps/db/migrator/mod.ts";
import {
  detectChanges,
  type DetectOptions,
  parseRenames,
  referencedModels,
} from "../../../../apps/db/migrator/_autodetector.ts";
import {
  applyOperation,
  type ProjectState,
  projectState,
} from "../../../../apps/db/migrator/_project_state.ts";
import { buildGraph } from "../../../../apps/db/migrator/_graph.ts";

function stateOf(...models: { state: ModelState }[]): ProjectState {
  return new Map(models.map(({ state }) => [`${state.app}.${state.name}`, state]));
}

/**
 * The changes from `from` to `to`, checked to bring `from` to `to` when replayed; returned as
 * the descriptions of the operations, by app.
 */
async function changes(
  from: ProjectState,
  to: ProjectState,
  options: DetectOptions = {},
): Promise<{ lines: Record<string, string[]>; ops: Map<string, SchemaOperation[]> }> {
  const ops = await detectChanges(from, to, options);
  const state = new Map(from);
  for (const list of ops.values()) for (const op of list) applyOperation(state, op);
  const apps = options.apps ?? [...new Set([...from.values(), ...to.values()].map((m) => m.app))];
  const pick = (s: ProjectState) =>
    Object.fromEntries(
      [...s].filter(([, m]) => apps.includes(m.app)).sort(([a], [b]) => a < b ? -1 : 1).map((
        [label, m],
      ) => [label, { ...m, fields: Object.fromEntries(Object.entries(m.fields).sort()) }]),
    );
  assert.deepEqual(
    JSON.parse(JSON.stringify(pick(state))),
    JSON.parse(JSON.stringify(pick(to))),
    "the operations bring the state to the models",
  );
  const lines = Object.fromEntries(
    [...ops].map(([app, list]) => [app, list.map(describeOperation)]),
  );
  return { lines, ops };
}

const Category = defineModel("shop.Category", { name: field.varchar(50, { unique: true }) });
const Product = defineModel("shop.Product", {
  name: field.varchar(100),
  category: field.foreignKey(Category, { onDelete: "cascade" }),
});

Deno.test("new models are created, those pointed at first, and nothing is found twice", async () => {
  // Alphabetical order would put Article first; it points at Zone.
  const Zone = defineModel("shop.Zone", { name: field.text() });
  const Article = defineModel("shop.Article", {
    zone: field.foreignKey(Zone, { onDelete: "restrict" }),
    parent: field.foreignKey("shop.Article", { onDelete: "cascade", null: true }),
  });
  const to = stateOf(Article, Zone);
  const { lines } = await changes(new Map(), to);
  assert.deepEqual(lines, { shop: ["Create model Zone", "Create model Article"] });
  assert.deepEqual((await detectChanges(to, to)).size, 0);
});

Deno.test("models that point at each other: the first is created without its foreign key, added after", async () => {
  const A = defineModel("shop.A", { b: field.foreignKey("shop.B", { onDelete: "cascade" }) });
  const B = defineModel("shop.B", { a: field.foreignKey(A, { onDelete: "cascade", null: true }) });
  const { lines, ops } = await changes(new Map(), stateOf(A, B));
  assert.deepEqual(lines, { shop: ["Create model A", "Create model B", "Add field b to a"] });
  const created = ops.get("shop")![0];
  assert.ok(created.kind === "createModel" && !("b" in created.model.fields));
});

Deno.test("fields: added, altered and removed, in that order, after indexes are removed", async () => {
  const Before = defineModel("shop.Product", {
    name: field.varchar(100),
    old: field.integer({ null: true }),
    price: field.numeric(10, 2),
  }, { indexes: [{ fields: ["old"] }, { fields: ["name"], name: "keep" }] });
  const After = defineModel("shop.Product", {
    name: field.varchar(200),
    price: field.numeric(10, 2),
    stock: field.integer({ default: 0 }),
    note: field.text({ null: true }),
  }, {
    indexes: [{ fields: ["name"], name: "keep" }, { fields: ["price", "stock"], unique: true }],
  });
  const { lines } = await changes(stateOf(Before), stateOf(After));
  assert.deepEqual(lines, {
    shop: [
      "Remove index shop_product_old_idx from product",
      "Add field stock to product",
      "Add field note to product",
      "Alter field name on product",
      "Remove field old from product",
      "Create index shop_product_price_stock_uniq on field(s) price, stock of model product",
    ],
  });
});

Deno.test("an index whose definition changes under the same name is removed and added again", async () => {
  const Before = defineModel("shop.T", { a: field.integer(), b: field.integer() }, {
    indexes: [{ fields: ["a"], name: "t_idx" }],
  });
  const After = defineModel("shop.T", { a: field.integer(), b: field.integer() }, {
    indexes: [{ fields: ["a", "b"], name: "t_idx" }],
  });
  const { lines } = await changes(stateOf(Before), stateOf(After));
  assert.deepEqual(lines, {
    shop: ["Remove index t_idx from t", "Create index t_idx on field(s) a, b of model t"],
  });
});

Deno.test("a required field without a default is refused on an existing model, with how to fix it", async () => {
  const After = defineModel("shop.Product", {
    name: field.varchar(100),
    category: field.foreignKey(Category, { onDelete: "cascade" }),
    price: field.integer(),
  });
  await assert.rejects(
    () => detectChanges(stateOf(Category, Product), stateOf(Category, After)),
    (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(
        error.message,
        "It is impossible to add a non-nullable field 'price' to product without specifying a " +
          "default (the existing rows need a value): give it a default or null: true in " +
          "apps/shop/models.ts",
      );
      return true;
    },
  );
  // On a new model it is fine, and so is a nullable or defaulted one on an existing model.
  for (const price of [field.integer({ null: true }), field.integer({ default: 1 })]) {
    const ok = defineModel("shop.Product", { ...PRODUCT_FIELDS, price });
    const { lines } = await changes(stateOf(Category, Product), stateOf(Category, ok));
    assert.deepEqual(lines, { shop: ["Add field price to product"] });
  }
});

const PRODUCT_FIELDS = {
  name: field.varchar(100),
  category: field.foreignKey(Category, { onDelete: "cascade" }),
};

Deno.test("renamed fields: a removal and an addition unless told or confirmed", async () => {
  const Renamed = defineModel("shop.Product", {
    title: field.varchar(100),
    category: field.foreignKey(Category, { onDelete: "cascade" }),
  });
  const from = stateOf(Category, Product);
  const to = stateOf(Category, Renamed);

  // Not told and nobody to ask: the new field is required, so it cannot be added.
  await assert.rejects(() => detectChanges(from, to), /non-nullable field 'title'/);

  const told = await changes(from, to, { renames: parseRenames(["shop.Product.name:title"]) });
  assert.deepEqual(told.lines, { shop: ["Rename field name on product to title"] });

  const questions: string[] = [];
  const asked = await changes(from, to, {
    ask: (question) => {
      questions.push(question);
      return Promise.resolve(true);
    },
  });
  assert.deepEqual(questions, ["Was product.name renamed to product.title (a CharField)? [y/N]"]);
  assert.deepEqual(asked.lines, told.lines);
  assert.deepEqual(asked.ops, told.ops);

  // A different definition is not offered as a rename.
  const Other = defineModel("shop.Product", {
    title: field.varchar(120, { null: true }),
    category: field.foreignKey(Category, { onDelete: "cascade" }),
  });
  questions.length = 0;
  const { lines } = await changes(from, stateOf(Category, Other), {
    ask: (q) => (questions.push(q), Promise.resolve(true)),
  });
  assert.deepEqual(questions, []);
  assert.deepEqual(lines, {
    shop: ["Add field title to product", "Remove field name from product"],
  });
  // Told anyway, it is a rename followed by an alteration.
  const both = await changes(from, stateOf(Category, Other), {
    renames: parseRenames(["shop.Product.name:title"]),
  });
  assert.deepEqual(both.lines, {
    shop: ["Rename field name on product to title", "Alter field title on product"],
  });
});

Deno.test("a renamed foreign key keeps its _id column name pattern and carries its constraints", async () => {
  const Renamed = defineModel("shop.Product", {
    name: field.varchar(100),
    group: field.foreignKey(Category, { onDelete: "cascade" }),
  });
  const { ops } = await changes(stateOf(Category, Product), stateOf(Category, Renamed), {
    renames: parseRenames(["shop.Product.category:group"]),
  });
  const [op] = ops.get("shop")!;
  assert.ok(op.kind === "renameField");
  assert.equal(op.fromColumn, "category_id");
  assert.equal(op.toColumn, "group_id");
  assert.equal(op.field?.references?.model, "shop.Category");
});

Deno.test("renamed models: a deletion and a creation unless told or confirmed; foreign keys follow", async () => {
  const Group = defineModel("shop.Group", { name: field.varchar(50, { unique: true }) });
  const Moved = defineModel("shop.Product", {
    name: field.varchar(100),
    category: field.foreignKey(Group, { onDelete: "cascade" }),
  });
  const from = stateOf(Category, Product);
  const to = stateOf(Group, Moved);
  const plain = await changes(from, to);
  assert.deepEqual(plain.lines, {
    shop: ["Create model Group", "Alter field category on product", "Delete model Category"],
  });
  const questions: string[] = [];
  const asked = await changes(from, to, {
    ask: (q) => (questions.push(q), Promise.resolve(true)),
  });
  assert.deepEqual(questions, ["Was the model shop.Category renamed to Group? [y/N]"]);
  assert.deepEqual(asked.lines, { shop: ["Rename model Category to Group"] });
  const told = await changes(from, to, { renames: parseRenames(["shop.Category:Group"]) });
  assert.deepEqual(told.ops, asked.ops);
  const [op] = told.ops.get("shop")!;
  assert.ok(op.kind === "renameModel");
  assert.deepEqual([op.fromTable, op.toTable], ["shop_category", "shop_group"]);

  // Answering no keeps the deletion and the creation.
  const declined = await changes(from, to, { ask: () => Promise.resolve(false) });
  assert.deepEqual(declined.lines, plain.lines);
});

Deno.test("--rename values are checked against the changes", async () => {
  const from = stateOf(Category, Product);
  const cases: [string, ProjectState, RegExp][] = [
    ["shop.Product.nope:title", from, /shop\.Product has no field title/],
    ["shop.Product.name:name", from, /shop\.Product still has a field name/],
    ["shop.Nope:Other", from, /no model shop\.Nope was removed/],
    ["shop.Category:Group", new Map(), /no model shop\.Group was added/],
  ];
  for (const [value, to, message] of cases) {
    await assert.rejects(
      () => detectChanges(from, to, { renames: parseRenames([value]) }),
      message,
      value,
    );
  }
  assert.throws(
    () => parseRenames(["shop.product"]),
    /--rename shop\.product: write app\.Model\.old:new for a field or app\.Old:New for a model/,
  );
});

Deno.test("deleted models go last, those pointing at others first", async () => {
  const { lines } = await changes(stateOf(Category, Product), new Map());
  assert.deepEqual(lines, { shop: ["Delete model Product", "Delete model Category"] });
});

Deno.test("only the named apps, and foreign keys to other apps are reported for dependencies", async () => {
  const Customer = defineModel("crm.Customer", { name: field.text() });
  const Order = defineModel("shop.Order", {
    customer: field.foreignKey(Customer, { onDelete: "restrict" }),
  });
  const to = stateOf(Customer, Order);
  const { lines, ops } = await changes(new Map(), to);
  assert.deepEqual(lines, { crm: ["Create model Customer"], shop: ["Create model Order"] });
  assert.deepEqual(referencedModels("shop", ops.get("shop")!), ["crm.Customer"]);
  assert.deepEqual(referencedModels("crm", ops.get("crm")!), []);
  const only = await detectChanges(new Map(), to, { apps: ["crm"] });
  assert.deepEqual([...only.keys()], ["crm"]);
});

Deno.test("what cannot be done is refused: a changed primary key, a foreign key to no model", async () => {
  const Coded = defineModel("shop.Category", {
    code: field.varchar(10, { primaryKey: true }),
    name: field.varchar(50, { unique: true }),
  });
  await assert.rejects(
    () => detectChanges(stateOf(Category), stateOf(Coded)),
    /Changing the primary key of shop\.Category \(id to code\) is not supported/,
  );
  const Dangling = defineModel("shop.Item", {
    owner: field.foreignKey("crm.Nobody", { onDelete: "cascade" }),
  });
  await assert.rejects(
    () => detectChanges(new Map(), stateOf(Dangling)),
    /Field shop\.Item\.owner is a foreign key to crm\.Nobody, which is not a model/,
  );
  const Custom = defineModel("crm.Person", { name: field.text() }, { table: "people" });
  const ByLabel = defineModel("shop.Item", {
    owner: field.foreignKey("crm.Person", { onDelete: "cascade" }),
  });
  await assert.rejects(
    () => detectChanges(new Map(), stateOf(Custom, ByLabel)),
    /points at table crm_person, but crm\.Person's table is people: pass the model itself/,
  );
});

Deno.test("the state replayed from migrations; an operation that does not fit names its file", () => {
  const initial = defineMigration({
    operations: [
      { kind: "createModel", model: Category.state },
      runSQL("SELECT 1", "SELECT 1"),
      { kind: "createModel", model: Product.state },
    ],
  });
  const graph = buildGraph([
    { app: "shop", name: "0001_initial", module: "m1", migration: initial, checksum: "" },
  ]);
  assert.deepEqual([...projectState(graph).keys()], ["shop.Category", "shop.Product"]);
  const again = defineMigration({ operations: [{ kind: "createModel", model: Category.state }] });
  const broken = buildGraph([
    { app: "shop", name: "0001_initial", module: "m1", migration: initial, checksum: "" },
    {
      app: "shop",
      name: "0002_again",
      module: "apps/shop/migrations/0002_again.ts",
      migration: again,
      checksum: "",
    },
  ]);
  assert.throws(
    () => projectState(broken),
    new CommandError(
      "apps/shop/migrations/0002_again.ts: operation 1 (Create model Category) does not fit the " +
        "models of the migrations before it: it creates model shop.Category, which exists " +
        "already; fix or remove it",
    ),
  );
});

Deno.test("migration source: builders with the defaults left out, deno fmt's layout", async () => {
  const After = defineModel("shop.Product", {
    ...PRODUCT_FIELDS,
    price: field.integer({ null: true }),
  });
  const ops = await detectChanges(stateOf(Category, Product), stateOf(Category, After));
  assert.equal(
    migrationSource({ dependencies: [["crm", "0001_initial"]], operations: ops.get("shop")! }),
    `import { addField, defineMigration } from "../../../mod.ts";

export default defineMigration({
  dependencies: [["crm", "0001_initial"]],
  operations: [
    addField("shop.Product", "price", {
      type: "integer",
      column: "price",
      null: true,
      unique: false,
      primaryKey: false,
    }),
  ],
});
`,
  );
});
