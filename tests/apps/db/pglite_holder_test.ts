// The process holding the embedded database never drops what it accepted: real `manage`
// processes run at once on one database, holders start and stop under them, and every command
// either succeeds or fails with nothing done. Effects are counted in the database afterwards.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import openDatabase from "../../../apps/db/database.ts";
import { pgliteTestDatabase } from "../../_database.ts";
import { ROOT, runCli, type RunResult } from "../../_helpers.ts";

const ROOT_DIR = fileURLToPath(ROOT);
const quiet = { env: {}, cwd: ROOT_DIR, notice: () => {} };

/** Counts rows with a connection of this process, closed again before the next command runs. */
async function count(url: string, sql: string): Promise<number> {
  const db = await openDatabase(url, quiet);
  try {
    const [row] = await db.query<{ n: number }>(`SELECT (${sql})::int AS n`);
    return row.n;
  } finally {
    await db.close();
  }
}

function describe(runs: RunResult[]): string {
  return runs.filter((run) => run.code !== 0).map((run) => `${run.code}: ${run.stderr.trim()}`)
    .join("\n");
}

Deno.test("three loops of 15 enqueue on one embedded database: 45 exit 0 and 45 jobs", async () => {
  const testDb = await pgliteTestDatabase();
  try {
    const env = { DATABASE_URL: testDb.url };
    const migrate = await runCli(["migrate"], { env });
    assert.equal(migrate.code, 0, migrate.stderr);
    const loop = async (shell: number) => {
      const runs: RunResult[] = [];
      for (let i = 0; i < 15; i++) {
        runs.push(await runCli(["enqueue", "greet_user", `shell${shell}-${i}`], { env }));
      }
      return runs;
    };
    const runs = (await Promise.all([loop(1), loop(2), loop(3)])).flat();
    assert.equal(runs.filter((run) => run.code === 0).length, 45, describe(runs));
    assert.equal(await count(testDb.url, "SELECT count(*) FROM manage_job"), 45);
    assert.equal(
      await count(testDb.url, "SELECT count(DISTINCT args) FROM manage_job"),
      45,
      "each job once",
    );
  } finally {
    await testDb.drop();
  }
});

Deno.test("six migrate at once on a fresh embedded database: all exit 0, each migration once", async () => {
  const parent = join(ROOT_DIR, ".manage", "test");
  await Deno.mkdir(parent, { recursive: true });
  const temp = await Deno.makeTempDir({ dir: parent, prefix: "fresh_" });
  const url = `pglite:${join(temp, "db")}`;
  try {
    const env = { DATABASE_URL: url };
    const runs = await Promise.all(Array.from({ length: 6 }, () => runCli(["migrate"], { env })));
    assert.deepEqual(runs.map((run) => run.code), [0, 0, 0, 0, 0, 0], describe(runs));
    const applying = runs.reduce((sum, run) => sum + (run.stdout.match(/Applying /g) ?? []).length, 0);
    const recorded = await count(url, "SELECT count(*) FROM manage_migrations");
    const distinct = await count(url, "SELECT count(DISTINCT (app, name)) FROM manage_migrations");
    assert.equal(recorded, distinct);
    assert.equal(applying, recorded);
    assert.ok(recorded > 0);
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
});
