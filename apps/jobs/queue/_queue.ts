/**
 * The job queue in PostgreSQL, and what the enqueuers run: a job's options checked and
 * completed, and the statements that add it (`_claims.ts` holds what workers run, `_records.ts`
 * what `manage jobs` reads and changes).
 *
 * `manage_job` holds what waits or runs, and only that: claiming is an index scan over a small
 * table however many jobs have run. A job that ends moves, in the statement that records its
 * result, to `manage_job_result`, which is pruned by age. Every statement takes its values as
 * bound parameters; a batch travels as one JSON parameter.
 *
 * @module
 */

import type { Queryable } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import { TRACEBACK_HINT } from "../../../core/main.ts";
import type { Registry } from "../../../core/registry.ts";
import { toMilliseconds } from "./_schedule.ts";
import { stripAnsi } from "../../../core/style.ts";

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

/** A JSON column's value: parsed by the driver, or its text. */
export function jsonValue<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
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
 * Refuses to run on the queue's tables as an older version left them: every registered migration
 * of the jobs app must be applied (a worker started before `manage migrate` after an upgrade
 * would otherwise fail on the first statement that names a new column).
 */
/** The app whose migrations make the queue's tables. */
const JOBS_APP = "jobs";

export async function requireCurrentTables(db: Queryable, registry: Registry): Promise<void> {
  const registered = (registry.migrations ?? []).filter((entry) => entry.app === JOBS_APP);
  if (registered.length === 0) return;
  await requireQueue(db);
  // Loaded here, not by the module: a command that imports the queue does not load the migrator.
  const { appliedMigrations } = await import("../../db/migrator/mod.ts");
  const applied = await appliedMigrations(db);
  const missing = registered.filter((entry) => !applied.has(`${entry.app}.${entry.name}`))
    .map((entry) => `${entry.app}.${entry.name}`);
  // None recorded: the tables were made another way (a benchmark's, a test's), not by migrate.
  if (missing.length === 0 || missing.length === registered.length) return;
  throw new CommandError(
    `The job queue's tables are older than this worker: ${missing.join(", ")} ` +
      `${missing.length === 1 ? "is" : "are"} not applied. Run 'manage migrate', then start ` +
      "the worker again",
  );
}
