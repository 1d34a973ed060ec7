// A source run never runs with a silently stale registry: a new command, model or migration file
// is found before the command runs and the registry regenerated with a one-line notice; when it
// cannot be (a broken file, or a run that may not write the project folder) the run says so, an
// unknown command whose file exists says that, `check` fails, and `makemigrations` does not say
// "No changes" for models the registry does not know.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Project, sampleProject } from "./_helpers.ts";

const HELLO = `import { defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Says hello from the blog",
  handle({ stdout }) {
    stdout.write("Hello from the blog");
  },
});
`;

const MODELS = `import { defineModel, field } from "../../mod.ts";

export const Post = defineModel("blog.Post", {
  title: field.varchar(200),
});
`;

const NOTICE = "commands/_registry.ts was out of date";

/** Permissions that let a run read the project but write only somewhere else. */
async function readOnly(project: Project): Promise<{ flags: string[]; done: () => Promise<void> }> {
  const elsewhere = await Deno.makeTempDir({ prefix: "manage_elsewhere_" });
  assert.ok(!fileURLToPath(project.root).startsWith(elsewhere));
  return {
    flags: ["--allow-read", `--allow-write=${elsewhere}`, "--allow-env", "--no-prompt"],
    done: () => Deno.remove(elsewhere, { recursive: true }),
  };
}

async function write(project: Project, path: string, text: string): Promise<void> {
  const url = new URL(path, project.root);
  await Deno.mkdir(new URL("./", url), { recursive: true });
  await Deno.writeTextFile(url, text);
}

Deno.test("a command file written by hand runs at once: the registry is regenerated, with a notice", async () => {
  await using project = await sampleProject();
  await write(project, "apps/blog/commands/hello_blog.ts", HELLO);
  const first = await project.run(["hello_blog"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, "Hello from the blog\n");
  assert.equal(
    first.stderr,
    `${NOTICE} (apps/blog/commands/hello_blog.ts is not in it): regenerated it\n`,
  );
  const registry = await Deno.readTextFile(new URL("commands/_registry.ts", project.root));
  assert.match(registry, /load: \(\) => import\("\.\.\/apps\/blog\/commands\/hello_blog\.ts"\)/);
  // Once regenerated, it is fresh: no notice, and the build script agrees.
  const second = await project.run(["hello_blog"]);
  assert.deepEqual(second, { code: 0, stdout: "Hello from the blog\n", stderr: "" });
  assert.equal((await project.buildRegistry()).code, 0);
  // A file removed is noticed too.
  await Deno.remove(new URL("apps/blog/commands/hello_blog.ts", project.root));
  const gone = await project.run(["greet_user", "John"]);
  assert.equal(gone.stdout, "Hello, John!\n");
  assert.match(gone.stderr, /apps\/blog\/commands\/hello_blog\.ts is gone\): regenerated it/);
});

Deno.test("makemigrations after writing models.ts sees the model, with no other step", async () => {
  await using project = await sampleProject();
  await write(project, "apps/blog/models.ts", MODELS);
  const result = await project.run(["makemigrations", "blog"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /apps\/blog\/models\.ts is not in it\): regenerated it/);
  assert.doesNotMatch(result.stdout, /No changes/);
  assert.match(result.stdout, /Create model Post/);
  const migration = await Deno.readTextFile(
    new URL("apps/blog/migrations/0001_initial.ts", project.root),
  );
  assert.match(migration, /blog\.Post|"Post"/);
});

Deno.test("a registry that cannot be regenerated is reported: unknown command, check, makemigrations", async () => {
  await using project = await sampleProject();
  const { flags, done } = await readOnly(project);
  try {
    await write(project, "apps/blog/commands/hello_blog.ts", HELLO);
    await write(project, "apps/blog/models.ts", MODELS);
    const stale = "commands/_registry.ts is out of date (apps/blog/commands/hello_blog.ts is " +
      "not in it, apps/blog/models.ts is not in it) and was not regenerated: this run may not " +
      "write the project folder: run 'deno task registry'";

    const unknown = await project.run(["hello_blog"], { permissions: flags });
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.stderr,
      `warning: ${stale}\n` +
        "Unknown command: 'hello_blog': apps/blog/commands/hello_blog.ts exists, but " +
        "commands/_registry.ts does not list it and was not regenerated: this run may not " +
        "write the project folder: run 'deno task registry'\n",
    );

    const check = await project.run(["check"], { permissions: flags });
    assert.equal(check.code, 1, check.stdout);
    assert.match(
      check.stderr,
      /commands\/_registry\.ts: \(registry\.E001\) commands\/_registry\.ts is out of date/,
    );

    const makemigrations = await project.run(["makemigrations", "blog", "--dry-run"], {
      permissions: flags,
    });
    assert.equal(makemigrations.code, 1, makemigrations.stdout);
    assert.doesNotMatch(makemigrations.stdout, /No changes/);
    assert.match(makemigrations.stderr, /CommandError: commands\/_registry\.ts is out of date/);

    // Nothing was written: the registry is as it was.
    assert.doesNotMatch(
      await Deno.readTextFile(new URL("commands/_registry.ts", project.root)),
      /hello_blog/,
    );
  } finally {
    await done();
  }
});

Deno.test("a broken new file is named, and the other commands still run", async () => {
  await using project = await sampleProject();
  await write(project, "apps/blog/commands/broken.ts", "export default 42;\n");
  const result = await project.run(["greet_user", "John"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "Hello, John!\n");
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0],
    /^warning: commands\/_registry\.ts is out of date \(apps\/blog\/commands\/broken\.ts is not in it\) and could not be regenerated: apps\/blog\/commands\/broken\.ts.*: run 'deno task registry'$/,
  );
  const check = await project.run(["check"]);
  assert.equal(check.code, 1);
  assert.match(check.stderr, /registry\.E001/);
});
