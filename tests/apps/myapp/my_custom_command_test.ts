// my_custom_command, the seed's example, on each driver: the table made by the migrations (or
// by plain SQL until `apps/myapp/migrations/0001_initial.ts` exists), two rows made through the
// manager, and the seed's exact output through cli.ts and from code.

import assert from "node:assert/strict";
import { callCommand, captureOutput } from "../../../mod.ts";
import { registry } from "../../../commands/_registry.ts";
import { MyModel } from "../../../apps/myapp/models.ts";
import { ROOT, runCli } from "../../_helpers.ts";
import { forEachDatabase, type TestDatabase } from "../../_database.ts";

const SEED_OUTPUT = "Executing my custom command...\nObject: Object 1\nObject: Object 2\n";

async function hasInitialMigration(): Promise<boolean> {
  try {
    await Deno.stat(new URL("apps/myapp/migrations/0001_initial.ts", ROOT));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Makes MyModel's table and the seed's two objects; leaves the database closed. */
async function seed(testDb: TestDatabase): Promise<void> {
  const migrated = await hasInitialMigration();
  if (migrated) {
    const result = await runCli(["migrate"], { env: { DATABASE_URL: testDb.url } });
    assert.equal(result.code, 0, result.stderr);
  }
  const db = await testDb.open();
  try {
    if (!migrated) {
      await db.exec(
        "CREATE TABLE myapp_mymodel (id bigserial PRIMARY KEY, name varchar(100) NOT NULL)",
      );
    }
    const objects = MyModel.objects.using(db);
    await objects.create({ name: "Object 1" });
    await objects.create({ name: "Object 2" });
  } finally {
    // An embedded database is opened by one process at a time: let cli.ts have it.
    await db.close();
  }
}

Deno.test("my_custom_command prints the seed's output, on each driver", async (t) => {
  await forEachDatabase(t, async (testDb, step) => {
    await seed(testDb);
    await step.step("through cli.ts", async () => {
      const result = await runCli(["my_custom_command"], { env: { DATABASE_URL: testDb.url } });
      assert.deepEqual(result, { code: 0, stdout: SEED_OUTPUT, stderr: "" });
    });
    await step.step("from code", async () => {
      const stdout = captureOutput();
      await callCommand("my_custom_command", ["--database", testDb.url], { registry, stdout });
      assert.equal(stdout.text, SEED_OUTPUT);
    });
  });
});

Deno.test("my_custom_command's help is the seed's", async () => {
  const result = await runCli(["help", "--commands"]);
  assert.ok(result.stdout.split("\n").includes("my_custom_command"));
  const help = await runCli(["my_custom_command", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /\n\nThis command does something custom\n/);
});
