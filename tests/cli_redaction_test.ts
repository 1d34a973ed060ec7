// A password from the environment or the command line never reaches stderr or stdout, whichever
// path writes the error: a usage error, a CommandError, a bug, a bug with --traceback. Run
// through the real cli.ts, where the redaction is applied to everything the program writes.

import assert from "node:assert/strict";
import { copyProject, type Project } from "./_helpers.ts";

const SECRET = "Hunter2Secret";
const DATABASE_URL = `postgres://app:${SECRET}@127.0.0.1:1/app`;

// A command whose failures repeat the word it was given, the way a careless one would.
const ECHO_FAILURE = `import { CommandError, defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Fails repeating its word: as a CommandError, or as a bug",
  arguments: { word: {} },
  options: { bug: { type: "boolean" }, count: { type: "integer" } },
  handle({ options }) {
    if (options.bug) throw new TypeError(\`Cannot read \${options.word}\`);
    throw new CommandError(\`Nothing called \${options.word}\`);
  },
});
`;

function assertHidden(output: { stdout: string; stderr: string }): void {
  assert.ok(!output.stderr.includes(SECRET), `the password is on stderr:\n${output.stderr}`);
  assert.ok(!output.stdout.includes(SECRET), `the password is on stdout:\n${output.stdout}`);
}

Deno.test("a password in DATABASE_URL or in the words is never printed", async (t) => {
  await using project: Project = await copyProject({
    "apps/leaky/commands/echo_failure.ts": ECHO_FAILURE,
  });
  const withUrl = { env: { DATABASE_URL } };

  await t.step("manage migrate <password>: the CommandError shows ****", async () => {
    const result = await project.run(["migrate", SECRET], withUrl);
    assertHidden(result);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^CommandError: No installed app with label '\*\*\*\*'/);
  });

  await t.step("a usage error repeating the password shows ****", async () => {
    const result = await project.run(["migrate", "--verbosity", SECRET], withUrl);
    assertHidden(result);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /error: argument -v\/--verbosity: invalid int value: '\*\*\*\*'\n$/,
    );
  });

  await t.step("an unrecognized option repeating the password shows ****", async () => {
    const result = await project.run(["echo_failure", "x", `--zzz=${SECRET}`], withUrl);
    assertHidden(result);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /error: unrecognized arguments: --zzz=\*\*\*\*\n$/);
  });

  await t.step("a CommandError of an app's command shows ****", async () => {
    const result = await project.run(["echo_failure", SECRET], withUrl);
    assertHidden(result);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "CommandError: Nothing called ****\n");
  });

  await t.step("a bug (not a CommandError) shows ****, with --traceback too", async () => {
    const result = await project.run(["echo_failure", SECRET, "--bug"], withUrl);
    assertHidden(result);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^TypeError: Cannot read \*\*\*\*\n/);
    const traced = await project.run(["echo_failure", SECRET, "--bug", "--traceback"], withUrl);
    assertHidden(traced);
    assert.equal(traced.code, 1);
    assert.match(traced.stderr, /^TypeError: Cannot read \*\*\*\*\n\s+at /);
  });

  await t.step("a password in a URL among the words is hidden too", async () => {
    const result = await project.run(["migrate", SECRET, "--database", DATABASE_URL]);
    assertHidden(result);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^CommandError: No installed app with label '\*\*\*\*'/);
  });

  await t.step("the superuser password from the environment is hidden", async () => {
    const result = await project.run(["echo_failure", SECRET], {
      env: { MANAGE_SUPERUSER_PASSWORD: SECRET },
    });
    assertHidden(result);
    assert.equal(result.stderr, "CommandError: Nothing called ****\n");
  });
});
