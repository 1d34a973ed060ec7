// Claiming skips what others hold (FOR UPDATE SKIP LOCKED): a worker never waits for a job that
// another transaction has locked, it takes the next ones. Seen on the server, where two
// connections run at once: while one holds a job, another's claim must end without waiting on a
// lock (watched in pg_stat_activity, not timed).

import assert from "node:assert/strict";
import { serverTestDatabase } from "../../../_database.ts";
import { needs, SERVER_URL } from "../../../_requires.ts";
import { insertJob, newJob } from "../../../../apps/jobs/queue/mod.ts";
import { createQueueTables } from "../../../../apps/jobs/queue/_tables.ts";
import { claimJobs } from "../../../../apps/jobs/queue/_claims.ts";

Deno.test(needs("server", {
  name: "a claim skips a job another transaction holds, and never waits for it",
  async fn() {
    const database = await serverTestDatabase(SERVER_URL!);
    const [holder, worker, watcher] = [
      await database.open(),
      await database.open(),
      await database.open(),
    ];
    try {
      await createQueueTables(holder);
      const { id: held } = await insertJob(holder, newJob("ok", ["held"]));
      const { id: free } = await insertJob(holder, newJob("ok", ["free"]));
      await holder.transaction(async (tx) => {
        await tx.query("SELECT id FROM manage_job WHERE id = $1 FOR UPDATE", [held]);
        let ended = false;
        const claim = claimJobs(worker, "w1", ["default"], 10).then(
          (jobs) => ({ jobs }),
          (error: Error) => ({ error }),
        ).finally(() => ended = true);
        let waited = false;
        while (!ended) {
          const [row] = await watcher.sql<{ n: number }>`
            SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`;
          if (row.n > 0) {
            // End the wait, so that the claim and the test can finish.
            waited = true;
            await watcher.query(
              "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE " +
                "datname = current_database() AND wait_event_type = 'Lock'",
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const result = await claim;
        assert.ok(!waited, "the claim waited for the job another transaction holds");
        assert.deepEqual("jobs" in result ? result.jobs.map((job) => job.id) : result, [free]);
      });
    } finally {
      for (const db of [holder, worker, watcher]) await db.close();
      await database.drop();
    }
  },
}));
