// Django's fixtures of users load here: `dumpdata auth.user` writes `groups` and
// `user_permissions` for every user; empty lists load, non-empty ones are an error naming the
// record and why (this project has no groups or permissions to point them at), and the users
// log in with the passwords they had in Django (pbkdf2_sha256 hashes, Django's iterations).
//
// django_auth_user.json was written by Django 3.2 (Debian's python3-django) in a project made
// with startproject: `createsuperuser --username alice` with the password "correct horse
// battery", a user bob with "another pass 123", then `dumpdata auth.user --indent 2`. The
// differential test (tests/django_differential_test.ts) makes such a dump afresh.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkPassword } from "../../../apps/auth/hashers.ts";
import { login } from "../../../apps/web/sessions.ts";
import { forEachDatabase } from "../../_database.ts";
import { runCli } from "../../_helpers.ts";

const FIXTURE = fileURLToPath(new URL("./django_auth_user.json", import.meta.url));

/** Django's records of two users, with `groups`/`user_permissions` changed by `change`. */
async function variant(
  dir: string,
  name: string,
  change: (fields: Record<string, unknown>, index: number) => void,
): Promise<string> {
  const records = JSON.parse(await Deno.readTextFile(FIXTURE)) as {
    fields: Record<string, unknown>;
  }[];
  records.forEach((record, index) => change(record.fields, index));
  const path = join(dir, name);
  await Deno.writeTextFile(path, JSON.stringify(records));
  return path;
}

Deno.test("loaddata of Django's dumpdata auth.user: users load and log in with their passwords, on each driver", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    const env = { DATABASE_URL: testDb.url };
    assert.equal((await runCli(["migrate"], { env })).code, 0);
    const loaded = await runCli(["loaddata", FIXTURE], { env });
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(loaded.stdout, /Installed 2 object\(s\) from 1 fixture\(s\)/);
    const db = await testDb.open();
    try {
      const rows = await db.query<{ username: string; password: string; first_name: string }>(
        "SELECT username, password, first_name FROM auth_user ORDER BY id",
      );
      assert.deepEqual(rows.map((row) => [row.username, row.first_name]), [
        ["alice", ""],
        ["bob", "Bob"],
      ]);
      assert.match(rows[0].password, /^pbkdf2_sha256\$260000\$/);
      assert.equal(await checkPassword("another pass 123", rows[1].password), true);
      assert.equal(await checkPassword("correct horse battery", rows[1].password), false);
      // The web console lets the superuser in with the password set in Django.
      assert.equal((await login(db, "alice", "correct horse battery", "10.0.0.1")).ok, true);
      assert.equal((await login(db, "alice", "wrong", "10.0.0.1")).ok, false);
    } finally {
      await db.close();
    }
  });
});

Deno.test("loaddata of auth.user records with groups or permissions: an error naming the record and why, on each driver", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const withGroups = await variant(dir, "groups.json", (fields, index) => {
      if (index === 1) fields.groups = [1, 2];
    });
    const withPermissions = await variant(dir, "permissions.json", (fields) => {
      fields.user_permissions = [["add_user", "auth", "user"]];
    });
    const notAList = await variant(dir, "not_a_list.json", (fields) => void (fields.groups = 3));
    await forEachDatabase(t, async (testDb) => {
      const env = { DATABASE_URL: testDb.url };
      assert.equal((await runCli(["migrate"], { env })).code, 0);
      const groups = await runCli(["loaddata", withGroups], { env });
      assert.equal(groups.code, 1);
      assert.equal(
        groups.stderr.trimEnd(),
        `CommandError: ${withGroups}: record 2: auth.user with pk 2 has groups [1,2], and this ` +
          "project has no auth.Group for them: remove them from the fixture " +
          "(or load it with --ignorenonexistent to drop them)",
      );
      const permissions = await runCli(["loaddata", withPermissions], { env });
      assert.equal(permissions.code, 1);
      assert.match(
        permissions.stderr,
        /record 1: auth\.user with pk 1 has user_permissions \[\["add_user","auth","user"\]\], and this project has no auth\.Permission for them/,
      );
      const bad = await runCli(["loaddata", notAList], { env });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /record 1: field 'groups' of auth\.user: expected a list, got 3/);
      // Nothing was loaded by the failed loads; dropping the relations loads the users.
      const db = await testDb.open();
      try {
        assert.equal((await db.query("SELECT 1 FROM auth_user")).length, 0);
      } finally {
        await db.close();
      }
      const dropped = await runCli(["loaddata", "--ignorenonexistent", withGroups], { env });
      assert.equal(dropped.code, 0, dropped.stderr);
      assert.match(dropped.stdout, /Installed 2 object\(s\)/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
