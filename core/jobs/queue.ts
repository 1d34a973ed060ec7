/**
 * The job queue in PostgreSQL: each statement the enqueuers, workers and `manage jobs` run.
 *
 * `manage_job` holds what waits or runs, and only that: claiming is an index scan over a small
 * table however many jobs have run. A job that ends moves, in the statement that records its
 * result, to `manage_job_result`, which is pruned by age. Every statement takes its values as
 * bound parameters; a batch travels as one JSON parameter.
 *
 * @module
 */

import type { Database, Queryable, Row } from "../database.ts";
import { CommandError } from "../errors.ts";
import { TRACEBACK_HINT } from "../main.ts";
import { redactor } from "../secrets.ts";
import { toMilliseconds } from "../schedule.ts";
import { stripAnsi } from "../style.ts";

/** The queue a job goes to when none is named. */
export const DEFAULT_QUEUE = "default";
/** The channel told of new jobs (payload: the queue). */
export const JOBS_CHANNEL = "manage_jobs";
/** The channel told of cancelled running jobs (payload: the job id). */
export const CANCEL_CHANNEL = "manage_jobs_cancel";
/** The channel told when running jobs have written more output (payload: their ids). */
export const OUTPUT_CHANNEL = "manage_jobs_output";
/** Attempts a job gets when none are given. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** The largest output kept of one stream of one job. */
export const OUTPUT_LIMIT = 1 << 20;

/** A job's output as stored: cut at {@linkcode OUTPUT_LIMIT} characters, saying so. */
export function capOutput(text: string): string {
  return text.length <= OUTPUT_LIMIT
    ? text
    : `${text.slice(0, OUTPUT_LIMIT)}\n… (output cut at ${OUTPUT_LIMIT} characters)\n`;
}

/**
 * The line that says why a run failed: the last line of its error output that says anything
 * (the hint to run again with `--traceback` says nothing about this failure).
 */
export function failureLine(text: string): string | null {
  const lines = text.split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && stripAnsi(l) !== TRACEBACK_HINT);
  const last = lines.at(-1);
  return last === undefined ? null : stripAnsi(last);
}

/** When and how a job runs. */
export interface JobOptions {
  /** Run it at this time (not before). */
  runAt?: Date;
  /** Run it after this long: milliseconds, or a duration such as `"10m"`. */
  delay?: number | string;
  /** The queue (`default`); workers take the queues they are given. */
  queue?: string;
  /** Higher runs first (0). */
  priority?: number;
  /** Attempts before it fails for good (3); a failed attempt is retried after a backoff. */
  maxAttempts?: number;
  /** Its time limit: milliseconds or a duration; its signal is aborted when it passes. */
  timeout?: number | string;
  /** While a job with this key waits or runs, enqueueing another gives that job's id. */
  uniqueKey?: string;
}

/** A job as stored. */
export interface NewJob {
  readonly command: string;
  readonly args: readonly string[];
  readonly queue: string;
  readonly priority: number;
  readonly runAt?: Date;
  readonly delayMs: number;
  readonly maxAttempts: number;
  readonly timeoutMs?: number;
  readonly uniqueKey?: string;
  readonly schedule?: string;
}

const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;
const INT4_MAX = 2 ** 31 - 1;
/** The longest a job may be delayed: ten years. */
const MAX_DELAY_MS = 3650 * 86_400_000;

/** Checks a queue name; a bad one is a `CommandError` naming the rule. */
export function checkQueueName(name: string): string {
  if (!QUEUE_NAME.test(name)) {
    throw new CommandError(
      `Invalid queue name '${name}': use letters, digits, '_', '.', ':' or '-' (at most 100)`,
    );
  }
  return name;
}

/** Checks and completes a job's options; a bad value is a `CommandError` naming it. */
export function newJob(
  command: string,
  args: readonly string[],
  options: JobOptions & { schedule?: string } = {},
): NewJob {
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
    throw new CommandError("A job's arguments are command-line words: an array of strings");
  }
  if (options.runAt !== undefined && options.delay !== undefined) {
    throw new CommandError("Give a job runAt or delay, not both");
  }
  if (options.runAt !== undefined && Number.isNaN(options.runAt.getTime())) {
    throw new CommandError("The job's runAt is not a valid date");
  }
  const delayMs = options.delay === undefined ? 0 : duration(options.delay, "delay");
  // Beyond this the database's timestamps overflow (1e308 ms): refused with the others' errors.
  if (delayMs > MAX_DELAY_MS) {
    throw new CommandError("The job's delay is too long: at most 3650 days");
  }
  const priority = options.priority ?? 0;
  if (!Number.isInteger(priority) || Math.abs(priority) > INT4_MAX) {
    throw new CommandError(`Invalid priority ${priority}: use a whole number`);
  }
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 1000) {
    throw new CommandError(`Invalid maxAttempts ${maxAttempts}: use a whole number from 1 to 1000`);
  }
  const timeoutMs = options.timeout === undefined
    ? undefined
    : duration(options.timeout, "timeout");
  if (timeoutMs !== undefined && timeoutMs > INT4_MAX) {
    throw new CommandError("The job's timeout is too long: at most 24 days");
  }
  if (
    options.uniqueKey !== undefined && (options.uniqueKey === "" || options.uniqueKey.length > 500)
  ) {
    throw new CommandError("A job's uniqueKey is 1 to 500 characters");
  }
  return {
    command,
    args: [...args],
    queue: checkQueueName(options.queue ?? DEFAULT_QUEUE),
    priority,
    runAt: options.runAt,
    delayMs,
    maxAttempts,
    timeoutMs: timeoutMs === undefined ? undefined : Math.ceil(timeoutMs),
    uniqueKey: options.uniqueKey,
    schedule: options.schedule,
  };
}

function duration(value: number | string, what: string): number {
  try {
    return toMilliseconds(value, `The job's ${what}`);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
}

const INSERT_JOB = `
WITH inserted AS (
  INSERT INTO manage_job
    (queue, command, args, priority, run_at, max_attempts, timeout_ms, unique_key, schedule)
  VALUES ($1, $2, $3::text::jsonb, $4, COALESCE($5::timestamptz, now() + $6::float8 * interval '1 ms'),
    $7, $8, $9, $10)
  ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING
  RETURNING id, queue
)
SELECT id, pg_notify('${JOBS_CHANNEL}', queue)::text AS notified FROM inserted`;

function jobParams(job: NewJob): unknown[] {
  return [
    job.queue,
    job.command,
    JSON.stringify(job.args),
    job.priority,
    job.runAt ?? null,
    job.delayMs,
    job.maxAttempts,
    job.timeoutMs ?? null,
    job.uniqueKey ?? null,
    job.schedule ?? null,
  ];
}

/**
 * Stores a job and tells the workers; gives its id, and `created: false` with the id of the job
 * already waiting or running under the same unique key.
 */
export async function insertJob(
  db: Queryable,
  job: NewJob,
): Promise<{ id: number; created: boolean }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const [row] = await db.query<{ id: number }>(INSERT_JOB, jobParams(job)).catch(
      (error) => {
        // undefined_table: the jobs app's migration has not run.
        if ((error as { code?: string }).code === "42P01") throw missingTables(error);
        throw error;
      },
    );
    if (row) return { id: Number(row.id), created: true };
    const [existing] = await db.query<{ id: number }>(
      "SELECT id FROM manage_job WHERE unique_key = $1",
      [job.uniqueKey],
    );
    // The job holding the key may have ended in between: then this one can be stored.
    if (existing) return { id: Number(existing.id), created: false };
  }
  throw new CommandError(`Could not enqueue under unique key '${job.uniqueKey}': try again`);
}

/**
 * Enqueues one tick of a schedule: stored only by the first worker to record the tick, however
 * many try at once. Gives the job's id, or undefined when the tick was already enqueued.
 */
export async function insertScheduledJob(
  db: Queryable,
  tick: Date,
  job: NewJob,
): Promise<number | undefined> {
  const [row] = await db.query<{ id: number }>(
    `
WITH tick AS (
  INSERT INTO manage_schedule_tick (schedule, tick) VALUES ($1, $2)
  ON CONFLICT DO NOTHING RETURNING schedule
), job AS (
  INSERT INTO manage_job (queue, command, args, priority, max_attempts, timeout_ms, schedule)
  SELECT $3, $4, $5::text::jsonb, $6, $7, $8, schedule FROM tick
  RETURNING id, queue
)
SELECT id, pg_notify('${JOBS_CHANNEL}', queue)::text AS notified FROM job`,
    [
      job.schedule,
      tick,
      job.queue,
      job.command,
      JSON.stringify(job.args),
      job.priority,
      job.maxAttempts,
      job.timeoutMs ?? null,
    ],
  );
  return row ? Number(row.id) : undefined;
}

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

function jsonValue<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
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
)
INSERT INTO manage_job_result (id, queue, command, args, priority, status, exit_code, stdout,
  stderr, error, attempts, max_attempts, timeout_ms, unique_key, schedule, worker, created_at,
  run_at, started_at, finished_at)
SELECT d.id, d.queue, d.command, d.args, d.priority, r.status, r.exit_code, r.stdout, r.stderr,
  r.error, d.attempts, d.max_attempts, d.timeout_ms, d.unique_key, d.schedule, d.worker,
  d.created_at, d.run_at, r.started_at, r.finished_at
FROM done AS d JOIN r ON r.id = d.id
ON CONFLICT (id) DO NOTHING`,
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
}

/**
 * Records that `worker` is alive (its lease on its jobs runs from now). Gives when the server
 * started, in ms, so that the worker sees a restart even when it lost no query to it.
 */
export async function heartbeat(db: Queryable, worker: WorkerInfo): Promise<number> {
  const [row] = await db.query<{ started: Date }>(
    `INSERT INTO manage_worker (id, hostname, pid, queues, concurrency) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
RETURNING pg_postmaster_start_time() AS started`,
    [worker.id, worker.hostname, worker.pid, worker.queues.join(","), worker.concurrency],
  );
  return new Date(row.started).getTime();
}

/** Removes a stopping worker's record. */
export async function unregisterWorker(db: Queryable, worker: string): Promise<void> {
  await db.query("DELETE FROM manage_worker WHERE id = $1", [worker]);
}

/** A job given up after its workers stopped this many times while running it. */
export const MAX_LOST = 10;

/**
 * Releases the jobs of workers that have not heartbeaten for `leaseMs`: queued again, the
 * interrupted attempt not counted (a job whose workers stopped {@linkcode MAX_LOST} times
 * fails). Gives how many were released. Any worker may run it; each job is released once.
 */
export async function reapLostJobs(db: Queryable, leaseMs: number): Promise<number> {
  const error = `its worker stopped while running it (no heartbeat for ${
    Math.round(leaseMs / 1000)
  }s)`;
  const [row] = await db.query<{ released: number }>(
    `
WITH lost AS (
  SELECT j.id FROM manage_job AS j
  WHERE j.worker IS NOT NULL AND j.status = 'running' AND NOT EXISTS (
    SELECT 1 FROM manage_worker AS w
    WHERE w.id = j.worker AND w.heartbeat_at > now() - $1::float8 * interval '1 ms')
  FOR UPDATE SKIP LOCKED
), requeued AS (
  UPDATE manage_job AS j
  SET status = 'queued', worker = NULL, started_at = NULL, run_at = now(),
    attempts = j.attempts - 1, lost = j.lost + 1, last_error = $2
  FROM lost WHERE j.id = lost.id AND j.lost + 1 < ${MAX_LOST}
  RETURNING j.id, j.queue
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
  RETURNING id
), dead AS (
  DELETE FROM manage_worker WHERE heartbeat_at < now() - $1::float8 * interval '1 ms'
  RETURNING id
), notified AS (
  SELECT pg_notify('${JOBS_CHANNEL}', queue) FROM (SELECT DISTINCT queue FROM requeued) AS q
)
SELECT (SELECT count(*) FROM requeued)::int + (SELECT count(*) FROM failed)::int AS released,
  (SELECT count(*) FROM notified)::int AS queues, (SELECT count(*) FROM dead)::int AS dead`,
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

/** Whether a job of `queues` waits and is due now (by the database's clock). */
export async function anyDue(db: Queryable, queues: readonly string[]): Promise<boolean> {
  const [row] = await db.query<{ due: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM manage_job WHERE status = 'queued'
AND queue = ANY(string_to_array($1, ',')) AND run_at <= now()) AS due`,
    [queues.join(",")],
  );
  return row?.due === true;
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
 * A job as `manage jobs` and the console show it: waiting, running or ended, with the passwords
 * of URLs in its words replaced by `****` in its words, error and output.
 */
export interface JobRecord {
  id: number;
  queue: string;
  command: string;
  args: string[];
  priority: number;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  attempts: number;
  maxAttempts: number;
  timeoutMs: number | null;
  uniqueKey: string | null;
  schedule: string | null;
  worker: string | null;
  createdAt: string;
  runAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  error: string | null;
  stdout?: string;
  stderr?: string;
}

const RECORD_COLUMNS = `id, queue, command, args, priority, status, attempts, max_attempts,
  timeout_ms, unique_key, schedule, worker, created_at, run_at, started_at`;

function iso(value: unknown): string | null {
  return value === null || value === undefined ? null : new Date(value as string).toISOString();
}

function toRecord(row: Row, withOutput: boolean): JobRecord {
  const args = jsonValue<string[]>(row.args);
  // A record is what is shown of a job (console, API, `manage jobs`): the passwords of URLs in
  // its words stay hidden there, and in what it printed. The worker runs the stored words.
  const hide = redactor({}, args);
  const shown = (value: unknown) => typeof value === "string" ? hide(value) : value as null;
  return {
    id: Number(row.id),
    queue: row.queue as string,
    command: row.command as string,
    args: args.map(hide),
    priority: row.priority as number,
    status: row.status as JobRecord["status"],
    attempts: row.attempts as number,
    maxAttempts: row.max_attempts as number,
    timeoutMs: row.timeout_ms as number | null,
    uniqueKey: row.unique_key as string | null,
    schedule: row.schedule as string | null,
    worker: row.worker as string | null,
    createdAt: iso(row.created_at)!,
    runAt: iso(row.run_at)!,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    exitCode: row.exit_code as number | null,
    error: shown(row.error),
    ...(withOutput ? { stdout: shown(row.stdout)!, stderr: shown(row.stderr)! } : {}),
  };
}

/** Which jobs to list. */
export interface ListFilter {
  status?: JobRecord["status"];
  queue?: string;
  command?: string;
  limit?: number;
}

/** The newest jobs first, waiting, running and ended, as filtered. */
export async function listJobs(db: Queryable, filter: ListFilter = {}): Promise<JobRecord[]> {
  const rows = await db.query(
    `
SELECT * FROM (
  SELECT ${RECORD_COLUMNS}, NULL::timestamptz AS finished_at, NULL::integer AS exit_code,
    last_error AS error FROM manage_job
  UNION ALL
  SELECT ${RECORD_COLUMNS}, finished_at, exit_code, error FROM manage_job_result
) AS jobs
WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR queue = $2)
  AND ($3::text IS NULL OR command = $3)
ORDER BY id DESC
LIMIT $4`,
    [filter.status ?? null, filter.queue ?? null, filter.command ?? null, filter.limit ?? 50],
  );
  return rows.map((row) => toRecord(row, false));
}

/** One job with its output, or undefined when there is no such job. */
export async function getJob(db: Queryable, id: number): Promise<JobRecord | undefined> {
  const [row] = await db.query(
    `
SELECT ${RECORD_COLUMNS}, finished_at, exit_code, error, stdout, stderr FROM manage_job_result
WHERE id = $1
UNION ALL
SELECT ${RECORD_COLUMNS}, NULL, NULL, last_error, stdout, stderr FROM manage_job WHERE id = $1`,
    [id],
  );
  return row ? toRecord(row, true) : undefined;
}

/** What cancelling did. */
export type CancelResult = "cancelled" | "requested" | "finished" | "missing";

/**
 * Cancels a job: a waiting one moves to the results as cancelled; a running one has its
 * signal aborted by its worker (told at once, and on its next heartbeat if it missed that).
 */
export async function cancelJob(db: Database, id: number): Promise<CancelResult> {
  const outcome = await db.transaction(async (tx) => {
    const [waiting] = await tx.query(
      `
WITH gone AS (DELETE FROM manage_job WHERE id = $1 AND status = 'queued' RETURNING *)
INSERT INTO manage_job_result (id, queue, command, args, priority, status, error, attempts,
  max_attempts, timeout_ms, unique_key, schedule, worker, created_at, run_at, started_at)
SELECT id, queue, command, args, priority, 'cancelled', 'cancelled before it ran', attempts,
  max_attempts, timeout_ms, unique_key, schedule, NULL, created_at, run_at, NULL FROM gone
RETURNING id`,
      [id],
    );
    if (waiting) return "cancelled" as const;
    const [running] = await tx.query(
      `UPDATE manage_job SET cancel_requested = true WHERE id = $1 AND status = 'running'
RETURNING id, pg_notify('${CANCEL_CHANNEL}', id::text)::text AS notified`,
      [id],
    );
    if (running) return "requested" as const;
    const [ended] = await tx.query("SELECT 1 FROM manage_job_result WHERE id = $1", [id]);
    return ended ? "finished" as const : "missing" as const;
  });
  return outcome;
}

/** What retrying did (`conflict`: another job holds its unique key now). */
export type RetryResult = "queued" | "running" | "missing" | "conflict";

/**
 * Runs a job again: an ended one goes back to the queue under the same id with a fresh count
 * of attempts; a waiting one (a retry in its backoff, a delayed job) is made due now.
 */
export async function retryJob(db: Database, id: number): Promise<RetryResult> {
  try {
    return await requeue(db, id);
  } catch (error) {
    if ((error as { code?: string }).code === "23505") return "conflict";
    throw error;
  }
}

async function requeue(db: Database, id: number): Promise<RetryResult> {
  return await db.transaction(async (tx) => {
    const [moved] = await tx.query(
      `
WITH ended AS (DELETE FROM manage_job_result WHERE id = $1 RETURNING *)
INSERT INTO manage_job (id, queue, command, args, priority, run_at, max_attempts, timeout_ms,
  unique_key, schedule, created_at)
SELECT id, queue, command, args, priority, now(), max_attempts, timeout_ms, unique_key,
  schedule, created_at FROM ended
RETURNING id, pg_notify('${JOBS_CHANNEL}', queue)::text AS notified`,
      [id],
    );
    if (moved) return "queued" as const;
    const [waiting] = await tx.query(
      `UPDATE manage_job SET run_at = now() WHERE id = $1 AND status = 'queued'
RETURNING id, pg_notify('${JOBS_CHANNEL}', queue)::text AS notified`,
      [id],
    );
    if (waiting) return "queued" as const;
    const [running] = await tx.query("SELECT 1 FROM manage_job WHERE id = $1", [id]);
    return running ? "running" as const : "missing" as const;
  });
}

/** Deletes results that ended before `olderThanMs` ago, and old schedule ticks. */
export async function pruneJobs(db: Queryable, olderThanMs: number): Promise<number> {
  const [row] = await db.query<{ pruned: number }>(
    `
WITH pruned AS (
  DELETE FROM manage_job_result WHERE finished_at < now() - $1::float8 * interval '1 ms'
  RETURNING id
), ticks AS (
  DELETE FROM manage_schedule_tick
  WHERE tick < now() - greatest($1::float8, 86400000) * interval '1 ms'
  RETURNING tick
)
SELECT (SELECT count(*) FROM pruned)::int AS pruned, (SELECT count(*) FROM ticks)::int AS ticks`,
    [olderThanMs],
  );
  return Number(row.pruned);
}

/**
 * Fails with a clear `CommandError` when the queue's tables are not there (the `jobs` app's
 * migration has not run).
 */
export async function requireQueue(db: Queryable): Promise<void> {
  const [row] = await db.query<{ present: boolean }>(
    "SELECT to_regclass('manage_job') IS NOT NULL AS present",
  );
  if (!row.present) throw missingTables();
}

function missingTables(cause?: unknown): CommandError {
  return new CommandError(
    "The job queue's tables are missing: run 'manage migrate' to create them",
    { cause },
  );
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
