// The queue and the worker in this process, on both drivers: enqueueing and its checks, burst
// mode, captured output, retries with backoff, usage errors, timeouts, cancelling, priorities,
// delayed jobs, unique keys, draining, and jobs of stopped workers run again.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../../_database.ts";
import {
  cancelJob,
  defineSchedule,
  enqueue,
  enqueueCommand,
  getJob,
  listJobs,
  retryJob,
  runWorker,
} from "../../../../apps/jobs/queue/mod.ts";
import { createQueueTables } from "../../../../apps/jobs/queue/_tables.ts";
import { claimJobs, heartbeat } from "../../../../apps/jobs/queue/_claims.ts";
import { insertJob, newJob, OUTPUT_CHANNEL } from "../../../../apps/jobs/queue/_queue.ts";
import { CommandError, UsageError } from "../../../../core/errors.ts";
import type { Database } from "../../../../core/database.ts";
import { fast, Runs, testCommands, testRegistry, workUntil } from "../_jobs.ts";

async function setUp(open: () => Promise<Database>) {
  const db = await open();
  await createQueueTables(db);
  const runs = new Runs();
  const registry = testRegistry(testCommands(runs));
  return { db, runs, registry };
}

async function statusOf(db: Database, id: number): Promise<string | undefined> {
  return (await getJob(db, id))?.status;
}

Deno.test("enqueue checks the command and its arguments before storing a job", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, registry } = await setUp(database.open);
    try {
      await assert.rejects(
        enqueueCommand("nope", [], { registry, db }),
        (e: Error) => e instanceof CommandError && /Unknown command: 'nope'/.test(e.message),
      );
      await assert.rejects(
        enqueueCommand("number", ["many"], { registry, db }),
        (e: Error) =>
          e instanceof UsageError &&
          e.message === "number: argument n: invalid int value: 'many' " +
              "(see 'manage help number')",
      );
      await assert.rejects(
        enqueueCommand("ok", ["--help"], { registry, db }),
        /a job cannot ask for --help/,
      );
      await assert.rejects(
        enqueueCommand("ok", [], { registry, db, queue: "no spaces" }),
        /Invalid queue name 'no spaces'/,
      );
      await assert.rejects(
        enqueueCommand("ok", [], { registry, db, delay: "soon" }),
        /invalid duration "soon"/,
      );
      await assert.rejects(
        enqueueCommand("ok", [], { registry, db, maxAttempts: 0 }),
        /Invalid maxAttempts 0/,
      );
      assert.deepEqual(await listJobs(db), [], "a refused job is not stored");
      const id = await enqueueCommand("ok", ["x"], { registry, db });
      const job = await getJob(db, id);
      assert.equal(job?.status, "queued");
      assert.deepEqual(job?.args, ["x"]);
      assert.equal(job?.maxAttempts, 3);
    } finally {
      await db.close();
    }
  });
});

Deno.test("a burst worker runs every due job, capturing output, and stops", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs, registry } = await setUp(database.open);
    try {
      const ids = [];
      for (let i = 0; i < 25; i++) {
        ids.push(
          await enqueueCommand("ok", [`w${i}`, ...(i === 0 ? ["--shout"] : [])], {
            registry,
            db,
          }),
        );
      }
      const db2 = await enqueueCommand("count_results", [], { registry, db });
      const stats = await runWorker(fast({ db, registry, burst: true, concurrency: 4 }));
      assert.equal(stats.succeeded, 26);
      assert.equal(runs.of("ok").length, 25, "each job ran once");
      const first = await getJob(db, ids[0]);
      assert.equal(first?.status, "succeeded");
      assert.equal(first?.exitCode, 0);
      assert.equal(first?.attempts, 1);
      assert.equal(first?.stdout, "RAN w0\n");
      assert.equal(first?.stderr, "a note on stderr\n");
      assert.ok(first?.startedAt && first.finishedAt && first.finishedAt >= first.startedAt);
      // The job's ctx.db is the worker's database.
      assert.match((await getJob(db, db2))?.stdout ?? "", /^pending \d+\n$/);
      const [pending] = await db.sql<{ n: number }>`SELECT count(*)::int AS n FROM manage_job`;
      assert.equal(pending.n, 0, "ended jobs leave the pending table");
    } finally {
      await db.close();
    }
  });
});

Deno.test("failed attempts are retried with a growing backoff, then fail for good", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs, registry } = await setUp(database.open);
    try {
      const passes = await enqueueCommand("fail_until", ["a", "3"], {
        registry,
        db,
        maxAttempts: 3,
      });
      const fails = await enqueueCommand("fail_until", ["b", "9"], {
        registry,
        db,
        maxAttempts: 2,
      });
      const stats = await runWorker(fast({ db, registry, burst: true, retryDelay: 200 }));
      assert.equal(stats.retried, 3);
      const passed = await getJob(db, passes);
      assert.equal(passed?.status, "succeeded");
      assert.equal(passed?.attempts, 3);
      const failed = await getJob(db, fails);
      assert.equal(failed?.status, "failed");
      assert.equal(failed?.attempts, 2);
      assert.equal(failed?.exitCode, 1);
      assert.equal(failed?.error, "CommandError: failed run 2 of b");
      // Equal jitter: the nth retry waits between half and all of 200 ms × 2^(n-1).
      const at = runs.of("fail_until", "a").map((r) => r.at);
      const gaps = [at[1] - at[0], at[2] - at[1]];
      assert.ok(gaps[0] >= 100 && gaps[0] < 1000, `first backoff ${gaps[0]} ms`);
      assert.ok(gaps[1] >= 200 && gaps[1] < 1500, `second backoff ${gaps[1]} ms`);
    } finally {
      await db.close();
    }
  });
});

Deno.test("a usage error is not retried; a timeout aborts the job's signal", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs, registry } = await setUp(database.open);
    try {
      // Stored without the check enqueue makes (as if the command changed since).
      const { id: usage } = await insertJob(db, newJob("number", ["many"], { maxAttempts: 5 }));
      const timed = await enqueueCommand("slow", ["t", "20000"], {
        registry,
        db,
        timeout: 300,
        maxAttempts: 1,
      });
      const started = performance.now();
      await runWorker(fast({ db, registry, burst: true }));
      assert.ok(performance.now() - started < 10_000, "the timeout cut the 20 s job short");
      const bad = await getJob(db, usage);
      assert.equal(bad?.status, "failed");
      assert.equal(bad?.attempts, 1);
      assert.equal(bad?.exitCode, 2);
      assert.match(bad?.stderr ?? "", /manage number: error: argument n: invalid int value/);
      assert.equal(runs.of("number").length, 0);
      const slow = await getJob(db, timed);
      assert.equal(slow?.status, "failed");
      assert.equal(slow?.error, "timed out after 300 ms");
      assert.equal(slow?.stdout, "started t\n");
    } finally {
      await db.close();
    }
  });
});

Deno.test("cancel drops a waiting job and aborts a running one", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs, registry } = await setUp(database.open);
    try {
      const waiting = await enqueueCommand("ok", ["never"], { registry, db, delay: "1h" });
      assert.equal(await cancelJob(db, waiting), "cancelled");
      assert.equal(await statusOf(db, waiting), "cancelled");
      assert.equal(await cancelJob(db, waiting), "finished");
      assert.equal(await cancelJob(db, 999_999), "missing");

      const long = await enqueueCommand("slow", ["c", "20000"], { registry, db, maxAttempts: 3 });
      let requested = false;
      const { met } = await workUntil({ db, registry }, async () => {
        if (!requested && runs.of("slow", "c").length === 1) {
          requested = true;
          assert.equal(await cancelJob(db, long), "requested");
        }
        return await statusOf(db, long) === "cancelled";
      });
      assert.ok(met, "the running job was cancelled");
      const job = await getJob(db, long);
      assert.equal(job?.error, "cancelled while running");
      assert.equal(job?.stdout, "started c\n", "it ran until its signal aborted");
      assert.equal(runs.of("slow", "c").length, 1, "a cancelled job is not retried");
      assert.equal(runs.of("ok").length, 0);
    } finally {
      await db.close();
    }
  });
});

Deno.test("priorities, delayed jobs, retry now, and unique keys", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs, registry } = await setUp(database.open);
    try {
      for (const [word, priority] of [["low", -1], ["mid", 0], ["high", 5]] as const) {
        await enqueueCommand("ok", [word], { registry, db, priority });
      }
      const later = await enqueueCommand("ok", ["later"], { registry, db, delay: "1h" });
      const first = await enqueue("ok", ["u1"], { registry, db, uniqueKey: "k" });
      const second = await enqueue("ok", ["u2"], { registry, db, uniqueKey: "k" });
      assert.deepEqual(second, { id: first.id, created: false }, "the waiting job's id");
      await runWorker(fast({ db, registry, burst: true, concurrency: 1, prefetch: 0 }));
      assert.deepEqual(runs.of("ok").map((r) => r.args[0]), ["high", "mid", "u1", "low"]);
      assert.equal(await statusOf(db, later), "queued", "a job due in an hour waits");
      const third = await enqueue("ok", ["u3"], { registry, db, uniqueKey: "k" });
      assert.ok(third.created && third.id !== first.id, "the key is free once its job ended");

      assert.equal(await retryJob(db, first.id), "conflict", "u3 holds the key now");
      assert.equal(await retryJob(db, later), "queued");
      await runWorker(fast({ db, registry, burst: true }));
      assert.equal(await retryJob(db, first.id), "queued", "an ended job runs again");
      await runWorker(fast({ db, registry, burst: true }));
      assert.equal(await statusOf(db, later), "succeeded");
      assert.equal(runs.of("ok", "u1").length, 2);
      assert.equal((await getJob(db, first.id))?.attempts, 1, "with a fresh count of attempts");
    } finally {
      await db.close();
    }
  });
});

Deno.test("draining gives back unstarted jobs and lets running ones finish", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs, registry } = await setUp(database.open);
    try {
      const ids = [];
      for (let i = 0; i < 6; i++) {
        ids.push(await enqueueCommand("slow", [`d${i}`, "400"], { registry, db }));
      }
      const { stats } = await workUntil(
        { db, registry, concurrency: 2, prefetch: 4 },
        () => runs.of("slow").length >= 2,
      );
      assert.equal(stats.succeeded, 2, "the two running jobs finished");
      assert.equal(stats.released, 4, "the four claimed but unstarted were given back");
      const jobs = await Promise.all(ids.map((id) => getJob(db, id)));
      assert.equal(jobs.filter((j) => j?.status === "succeeded").length, 2);
      const back = jobs.filter((j) => j?.status === "queued");
      assert.equal(back.length, 4);
      assert.ok(back.every((j) => j?.attempts === 0 && j.worker === null));

      // Past the grace period, a running job is aborted and given back too.
      const { stats: cut } = await workUntil(
        { db, registry, concurrency: 1, prefetch: 0, gracePeriod: 100 },
        () => runs.of("slow").length >= 3,
      );
      assert.equal(cut.released, 1);
      assert.equal(cut.failed, 0);
      assert.equal(jobs.length, 6);
      const [row] = await db.sql<{ n: number }>`
        SELECT count(*)::int AS n FROM manage_job WHERE status = 'queued' AND attempts = 0`;
      assert.equal(row.n, 4, "still four to run, none counted as an attempt");
    } finally {
      await db.close();
    }
  });
});

Deno.test("the jobs of a worker that stopped heartbeating run again elsewhere", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs, registry } = await setUp(database.open);
    try {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await enqueueCommand("ok", [`l${i}`], { registry, db }));
      // A worker claims them, then goes silent (as if killed).
      await heartbeat(db, {
        id: "gone",
        hostname: "h",
        pid: 1,
        queues: ["default"],
        concurrency: 1,
        leaseMs: 5000,
      });
      assert.equal((await claimJobs(db, "gone", ["default"], 10)).length, 3);
      await db.sql`UPDATE manage_worker SET heartbeat_at = now() - interval '1 minute'`;
      const stats = await runWorker(fast({ db, registry, burst: true, lease: 5000 }));
      assert.equal(stats.recovered, 3);
      assert.equal(stats.succeeded, 3);
      for (const id of ids) {
        const job = await getJob(db, id);
        assert.equal(job?.status, "succeeded");
        assert.equal(job?.attempts, 1, "the interrupted attempt is not counted");
      }
      assert.equal(runs.of("ok").length, 3);
      const workers = await db.sql<{ id: string; lost: boolean; requeued: number }>`
        SELECT id, lost_at IS NOT NULL AS lost, jobs_requeued AS requeued FROM manage_worker`;
      assert.deepEqual(
        workers.map((w) => ({ ...w, requeued: Number(w.requeued) })),
        [{ id: "gone", lost: true, requeued: 3 }],
        "the silent worker is kept as lost, with its jobs queued again; the stopped one is gone",
      );
    } finally {
      await db.close();
    }
  });
});

Deno.test("a schedule's ticks are enqueued once each, however many workers run", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs } = await setUp(database.open);
    // A second worker on a connection of its own where the driver has more than one.
    const other = database.kind === "postgres" ? await database.open() : db;
    try {
      const registry = testRegistry(testCommands(runs), [
        defineSchedule({ name: "test.every_second", command: "ok", args: ["tick"], every: "1s" }),
      ]);
      const controller = new AbortController();
      const workers = [db, other].map((conn) =>
        runWorker(fast({ db: conn, registry, schedules: true, signal: controller.signal }))
      );
      await new Promise((resolve) => setTimeout(resolve, 3500));
      controller.abort();
      const stats = await Promise.all(workers);
      const ticks = await db.sql<{ tick: Date }>`
        SELECT tick FROM manage_schedule_tick WHERE schedule = 'test.every_second' ORDER BY tick`;
      const jobs = await listJobs(db, { command: "ok" });
      assert.ok(ticks.length >= 3, `${ticks.length} ticks in 3.5 s`);
      assert.equal(jobs.length, ticks.length, "one job per tick");
      assert.ok(jobs.every((job) => job.schedule === "test.every_second"));
      assert.equal(stats[0].scheduled + stats[1].scheduled, ticks.length);
      const times = ticks.map((row) => new Date(row.tick).getTime());
      times.slice(1).forEach((time, i) =>
        assert.equal(time - times[i], 1000, "consecutive seconds")
      );
      assert.equal(
        runs.of("ok", "tick").length,
        jobs.filter((j) => j.status === "succeeded").length,
      );
    } finally {
      if (other !== db) await other.close();
      await db.close();
    }
  });
});

Deno.test("a running job's output so far is stored, and its watchers told", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs, registry } = await setUp(database.open);
    try {
      const id = await enqueueCommand("slow", ["watched", "1500"], { registry, db });
      const told: string[] = [];
      const stop = await db.listen(OUTPUT_CHANNEL, (payload) => told.push(payload));
      let seen: string | undefined;
      const { met } = await workUntil({ db, registry, outputInterval: 100 }, async () => {
        if (runs.of("slow").length === 0 || seen !== undefined) {
          return seen !== undefined && await statusOf(db, id) === "succeeded";
        }
        const job = await getJob(db, id);
        if (job?.status === "running" && job.stdout !== "") seen = job.stdout;
        return false;
      });
      await stop();
      assert.ok(met);
      assert.equal(seen, "started watched\n", "the output before the job ended");
      assert.ok(told.some((ids) => ids.split(",").includes(String(id))), "told of the output");
      assert.equal((await getJob(db, id))?.stdout, "started watched\nfinished watched\n");
    } finally {
      await db.close();
    }
  });
});

Deno.test("a worker of long jobs holds few ahead, so other workers share them", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, runs, registry } = await setUp(database.open);
    const other = database.kind === "postgres" ? await database.open() : db;
    try {
      for (let i = 0; i < 8; i++) {
        await enqueueCommand("slow", [`s${i}`, "250"], { registry, db });
      }
      const ran = [0, 0];
      const counting = (index: number) => ({
        ...testRegistry(testCommands(runs)),
        commands: registry.commands.map((entry) => ({
          ...entry,
          load: async () => {
            if (entry.name === "slow") ran[index]++;
            return await entry.load();
          },
        })),
      });
      await Promise.all([
        runWorker(fast({ db, registry: counting(0), burst: true, concurrency: 1 })),
        runWorker(fast({ db: other, registry: counting(1), burst: true, concurrency: 1 })),
      ]);
      assert.equal(runs.of("slow").length, 8);
      assert.ok(ran[0] >= 2 && ran[1] >= 2, `both workers ran long jobs: ${ran}`);
    } finally {
      if (other !== db) await other.close();
      await db.close();
    }
  });
});

Deno.test("after a burst of 10,000 jobs, an idle worker vacuums the pending table", async (t) => {
  await forEachDatabase(t, async (database) => {
    const { db, registry } = await setUp(database.open);
    try {
      const vacuumed = async () => {
        const [row] = await db.sql<{ at: Date | null }>`
          SELECT last_vacuum AS at FROM pg_stat_user_tables WHERE relname = 'manage_job'`;
        return row.at;
      };
      await db.sql`
        INSERT INTO manage_job (command, args)
        SELECT 'number', jsonb_build_array(g::text) FROM generate_series(1, 9999) AS g`;
      await runWorker(fast({ db, registry, burst: true }));
      assert.equal(await vacuumed(), null, "9,999 jobs: not yet");
      await db.sql`INSERT INTO manage_job (command, args) VALUES ('number', '["1"]')`;
      await runWorker(fast({ db, registry, burst: true }));
      // A new worker counts from zero: 9,999 + 1 is not a burst of 10,000 for either.
      assert.equal(await vacuumed(), null);
      await db.sql`
        INSERT INTO manage_job (command, args)
        SELECT 'number', jsonb_build_array(g::text) FROM generate_series(1, 10000) AS g`;
      await runWorker(fast({ db, registry, burst: true }));
      assert.notEqual(await vacuumed(), null, "vacuumed after 10,000");
    } finally {
      await db.close();
    }
  });
});
