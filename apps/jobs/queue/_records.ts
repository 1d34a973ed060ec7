// What `manage jobs` and the web console read and change: jobs listed and shown (waiting,
// running or ended, with the passwords in their words hidden), cancelled, retried, and pruned.

import type { Database, Queryable, Row } from "../../../core/database.ts";
import { redactor } from "../../../core/secrets.ts";
import { CANCEL_CHANNEL, JOBS_CHANNEL, jsonValue } from "./_queue.ts";
import { countEnded, FORGET_STATS } from "./_rollup.ts";

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
  /** Why a failed job was not run again (its last failure final, or no attempts left). */
  notRetried: string | null;
  stdout?: string;
  stderr?: string;
}

/** What separates a failure from why it was not retried, in the stored error. */
const NOT_RETRIED = "\nnot retried: ";

/** A failed job's stored error: its failure, and why the worker did not run it again. */
export function withNotRetried(error: string, why: string): string {
  return `${error}${NOT_RETRIED}${why}`;
}

/** The stored error split into the failure and why it was not retried. */
function splitError(stored: unknown): [string | null, string | null] {
  if (typeof stored !== "string") return [null, null];
  const at = stored.indexOf(NOT_RETRIED);
  return at < 0 ? [stored, null] : [stored.slice(0, at), stored.slice(at + NOT_RETRIED.length)];
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
  const [error, final] = splitError(row.error);
  const attempts = row.attempts as number;
  const maxAttempts = row.max_attempts as number;
  const notRetried = final ??
    (row.status === "failed" && attempts >= maxAttempts
      ? `no attempts left (${attempts} of ${maxAttempts})`
      : null);
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
    error: shown(error),
    notRetried,
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
WITH gone AS (DELETE FROM manage_job WHERE id = $1 AND status = 'queued' RETURNING *),
ended AS (
  INSERT INTO manage_job_result (id, queue, command, args, priority, status, error, attempts,
    max_attempts, timeout_ms, unique_key, schedule, worker, created_at, run_at, started_at)
  SELECT id, queue, command, args, priority, 'cancelled', 'cancelled before it ran', attempts,
    max_attempts, timeout_ms, unique_key, schedule, NULL, created_at, run_at, NULL FROM gone
  RETURNING id, queue, command, status, started_at, finished_at
), ${countEnded("ended")}
SELECT id FROM ended`,
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
), forgotten AS (
  ${FORGET_STATS}
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
