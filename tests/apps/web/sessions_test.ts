// Sessions and tokens end when they should, on both drivers: a password change ends the user's
// console sessions (changepassword, or any other way the password is changed), tokens are listed,
// revoked and expire, and clearsessions removes expired sessions. The commands run as processes
// (`cli.ts`), the console in this process; on the embedded database the commands reach it through
// this process.

import assert from "node:assert/strict";
import type { Queryable } from "../../../core/database.ts";
import { makePassword } from "../../../apps/auth/hashers.ts";
import { forEachDatabase } from "../../_database.ts";
import { runCli } from "../../_helpers.ts";
import { addUser, Client, consoleOn, PASSWORD, USERNAME } from "./_web.ts";

const NEW_PASSWORD = "Brand-New-Phrase-77";

/** Whether a client's session still opens a page and the API. */
async function signedIn(client: Client): Promise<boolean> {
  const page = await client.fetch("/commands");
  const api = await client.fetch("/api/jobs");
  assert.equal(page.response.status === 200, api.response.status === 200, "page and API agree");
  return page.response.status === 200;
}

/** The number of rows of `from` (a table, joins and a WHERE clause). */
async function count(db: Queryable, from: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${from}`, params);
  return row.n;
}

Deno.test("changing a password ends that user's console sessions, and only theirs", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      await addUser(app.db, "bob", PASSWORD);
      const alice = [new Client(app.handler), new Client(app.handler)];
      for (const client of alice) assert.equal((await client.login()).response.status, 303);
      const bob = new Client(app.handler);
      assert.equal((await bob.login("bob")).response.status, 303);

      const changed = await runCli(["changepassword", USERNAME, "--database", database.url], {
        stdin: `${NEW_PASSWORD}\n${NEW_PASSWORD}\n`,
      });
      assert.equal(changed.code, 0, changed.stderr);
      assert.match(changed.stdout, /Password changed successfully for user 'alice'/);
      for (const client of alice) assert.equal(await signedIn(client), false);
      assert.equal(await signedIn(bob), true, "another user's session goes on");
      // clearsessions removes the ended sessions' rows, and only theirs.
      const cleared = await runCli(["clearsessions", "--database", database.url]);
      assert.equal(cleared.code, 0, cleared.stderr);
      assert.equal(
        await count(
          app.db,
          "web_session s JOIN auth_user u ON u.id = s.user_id WHERE username = $1",
          [USERNAME],
        ),
        0,
      );
      assert.equal(await signedIn(bob), true, "clearsessions keeps a live session");

      // A password changed any other way (loaddata, Django, SQL) ends the sessions as well.
      await app.db.query("UPDATE auth_user SET password = $1 WHERE username = 'bob'", [
        await makePassword(NEW_PASSWORD, { iterations: 1000 }),
      ]);
      assert.equal(await signedIn(bob), false);
      const again = new Client(app.handler);
      assert.equal((await again.login(USERNAME, NEW_PASSWORD)).response.status, 303);
      assert.equal(await signedIn(again), true);
    } finally {
      await app.close();
    }
  });
});

Deno.test("API tokens: listed without their secret, revoked, and refused once expired", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      const manage = (...args: string[]) => runCli([...args, "--database", database.url]);
      const created = await manage("createapitoken", USERNAME, "--name", "ci", "--expires", "30d");
      assert.equal(created.code, 0, created.stderr);
      const ci = created.stdout.trim();
      const other = (await manage("createapitoken", USERNAME, "--name", "deploy")).stdout.trim();
      const [stored] = await app.db.query<{ days: number }>(
        `SELECT extract(epoch FROM expires_at - created_at) / 86400 AS days
FROM web_api_token WHERE name = 'ci'`,
      );
      assert.ok(Math.abs(Number(stored.days) - 30) < 0.01, `expires after ${stored.days} days`);
      const client = new Client(app.handler);
      const api = async (token: string) =>
        (await client.fetch("/api/jobs", { headers: { authorization: `Bearer ${token}` } }))
          .response.status;
      assert.equal(await api(ci), 200);
      assert.equal(await api(other), 200);

      const listed = await manage("apitokens", "list");
      assert.equal(listed.code, 0, listed.stderr);
      const lines = listed.stdout.trimEnd().split("\n");
      assert.match(
        lines[0],
        /^ID\s+USER\s+NAME\s+CREATED \(UTC\)\s+LAST USED \(UTC\)\s+EXPIRES \(UTC\)$/,
      );
      assert.equal(lines.length, 3);
      assert.match(
        lines[1],
        /^\d+\s+alice\s+ci\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d{4}-.*\s+\d{4}-/,
      );
      assert.match(lines[2], /^\d+\s+alice\s+deploy\s+.*\s+never$/);
      for (const token of [ci, other]) {
        assert.ok(!listed.stdout.includes(token.slice(4, 20)), "no token is shown");
      }
      const json = JSON.parse((await manage("apitokens", "list", "--format", "json")).stdout);
      const ids = Object.fromEntries(
        json.map((row: { name: string; id: number }) => [row.name, row.id]),
      );

      const unknown = await manage("apitokens", "revoke", String(ids.deploy), "424242");
      assert.equal(unknown.code, 1);
      assert.equal(
        unknown.stderr,
        "CommandError: There is no API token 424242: see 'manage apitokens list'\n",
      );
      assert.equal(await api(other), 200, "a failed revoke revokes nothing");
      const revoked = await manage("apitokens", "revoke", String(ids.deploy));
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal(revoked.stdout, "Revoked 1 API token.\n");
      assert.equal(await api(other), 401);
      assert.equal(await count(app.db, "web_api_token"), 1);

      await app.db.query(
        "UPDATE web_api_token SET expires_at = now() - interval '1 second' WHERE name = 'ci'",
      );
      const expired = await client.fetch("/api/jobs", {
        headers: { authorization: `Bearer ${ci}` },
      });
      assert.equal(expired.response.status, 401);
      assert.deepEqual(JSON.parse(expired.text), { error: "Invalid API token" });
      assert.match((await manage("apitokens", "list")).stdout, /\bci\b.*expired/);

      const bad = await manage("createapitoken", USERNAME, "--expires", "soon");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /argument --expires: invalid duration value: 'soon'/);
      const everyone = await manage("apitokens", "revoke", "--user", USERNAME);
      assert.equal(everyone.stdout, "Revoked 1 API token.\n");
      assert.equal(await count(app.db, "web_api_token"), 0);
      for (const output of [created, listed, revoked]) {
        assert.ok(!output.stderr.includes(ci) && !output.stderr.includes(other));
      }
    } finally {
      await app.close();
    }
  });
});

Deno.test("clearsessions removes expired sessions, as Django's does", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      const clients = [new Client(app.handler), new Client(app.handler), new Client(app.handler)];
      for (const client of clients) await client.login();
      await app.db.query(
        `UPDATE web_session SET expires_at = now() - interval '1 minute'
WHERE key_hash IN (SELECT key_hash FROM web_session ORDER BY created_at LIMIT 2)`,
      );
      await new Client(app.handler).login(USERNAME, "wrong");
      await app.db.query("UPDATE web_login_failure SET failed_at = now() - interval '1 day'");
      assert.equal(await count(app.db, "web_session"), 3);

      const cleared = await runCli(["clearsessions", "--database", database.url, "-v", "2"]);
      assert.equal(cleared.code, 0, cleared.stderr);
      assert.equal(
        cleared.stdout,
        "Deleted 2 expired sessions and 1 old failed login of the web console.\n",
      );
      assert.equal(await count(app.db, "web_session"), 1);
      assert.equal(await count(app.db, "web_login_failure"), 0);
      const live = [];
      for (const client of clients) live.push(await signedIn(client));
      assert.deepEqual(live.filter(Boolean).length, 1, "the live session goes on");
      const quiet = await runCli(["clearsessions", "--database", database.url]);
      assert.deepEqual(
        [quiet.code, quiet.stdout, quiet.stderr],
        [0, "", ""],
        "silent, as Django's",
      );
    } finally {
      await app.close();
    }
  });
});
