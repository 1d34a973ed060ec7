// Paths the user names work from any folder and outside the project: every built-in that takes a
// path (a fixture, --output, pglite:<dir>) runs through the real cli.ts with exactly the manage
// task's permissions, from the project, from a folder below it (as `deno task` starts it) and
// from a folder outside it (as a binary is started). A permission that is really missing is named
// with its path and the flag that grants it.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { permissionFlags } from "../scripts/compile.ts";
import { CLI_PERMISSIONS, ROOT, runProgram, type RunResult, sampleProject } from "./_helpers.ts";

// One copy of the project for the file: without the starter app myapp, with the fixture app
// sample (tests/fixtures/apps/sample/: the model sample.Item, its migration and a fixture).
const project = await sampleProject();
globalThis.addEventListener("unload", () => Deno.removeSync(project.root, { recursive: true }));
const ROOT_DIR = fileURLToPath(project.root).replace(/\/$/, "");
const FIXTURE = JSON.stringify([
  { model: "sample.item", pk: 1, fields: { name: "Outside 1" } },
  { model: "sample.item", pk: 2, fields: { name: "Outside 2" } },
]);

/** A folder outside the project (the system's temporary folder), removed after `fn`. */
async function withOutsideFolder(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "manage_outside_" });
  assert.ok(!dir.startsWith(`${ROOT_DIR}/`), `${dir} is inside the project`);
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The environment a new shell has: none of the test runner's INIT_CWD. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const keep = ["PATH", "HOME", "DENO_DIR", "TMPDIR", "XDG_CACHE_HOME"];
  const env: Record<string, string> = { NO_COLOR: "1", COLUMNS: "80" };
  for (const key of keep) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs deno in `cwd` with a clean environment. */
function spawn(cwd: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  return runProgram(Deno.execPath(), args, { cwd, env: cleanEnv(env), clearEnv: true });
}

/** `deno run <the manage task's permissions> <project>/cli.ts <args>`, started in `cwd`. */
function runFrom(cwd: string, args: string[], env: Record<string, string>): Promise<RunResult> {
  return spawn(cwd, [
    "run",
    "--quiet",
    "--config",
    join(ROOT_DIR, "deno.json"),
    ...CLI_PERMISSIONS,
    join(ROOT_DIR, "cli.ts"),
    ...args,
  ], env);
}

function names(fixture: string): string[] {
  return (JSON.parse(fixture) as { fields: { name: string } }[]).map((r) => r.fields.name);
}

Deno.test("every task that runs cli.ts has the manage task's permissions", async () => {
  const tasks: Record<string, string> = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ).tasks;
  const manage = permissionFlags(tasks.manage);
  for (const [name, command] of Object.entries(tasks)) {
    if (/\bcli\.ts\b/.test(command)) {
      assert.deepEqual(permissionFlags(command), manage, `the ${name} task`);
    }
  }
  // --allow-run lets any program read and write anything: a folder limit on reads and writes
  // would only break the paths users name.
  assert.deepEqual(manage, [
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-net",
    "--allow-sys",
  ]);
});

Deno.test("pglite:<dir>, a fixture and --output outside the project, from the project", async (t) => {
  await withOutsideFolder(async (outside) => {
    const env = { DATABASE_URL: `pglite:${outside}/db` };
    await Deno.writeTextFile(`${outside}/f.json`, FIXTURE);

    await t.step("migrate makes and migrates pglite:<dir> outside the project", async () => {
      const result = await project.run(["migrate", "-v", "0"], { env });
      assert.equal(result.stderr, `Created the embedded database in ${outside}/db\n`);
      assert.equal(result.code, 0);
      assert.ok((await Deno.stat(`${outside}/db/PG_VERSION`)).isFile);
    });

    await t.step("loaddata reads a fixture outside the project by its path", async () => {
      const result = await project.run(["loaddata", `${outside}/f.json`], { env });
      assert.deepEqual(result, {
        code: 0,
        stdout: "Installed 2 object(s) from 1 fixture(s)\n",
        stderr: "",
      });
    });

    await t.step("dumpdata --output writes a file outside the project", async () => {
      const result = await project.run(["dumpdata", "sample", "--output", `${outside}/out.json`], {
        env,
      });
      assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
      const dumped = await Deno.readTextFile(`${outside}/out.json`);
      assert.deepEqual(names(dumped), ["Outside 1", "Outside 2"]);
    });
  });
});

Deno.test("from a folder outside the project, relative paths are from that folder", async () => {
  await withOutsideFolder(async (outside) => {
    await Deno.writeTextFile(`${outside}/f.json`, FIXTURE);
    const env = { DATABASE_URL: "pglite:db" };
    const migrated = await runFrom(outside, ["migrate", "-v", "0"], env);
    assert.equal(migrated.stderr, "Created the embedded database in db\n");
    assert.equal(migrated.code, 0);
    assert.ok((await Deno.stat(`${outside}/db/PG_VERSION`)).isFile);
    const loaded = await runFrom(outside, ["loaddata", "f.json"], env);
    assert.deepEqual(loaded, {
      code: 0,
      stdout: "Installed 2 object(s) from 1 fixture(s)\n",
      stderr: "",
    });
    const dumped = await runFrom(outside, ["dumpdata", "sample", "-o", "out.json"], env);
    assert.deepEqual(dumped, { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(names(await Deno.readTextFile(`${outside}/out.json`)), [
      "Outside 1",
      "Outside 2",
    ]);
    // With no deno.json above it, the folder is the project: the default database is made there.
    const checked = await runFrom(outside, ["check_database"], {});
    assert.equal(checked.code, 0, checked.stderr);
    assert.equal(checked.stderr, "Created the embedded database in .manage/db\n");
    assert.ok((await Deno.stat(`${outside}/.manage/db/PG_VERSION`)).isFile);
  });
});

Deno.test("deno task manage from a folder below the project: paths are from that folder", async () => {
  await withOutsideFolder(async (outside) => {
    const env = { DATABASE_URL: `pglite:${outside}/db` };
    const migrated = await project.run(["migrate", "-v", "0"], { env });
    assert.equal(migrated.code, 0, migrated.stderr);
    // apps/sample/fixtures/objects.json, named from apps/sample, where the task is started.
    const result = await spawn(join(ROOT_DIR, "apps", "sample"), [
      "task",
      "--quiet",
      "manage",
      "loaddata",
      "fixtures/objects.json",
    ], env);
    assert.deepEqual(result, {
      code: 0,
      stdout: "Installed 2 object(s) from 1 fixture(s)\n",
      stderr: "",
    });
  });
});

Deno.test("a permission really missing is named with its path and the flag that grants it", async (t) => {
  // A project that narrows reads and writes to its own folder.
  const narrowed = CLI_PERMISSIONS.map((flag) =>
    flag === "--allow-read" || flag === "--allow-write" ? `${flag}=.` : flag
  );
  await withOutsideFolder(async (outside) => {
    await Deno.writeTextFile(`${outside}/f.json`, FIXTURE);
    const run = (args: string[]) =>
      project.run(args, { permissions: narrowed, env: { DATABASE_URL: "pglite:memory" } });

    await t.step("loaddata: the fixture is there, so it is not 'not found'", async () => {
      const result = await run(["loaddata", `${outside}/f.json`]);
      assert.equal(result.code, 1);
      assert.doesNotMatch(result.stderr, /No fixture named/);
      assert.equal(
        result.stderr,
        `PermissionError: Requires read access to "${outside}/f.json"\n` +
          `The loaddata command needs a permission this run was not given: add ` +
          `--allow-read=${outside}/f.json to the manage task in deno.json (see README, "Permissions")\n`,
      );
    });

    await t.step("dumpdata --output names the file and --allow-write", async () => {
      const result = await run(["dumpdata", "sample", "--output", `${outside}/out.json`]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`--allow-write=${outside}/out\\.json`));
      assert.match(result.stderr, new RegExp(`Requires write access to "${outside}/out\\.json"`));
    });

    await t.step("pglite:<dir> names the folder and --allow-write", async () => {
      const result = await project.run(["migrate"], {
        permissions: narrowed,
        env: { DATABASE_URL: `pglite:${outside}/db` },
      });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^PermissionError: Requires write access to "/);
      assert.match(result.stderr, new RegExp(`--allow-write=${outside}`));
    });
  });
});
