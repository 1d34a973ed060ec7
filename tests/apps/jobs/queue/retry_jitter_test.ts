// The retry backoff's jitter, by its distribution: with "equal jitter" a failed attempt waits
// half its delay plus a uniformly random part of the other half, so that jobs failing together
// do not all come back at the same moment. Hundreds of failed attempts, read back from their
// run_at, must spread over [d/2, d] as a uniform draw does.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../../_database.ts";
import { createQueueTables } from "../../../../apps/jobs/queue/_tables.ts";
import { Runs, testCommands, testRegistry, workUntil } from "../_jobs.ts";

const JOBS = 400;
// Long enough that no retry comes due during the test, and that the time the test takes (which
// shifts every reading a little) is small beside it.
const DELAY = 3_600_000;

/**
 * The Kolmogorov–Smirnov distance between `samples` and the uniform distribution on [0, 1]: the
 * largest gap between their empirical distribution and the straight line.
 */
function distanceFromUniform(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  let distance = 0;
  sorted.forEach((x, i) => {
    const u = Math.min(Math.max(x, 0), 1);
    distance = Math.max(distance, (i + 1) / sorted.length - u, u - i / sorted.length);
  });
  return distance;
}

Deno.test("a failed attempt waits d/2 plus a uniform share of d/2 (equal jitter)", async (t) => {
  await forEachDatabase(t, async (database) => {
    const db = await database.open();
    try {
      await createQueueTables(db);
      const registry = testRegistry(testCommands(new Runs()));
      await db.query(
        `INSERT INTO manage_job (command, args, max_attempts)
         SELECT 'fail_until', jsonb_build_array('k' || i, '99'), 5 FROM generate_series(1, $1) i`,
        [JOBS],
      );
      const started = Date.now();
      const { met } = await workUntil(
        { db, registry, retryDelay: DELAY, maxRetryDelay: DELAY, concurrency: 20 },
        async () => {
          const [row] = await db.sql<{ n: number }>`
            SELECT count(*)::int AS n FROM manage_job
            WHERE attempts = 1 AND status = 'queued' AND last_error IS NOT NULL`;
          return row.n === JOBS;
        },
        60_000,
      );
      assert.ok(met, "every job failed its first attempt");
      const rows = await db.sql<{ wait: number }>`
        SELECT (extract(epoch FROM run_at - clock_timestamp()) * 1000)::float8 AS wait
        FROM manage_job`;
      assert.equal(rows.length, JOBS);
      // Each reading is the delay less the time since its attempt ended (at most `lag`).
      const lag = Date.now() - started + 1000;
      const half = DELAY / 2;
      const shares = rows.map((row) => (Number(row.wait) - half) / half);
      const slack = lag / half;
      const low = Math.min(...shares);
      const high = Math.max(...shares);
      assert.ok(low >= -slack, `a retry waits less than half its delay: share ${low}`);
      assert.ok(high <= 1 + 0.001, `a retry waits more than its delay: share ${high}`);
      // For 400 uniform draws, P(distance > 0.15) < 2·exp(-2·400·0.15²) ≈ 3e-8; readings shifted
      // by the lag move it by at most `slack`. A constant delay is at distance 0.5 or more.
      const distance = distanceFromUniform(shares);
      assert.ok(
        distance <= 0.15 + slack,
        `the waits are not spread uniformly over [d/2, d]: Kolmogorov–Smirnov distance ` +
          `${distance.toFixed(3)}, lowest ${low.toFixed(3)}, highest ${high.toFixed(3)}`,
      );
    } finally {
      await db.close();
    }
  });
});
