// sqlsequencereset, as Django's: for the apps named, the SQL that sets each model's sequence to
// its table's largest id, in BEGIN;/COMMIT;. Run after loading rows with ids, it makes the next
// row's id follow them; on each driver.

import assert from "node:assert/strict";
import { Item } from "../../../fixtures/apps/sample/models.ts";
import { forEachDatabase } from "../../../_database.ts";
import { type RunCliOptions, sampleProject } from "../../../_helpers.ts";

// The commands run in one project copy for the file: without myapp, with the fixture app sample
// (its model Item, table sample_item).
const project = await sampleProject();
globalThis.addEventListener("unload", () => Deno.removeSync(project.root, { recursive: true }));
const runCli = (args: string[], options: Omit<RunCliOptions, "root"> = {}) =>
  project.run(args, options);

const SAMPLE_SQL = "BEGIN;\n" +
  `SELECT setval(pg_get_serial_sequence('"sample_item"','id'), coalesce(max("id"), 1), ` +
  `max("id") IS NOT null) FROM "sample_item";\n` +
  "COMMIT;\n";

Deno.test("sqlsequencereset prints Django's SQL, and it makes new ids follow loaded ones, on each driver", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    const env = { DATABASE_URL: testDb.url };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    const printed = await runCli(["sqlsequencereset", "sample"], { env });
    assert.deepEqual(printed, { code: 0, stdout: SAMPLE_SQL, stderr: "" });
    const db = await testDb.open();
    try {
      // Rows loaded with their ids (as loaddata does) leave the sequence behind.
      await db.exec(
        "INSERT INTO sample_item (id, name) VALUES (1, 'one'), (2, 'two'), (7, 'seven')",
      );
      await db.exec(printed.stdout);
      const created = await Item.objects.using(db).create({ name: "next" });
      assert.equal(created.id, 8);
      assert.equal(await Item.objects.using(db).count(), 4);
    } finally {
      await db.close();
    }
  });
});

Deno.test("sqlsequencereset: several apps in one transaction, apps without models, unknown apps", async () => {
  const both = await runCli(["sqlsequencereset", "sample", "auth"]);
  assert.equal(both.code, 0, both.stderr);
  const lines = both.stdout.trimEnd().split("\n");
  assert.deepEqual([lines[0], lines.length, lines.at(-1)], ["BEGIN;", 4, "COMMIT;"]);
  assert.match(lines[2], /pg_get_serial_sequence\('"auth_user"','id'\)/);
  // An app without a models module prints nothing, as Django's.
  assert.deepEqual(await runCli(["sqlsequencereset", "jobs"]), {
    code: 0,
    stdout: "",
    stderr: "",
  });
  const unknown = await runCli(["sqlsequencereset", "nope"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No installed app with label 'nope'\./);
  const none = await runCli(["sqlsequencereset"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /the following arguments are required: app_label/);
});
