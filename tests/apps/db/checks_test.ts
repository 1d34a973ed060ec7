// `manage check` with a database: it answers, no migration is unapplied, none was edited.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../_database.ts";
import { copyProject, ONLY_DB_APP } from "../../_helpers.ts";
import { PASSWORD, withPassword } from "./_migrations.ts";

const INITIAL = `import { defineMigration, runSQL } from "../../../mod.ts";

export default defineMigration({
  operations: [runSQL("CREATE TABLE shop_product (id bigserial PRIMARY KEY)", "DROP TABLE shop_product")],
});
`;

const SERVE = `import { defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Serves the shop",
  requiresMigrationsChecks: true,
  handle: ({ stdout }) => stdout.write("serving"),
});
`;

Deno.test("check --database reports unapplied and edited migrations and a dead database", async (t) => {
  await using project = await copyProject({
    "apps/shop/migrations/0001_initial.ts": INITIAL,
    "apps/shop/commands/serve.ts": SERVE,
  }, { without: ONLY_DB_APP });

  await t.step("a database that does not answer is an error, its password not shown", async () => {
    const result = await project.run([
      "check",
      "--database",
      `postgres://postgres:${PASSWORD}@127.0.0.1:1/x`,
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\(db\.E001\) The database does not answer: .*ECONNREFUSED/);
    assert.ok(!result.stderr.includes(PASSWORD) && !result.stdout.includes(PASSWORD));
  });

  await t.step("without a database, check does not connect", async () => {
    const result = await project.run(["check"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "System check identified no issues (0 silenced).\n");
  });

  await forEachDatabase(t, async (database) => {
    const url = database.kind === "postgres" ? withPassword(database.url) : database.url;
    const env = { DATABASE_URL: url };
    const before = await project.run(["check"], { env });
    assert.equal(before.code, 0, before.stderr);
    assert.match(
      before.stderr,
      /db: \(db\.W001\) You have 1 unapplied migration\(s\)\. Your project may not work properly until you apply the migrations for app\(s\): shop\.\n\tHINT: Run 'manage migrate' to apply them\./,
    );
    const serving = await project.run(["serve"], { env });
    assert.equal(serving.code, 0, serving.stderr);
    assert.equal(serving.stdout, "serving\n");
    assert.equal(
      serving.stderr,
      "You have 1 unapplied migration(s). Your project may not work properly until you apply the " +
        "migrations for app(s): shop.\nRun 'manage migrate' to apply them.\n",
    );
    const tagged = await project.run(["check", "--tag", "database"], { env });
    assert.match(tagged.stderr, /db\.W001/);
    assert.doesNotMatch(tagged.stderr, /commands\./);
    const migrated = await project.run(["migrate"], { env });
    assert.equal(migrated.code, 0, migrated.stderr);
    const after = await project.run(["check"], { env });
    assert.equal(after.stdout, "System check identified no issues (0 silenced).\n", after.stderr);
    const served = await project.run(["serve"], { env });
    assert.deepEqual([served.stdout, served.stderr], ["serving\n", ""]);

    const file = new URL("apps/shop/migrations/0001_initial.ts", project.root);
    await Deno.writeTextFile(file, INITIAL.replace("PRIMARY KEY)", "PRIMARY KEY, name text)"));
    try {
      const edited = await project.run(["check"], { env });
      assert.equal(edited.code, 1);
      assert.match(
        edited.stderr,
        /shop\.0001_initial: \(db\.E002\) apps\/shop\/migrations\/0001_initial\.ts was changed after it was applied/,
      );
      for (const output of [before, migrated, after, edited]) {
        assert.ok(!output.stdout.includes(PASSWORD) && !output.stderr.includes(PASSWORD));
      }
    } finally {
      await Deno.writeTextFile(file, INITIAL);
    }
  }, { root: project.root });
});
