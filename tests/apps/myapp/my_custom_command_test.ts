// my_custom_command, the seed's example, on each driver: `migrate` (the migration makemigrations
// wrote for MyModel), `loaddata` of the seed's two objects, and the seed's exact output through
// cli.ts and from code.

import assert from "node:assert/strict";
import { callCommand, captureOutput } from "../../../mod.ts";
import { registry } from "../../../commands/_registry.ts";
import { MyModel } from "../../../apps/myapp/models.ts";
import { runCli } from "../../_helpers.ts";
import { forEachDatabase, type TestDatabase } from "../../_database.ts";

const SEED_OUTPUT = "Executing my custom command...\nObject: Object 1\nObject: Object 2\n";

/** Migrates and loads the seed's two objects from apps/myapp/fixtures/objects.json, as a user would. */
async function seed(testDb: TestDatabase): Promise<void> {
  const env = { DATABASE_URL: testDb.url };
  const migrated = await runCli(["migrate"], { env });
  assert.equal(migrated.code, 0, migrated.stderr);
  const loaded = await runCli(["loaddata", "apps/myapp/fixtures/objects.json"], { env });
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout + loaded.stderr, /Installed 2 object\(s\) from 1 fixture\(s\)/);
  // The rows are there through the manager too.
  const db = await testDb.open();
  try {
    assert.deepEqual(
      (await MyModel.objects.using(db).all().orderBy("id").toArray()).map((o) => o.name),
      ["Object 1", "Object 2"],
    );
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
      await callCommand("my_custom_command", [], {
        registry,
        stdout,
        env: { DATABASE_URL: testDb.url },
      });
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

Deno.test("my_custom_command queries as the seed writes it: MyModel.objects.all()", async () => {
  const source = await Deno.readTextFile(
    new URL("../../../apps/myapp/commands/my_custom_command.ts", import.meta.url),
  );
  assert.match(source, /\n {4}const objects = MyModel\.objects\.all\(\);\n/);
  assert.doesNotMatch(source, /using\(|requiresDatabase/);
});
