// The running totals the operator's view reads: each job that ends is counted once, in the
// statement that ends it, whatever happens to its result afterwards (pruned, retried), however
// many jobs end at once, and whichever worker ends a job taken back from a lost one.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../../_database.ts";
import type { Database } from "../../../../core/database.ts";
import { createQueueTables } from "../../../../apps/jobs/queue/_tables.ts";
import {
  claimJobs,
  finishJobs,
  heartbeat,
  type Outcome,
  reapLostJobs,
} from "../../../../apps/jobs/queue/_claims.ts";
import { pruneJobs, retryJob } from "../../../../apps/jobs/queue/_records.ts";
import { histogramPercentile, queueStats } from "../../../../apps/jobs/queue/_stats.ts";

async function enqueueMany(db: Database, count: number, command = "ok", queue = "default") {
  await db.query(
    `INSERT INTO manage_job (queue, command) SELECT $1, $2 FROM generate_series(1, $3::int)`,
    [queue, command, count],
  );
}

function outcome(id: number, status: Outcome["status"], ms: number, endedAgoMs = 0): Outcome {
  const finishedAt = new Date(Date.now() - endedAgoMs);
  return {
    id,
    status,
    exitCode: status === "succeeded" ? 0 : 1,
    stdout: "",
    stderr: "",
    error: status === "succeeded" ? null : "it failed",
    startedAt: new Date(finishedAt.getTime() - ms),
    finishedAt,
  };
}

/** The totals' rows summed, by kind and length of row, for one status. */
async function totals(db: Database, status: string): Promise<Record<string, number>> {
  const rows = await db.query<{ level: string; runs: number }>(
    `SELECT kind || width AS level, sum(runs)::int AS runs FROM manage_job_stat
WHERE status = $1 GROUP BY 1 ORDER BY 1`,
    [status],
  );
  return Object.fromEntries(rows.map((r) => [r.level, Number(r.runs)]));
}

Deno.test("the window's counts tell the jobs that ran, after their results are pruned or retried", async (t) => {
  await forEachDatabase(t, async (database) => {
    const db = await database.open();
    try {
      await createQueueTables(db);
      await enqueueMany(db, 3);
      await enqueueMany(db, 2, "flaky");
      const jobs = await claimJobs(db, "w1", ["default"], 10);
      assert.equal(jobs.length, 5);
      await finishJobs(
        db,
        "w1",
        jobs.map((job) =>
          outcome(job.id, job.command === "ok" ? "succeeded" : "failed", 100 + job.id)
        ),
      );
      // One of them ended two hours ago: in the day's window, not the hour's.
      await enqueueMany(db, 1, "old");
      const [old] = await claimJobs(db, "w1", ["default"], 1);
      await finishJobs(db, "w1", [outcome(old.id, "succeeded", 50, 2 * 3_600_000)]);

      const before = await queueStats(db);
      assert.deepEqual([before.total.succeeded, before.total.failed], [3, 2]);
      assert.deepEqual([(await queueStats(db, { windowMs: 86_400_000 })).total.succeeded], [4]);

      // A failed job run again: its failure happened and stays counted; its new run adds to it.
      const failed = jobs.find((job) => job.command === "flaky")!;
      assert.equal(await retryJob(db, failed.id), "queued");
      const [again] = await claimJobs(db, "w2", ["default"], 1);
      assert.equal(again.id, failed.id);
      await finishJobs(db, "w2", [outcome(again.id, "succeeded", 120)]);
      // The results are gone (`manage jobs prune --older-than 0s`, or deleted by hand).
      assert.equal(await pruneJobs(db, 0), 6);
      await db.query("DELETE FROM manage_job_result");

      const after = await queueStats(db);
      assert.deepEqual([after.total.succeeded, after.total.failed], [4, 2]);
      assert.equal(after.throughput.reduce((n, b) => n + b.succeeded + b.failed, 0), 6);
      assert.deepEqual(
        after.commands.map(({ command, runs, failed }) => ({ command, runs, failed })),
        [{ command: "flaky", runs: 3, failed: 2 }, { command: "ok", runs: 3, failed: 0 }],
      );
      assert.equal((await queueStats(db, { windowMs: 86_400_000 })).total.succeeded, 5);
    } finally {
      await db.close();
    }
  });
});

Deno.test("jobs ending in concurrent statements are each counted once", async (t) => {
  await forEachDatabase(t, async (database) => {
    const db = await database.open();
    try {
      await createQueueTables(db);
      const workers = 8;
      const perWorker = 25;
      await enqueueMany(db, workers * perWorker, "same");
      const held = [];
      for (let w = 0; w < workers; w++) held.push(await claimJobs(db, `w${w}`, ["default"], 25));
      // Every batch ends at once, in its own statement (its own connection on a server), each
      // adding to the same rows of the totals.
      await Promise.all(
        held.map((jobs, w) =>
          Promise.all(
            jobs.map((job, i) =>
              finishJobs(db, `w${w}`, [outcome(job.id, i % 5 === 0 ? "failed" : "succeeded", 10)])
            ),
          )
        ),
      );
      const n = workers * perWorker;
      assert.deepEqual(await totals(db, "succeeded"), {
        c3600: n * 4 / 5,
        c60: n * 4 / 5,
        q1: n * 4 / 5,
        q3600: n * 4 / 5,
        q60: n * 4 / 5,
      });
      const stats = await queueStats(db);
      assert.deepEqual([stats.total.succeeded, stats.total.failed], [n * 4 / 5, n / 5]);
      assert.deepEqual(stats.commands.map(({ runs }) => runs), [n]);
    } finally {
      await db.close();
    }
  });
});

Deno.test("a lost worker's job, run again elsewhere, counts once for how it ended", async (t) => {
  await forEachDatabase(t, async (database) => {
    const db = await database.open();
    try {
      await createQueueTables(db);
      await enqueueMany(db, 1, "lost_one", "mail");
      const info = { hostname: "h", pid: 1, queues: ["mail"], concurrency: 1, leaseMs: 5000 };
      await heartbeat(db, { id: "killed", ...info });
      const [job] = await claimJobs(db, "killed", ["mail"], 1);
      await db.query("UPDATE manage_worker SET heartbeat_at = now() - interval '1 minute'");
      assert.equal(await reapLostJobs(db, 5000), 1);
      const [again] = await claimJobs(db, "survivor", ["mail"], 1);
      assert.equal(again.id, job.id);
      await finishJobs(db, "survivor", [outcome(job.id, "succeeded", 200)]);
      // The killed worker comes back and reports its attempt: the job is no longer its own.
      await finishJobs(db, "killed", [outcome(job.id, "failed", 300)]);
      assert.deepEqual(await totals(db, "succeeded"), {
        c3600: 1,
        c60: 1,
        q1: 1,
        q3600: 1,
        q60: 1,
      });
      assert.deepEqual(await totals(db, "failed"), {});
      const stats = await queueStats(db);
      assert.deepEqual(
        stats.queues.map(({ queue, succeeded, failed }) => ({ queue, succeeded, failed })),
        [{ queue: "mail", succeeded: 1, failed: 0 }],
      );
    } finally {
      await db.close();
    }
  });
});

Deno.test("the commands' percentiles come from half-octave buckets, within 2^(1/4)", async (t) => {
  await forEachDatabase(t, async (database) => {
    const db = await database.open();
    try {
      await createQueueTables(db);
      const durations = Array.from({ length: 200 }, (_, i) => 3 + i * i * 0.37);
      await enqueueMany(db, durations.length, "timed");
      const jobs = await claimJobs(db, "w", ["default"], durations.length);
      await finishJobs(db, "w", jobs.map((job, i) => outcome(job.id, "succeeded", durations[i])));
      const sorted = [...durations].sort((a, b) => a - b);
      const exact = (p: number) => sorted[Math.ceil(p * sorted.length) - 1];
      const [timed] = (await queueStats(db)).commands;
      for (const [figure, p] of [[timed.medianMs!, 0.5], [timed.p95Ms!, 0.95]]) {
        const ratio = figure / exact(p);
        assert.ok(ratio >= 2 ** -0.25 && ratio <= 2 ** 0.25, `${figure} vs ${exact(p)}`);
      }
    } finally {
      await db.close();
    }
  });
});

Deno.test("a percentile from the histogram: empty, under 1 ms, the middle of its bucket", () => {
  assert.equal(histogramPercentile([0, 0, 0], 0.5), null);
  assert.equal(histogramPercentile([4, 0, 0], 0.95), 0.5);
  // 10 runs in bucket 3 ([2, 2.83) ms), 1 in bucket 5 ([4, 5.66) ms).
  const counts = [0, 0, 0, 10, 0, 1, 0];
  assert.equal(histogramPercentile(counts, 0.5), 2 ** (5 / 4));
  assert.equal(histogramPercentile(counts, 0.95), 2 ** (9 / 4));
  assert.equal(histogramPercentile([0, 0, 0, 0, 1], 0.5), 2 ** (3 / 2), "the last is open");
});
