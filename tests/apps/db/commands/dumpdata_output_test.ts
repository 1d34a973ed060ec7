// `dumpdata --output FILE` replaces FILE only with a complete dump: a real process killed
// (SIGKILL, SIGTERM), a write that fails (the file size limit, as a full disk would), and a
// server that crashes mid-dump each leave the old file as it was, with no temporary file left
// (or one the next run removes).

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import openDatabase from "../../../../apps/db/database.ts";
import { forEachDatabase } from "../../../_database.ts";
import { CLI_PERMISSIONS, type Project } from "../../../_helpers.ts";
import { hasPostgresBinaries, startOwnPostgres } from "../../../_own_postgres.ts";
import { fillBooks, SCHEMA, shopProject, withDb } from "../_shop.ts";

/** What the output folder held before each run: one file, of these bytes and this mode. */
const OLD = '[{"model": "shop.author", "pk": 1, "fields": {"name": "the backup", "born": null}}]';
const OLD_MODE = 0o640;

/** Starts `manage <args>` in `project` (through `sh -c <prefix>` when given). */
function spawnCli(
  project: Project,
  args: string[],
  env: Record<string, string>,
  shell?: string,
): Deno.ChildProcess {
  const deno = [Deno.execPath(), "run", "--quiet", ...CLI_PERMISSIONS, "cli.ts", ...args];
  return new Deno.Command(shell ? "sh" : deno[0], {
    args: shell ? ["-c", `${shell}; exec "$@"`, "sh", ...deno] : deno.slice(1),
    cwd: project.root,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** The names in `dir` and their sizes, sorted. */
async function listing(dir: string): Promise<[string, number][]> {
  const entries: [string, number][] = [];
  for await (const entry of Deno.readDir(dir)) {
    entries.push([entry.name, (await Deno.stat(`${dir}/${entry.name}`)).size]);
  }
  return entries.sort(([a], [b]) => a < b ? -1 : 1);
}

/**
 * Waits until the dump has written 100 kB into `dir` (`before`: its listing before the run, so
 * that a file left by an earlier run does not count).
 */
async function dumpStarted(
  dir: string,
  before: [string, number][],
  child: Deno.ChildProcess,
): Promise<void> {
  const sizes = new Map(before);
  const exited = child.status.then(() => true);
  for (let i = 0; i < 3000; i++) {
    // Rows, not only an emptied or new file: the database is being read.
    const writing = (await listing(dir)).some(([name, size]) =>
      size > 100_000 && size !== sizes.get(name)
    );
    if (writing) return;
    if (await Promise.race([exited, new Promise((r) => setTimeout(() => r(false), 10))])) {
      throw new Error("The dump ended before it was seen writing: give it more rows");
    }
  }
  throw new Error("The dump did not start writing in 30 seconds");
}

/** Starts `manage <args>` and waits until it is writing the dump. */
async function startDump(
  project: Project,
  args: string[],
  env: Record<string, string>,
  dir: string,
  shell?: string,
): Promise<Deno.ChildProcess> {
  const before = await listing(dir);
  const child = spawnCli(project, args, env, shell);
  await dumpStarted(dir, before, child);
  return child;
}

/** The old file is there, whole, with its mode. */
async function assertOldKept(dir: string): Promise<void> {
  assert.equal(await Deno.readTextFile(`${dir}/dump.json`), OLD);
  assert.equal((await Deno.stat(`${dir}/dump.json`)).mode! & 0o777, OLD_MODE);
}

async function writeOld(dir: string): Promise<void> {
  await Deno.writeTextFile(`${dir}/dump.json`, OLD);
  await Deno.chmod(`${dir}/dump.json`, OLD_MODE);
}

/** A child's stdout and stderr as text, once it has ended. */
async function ended(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await child.output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

const ROWS = 150_000;

const HAS_PRLIMIT = await new Deno.Command("prlimit", { args: ["--version"], stdout: "null" })
  .output().then((r) => r.success, () => false);

Deno.test("dumpdata --output replaces the file only with a complete dump", async (t) => {
  await using project = await shopProject();
  const dir = `${fileURLToPath(project.root)}out`;
  await Deno.mkdir(dir);
  const args = ["dumpdata", "shop", "--output", "out/dump.json"];
  await forEachDatabase(t, async (database, t) => {
    const env = { DATABASE_URL: database.url };
    await withDb(database, (db) => db.exec(SCHEMA + fillBooks(ROWS)));

    await t.step("killed with SIGKILL midway: the old file stays", async () => {
      await writeOld(dir);
      const child = await startDump(project, args, env, dir);
      child.kill("SIGKILL");
      const { code } = await ended(child);
      assert.equal(code, 137);
      await assertOldKept(dir);
    });

    await t.step("stopped with SIGTERM midway: the old file stays, nothing else", async () => {
      await writeOld(dir);
      const child = await startDump(project, args, env, dir);
      child.kill("SIGTERM");
      const { code, stderr } = await ended(child);
      assert.equal(code, 143, stderr);
      assert.equal(stderr, "");
      await assertOldKept(dir);
      assert.deepEqual((await listing(dir)).map(([name]) => name), ["dump.json"]);
    });

    await t.step({
      name: "a write that fails midway: one line, the old file stays",
      // prlimit (util-linux) sets the limit on the running process.
      ignore: !HAS_PRLIMIT,
      fn: async () => {
        await writeOld(dir);
        // Writes past the size limit fail (EFBIG, as ENOSPC on a full disk) once it is set.
        const child = await startDump(project, args, env, dir, "trap '' XFSZ");
        const limit = new Deno.Command("prlimit", {
          args: ["--pid", String(child.pid), "--fsize=1000000:"],
        });
        assert.ok((await limit.output()).success, "prlimit failed");
        const { code, stderr } = await ended(child);
        assert.equal(code, 1, stderr);
        assert.equal(
          stderr,
          "CommandError: Cannot write out/dump.json: File too large (os error 27)\n",
        );
        await assertOldKept(dir);
        assert.deepEqual((await listing(dir)).map(([name]) => name), ["dump.json"]);
      },
    });

    await t.step("the next run replaces it, keeps its mode and leaves nothing else", async () => {
      const { code, stderr } = await ended(spawnCli(project, args, env));
      assert.equal(code, 0, stderr);
      const objects = JSON.parse(await Deno.readTextFile(`${dir}/dump.json`)) as unknown[];
      assert.equal(objects.length, ROWS + 1);
      assert.equal((await Deno.stat(`${dir}/dump.json`)).mode! & 0o777, OLD_MODE);
      // The temporary files of the killed runs are gone too.
      assert.deepEqual((await listing(dir)).map(([name]) => name), ["dump.json"]);
    });
  }, { root: project.root });
});

Deno.test({
  name: "dumpdata --output keeps the old file when the server crashes mid-dump",
  ignore: !(await hasPostgresBinaries()),
  async fn() {
    await using server = await startOwnPostgres();
    await using project = await shopProject();
    const dir = `${fileURLToPath(project.root)}out`;
    await Deno.mkdir(dir);
    await writeOld(dir);
    const env = { DATABASE_URL: server.url };
    const db = await openDatabase(server.url, { env: {}, cwd: dir, notice: () => {} });
    try {
      await db.exec(SCHEMA + fillBooks(ROWS * 2));
    } finally {
      await db.close();
    }
    const args = ["dumpdata", "shop", "--output", "out/dump.json"];
    const child = await startDump(project, args, env, dir);
    await server.stop("immediate");
    const { code, stderr } = await ended(child);
    assert.equal(code, 1, stderr);
    // The server's last words (it is shutting down) or the closed connection, as they come.
    assert.match(
      stderr,
      /^CommandError: Unable to serialize database: [^\n]+; out\/dump\.json was left as it was\n$/,
    );
    await assertOldKept(dir);
    assert.deepEqual((await listing(dir)).map(([name]) => name), ["dump.json"]);
  },
});
