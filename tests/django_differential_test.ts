import assert from "node:assert/strict";
import { join } from "node:path";
import { login } from "../apps/web/sessions.ts";
import { pgliteTestDatabase } from "./_database.ts";
import { djangoProject, shape } from "./_django.ts";
import { copyProject, runCli, type RunResult } from "./_helpers.ts";
import { needs } from "./_requires.ts";

// The same argument vectors through this project's `manage` and through Django's `manage.py`
// (Debian's python3-django): the exit codes agree, and so does the shape of the output. Each
// case names what it runs on each side where the two languages differ (`print(1)` in Python is
// `console.log(1)` here). Add cases to CASES; a case may compare only the exit code and which
// stream is written, or the lines themselves.

/** One argument vector run on both sides. */
interface Case {
  /** What the case shows. */
  name: string;
  /** The arguments for Django's manage.py. */
  django: string[];
  /** The arguments for this project (the same as Django's when left out). */
  manage?: string[];
  /** Standard input for both. */
  stdin?: { django: string; manage: string };
  /** Whether standard output must have the same lines (after {@linkcode shape}). */
  sameStdout?: boolean;
  /** Whether standard error must have the same first line (after {@linkcode shape}). */
  sameFirstError?: boolean;
}

const CASES: Case[] = [
  {
    name: "check on a fresh project",
    django: ["check"],
    sameStdout: true,
  },
  {
    name: "an unknown command",
    django: ["nosuchcommand"],
    sameFirstError: true,
  },
  {
    name: "help of an unknown command",
    django: ["help", "nosuchcommand"],
    sameFirstError: true,
  },
  {
    name: "shell -c runs the code and prints what it prints",
    django: ["shell", "-c", "print(1)"],
    sameStdout: true,
  },
  {
    name: "shell runs code piped in when standard input is no terminal",
    django: ["shell"],
    stdin: { django: "x = 6\nprint(x * 7)\n", manage: "x = 6\nprint(x * 7)\n" },
    sameStdout: true,
  },
  {
    name: "shell -c with code that fails exits 1",
    django: ["shell", "-c", "nope()"],
  },
  {
    name: "check --tag of no such tag is an error, in Django's words",
    django: ["check", "--tag", "nosuchtag"],
    sameFirstError: true,
  },
  {
    name: "diffsettings --all prints every setting",
    django: ["diffsettings", "--all"],
  },
  {
    name: "squashmigrations of an app that is not installed fails",
    django: ["squashmigrations", "nosuchapp", "0001"],
  },
  {
    name: "squashmigrations of a migration the app does not have fails",
    django: ["squashmigrations", "auth", "9999"],
  },
];

/** What is compared: the exit code, whether each stream is written, and the chosen lines. */
function comparable(result: RunResult, c: Case) {
  return {
    code: result.code,
    wroteStdout: result.stdout.trim() !== "",
    wroteStderr: result.stderr.trim() !== "",
    stdout: c.sameStdout ? shape(result.stdout) : undefined,
    firstError: c.sameFirstError ? shape(result.stderr)[0] : undefined,
  };
}

Deno.test(needs("python3-django", {
  name: "differential: this project's manage and Django's manage.py agree",
  async fn(t) {
    await using django = await djangoProject();
    await using project = await copyProject();
    for (const c of CASES) {
      await t.step(c.name, async () => {
        const theirs = await django.run(c.django, { stdin: c.stdin?.django });
        const ours = await project.run(c.manage ?? c.django, { stdin: c.stdin?.manage });
        assert.deepStrictEqual(
          comparable(ours, c),
          comparable(theirs, c),
          `manage ${(c.manage ?? c.django).join(" ")}:\n${ours.stdout}${ours.stderr}\n` +
            `manage.py ${c.django.join(" ")}:\n${theirs.stdout}${theirs.stderr}`,
        );
      });
    }
  },
}));

Deno.test(needs("python3-django", {
  name: "differential: Django's dumpdata auth.user loads here and its superuser logs in",
  async fn() {
    await using django = await djangoProject();
    const password = "correct horse battery staple";
    for (
      const argv of [
        ["migrate", "-v", "0"],
        ["createsuperuser", "--noinput", "--username", "alice", "--email", "a@example.com"],
      ]
    ) {
      const made = await django.run(argv, { env: { DJANGO_SUPERUSER_PASSWORD: password } });
      assert.equal(made.code, 0, made.stderr);
    }
    const dumped = await django.run(["dumpdata", "auth.user", "--indent", "2"]);
    assert.equal(dumped.code, 0, dumped.stderr);
    assert.match(dumped.stdout, /"groups": \[\],\s+"user_permissions": \[\]/);
    const fixture = join(django.root, "users.json");
    await Deno.writeTextFile(fixture, dumped.stdout);
    const testDb = await pgliteTestDatabase();
    try {
      const env = { DATABASE_URL: testDb.url };
      assert.equal((await runCli(["migrate"], { env })).code, 0);
      const loaded = await runCli(["loaddata", fixture], { env });
      assert.equal(loaded.code, 0, loaded.stderr);
      assert.match(loaded.stdout, /Installed 1 object\(s\) from 1 fixture\(s\)/);
      const db = await testDb.open();
      try {
        assert.equal((await login(db, "alice", password, "127.0.0.1")).ok, true);
        assert.equal((await login(db, "alice", "not it", "127.0.0.1")).ok, false);
      } finally {
        await db.close();
      }
    } finally {
      await testDb.drop();
    }
  },
}));
