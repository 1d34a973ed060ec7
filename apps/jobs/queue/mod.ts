/**
 * The job queue: background commands as jobs in PostgreSQL, in the tables the `jobs` app's
 * migration makes, with no broker of its own.
 *
 * - Enqueueing: `enqueueCommand(name, args, options)` checks the words against the command's
 *   declaration first (a job that could never run is refused at once) and adds the job, with
 *   its queue, priority, delay, attempts, timeout and unique key.
 * - Working: a `Worker` (`runWorker`) claims jobs in batches with `FOR UPDATE SKIP LOCKED`,
 *   woken by LISTEN/NOTIFY, runs each through the command line's path with its output captured,
 *   records how it ended, retries with backoff, and recovers the jobs of workers that went
 *   silent (leases); what a job does wrong stays inside the job.
 * - Schedules: `defineSchedule` declares a periodic command (cron or a fixed interval) in
 *   `apps/<app>/schedules.ts`; workers enqueue each tick once however many run.
 * - The statements `manage jobs` and the web console use to list, show, cancel, retry and
 *   prune jobs, and the operator's view: counts, throughput, per-command durations, workers
 *   (alive or lost) and schedules (`queueStats`, `listWorkers`, `scheduleStatus`).
 *
 * It stands on the command framework (`core/`) and the migration engine (for the tables).
 *
 * @example
 * ```ts ignore
 * import { enqueueCommand, runWorker } from "./mod.ts";
 *
 * await enqueueCommand("send_report", ["--daily"], { registry, db });
 * await runWorker({ db, registry, burst: true });
 * ```
 *
 * @module
 */

export {
  checkJobArguments,
  checkRetry,
  enqueue,
  enqueueCommand,
  type Enqueued,
  type EnqueueOptions,
} from "./_enqueue.ts";
export {
  capOutput,
  checkQueueName,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_QUEUE,
  failureLine,
  insertJob,
  type JobOptions,
  newJob,
  requireCurrentTables,
  requireQueue,
} from "./_queue.ts";
export { countEnded } from "./_rollup.ts";
export { cancelJob, getJob, type JobRecord, listJobs, pruneJobs, retryJob } from "./_records.ts";
export { defineSchedule, type Schedule, type ScheduleDefinition } from "./_schedule.ts";
export { loadSchedules } from "./_schedule_ticks.ts";
export {
  type Bucket,
  type CommandStats,
  listWorkers,
  type QueueCounts,
  type QueueStats,
  queueStats,
  type ScheduleStatus,
  scheduleStatus,
  shortDuration,
  windowText,
  type WorkerStatus,
} from "./_stats.ts";
export { runWorker, Worker } from "./_worker.ts";
export type { LogLevel, WorkerOptions, WorkerStats } from "./_worker_options.ts";
