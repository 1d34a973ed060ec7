// What workers run on the queue: claiming jobs (`FOR UPDATE SKIP LOCKED`, in batches), recording
// how they ended and giving back those not started, heartbeats and the leases of silent workers,
// cancel requests, the output of running jobs, and when the next job is due.

import type { Queryable, Row } from "../../../core/database.ts";
import { JOBS_CHANNEL, jsonValue, OUTPUT_CHANNEL } from "./_queue.ts";
import { countEnded } from "./_rollup.ts";

/** A job a worker has claimed. */
export interface ClaimedJob {
  readonly id: number;
  readonly queue: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly priority: number;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly timeoutMs: number | null;
  readonly cancelRequested: boolean;
}

/**
 * Claims up to `limit` due jobs of `queues` for `worker`, highest priority first, skipping the
 * rows other workers are claiming (`FOR UPDATE SKIP LOCKED`), in one round trip.
 */
export async function claimJobs(
  db: Queryable,
  worker: string,
  queues: readonly string[],
  limit: number,
): Promise<ClaimedJob[]> {
  // One queue reads the claim index in order; several read the index by priority, filtered.
  const queue = queues.length === 1 ? "queue = $1" : "queue = ANY(string_to_array($1, ','))";
  const rows = await db.query(
    `
WITH next AS (
  SELECT id FROM manage_job
  WHERE status = 'queued' AND run_at <= now() AND ${queue}
  ORDER BY priority DESC, run_at, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)
UPDATE manage_job AS j
SET status = 'running', worker = $3, attempts = j.attempts + 1, started_at = now()
FROM next WHERE j.id = next.id
RETURNING j.id, j.queue, j.command, j.args, j.priority, j.attempts, j.max_attempts,
  j.timeout_ms, j.cancel_requested`,
    [queues.join(","), limit, worker],
  );
  return rows.map((row: Row) => ({
    id: Number(row.id),
    queue: row.queue as string,
    command: row.command as string,
    args: jsonValue<string[]>(row.args),
    priority: row.priority as number,
    attempts: row.attempts as number,
    maxAttempts: row.max_attempts as number,
    timeoutMs: row.timeout_ms as number | null,
    cancelRequested: row.cancel_requested as boolean,
  })).sort((a, b) => b.priority - a.priority || a.id - b.id);
}

/** How a job's attempt ended. */
export interface Outcome {
  readonly id: number;
  /** The job's status when it does not run again. */
  readonly status: "succeeded" | "failed" | "cancelled";
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error: string | null;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** Run it again after this many milliseconds (a failed attempt with attempts left). */
  readonly retryMs?: number;
}

/**
 * Records a batch of ended attempts in one statement: a job to retry goes back to the queue with
 * its backoff, any other moves to `manage_job_result`. Only jobs `worker` still holds are
 * touched (a job whose lease expired belongs to another worker now). Rows are found by primary
 * key (`id = ANY(ARRAY(…))`); the worker is compared with `IS NOT DISTINCT FROM`, which no index
 * serves, so the planner never walks the worker index in a nested loop over the batch.
 */
export async function finishJobs(
  db: Queryable,
  worker: string,
  outcomes: readonly Outcome[],
): Promise<void> {
  if (outcomes.length === 0) return;
  const batch = JSON.stringify(outcomes.map((o) => ({
    id: o.id,
    status: o.status,
    exit_code: o.exitCode,
    stdout: o.stdout,
    stderr: o.stderr,
    error: o.error,
    started_at: o.startedAt.toISOString(),
    finished_at: o.finishedAt.toISOString(),
    retry_ms: o.retryMs ?? null,
  })));
  await db.query(
    `
WITH r AS (
  SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r(id bigint, status text, exit_code integer,
    stdout text, stderr text, error text, started_at timestamptz, finished_at timestamptz,
    retry_ms float8)
), retried AS (
  UPDATE manage_job AS j
  SET status = 'queued', worker = NULL, started_at = NULL, last_error = r.error,
    run_at = now() + r.retry_ms * interval '1 ms'
  FROM r
  WHERE j.id = ANY(ARRAY(SELECT id FROM r WHERE retry_ms IS NOT NULL)) AND j.id = r.id
    AND j.status = 'running' AND j.worker IS NOT DISTINCT FROM $2
  RETURNING j.id
), done AS (
  DELETE FROM manage_job AS j
  WHERE j.id = ANY(ARRAY(SELECT id FROM r WHERE retry_ms IS NULL)) AND j.status = 'running'
    AND j.worker IS NOT DISTINCT FROM $2
  RETURNING j.*
), ended AS (
  INSERT INTO manage_job_result (id, queue, command, args, priority, status, exit_code, stdout,
    stderr, error, attempts, max_attempts, timeout_ms, unique_key, schedule, worker, created_at,
    run_at, started_at, finished_at)
  SELECT d.id, d.queue, d.command, d.args, d.priority, r.status, r.exit_code, r.stdout,
    r.stderr, r.error, d.attempts, d.max_attempts, d.timeout_ms, d.unique_key, d.schedule,
    d.worker, d.created_at, d.run_at, r.started_at, r.finished_at
  FROM done AS d JOIN r ON r.id = d.id
  ON CONFLICT (id) DO NOTHING
  RETURNING queue, command, status, started_at, finished_at
), ${countEnded("ended")}
SELECT count(*)::int AS counted FROM counted`,
    [batch, worker],
  );
}

/**
 * Gives back jobs `worker` claimed and did not finish (a draining worker's unstarted jobs, or
 * those cut short at the end of its grace period): queued again, the attempt not counted, and
 * the workers told.
 */
export async function releaseJobs(
  db: Queryable,
  worker: string,
  ids: readonly number[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db.query<{ released: number }>(
    `
WITH released AS (
  UPDATE manage_job
  SET status = 'queued', worker = NULL, started_at = NULL, attempts = attempts - 1
  WHERE id = ANY(string_to_array($1, ',')::bigint[]) AND worker = $2 AND status = 'running'
  RETURNING queue
), notified AS (
  SELECT pg_notify('${JOBS_CHANNEL}', queue) FROM (SELECT DISTINCT queue FROM released) AS q
)
SELECT (SELECT count(*) FROM released)::int AS released, (SELECT count(*) FROM notified)::int AS queues`,
    [ids.join(","), worker],
  );
  return Number(rows[0].released);
}

/** A worker's presence: refreshed on every heartbeat. */
export interface WorkerInfo {
  readonly id: string;
  readonly hostname: string;
  readonly pid: number;
  readonly queues: readonly string[];
  readonly concurrency: number;
  /** How long it may stay silent before others take its jobs back, in ms. */
  readonly leaseMs: number;
}

/**
 * Records that `worker` is alive (its lease on its jobs runs from now). Gives when the server
 * started, in ms, so that the worker sees a restart even when it lost no query to it.
 */
export async function heartbeat(db: Queryable, worker: WorkerInfo): Promise<number> {
  const [row] = await db.query<{ started: Date }>(
    `INSERT INTO manage_worker (id, hostname, pid, queues, concurrency, lease_ms)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), lost_at = NULL
RETURNING pg_postmaster_start_time() AS started`,
    [
      worker.id,
      worker.hostname,
      worker.pid,
      worker.queues.join(","),
      worker.concurrency,
      Math.round(worker.leaseMs),
    ],
  );
  return new Date(row.started).getTime();
}

/** Removes a stopping worker's record. */
export async function unregisterWorker(db: Queryable, worker: string): Promise<void> {
  await db.query("DELETE FROM manage_worker WHERE id = $1", [worker]);
}

/** A job given up after its workers stopped this many times while running it. */
export const MAX_LOST = 10;

/** How long a lost worker's record (and what happened to its jobs) is kept, in hours. */
export const LOST_WORKER_HOURS = 24;

/**
 * Releases the jobs of workers that have not heartbeaten for `leaseMs`: queued again, the
 * interrupted attempt not counted (a job whose workers stopped {@linkcode MAX_LOST} times
 * fails). Gives how many were released. Any worker may run it; each job is released once. The
 * silent workers are marked lost, with how many of their jobs were queued again and failed, for
 * the operator to see; {@linkcode LOST_WORKER_HOURS} later they are forgotten.
 */
export async function reapLostJobs(db: Queryable, leaseMs: number): Promise<number> {
  const error = `its worker stopped while running it (no heartbeat for ${
    Math.round(leaseMs / 1000)
  }s)`;
  const [row] = await db.query<{ released: number }>(
    `
WITH lost AS (
  SELECT j.id, j.worker AS lost_by FROM manage_job AS j
  WHERE j.worker IS NOT NULL AND j.status = 'running' AND NOT EXISTS (
    SELECT 1 FROM manage_worker AS w
    WHERE w.id = j.worker AND w.heartbeat_at > now() - $1::float8 * interval '1 ms')
  FOR UPDATE SKIP LOCKED
), requeued AS (
  UPDATE manage_job AS j
  SET status = 'queued', worker = NULL, started_at = NULL, run_at = now(),
    attempts = j.attempts - 1, lost = j.lost + 1, last_error = $2
  FROM lost WHERE j.id = lost.id AND j.lost + 1 < ${MAX_LOST}
  RETURNING j.id, j.queue, lost.lost_by
), given_up AS (
  DELETE FROM manage_job AS j USING lost WHERE j.id = lost.id AND j.lost + 1 >= ${MAX_LOST}
  RETURNING j.*
), failed AS (
  INSERT INTO manage_job_result (id, queue, command, args, priority, status, error, attempts,
    max_attempts, timeout_ms, unique_key, schedule, worker, created_at, run_at, started_at)
  SELECT id, queue, command, args, priority, 'failed', $2 || ', ${MAX_LOST} times', attempts,
    max_attempts, timeout_ms, unique_key, schedule, worker, created_at, run_at, started_at
  FROM given_up
  ON CONFLICT (id) DO NOTHING
  RETURNING id, worker, queue, command, status, started_at, finished_at
), ${countEnded("failed")}, dead AS (
  UPDATE manage_worker AS w SET lost_at = now(),
    jobs_requeued = w.jobs_requeued + (SELECT count(*) FROM requeued WHERE lost_by = w.id),
    jobs_failed = w.jobs_failed + (SELECT count(*) FROM failed WHERE failed.worker = w.id)
  WHERE w.heartbeat_at < now() - $1::float8 * interval '1 ms' AND w.lost_at IS NULL
  RETURNING w.id
), forgotten AS (
  DELETE FROM manage_worker WHERE lost_at < now() - interval '${LOST_WORKER_HOURS} hours'
  RETURNING id
), notified AS (
  SELECT pg_notify('${JOBS_CHANNEL}', queue) FROM (SELECT DISTINCT queue FROM requeued) AS q
)
SELECT (SELECT count(*) FROM requeued)::int + (SELECT count(*) FROM failed)::int AS released,
  (SELECT count(*) FROM notified)::int AS queues, (SELECT count(*) FROM dead)::int AS dead,
  (SELECT count(*) FROM forgotten)::int AS forgotten`,
    [leaseMs, error],
  );
  return Number(row?.released ?? 0);
}

/** The running jobs of `worker` that were asked to stop (a missed cancel notification). */
export async function cancelRequested(db: Queryable, worker: string): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    "SELECT id FROM manage_job WHERE worker = $1 AND status = 'running' AND cancel_requested",
    [worker],
  );
  return rows.map((r) => Number(r.id));
}

/** When the next job of `queues` comes due, if one waits. */
export async function nextRunAt(db: Queryable, queues: readonly string[]): Promise<Date | null> {
  const [row] = await db.query<{ next: Date | null }>(
    `SELECT min(run_at) AS next FROM manage_job
WHERE status = 'queued' AND queue = ANY(string_to_array($1, ','))`,
    [queues.join(",")],
  );
  return row?.next ? new Date(row.next) : null;
}

/** Which of `ids` still wait in the queue, and when the first comes due. */
export async function pendingAmong(
  db: Queryable,
  ids: readonly number[],
): Promise<{ count: number; next: Date | null }> {
  if (ids.length === 0) return { count: 0, next: null };
  const [row] = await db.query<{ count: number; next: Date | null }>(
    `SELECT count(*)::int AS count, min(run_at) AS next FROM manage_job
WHERE id = ANY(string_to_array($1, ',')::bigint[])`,
    [ids.join(",")],
  );
  return { count: Number(row.count), next: row.next ? new Date(row.next) : null };
}

/** The jobs marked running on `worker`. */
export async function runningOn(db: Queryable, worker: string): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    "SELECT id FROM manage_job WHERE worker = $1 AND status = 'running'",
    [worker],
  );
  return rows.map((row) => Number(row.id));
}

/** Whether a job of `queues` waits and is due now (by the database's clock). */
export async function anyDue(db: Queryable, queues: readonly string[]): Promise<boolean> {
  const [row] = await db.query<{ due: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM manage_job WHERE status = 'queued'
AND queue = ANY(string_to_array($1, ',')) AND run_at <= now()) AS due`,
    [queues.join(",")],
  );
  return row?.due === true;
}

/** How many jobs of `queues` run on workers other than `worker` (alive or not). */
export async function runningElsewhere(
  db: Queryable,
  worker: string,
  queues: readonly string[],
): Promise<number> {
  const [row] = await db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM manage_job
WHERE status = 'running' AND queue = ANY(string_to_array($1, ',')) AND worker IS DISTINCT FROM $2`,
    [queues.join(","), worker],
  );
  return Number(row.count);
}

/**
 * Stores the output so far of jobs that are still running (`jobs show` and the web console read
 * it), and tells listeners of {@linkcode OUTPUT_CHANNEL} which jobs have more.
 */
export async function saveOutput(
  db: Queryable,
  worker: string,
  outputs: readonly { id: number; stdout: string; stderr: string }[],
): Promise<void> {
  if (outputs.length === 0) return;
  await db.query(
    `
WITH r AS (
  SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r(id bigint, stdout text, stderr text)
), saved AS (
  UPDATE manage_job AS j SET stdout = r.stdout, stderr = r.stderr
  FROM r
  WHERE j.id = ANY(ARRAY(SELECT id FROM r)) AND j.id = r.id AND j.status = 'running'
    AND j.worker IS NOT DISTINCT FROM $2
  RETURNING j.id
)
SELECT pg_notify('${OUTPUT_CHANNEL}', string_agg(id::text, ',')) FROM saved HAVING count(*) > 0`,
    [JSON.stringify(outputs), worker],
  );
}
