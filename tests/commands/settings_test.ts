// Settings: the modules the registry carries, picked by --settings or MANAGE_SETTINGS, values
// overridden from the environment; database aliases for --database and ctx.database(); silenced
// checks counted; check's unknown tags and --deploy.

import assert from "node:assert/strict";
import { callCommand, captureOutput, defineCommand, type Registry } from "../../mod.ts";
import { registry } from "../fixtures/registry.ts";
import { resolveSettings, type SettingsInput } from "../../core/settings.ts";
import { copyProject, runCli } from "../_helpers.ts";
import { forEachDatabase } from "../_database.ts";

/**
 * The project's registry (the fixture app sample in place of myapp) with one settings module,
 * `settings.ts`, giving `input`.
 */
function withSettings(input: SettingsInput, name = "settings"): Registry {
  const module = name === "settings" ? "settings.ts" : `settings/${name}.ts`;
  return {
    ...registry,
    settings: [{ name, module, load: () => Promise.resolve({ default: input }) }],
  };
}

/** Runs `name` in-process; its exit code (0, or the CommandError's) and its output. */
async function run(
  reg: Registry,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = captureOutput();
  const stderr = captureOutput();
  try {
    await callCommand(args[0], args.slice(1), { registry: reg, stdout, stderr, env });
    return { code: 0, stdout: stdout.text, stderr: stderr.text };
  } catch (error) {
    const code = (error as { returncode?: number }).returncode ?? -1;
    return { code, stdout: stdout.text, stderr: stderr.text + (error as Error).message };
  }
}

Deno.test("check --tag with a tag no check has is an error, as Django's", async () => {
  const result = await runCli(["check", "--tag", "x"]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, 'CommandError: There is no system check with the "x" tag.\n');
  // A known tag still runs.
  assert.equal((await runCli(["check", "--tag", "database"])).code, 0);
  // The deployment checks' tag is known only with --deploy, as Django's.
  assert.equal((await runCli(["check", "--tag", "security"])).code, 1);
  assert.equal((await runCli(["check", "--deploy", "--tag", "security"])).code, 0);
});

Deno.test("the environment overrides each value; DATABASE_URL_<ALIAS> adds an alias", () => {
  const settings = resolveSettings(
    { databases: { default: "pglite:a", replica: "pglite:r" }, queue: { maxAttempts: 5 } },
    {
      DATABASE_URL: "pglite:b",
      DATABASE_URL_ARCHIVE: "pglite:c",
      MANAGE_SILENCED_SYSTEM_CHECKS: "db.W001, commands.W001",
      MANAGE_CONSOLE_HTTPS: "true",
      MANAGE_QUEUE_MAX_ATTEMPTS: "7",
    },
  );
  assert.deepEqual(settings.databases, {
    default: "pglite:b",
    replica: "pglite:r",
    archive: "pglite:c",
  });
  assert.deepEqual(settings.silencedSystemChecks, ["db.W001", "commands.W001"]);
  assert.equal(settings.console.https, true);
  assert.equal(settings.queue.maxAttempts, 7);
  assert.equal(settings.queue.name, "default");
  assert.throws(() => resolveSettings({}, { MANAGE_QUEUE_MAX_ATTEMPTS: "x" }), /whole number/);
});

Deno.test("silenced checks are not reported and are counted, on each driver", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    // A fresh database has unapplied migrations: db.W001.
    const plain = await run(registry, ["check", "--database", testDb.url]);
    assert.equal(plain.code, 0);
    assert.match(plain.stderr, /\(db\.W001\)/);
    assert.match(plain.stderr, /System check identified 1 issue \(0 silenced\)\./);
    const silenced = await run(
      withSettings({ silencedSystemChecks: ["db.W001"], databases: { default: testDb.url } }),
      ["check", "--database", "default"],
    );
    assert.deepEqual(silenced, {
      code: 0,
      stdout: "System check identified no issues (1 silenced).\n",
      stderr: "",
    });
  });
});

Deno.test("--database takes an alias: migrate and dumpdata on the replica, on each driver", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    const reg = withSettings({ databases: { replica: testDb.url } });
    const migrated = await run(reg, ["migrate", "--database", "replica"]);
    assert.equal(migrated.code, 0, migrated.stderr);
    const db = await testDb.open();
    let applied: number;
    try {
      const [{ n }] = await db.sql<{ n: number }>`
        SELECT count(*)::int AS n FROM manage_migrations WHERE app = 'sample'`;
      applied = n;
      await db.sql`INSERT INTO sample_item (name) VALUES ('On the replica')`;
    } finally {
      await db.close();
    }
    assert.equal(applied, 1);
    const dumped = await run(reg, ["dumpdata", "sample", "--database", "replica"]);
    assert.equal(dumped.code, 0, dumped.stderr);
    assert.deepEqual(JSON.parse(dumped.stdout), [
      { model: "sample.item", pk: 1, fields: { name: "On the replica" } },
    ]);
    // The alias from the environment alone.
    const fromEnv = await run(registry, ["dumpdata", "sample", "--database", "replica"], {
      DATABASE_URL_REPLICA: testDb.url,
    });
    assert.equal(fromEnv.stdout, dumped.stdout);
  });
});

Deno.test("an alias the settings do not have is an error naming those they have", async () => {
  const result = await run(withSettings({ databases: { replica: "pglite:memory" } }), [
    "migrate",
    "--database",
    "replca",
  ]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /The database 'replca' is neither a URL nor an alias of the settings' databases \(default, replica\)/,
  );
});

Deno.test("ctx.db is the default and ctx.database(alias) another, on each driver", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    const command = defineCommand({
      help: "Says which database each alias is",
      async handle({ db, database, stdout }) {
        const [a] = await db.sql<{ n: number }>`SELECT 1 AS n`;
        const [b] = await database("replica").sql<{ n: number }>`SELECT 2 AS n`;
        stdout.write(`${a.n} ${db.driver} ${b.n} ${database("replica").driver}`);
        assert.equal(database("replica"), database("replica"));
        assert.equal(database("default"), db);
        assert.throws(() => database("nope"), /neither a URL nor an alias/);
      },
    });
    const stdout = captureOutput();
    await callCommand(command, [], {
      registry: withSettings({ databases: { default: "pglite:memory", replica: testDb.url } }),
      stdout,
      env: {},
    });
    assert.equal(stdout.text, `1 pglite 2 ${testDb.kind}\n`);
  });
});

Deno.test("--settings NAME and MANAGE_SETTINGS pick a settings module the registry carries", async () => {
  await using project = await copyProject({
    "settings.ts": 'import { defineSettings } from "./mod.ts";\n\n' +
      'export default defineSettings({ silencedSystemChecks: ["commands.W001"] });\n',
    "settings/production.ts": 'import { defineSettings } from "../mod.ts";\n\n' +
      'export default defineSettings({ silencedSystemChecks: ["commands.W001", "x.W001"] });\n',
    "apps/quiet/commands/nohelp.ts": 'import { defineCommand } from "../../../mod.ts";\n\n' +
      'export default defineCommand({ help: "", handle() {} });\n',
  });
  const registrySource = await Deno.readTextFile(new URL("commands/_registry.ts", project.root));
  assert.match(registrySource, /load: \(\) => import\("\.\.\/settings\/production\.ts"\)/);
  assert.match(registrySource, /load: \(\) => import\("\.\.\/settings\.ts"\)/);
  const rootSettings = await project.run(["check"]);
  assert.equal(rootSettings.stdout, "System check identified no issues (1 silenced).\n");
  const none = await project.run(["check"], { env: { MANAGE_SILENCED_SYSTEM_CHECKS: "" } });
  assert.match(none.stderr, /commands\.W001/);
  for (const args of [["--settings", "production"], ["--settings", "settings.production"]]) {
    assert.equal((await project.run(["check", ...args])).code, 0);
  }
  const byEnv = await project.run(["check"], { env: { MANAGE_SETTINGS: "production" } });
  assert.equal(byEnv.stdout, "System check identified no issues (1 silenced).\n");
  const unknown = await project.run(["check", "--settings", "staging"]);
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.stderr,
    "CommandError: No settings module 'staging': the project has production, settings\n",
  );
});

Deno.test("check --deploy warns about the console, allowed hosts and the data folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.chmod(dir, 0o755);
    const result = await run(
      withSettings({
        databases: { default: `pglite:${dir}` },
        console: { addrport: "0.0.0.0:8000", allowedHosts: ["*"] },
      }),
      // Not auth's check: it would open (and so create) the database in the folder.
      ["check", "db", "web", "--deploy", "--tag", "security"],
    );
    assert.equal(result.code, 0, result.stderr);
    for (const id of ["security.W008", "security.W020", "security.W040"]) {
      assert.ok(result.stderr.includes(`(${id})`), `${id} in ${result.stderr}`);
    }
    assert.match(result.stderr, /System check identified 3 issues \(0 silenced\)\./);
    // Without --deploy, none of them.
    const plain = await run(
      withSettings({ console: { addrport: "0.0.0.0:8000", allowedHosts: ["*"] } }),
      ["check"],
    );
    assert.doesNotMatch(plain.stderr + plain.stdout, /security\./);
    // Behind HTTPS, on a listed host, with a private folder: no issue.
    await Deno.chmod(dir, 0o700);
    const fixed = await run(
      withSettings({
        databases: { default: `pglite:${dir}` },
        console: { addrport: "0.0.0.0:8000", allowedHosts: ["console.example.com"], https: true },
      }),
      ["check", "db", "web", "--deploy", "--tag", "security"],
    );
    assert.equal(fixed.stdout, "System check identified no issues (0 silenced).\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check --deploy finds a superuser without a usable password, on each driver", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    const reg = withSettings({ databases: { default: testDb.url } });
    assert.equal((await run(reg, ["migrate"])).code, 0);
    const db = await testDb.open();
    try {
      await db.sql`INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active,
        first_name, last_name, email, date_joined)
        VALUES ('root', '!unusable', true, true, true, '', '', '', now())`;
    } finally {
      await db.close();
    }
    const result = await run(reg, ["check", "--deploy", "--tag", "security"]);
    assert.match(result.stderr, /auth\.User: \(auth\.W010\) The superuser 'root' has no usable/);
  });
});

Deno.test("enqueue takes the settings' queue defaults, and its options still win, on each driver", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    const reg = withSettings({
      databases: { default: testDb.url },
      queue: { name: "mail", maxAttempts: 5 },
    });
    assert.equal((await run(reg, ["migrate"])).code, 0);
    const first = await run(reg, ["enqueue", "check"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\(queue mail\)/);
    const second = await run(reg, ["enqueue", "--queue", "other", "--max-attempts", "2", "check"]);
    assert.equal(second.code, 0, second.stderr);
    const fromEnv = await run(reg, ["enqueue", "check"], { MANAGE_QUEUE_MAX_ATTEMPTS: "9" });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    const db = await testDb.open();
    try {
      const rows = await db.sql<{ queue: string; max_attempts: number }>`
        SELECT queue, max_attempts FROM manage_job ORDER BY id`;
      assert.deepEqual(rows.map((r) => [r.queue, r.max_attempts]), [
        ["mail", 5],
        ["other", 2],
        ["mail", 9],
      ]);
    } finally {
      await db.close();
    }
  });
});
