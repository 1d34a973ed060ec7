// One handler per kind of migration operation: the record has a complete handler for every kind
// (checked at run time here, and at type-check time by the `@ts-expect-error` lines, which fail
// `deno check` if what they mark ever type-checks), and the dispatchers use it.

import assert from "node:assert/strict";
import {
  type AddField,
  addField,
  checkOperation,
  describeOperation,
  type Handler,
  HANDLERS,
  nameFragment,
  type Operation,
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
