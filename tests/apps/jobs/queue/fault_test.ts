// At least once, proved: worker processes are SIGKILLed at random while 5,000 jobs run on the
// PostgreSQL server; every job must end succeeded, and a job may run twice only when one of
// its runs was on a worker that was killed (it was in flight then). Needs TEST_DATABASE_URL.

import assert from "node:assert/strict";
import { serverTestDatabase } from "../../../_database.ts";
import { CLI_PERMISSIONS, copyProject } from "../../../_helpers.ts";
import { needs, SERVER_URL } from "../../../_requires.ts";

const JOBS = 5000;

const FILES: Record<string, string> = {
  "apps/fault/migrations/0001_initial.ts":
    `import { defineMigration, runSQL } from "../../../mod.ts";

export default defineMigration({
  dependencies: [],
  operations: [runSQL("CREATE TABLE fault_run (n integer NOT NULL, pid integer NOT NULL)", "DROP TABLE fault_run")],
});
`,
  "apps/fault/commands/record_run.ts": `import { defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Records that job n ran, in this process",
  arguments: { n: { type: "integer" } },
  async handle({ options, db }) {
    await new Promise((resolve) => setTimeout(resolve, 40));
    await db.sql\`INSERT INTO fault_run (n, pid) VALUES (\${options.n}, \${Deno.pid})\`;
  },
});
`,
};

Deno.test(needs("server", {
  name: "SIGKILLed workers lose no job: 5,000 jobs, workers killed at random",
  async fn() {
    await using project = await copyProject(FILES, { without: ["apps/myapp"] });
    const database = await serverTestDatabase(SERVER_URL!);
    const db = await database.open();
    try {
      const env = { DATABASE_URL: database.url, NO_COLOR: "1" };
      const migrate = await project.run(["migrate", "-v", "0"], { env });
      assert.equal(migrate.code, 0, migrate.stderr);
      await db.sql`
        INSERT INTO manage_job (command, args, max_attempts)
        SELECT 'record_run', jsonb_build_array(g::text), 1 FROM generate_series(1, ${JOBS}) AS g`;

      const workers = new Set<Deno.ChildProcess>();
      const killed = new Set<number>();
      const start = () => {
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--quiet",
            ...CLI_PERMISSIONS,
            "cli.ts",
            "worker",
            "-c",
            "4",
            "--lease",
            "3s",
            "--poll-interval",
            "250ms",
            "-v",
            "0",
          ],
          cwd: project.root,
          env,
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        workers.add(child);
      };
      for (let i = 0; i < 3; i++) start();
      const done = async () => {
        const [row] = await db.sql<{ n: number }>`
          SELECT count(*)::int AS n FROM manage_job_result`;
        return row.n;
      };
      const deadline = Date.now() + 180_000;
      let kills = 0;
      while ((await done()) < JOBS && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 700 + Math.random() * 600));
        if (kills < 12) {
          const victims = [...workers];
          const victim = victims[Math.floor(Math.random() * victims.length)];
          victim.kill("SIGKILL");
          killed.add(victim.pid);
          workers.delete(victim);
          await victim.status;
          kills++;
          start();
        }
      }
      for (const child of workers) child.kill("SIGTERM");
      await Promise.all([...workers].map((child) => child.status));

      const [results] = await db.sql<{ total: number; succeeded: number }>`
        SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded
        FROM manage_job_result`;
      assert.equal(results.total, JOBS, "every job ended");
      assert.equal(results.succeeded, JOBS, "every job succeeded");
      const [pending] = await db.sql<{ n: number }>`SELECT count(*)::int AS n FROM manage_job`;
      assert.equal(pending.n, 0);
      const [runs] = await db.sql<{ distinct: number; total: number }>`
        SELECT count(DISTINCT n)::int AS distinct, count(*)::int AS total FROM fault_run`;
      assert.equal(runs.distinct, JOBS, "every job ran");
      const duplicated = await db.sql<{ n: number; pids: number[] }>`
        SELECT n, array_agg(pid) AS pids FROM fault_run GROUP BY n HAVING count(*) > 1`;
      for (const { n, pids } of duplicated) {
        assert.ok(
          pids.some((pid) => killed.has(pid)),
          `job ${n} ran twice (pids ${pids}) but on no killed worker`,
        );
      }
      console.log(
        `${JOBS} jobs, ${kills} workers killed: all succeeded; ${
          runs.total - runs.distinct
        } duplicate runs, all of jobs in flight on a killed worker`,
      );
    } finally {
      await db.close();
      await database.drop();
    }
  },
}));
