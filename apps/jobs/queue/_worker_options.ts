// How a worker runs (its options, with their defaults) and what it did (its stats).

import type { Database } from "../../../core/database.ts";
import type { Registry } from "../../../core/registry.ts";

/** How a worker runs. */
export interface WorkerOptions {
  /** The database the queue lives in; the worker's own queries use it alone. */
  db: Database;
  /** The database jobs get as `ctx.db` (opened once, shared by the jobs); `db` by default. */
  jobDatabase?: () => Promise<Database>;
  /** The registry jobs' commands are found in. */
  registry: Registry;
  /** The queues to take jobs from (`["default"]`). */
  queues?: readonly string[];
  /** Jobs run at once (10). */
  concurrency?: number;
  /**
   * Jobs claimed ahead of a free slot, to claim in batches. By default it adapts: about a
   * quarter of a second of work at the pace jobs have been ending (at most 500), so short jobs
   * are claimed hundreds at a time while a worker of long jobs holds none it cannot start.
   */
  prefetch?: number;
  /** Stop when no job is due (and no retry of one this worker ran is waiting). */
  burst?: boolean;
  /** How often to look for jobs when no notification came, in ms (2000). */
  pollInterval?: number;
  /** How long a silent worker keeps its jobs, in ms (30000). */
  lease?: number;
  /** How often to heartbeat, in ms (a quarter of the lease). */
  heartbeatInterval?: number;
  /** How long running jobs get to finish when the worker stops, in ms (30000). */
  gracePeriod?: number;
  /** How long an aborted job gets to end before the worker gives up on it, in ms (5000). */
  abortGrace?: number;
  /** The first retry's delay, in ms (1000); each next one doubles, up to `maxRetryDelay`. */
  retryDelay?: number;
  /** The longest retry delay, in ms (one hour). */
  maxRetryDelay?: number;
  /** How long ended jobs are kept, in ms (7 days); pruned hourly. */
  retention?: number;
  /**
   * How long the worker goes on without its database before it drains and fails, in ms (five
   * minutes); `Infinity` never gives up (a worker inside a process that serves pages).
   */
  giveUpAfter?: number;
  /**
   * Let the server acknowledge the worker's own writes (claims, results, heartbeats) before
   * they reach the disk: `synchronous_commit = off` on its session (true). Safe for the queue's
   * promise of at least once: a server crash loses at most the last moments of those writes,
   * so a job's claim is undone (it waits again) or its result is lost (it runs again); nothing
   * is lost for good. Enqueueing, on other sessions, stays durable.
   */
  asyncCommit?: boolean;
  /** Enqueue the registry's schedules (true; never in burst mode). */
  schedules?: boolean;
  /** Aborting it drains the worker and ends `run()`. */
  signal?: AbortSignal;
  /** The environment jobs run with. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The working directory jobs run in. */
  cwd?: string;
  /**
   * How often the output of running jobs is stored, for those who watch them, in ms (500): only
   * jobs that wrote more since are written, so short jobs never are.
   */
  outputInterval?: number;
  /** Keep the jobs' output styles (ANSI) when they have them (true). */
  styledOutput?: boolean;
  /** Where the worker says what it does. */
  log?: (level: LogLevel, line: string) => void;
  /** This worker's id (`<hostname>-<pid>-<random>`). */
  id?: string;
  /** The process's id, as the worker table shows it (`ctx.pid`); 0 when not known. */
  pid?: number;
  /** The host's name, as the worker table shows it (`ctx.hostname`); `localhost` when not known. */
  hostname?: string;
  /**
   * Replaces the process's exit while the worker runs (`ctx.guardExit`), so that a job that
   * calls it fails instead of ending the process; without it, such a job ends the process.
   */
  guardExit?: (
    guard: (exit: (code?: number) => never) => (code?: number) => never,
  ) => () => void;
}

/** How much a log line matters: `info` shows at verbosity 1, `debug` at 2. */
export type LogLevel = "error" | "warning" | "info" | "debug";

/** What a worker did. */
export interface WorkerStats {
  /** Jobs claimed. */
  claimed: number;
  /** Attempts that succeeded. */
  succeeded: number;
  /** Jobs that failed for good. */
  failed: number;
  /** Failed attempts queued again. */
  retried: number;
  /** Jobs cancelled. */
  cancelled: number;
  /** Claimed jobs given back unfinished (on stopping). */
  released: number;
  /** Jobs of stopped workers this worker queued again. */
  recovered: number;
  /** Schedule ticks this worker enqueued. */
  scheduled: number;
}
