// Passwords in URLs: a URL's password runs to the last '@' of its authority, as URL parsers and
// postgres.js read it, so redaction takes all of it, in messages and in what a run prints.

import assert from "node:assert/strict";
import { redactUrl, urlPasswords } from "../../core/database.ts";
import { sampleProject } from "../_helpers.ts";

Deno.test("redactUrl hides a URL's whole password, up to the last '@' of its authority", () => {
  const cases: [string, string][] = [
    ["postgres://app:hunt@er2@host/db", "postgres://app:****@host/db"],
    ["postgres://app:s3cret@db:5432/app", "postgres://app:****@db:5432/app"],
    ["postgres://a@corp:pw@host/db", "postgres://a@corp:****@host/db"],
    ["postgres://u:p@[::1]:5432/db", "postgres://u:****@[::1]:5432/db"],
    ["postgres://u:p@@h", "postgres://u:****@h"],
    [
      "failed: postgres://u:x@y@h/db: refused, ask me@example.com",
      "failed: postgres://u:****@h/db: refused, ask me@example.com",
    ],
    ["postgres://app@host:5432/db and mail@host", "postgres://app@host:5432/db and mail@host"],
    ["postgres://host/db?user=a@b", "postgres://host/db?user=a@b"],
    [
      "a postgres://u:1@h and b https://v:2@3@w/x",
      "a postgres://u:****@h and b https://v:****@w/x",
    ],
  ];
  for (const [text, redacted] of cases) assert.equal(redactUrl(text), redacted, text);
});

Deno.test("urlPasswords gives every URL's whole password, decoded and as written", () => {
  assert.deepEqual(urlPasswords("x postgres://app:hunt@er2@host/db y https://u:p%40ss@h:8/"), [
    { password: "hunt@er2", raw: "hunt@er2", visible: ["postgres", "app", "host", "db"] },
    { password: "p@ss", raw: "p%40ss", visible: ["https", "u", "h", ""] },
  ]);
  assert.deepEqual(urlPasswords("postgres://app@host/db postgres://u:@h"), []);
  assert.deepEqual(urlPasswords("postgres://a@corp:pw@host/db").map((p) => p.password), ["pw"]);
});

Deno.test("a password with '@' given to --database shows nowhere when the connection fails", async () => {
  // check_database of the fixture app sample, in a project copy without myapp.
  await using project = await sampleProject();
  for (
    const words of [["--database", "postgres://app:hunt@er2@127.0.0.1:1/db"], [
      "--database=postgres://app:hunt@er2@127.0.0.1:1/db",
    ]]
  ) {
    const { code, stdout, stderr } = await project.run(["check_database", ...words]);
    assert.equal(code, 1);
    assert.match(stderr, /postgres:\/\/app:\*\*\*\*@127\.0\.0\.1:1\/db/);
    assert.ok(!(stdout + stderr).includes("er2"), stderr);
    assert.ok(!(stdout + stderr).includes("hunt"), stderr);
  }
});
