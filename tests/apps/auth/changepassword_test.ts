// changepassword: three attempts, Django's messages, the current user by default, and the new
// password unseen at a terminal and never in any output.

import assert from "node:assert/strict";
import { checkPassword } from "../../../apps/auth/hashers.ts";
import { createSuperuser } from "../../../apps/auth/users.ts";
import { forEachDatabase, type TestDatabase } from "../../_database.ts";
import { runCli } from "../../_helpers.ts";
import { migrate, runInTerminal, users } from "./_auth.ts";

const OLD = "Old-Secret-Phrase-1";
const NEW = "New-Secret-Phrase-2";
const OTHER = "Other-Secret-Phrase-3";

function assertNoPassword(output: string): void {
  for (const password of [OLD, NEW, OTHER, "carol1234"]) {
    assert.ok(!output.includes(password), `a password was printed:\n${output}`);
  }
}

async function carolsHash(database: TestDatabase): Promise<string> {
  return (await users(database)).find((u) => u.username === "carol")!.password;
}

Deno.test("changepassword", async (t) => {
  await forEachDatabase(t, async (database, step) => {
    await migrate(database);
    const db = await database.open();
    try {
      await createSuperuser(db, { username: "carol", email: "carol@example.com", password: OLD });
    } finally {
      await db.close();
    }
    const env = { DATABASE_URL: database.url };

    await step.step("asks twice, again after a mismatch, and sets the password", async () => {
      const result = await runCli(["changepassword", "carol"], {
        env,
        stdin: `${NEW}\n${OTHER}\n${NEW}\n${NEW}\n`,
      });
      assertNoPassword(result.stdout + result.stderr);
      assert.deepEqual(result, {
        code: 0,
        stdout: "Changing password for user 'carol'\n" +
          "Password: Password (again): Passwords do not match. Please try again.\n" +
          "Password: Password (again): Password changed successfully for user 'carol'\n",
        stderr: "",
      });
      const hash = await carolsHash(database);
      assert.equal(await checkPassword(NEW, hash), true);
      assert.equal(await checkPassword(OLD, hash), false);
    });

    await step.step("gives up after three attempts, leaving the password as it was", async () => {
      const result = await runCli(["changepassword", "carol"], {
        env,
        stdin: ["short", "short", "98127364501", "98127364501", "carol1234", "carol1234"]
          .join("\n") + "\n",
      });
      assertNoPassword(result.stdout + result.stderr);
      assert.deepEqual(result, {
        code: 1,
        stdout: "Changing password for user 'carol'\n" +
          "Password: Password (again): ".repeat(3),
        stderr: "This password is too short. It must contain at least 8 characters.\n" +
          "This password is entirely numeric.\n" +
          "The password is too similar to the username.\n" +
          "CommandError: Aborting password change for user 'carol' after 3 attempts\n",
      });
      assert.equal(await checkPassword(NEW, await carolsHash(database)), true);
    });

    await step.step("the current user by default; unknown users and blank passwords", async () => {
      // LOGNAME comes first, as in Python's getpass.getuser(): cleared, USER names the user.
      const unknown = await runCli(["changepassword"], {
        env: { ...env, LOGNAME: "", USER: "nobody" },
      });
      assert.deepEqual(unknown, {
        code: 1,
        stdout: "",
        stderr: "CommandError: user 'nobody' does not exist\n",
      });
      const blank = await runCli(["changepassword"], {
        env: { ...env, LOGNAME: "", USER: "carol" },
        stdin: "\n",
      });
      assert.deepEqual(blank, {
        code: 1,
        stdout: "Changing password for user 'carol'\nPassword: ",
        stderr: "CommandError: Aborting password change for user 'carol': blank password\n",
      });
      assert.equal(await checkPassword(NEW, await carolsHash(database)), true);
    });

    await step.step("at a terminal, the passwords are not shown", async () => {
      const result = await runInTerminal(["changepassword", "carol"], [
        { expect: "Password: ", send: `${OTHER}\r` },
        { expect: "Password (again): ", send: `${OLD}\r` },
        { expect: "Password: ", send: `${OTHER}\r` },
        { expect: "Password (again): ", send: `${OTHER}\r` },
      ], env);
      assert.equal(result.timeout, false, result.transcript);
      assert.equal(
        result.transcript,
        "Changing password for user 'carol'\n" +
          "Password: \nPassword (again): \nPasswords do not match. Please try again.\n" +
          "Password: \nPassword (again): \nPassword changed successfully for user 'carol'\n",
      );
      assert.equal(result.code, 0);
      assertNoPassword(result.transcript);
      assert.equal(await checkPassword(OTHER, await carolsHash(database)), true);
    });
  });
});
