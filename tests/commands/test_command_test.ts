// The daily loop of a new app, in a throwaway copy of the project: `startapp blog` writes a
// complete app, a model written into it is seen by `makemigrations` with no other step,
// `makecommand` writes a command and a test through the testing module, and `manage test` runs
// the tests against a test database it makes and migrates, on the embedded database and on the
// server: exit 0 when they pass, 1 when one fails, --keepdb reusing the database, and no test
// database left behind after a pass, a failure or Ctrl-C.

import assert from "node:assert/strict";
import { copyProject, type Project } from "../_helpers.ts";
import { startCli } from "../_process.ts";
import { needs, SERVER_URL } from "../_requires.ts";
import { serverTestDatabase, type TestDatabase } from "../_database.ts";
import openDatabase from "../../apps/db/database.ts";

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.lstat(url);
    return true;
  } catch {
    return false;
  }
}

const MODELS = `import { defineModel, field } from "../../mod.ts";

/** A post. */
export const Post = defineModel("blog.Post", {
  title: field.varchar(200),
});
`;

/** The command makecommand wrote, made to query the database before it greets. */
const COUNT_POSTS = `import { defineCommand } from "../../../mod.ts";
import { Post } from "../models.ts";

export default defineCommand({
  help: "Counts the posts, and greets",
  arguments: { name: { help: "who to greet" } },
  options: {
    times: { type: "integer", short: "n", default: 1, help: "how many times to greet" },
    add: { help: "a post to add first" },
    count: { type: "boolean", help: "print the number of posts instead" },
  },
  async handle({ options, stdout, db }) {
    if (options.add) await Post.objects.using(db).create({ title: options.add });
    const posts = await Post.objects.using(db).count();
    if (options.count) return void stdout.write(\`\${posts} posts\`);
    for (let i = 0; i < options.times; i++) {
      stdout.write(\`Hello from count_posts, \${options.name}!\`);
    }
  },
});
`;

/** Tests written as the generated one is: each must see only the fixtures it asks for. */
const FIXTURE_TESTS = `import assert from "node:assert/strict";
import { testCase } from "../../../mod.ts";

Deno.test("a post added by one test is rolled back", async () => {
  await using t = await testCase();
  const { stdout } = await t.callCommand("count_posts", ["x", "--add", "First", "--count"]);
  assert.equal(stdout, "1 posts\\n");
});

Deno.test("fixtures are loaded by name", async () => {
  await using t = await testCase({ fixtures: ["posts"] });
  const { stdout } = await t.callCommand("count_posts", ["x", "--count"]);
  assert.equal(stdout, "2 posts\\n");
  const rows = await t.db.sql\`SELECT title FROM blog_post ORDER BY id\`;
  assert.deepEqual(rows.map((row) => row.title), ["One", "Two"]);
});
`;

const POSTS = JSON.stringify([
  { model: "blog.post", pk: 1, fields: { title: "One" } },
  { model: "blog.post", pk: 2, fields: { title: "Two" } },
]);

const FAILING = `Deno.test("a test that fails", () => {
  throw new Error("this test fails");
});
`;

const SLOW = `Deno.test("a test that waits", async () => {
  console.log("SLOW TEST STARTED");
  await new Promise((resolve) => setTimeout(resolve, 120_000));
});
`;

/** A test file that passes only while the `other` file's test runs at the same time. */
const meeting = (me: string, other: string) =>
  `import assert from "node:assert/strict";
import { testCase } from "../../../mod.ts";

Deno.test("${me} runs while ${other} runs", async () => {
  await Deno.writeTextFile(".manage/meet_${me}", "");
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await Deno.stat(".manage/meet_${other}");
      break;
    } catch {
      assert.ok(Date.now() < deadline, "${other} did not run at the same time");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await using t = await testCase();
  const [row] = await t.db.sql\`SELECT count(*)::int AS n FROM blog_post\`;
  assert.equal(row.n, 0);
});
`;

const FAIL_FIRST = `Deno.test("first: fails", () => {
  throw new Error("the first test fails");
});

Deno.test("second: leaves a mark", async () => {
  await Deno.writeTextFile(".manage/second_ran", "");
});
`;

/** `text` without colour codes: `deno test` colours what it prints. */
function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Whether the server has a database of that name. */
async function onServer(name: string): Promise<boolean> {
  const admin = await openDatabase(SERVER_URL!, { env: {}, cwd: ".", notice: () => {} });
  try {
    const rows = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    return rows.length > 0;
  } finally {
    await admin.close();
  }
}

/** How each kind of database is named to `manage test`, and how to see its test database. */
interface Target {
  /** `--database` words (none for the embedded default). */
  args: string[];
  /** Whether its test database exists. */
  exists(): Promise<boolean>;
}

/** Runs the pass / fail / --keepdb / Ctrl-C steps against one kind of database. */
async function loop(t: Deno.TestContext, project: Project, target: Target): Promise<void> {
  const run = async (args: string[]) => {
    const result = await project.run(["test", ...target.args, ...args]);
    return { ...result, stdout: stripAnsi(result.stdout) };
  };
  const failing = new URL("apps/blog/commands/failing_test.ts", project.root);
  const slow = new URL("apps/blog/commands/slow_test.ts", project.root);

  await t.step("the tests pass with the test database, which is then dropped", async () => {
    assert.equal(await target.exists(), false);
    const result = await run(["apps/blog"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /ok \| 6 passed \| 0 failed/);
    assert.match(result.stderr, /Creating test database /);
    assert.match(result.stderr, /Destroying test database /);
    assert.equal(await target.exists(), false);
  });

  await t.step("--keepdb keeps the test database, and the next run reuses it", async () => {
    const first = await run(["apps/blog", "--keepdb"]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(await target.exists(), true);
    const second = await run(["apps/blog", "--keepdb", "-v", "2", "-k", "fixtures"]);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stderr, /Using test database /);
    assert.doesNotMatch(second.stdout, /Applying/);
    assert.match(second.stdout, /ok \| 1 passed \| 0 failed \| 5 filtered out/);
    assert.equal(await target.exists(), true);
  });

  await t.step("a failing test makes it exit 1; the test database is dropped", async () => {
    await Deno.writeTextFile(failing, FAILING);
    try {
      const result = await run(["apps/blog"]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /6 passed \| 1 failed/);
      assert.match(
        result.stderr,
        /CommandError: The tests failed \(deno test exited with code 1\)/,
      );
      assert.equal(await target.exists(), false);
    } finally {
      await Deno.remove(failing);
    }
  });

  await t.step("--parallel 2 runs two test files at once, on the one test database", async () => {
    const files = ["a", "b"].map((me) =>
      new URL(`apps/blog/commands/meet_${me}_test.ts`, project.root)
    );
    const marks = ["a", "b"].map((me) => new URL(`.manage/meet_${me}`, project.root));
    await Deno.writeTextFile(files[0], meeting("a", "b"));
    await Deno.writeTextFile(files[1], meeting("b", "a"));
    try {
      const result = await run([
        "--parallel",
        "2",
        "apps/blog/commands/meet_a_test.ts",
        "apps/blog/commands/meet_b_test.ts",
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /ok \| 2 passed \| 0 failed/);
      assert.equal(await target.exists(), false);
    } finally {
      for (const path of [...files, ...marks]) await Deno.remove(path).catch(() => {});
    }
  });

  await t.step("--failfast stops at the first failing test", async () => {
    const file = new URL("apps/blog/commands/fail_first_test.ts", project.root);
    const mark = new URL(".manage/second_ran", project.root);
    await Deno.writeTextFile(file, FAIL_FIRST);
    try {
      const stopped = await run(["--failfast", "apps/blog/commands/fail_first_test.ts"]);
      assert.equal(stopped.code, 1, stopped.stdout + stopped.stderr);
      assert.equal(await exists(mark), false, "the second test ran after the first failed");
      const all = await run(["apps/blog/commands/fail_first_test.ts"]);
      assert.equal(all.code, 1, all.stdout + all.stderr);
      assert.match(all.stdout, /1 passed \| 1 failed/);
      assert.equal(await exists(mark), true);
      assert.equal(await target.exists(), false);
    } finally {
      await Deno.remove(file).catch(() => {});
      await Deno.remove(mark).catch(() => {});
    }
  });

  await t.step("Ctrl-C ends the run and drops the test database", async () => {
    await Deno.writeTextFile(slow, SLOW);
    try {
      const env: Record<string, string> = {};
      const child = startCli(
        project,
        ["test", ...target.args, "apps/blog/commands/slow_test.ts"],
        env,
      );
      await child.waitFor(/SLOW TEST STARTED/, 120_000);
      assert.equal(await target.exists(), true);
      child.child.kill("SIGINT");
      const { code } = await child.end();
      assert.equal(code, 130);
      assert.equal(await target.exists(), false);
    } finally {
      await Deno.remove(slow);
    }
  });
}

Deno.test("startapp, makemigrations, makecommand and manage test make the daily loop", async (t) => {
  await using project = await copyProject();
  const root = project.root;
  const file = (path: string) => new URL(path, root);

  await t.step("startapp writes models, migrations, fixtures and a first command", async () => {
    const result = await project.run(["startapp", "blog"]);
    assert.equal(result.code, 0, result.stderr);
    for (
      const path of [
        "apps/blog/mod.ts",
        "apps/blog/models.ts",
        "apps/blog/migrations/",
        "apps/blog/fixtures/",
        "apps/blog/commands/hello_blog.ts",
        "apps/blog/commands/hello_blog_test.ts",
      ]
    ) assert.ok(await exists(file(path)), path);
    assert.match(await Deno.readTextFile(file("apps/blog/models.ts")), /\/\/ export const /);
    const hello = await project.run(["hello_blog", "Ann"]);
    assert.equal(hello.stdout, "Hello from hello_blog, Ann!\n");
  });

  await t.step("a model written into models.ts is seen by makemigrations", async () => {
    await Deno.writeTextFile(file("apps/blog/models.ts"), MODELS);
    const result = await project.run(["makemigrations", "blog"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /apps\/blog\/migrations\/0001_initial\.ts/);
    assert.ok(await exists(file("apps/blog/migrations/0001_initial.ts")));
  });

  await t.step("makecommand writes a command and a test that uses testCase", async () => {
    const result = await project.run(["makecommand", "blog", "count_posts"]);
    assert.equal(result.code, 0, result.stderr);
    const test = await Deno.readTextFile(file("apps/blog/commands/count_posts_test.ts"));
    assert.match(test, /await using t = await testCase\(\);/);
    // The command now queries the database; its generated test is left as it was written.
    await Deno.writeTextFile(file("apps/blog/commands/count_posts.ts"), COUNT_POSTS);
    await Deno.writeTextFile(file("apps/blog/commands/fixtures_test.ts"), FIXTURE_TESTS);
    await Deno.writeTextFile(file("apps/blog/fixtures/posts.json"), POSTS);
    const built = await project.buildRegistry();
    assert.equal(built.code, 0, built.stderr);
  });

  await t.step("embedded", async (step) => {
    const dir = file(".manage/test_database/");
    await loop(step, project, { args: [], exists: () => exists(dir) });
    await step.step("a later run copies the migrated template instead of migrating", async () => {
      const cache = [...Deno.readDirSync(file(".manage/cache/"))].map((entry) => entry.name);
      assert.equal(cache.filter((name) => name.startsWith("test-template-")).length, 1);
      const result = await project.run([
        "test",
        "-v",
        "2",
        "apps/blog/commands/hello_blog_test.ts",
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.doesNotMatch(result.stdout, /Running migrations/);
      assert.equal(await exists(dir), false);
    });
  });

  await t.step(needs("server", {
    name: "server",
    fn: async (step) => {
      const base: TestDatabase = await serverTestDatabase(SERVER_URL!);
      const name = `test_${new URL(base.url).pathname.slice(1)}`;
      try {
        await loop(step, project, {
          args: ["--database", base.url],
          exists: () => onServer(name),
        });
      } finally {
        await base.drop();
        const admin = await openDatabase(SERVER_URL!, { env: {}, cwd: ".", notice: () => {} });
        try {
          await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await admin.close();
        }
      }
    },
  }));
});
