// The operator's view of the queue on both drivers, after a known sequence: jobs enqueued on two
// queues (some delayed), some run to success and some to failure, a worker gone silent with a job
// in hand and then found lost; the counts, the throughput, the commands' figures, the workers and
// the schedules read back exactly.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../../_database.ts";
import { defineSchedule, enqueueCommand, runWorker } from "../../../../apps/jobs/queue/mod.ts";
import { createQueueTables } from "../../../../apps/jobs/queue/_tables.ts";
import { claimJobs, heartbeat, reapLostJobs } from "../../../../apps/jobs/queue/_claims.ts";
import { insertScheduledJob, newJob } from "../../../../apps/jobs/queue/_queue.ts";
import { listWorkers, queueStats, scheduleStatus } from "../../../../apps/jobs/queue/_stats.ts";
import { fast, Runs, testCommands, testRegistry } from "../_jobs.ts";

const HOURLY = defineSchedule({
  name: "test.hourly",
  command: "ok",
  args: ["tick"],
  cron: "@hourly",
});
const NEVER = defineSchedule({ name: "test.never_ran", command: "ok", every: "1d" });

Deno.test("the queue's stats, workers and schedules after a known sequence", async (t) => {
  await forEachDatabase(t, async (database) => {
    const db = await database.open();
    try {
      await createQueueTables(db);
      const runs = new Runs();
      const registry = testRegistry(testCommands(runs), [HOURLY, NEVER]);
      const enqueue = (command: string, args: string[], options = {}) =>
        enqueueCommand(command, args, { registry, db, ...options });
      for (const word of ["a", "b", "c"]) await enqueue("ok", [word]);
      for (const key of ["x", "y"]) await enqueue("fail_until", [key, "99"], { maxAttempts: 1 });
      await enqueue("ok", ["later"], { queue: "mail", delay: "1h" });
      const tick = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
      await insertScheduledJob(db, tick, newJob("ok", ["tick"], { schedule: "test.hourly" }));
      const ran = await runWorker(fast({ db, registry, burst: true, queues: ["default", "mail"] }));
      assert.equal(ran.succeeded, 4);
      assert.equal(ran.failed, 2);
      for (const word of ["d", "e"]) await enqueue("ok", [word]);
      await enqueue("ok", ["f"], { queue: "mail" });
      // A worker takes f and goes silent, as if killed.
      await heartbeat(db, {
        id: "gone",
        hostname: "h1",
        pid: 4242,
        queues: ["mail"],
        concurrency: 2,
        leaseMs: 5000,
      });
      assert.equal((await claimJobs(db, "gone", ["mail"], 1)).length, 1);

      const stats = await queueStats(db);
      assert.equal(stats.windowMs, 3_600_000);
      const counts = ({ queue, waiting, delayed, running, succeeded, failed, cancelled }: {
        queue: string;
        waiting: number;
        delayed: number;
        running: number;
        succeeded: number;
        failed: number;
        cancelled: number;
      }) => ({ queue, waiting, delayed, running, succeeded, failed, cancelled });
      assert.deepEqual(stats.queues.map(counts), [
        {
          queue: "default",
          waiting: 2,
          delayed: 0,
          running: 0,
          succeeded: 4,
          failed: 2,
          cancelled: 0,
        },
        {
          queue: "mail",
          waiting: 0,
          delayed: 1,
          running: 1,
          succeeded: 0,
          failed: 0,
          cancelled: 0,
        },
      ]);
      assert.deepEqual(counts(stats.total), {
        queue: "*",
        waiting: 2,
        delayed: 0 + 1,
        running: 1,
        succeeded: 4,
        failed: 2,
        cancelled: 0,
      });
      assert.ok(
        stats.queues[0].oldestWaitingMs !== null && stats.queues[0].oldestWaitingMs < 60_000,
      );
      assert.equal(stats.queues[1].oldestWaitingMs, null, "nothing due waits on mail");
      assert.equal(stats.bucketMs, 60_000);
      assert.equal(stats.throughput.length, 60);
      const sum = (key: "succeeded" | "failed") =>
        stats.throughput.reduce((n, bucket) => n + bucket[key], 0);
      assert.deepEqual([sum("succeeded"), sum("failed")], [4, 2]);
      assert.ok(
        new Date(stats.throughput.at(-1)!.start).getTime() <= new Date(stats.at).getTime(),
        "the last bucket holds now",
      );
      assert.deepEqual(
        stats.commands.map(({ command, runs, failed, failureRate }) => ({
          command,
          runs,
          failed,
          failureRate,
        })),
        [
          { command: "fail_until", runs: 2, failed: 2, failureRate: 1 },
          { command: "ok", runs: 4, failed: 0, failureRate: 0 },
        ],
      );
      for (const command of stats.commands) {
        assert.ok(command.medianMs !== null && command.medianMs >= 0);
        assert.ok(command.p95Ms !== null && command.p95Ms >= command.medianMs);
      }
      const windowed = await queueStats(db, { windowMs: 10 * 60_000 });
      assert.equal(windowed.bucketMs, 10_000);
      assert.equal(windowed.throughput.length, 60);

      // The silent worker: lost once its heartbeat is overdue, its job still in hand.
      await db.sql`UPDATE manage_worker SET heartbeat_at = now() - interval '1 minute'`;
      let [gone] = await listWorkers(db);
      assert.deepEqual(
        {
          id: gone.id,
          hostname: gone.hostname,
          pid: gone.pid,
          queues: gone.queues,
          concurrency: gone.concurrency,
          jobsInHand: gone.jobsInHand,
          state: gone.state,
          lostAt: gone.lostAt,
          leaseMs: gone.leaseMs,
        },
        {
          id: "gone",
          hostname: "h1",
          pid: 4242,
          queues: ["mail"],
          concurrency: 2,
          jobsInHand: 1,
          state: "lost",
          lostAt: null,
          leaseMs: 5000,
        },
      );
      // Another worker takes its job back: what happened is kept with it.
      assert.equal(await reapLostJobs(db, 5000), 1);
      [gone] = await listWorkers(db);
      assert.equal(gone.state, "lost");
      assert.ok(gone.lostAt !== null);
      assert.equal(gone.jobsInHand, 0);
      assert.equal(gone.jobsRequeued, 1);
      assert.equal(gone.jobsFailed, 0);
      assert.equal((await queueStats(db)).queues[1].waiting, 1, "f waits on mail again");

      const schedules = await scheduleStatus(db, [HOURLY, NEVER]);
      assert.equal(schedules.length, 2);
      const [hourly, never] = schedules;
      assert.equal(hourly.describe, "cron @hourly");
      assert.equal(hourly.lastTick, tick.toISOString());
      assert.equal(hourly.lastJob?.status, "succeeded");
      assert.equal(hourly.nextRun, new Date(tick.getTime() + 3_600_000).toISOString());
      assert.equal(never.describe, "every 1d");
      assert.equal(never.lastTick, null);
      assert.equal(never.lastJob, null);
    } finally {
      await db.close();
    }
  });
});
