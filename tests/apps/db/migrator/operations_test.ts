// One handler per kind of migration operation: the record has a complete handler for every kind
// (checked at run time here, and at type-check time by the `@ts-expect-error` lines, which fail
// `deno check` if what they mark ever type-checks), and the dispatchers use it.

import assert from "node:assert/strict";
import {
  type AddField,
  addField,
  addIndex,
  alterField,
  checkOperation,
  createModel,
  deleteModel,
  describeOperation,
  type Handler,
  HANDLERS,
  nameFragment,
  type Operation,
  optimizeOperations,
  removeField,
  renameField,
  renameModel,
  runSQL,
} from "../../../../apps/db/migrator/operations/mod.ts";

/** Every kind an operation may have, as the union says (a kind missing here fails to compile). */
const KINDS: Record<Operation["kind"], true> = {
  sql: true,
  createModel: true,
  deleteModel: true,
  addField: true,
  removeField: true,
  alterField: true,
  renameField: true,
  renameModel: true,
  addIndex: true,
  removeIndex: true,
};

const PIECES = [
  "check",
  "describe",
  "state",
  "sql",
  "reversible",
  "nameFragment",
  "source",
  "fields",
  "reduce",
] as const satisfies readonly (keyof Handler<Operation>)[];

Deno.test("every kind of operation has one complete handler, filed under its kind", () => {
  assert.deepEqual(Object.keys(HANDLERS).sort(), Object.keys(KINDS).sort());
  for (const [kind, handler] of Object.entries(HANDLERS)) {
    assert.equal(handler.kind, kind);
    for (const piece of PIECES) {
      assert.equal(typeof handler[piece], "function", `${kind} has no ${piece}`);
    }
  }
});

Deno.test("a handler with a missing piece, or a record without a kind, does not type-check", () => {
  // @ts-expect-error: a handler without `describe` is not a handler.
  const incomplete: Handler<AddField> = { ...HANDLERS.addField, describe: undefined };
  const { addField: _, ...withoutAddField } = HANDLERS;
  // @ts-expect-error: the record must have every kind.
  const missing: typeof HANDLERS = withoutAddField;
  // @ts-expect-error: a handler filed under another kind does not fit.
  const misfiled: typeof HANDLERS = { ...HANDLERS, addField: HANDLERS.removeField };
  assert.ok(incomplete && missing && misfiled);
});

Deno.test("the dispatchers reach each kind's handler", () => {
  const op = addField("shop.Book", "subTitle", {
    type: "text",
    column: "sub_title",
    null: true,
    unique: false,
    primaryKey: false,
  });
  assert.equal(describeOperation(op), "Add field subTitle to book");
  assert.equal(nameFragment(op), "book_sub_title");
  assert.ok(checkOperation(op));
  assert.ok(checkOperation(runSQL("SELECT 1")));
  assert.ok(!checkOperation({ kind: "addField", model: "shop.Book" }));
  assert.ok(!checkOperation({ kind: "alterUniqueTogether" }));
  assert.ok(!checkOperation({ kind: "toString" }));
});

// ---- The optimizer: Django's reductions, on plain operations ----

const text = (column: string) =>
  ({ type: "text", column, null: true, unique: false, primaryKey: false }) as const;
const PRODUCT = {
  app: "shop",
  name: "Product",
  table: "shop_product",
  fields: {
    id: { type: "bigserial", column: "id", null: false, unique: false, primaryKey: true },
  },
  indexes: [],
} as const;

Deno.test("the optimizer folds a model's later operations into its creation", () => {
  const ops = [
    createModel(PRODUCT),
    addField("shop.Product", "name", text("name")),
    alterField("shop.Product", "name", text("name"), { ...text("name"), null: false }),
    renameField("shop.Product", "name", "title"),
    addIndex("shop.Product", { name: "shop_product_title_idx", fields: ["title"], unique: false }),
    renameModel("shop.Product", "shop.Item"),
  ];
  assert.deepEqual(optimizeOperations(ops), [
    createModel({
      app: "shop",
      name: "Item",
      table: "shop_item",
      fields: { ...PRODUCT.fields, title: { ...text("title"), null: false } },
      indexes: [{ name: "shop_product_title_idx", fields: ["title"], unique: false }],
    }),
  ]);
});

Deno.test("the optimizer cancels what is undone, and shortens chains of renames", () => {
  assert.deepEqual(optimizeOperations([createModel(PRODUCT), deleteModel(PRODUCT)]), []);
  assert.deepEqual(
    optimizeOperations([
      addField("shop.Product", "note", text("note")),
      removeField("shop.Product", "note", text("note")),
    ]),
    [],
  );
  assert.deepEqual(
    optimizeOperations([
      renameField("shop.Product", "a", "b"),
      renameField("shop.Product", "b", "c"),
    ]),
    [renameField("shop.Product", "a", "c")],
  );
  assert.deepEqual(
    optimizeOperations([renameModel("shop.A", "shop.B"), renameModel("shop.B", "shop.C")]),
    [renameModel("shop.A", "shop.C")],
  );
  assert.deepEqual(
    optimizeOperations([renameModel("shop.A", "shop.B"), renameModel("shop.B", "shop.A")]),
    [],
  );
  // A field changed then removed is removed as it was before the change (undoing gives it back).
  assert.deepEqual(
    optimizeOperations([
      alterField("shop.Product", "name", text("name"), { ...text("name"), null: false }),
      removeField("shop.Product", "name", { ...text("name"), null: false }),
    ]),
    [removeField("shop.Product", "name", text("name"))],
  );
});

Deno.test("the optimizer moves operations past unrelated ones, never past raw SQL", () => {
  const other = addField("shop.Order", "total", text("total"));
  assert.deepEqual(
    optimizeOperations([
      addField("shop.Product", "note", text("note")),
      other,
      removeField("shop.Product", "note", text("note")),
    ]),
    [other],
  );
  const sql = runSQL("UPDATE shop_product SET note = 'x'", "");
  const kept = [
    addField("shop.Product", "note", text("note")),
    sql,
    removeField("shop.Product", "note", text("note")),
  ];
  assert.deepEqual(optimizeOperations(kept), kept);
  // A field of the same model in between, named by the removal's neighbour: nothing moves.
  const blocked = [
    createModel(PRODUCT),
    addField("shop.Order", "product", {
      ...text("product_id"),
      type: "bigint",
      references: { model: "shop.Product", table: "shop_product", onDelete: "cascade" },
    }),
    deleteModel(PRODUCT),
  ];
  assert.deepEqual(optimizeOperations(blocked), blocked);
});
