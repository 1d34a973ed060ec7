// createsuperuser: --noinput from the environment, the interactive questions (in-process, with
// standard input standing for a terminal, and through a real pseudo-terminal), Django's
// messages, and never a password in any output.

import assert from "node:assert/strict";
import { callCommand, captureOutput, CommandError } from "../../../mod.ts";
import { registry } from "../../../commands/_registry.ts";
import { checkPassword, ITERATIONS } from "../../../apps/auth/hashers.ts";
import { forEachDatabase, pgliteTestDatabase, type TestDatabase } from "../../_database.ts";
import { runCli } from "../../_helpers.ts";
import { migrate, runInTerminal, users } from "./_auth.ts";

const PASSWORD = "Xyzzy-plugh-42";
const OTHER = "Quux-frobnitz-17";
const WEAK = "alice12";
const ALL_PASSWORDS = [PASSWORD, OTHER, WEAK];

function assertNoPassword(output: string, passwords: readonly string[] = ALL_PASSWORDS): void {
  for (const password of passwords) {
    assert.ok(!output.includes(password), `a password was printed:\n${output}`);
  }
}

/** Runs createsuperuser in-process, its standard input standing for a terminal. */
async function interactive(
  database: TestDatabase,
  args: string[],
  input: string,
  env: Record<string, string> = {},
) {
  const stdout = captureOutput();
  const stderr = captureOutput();
  let error: unknown;
  try {
    await callCommand("createsuperuser", args, {
      registry,
      env: { DATABASE_URL: database.url, ...env },
      stdin: new Blob([input]).stream(),
      stdinIsTerminal: true,
      stdout,
      stderr,
    });
  } catch (e) {
    error = e;
  }
  assertNoPassword(stdout.text + stderr.text + String(error));
  return { stdout: stdout.text, stderr: stderr.text, error };
}

Deno.test("createsuperuser --noinput takes its values from the options and the environment", async (t) => {
  await forEachDatabase(t, async (database) => {
    await migrate(database);
    const env = {
      DATABASE_URL: database.url,
      MANAGE_SUPERUSER_USERNAME: "admin",
      MANAGE_SUPERUSER_EMAIL: "Admin@Example.COM",
      MANAGE_SUPERUSER_PASSWORD: PASSWORD,
    };
    const created = await runCli(["createsuperuser", "--noinput"], { env });
    assert.deepEqual(created, { code: 0, stdout: "Superuser created successfully.\n", stderr: "" });

    // Options win over the environment; --no-input is the same flag; as Django's, a password
    // given with --noinput is not validated.
    const weak = await runCli(
      ["createsuperuser", "--no-input", "--username", "ops", "--email", "ops@example.com"],
      { env: { ...env, MANAGE_SUPERUSER_PASSWORD: WEAK } },
    );
    assert.deepEqual(weak, { code: 0, stdout: "Superuser created successfully.\n", stderr: "" });

    const rows = await users(database);
    assert.deepEqual(
      rows.map((u) => [u.username, u.email, u.is_superuser, u.is_staff, u.is_active]),
      [
        ["admin", "Admin@example.com", true, true, true],
        ["ops", "ops@example.com", true, true, true],
      ],
    );
    assert.ok(rows[0].password.startsWith(`pbkdf2_sha256$${ITERATIONS}$`));
    assert.equal(await checkPassword(PASSWORD, rows[0].password), true);
    assert.equal(await checkPassword(WEAK, rows[1].password), true);
    assertNoPassword(rows.map((u) => u.password).join("\n"));

    const failures: [string[], Record<string, string>, string][] = [
      [[], {}, "That username is already taken."],
      [[], { MANAGE_SUPERUSER_USERNAME: "" }, "Username cannot be blank."],
      [
        ["--username", "bad name"],
        {},
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
      ],
      [["--username", "x"], { MANAGE_SUPERUSER_EMAIL: "x@" }, "Enter a valid email address."],
      [
        ["--username", "x"],
        { MANAGE_SUPERUSER_EMAIL: "" },
        "You must use --email with --noinput (or set MANAGE_SUPERUSER_EMAIL).",
      ],
      [
        ["--username", "x"],
        { MANAGE_SUPERUSER_PASSWORD: "" },
        "You must set MANAGE_SUPERUSER_PASSWORD with --noinput.",
      ],
    ];
    for (const [args, extra, message] of failures) {
      const result = await runCli(["createsuperuser", "--noinput", ...args], {
        env: { ...env, ...extra },
      });
      assert.deepEqual(result, { code: 1, stdout: "", stderr: `CommandError: ${message}\n` });
    }
    const { MANAGE_SUPERUSER_USERNAME: _, ...noUsername } = env;
    const missing = await runCli(["createsuperuser", "--noinput"], { env: noUsername });
    assert.deepEqual(missing, {
      code: 1,
      stdout: "",
      stderr:
        "CommandError: You must use --username with --noinput (or set MANAGE_SUPERUSER_USERNAME).\n",
    });
    assert.equal((await users(database)).length, 2);
  });
});

Deno.test("createsuperuser says so when the auth migration has not been applied", async () => {
  const database = await pgliteTestDatabase();
  try {
    const result = await runCli(["createsuperuser", "--noinput", "--username", "admin"], {
      env: {
        DATABASE_URL: database.url,
        MANAGE_SUPERUSER_EMAIL: "admin@example.com",
        MANAGE_SUPERUSER_PASSWORD: PASSWORD,
      },
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unapplied migration/);
    assert.match(
      result.stderr,
      /\nCommandError: The auth_user table does not exist: run 'manage migrate' to create it\n$/,
    );
  } finally {
    await database.drop();
  }
});

Deno.test("createsuperuser without a terminal and without --noinput skips, as Django's", async () => {
  const database = await pgliteTestDatabase();
  try {
    await migrate(database);
    const result = await runCli(["createsuperuser"], {
      env: { DATABASE_URL: database.url },
      stdin: `admin\nadmin@example.com\n${PASSWORD}\n${PASSWORD}\n`,
    });
    assert.deepEqual(result, {
      code: 0,
      stdout: "Superuser creation skipped due to not running in a TTY. You can run " +
        "`manage createsuperuser` in your project to create one manually.\n",
      stderr: "",
    });
    assert.deepEqual(await users(database), []);
  } finally {
    await database.drop();
  }
});

Deno.test("createsuperuser asks again after each mistake, as Django's", async (t) => {
  await forEachDatabase(t, async (database, step) => {
    await migrate(database);

    await step.step("default username, bad email, mismatch, blank and weak passwords", async () => {
      const input = [
        "", // the default: the system user, alice
        "not-an-email",
        "alice@example.com",
        PASSWORD,
        OTHER,
        " ",
        " ",
        WEAK,
        WEAK,
        "n",
        PASSWORD,
        PASSWORD,
      ].join("\n") + "\n";
      const result = await interactive(database, [], input, { USER: "alice" });
      assert.equal(result.error, undefined);
      assert.equal(
        result.stdout,
        "Username (leave blank to use 'alice'): Email address: Email address: " +
          "Password: Password (again): ".repeat(3) +
          "Bypass password validation and create user anyway? [y/N]: " +
          "Password: Password (again): Superuser created successfully.\n",
      );
      assert.equal(
        result.stderr,
        "Error: Enter a valid email address.\n" +
          "Error: Your passwords didn't match.\n" +
          "Error: Blank passwords aren't allowed.\n" +
          "The password is too similar to the username.\n" +
          "This password is too short. It must contain at least 8 characters.\n",
      );
      const [alice] = await users(database);
      assert.equal(alice.username, "alice");
      assert.equal(alice.email, "alice@example.com");
      assert.equal(await checkPassword(PASSWORD, alice.password), true);
    });

    await step.step("a taken username is asked again; a weak password may be kept", async () => {
      const input = ["alice", "bob", "password", "password", "y"].join("\n") + "\n";
      const result = await interactive(
        database,
        ["--username", "alice", "--email", "bob@example.com"],
        input,
        { USER: "alice" },
      );
      assert.equal(result.error, undefined);
      // The system user is taken: no default is offered.
      assert.equal(
        result.stdout,
        "Username: Username: Password: Password (again): " +
          "Bypass password validation and create user anyway? [y/N]: " +
          "Superuser created successfully.\n",
      );
      assert.equal(
        result.stderr,
        "Error: That username is already taken.\n" +
          "Error: That username is already taken.\n" +
          "This password is too common.\n",
      );
      const bob = (await users(database)).find((u) => u.username === "bob")!;
      assert.equal(await checkPassword("password", bob.password), true);
    });

    await step.step("the end of the input cancels; bad options are errors", async () => {
      const ended = await interactive(database, ["--username", "carol"], "carol@example.com\n");
      assert.ok(ended.error instanceof CommandError);
      assert.equal(ended.error.message, "\nOperation cancelled.");
      assert.equal(ended.stdout, "Email address: Password: ");

      const blank = await interactive(database, ["--username", ""], "");
      assert.ok(blank.error instanceof CommandError);
      assert.equal(blank.error.message, "Username cannot be blank.");

      const badEmail = await interactive(database, ["--username", "carol", "--email", "x@"], "");
      assert.ok(badEmail.error instanceof CommandError);
      assert.equal(badEmail.error.message, "Enter a valid email address.");
      assert.deepEqual((await users(database)).map((u) => u.username), ["alice", "bob"]);
    });
  });
});

Deno.test("createsuperuser at a terminal: passwords unseen, mismatch and weak password asked again", async (t) => {
  await forEachDatabase(t, async (database, step) => {
    await migrate(database);
    const env = { DATABASE_URL: database.url, LOGNAME: "", USER: "root" };

    await step.step("a whole session", async () => {
      const result = await runInTerminal(["createsuperuser"], [
        { expect: "Username (leave blank to use 'root'): ", send: "alice\r" },
        { expect: "Email address: ", send: "alice@example.com\r" },
        { expect: "Password: ", send: `${PASSWORD}\r` },
        { expect: "Password (again): ", send: `${OTHER}\r` },
        { expect: "Password: ", send: `${WEAK}\r` },
        { expect: "Password (again): ", send: `${WEAK}\r` },
        { expect: "[y/N]: ", send: "n\r" },
        // Backspace and an arrow key's escape sequence are editing, not part of the password.
        { expect: "Password: ", send: `${PASSWORD}x\x7f\x1b[D\r` },
        { expect: "Password (again): ", send: `${PASSWORD}\r` },
      ], env);
      assert.equal(result.timeout, false, result.transcript);
      // What a person sees: the answers to plain questions are echoed, passwords are not.
      assert.equal(
        result.transcript,
        "Username (leave blank to use 'root'): alice\n" +
          "Email address: alice@example.com\n" +
          "Password: \n" +
          "Password (again): \n" +
          "Error: Your passwords didn't match.\n" +
          "Password: \n" +
          "Password (again): \n" +
          "The password is too similar to the username.\n" +
          "This password is too short. It must contain at least 8 characters.\n" +
          "Bypass password validation and create user anyway? [y/N]: n\n" +
          "Password: \n" +
          "Password (again): \n" +
          "Superuser created successfully.\n",
      );
      assert.equal(result.code, 0);
      assertNoPassword(result.transcript);
      const [alice] = await users(database);
      assert.equal(alice.username, "alice");
      assert.equal(await checkPassword(PASSWORD, alice.password), true);
    });

    await step.step(
      "Ctrl-C cancels, at the password prompt or a question; so does Ctrl-D",
      async () => {
        const result = await runInTerminal(["createsuperuser", "--username", "bob"], [
          { expect: "Email address: ", send: "\r" },
          { expect: "Password: ", send: `${OTHER}\x03` },
        ], env);
        assert.equal(result.timeout, false, result.transcript);
        assert.equal(result.transcript, "Email address: \nPassword: \nOperation cancelled.\n");
        assert.equal(result.code, 130);

        // At a plain question the terminal itself shows ^C.
        const atQuestion = await runInTerminal(["createsuperuser"], [
          { expect: "Username (leave blank to use 'root'): ", send: "bo" },
          { expect: "bo", send: "\x03" },
        ], env);
        assert.equal(atQuestion.timeout, false, atQuestion.transcript);
        assert.equal(
          atQuestion.transcript,
          "Username (leave blank to use 'root'): bo^C\nOperation cancelled.\n",
        );
        assert.equal(atQuestion.code, 130);

        // Ctrl-D ends the input: nothing more to read, so nothing is created.
        const ended = await runInTerminal(["createsuperuser", "--username", "bob", "--email", ""], [
          { expect: "Password: ", send: "\x04" },
        ], env);
        assert.equal(ended.timeout, false, ended.transcript);
        assert.equal(ended.transcript, "Password: \nOperation cancelled.\n");
        assert.equal(ended.code, 1);
        assert.deepEqual((await users(database)).map((u) => u.username), ["alice"]);
      },
    );
  });
});
