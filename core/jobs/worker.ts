/**
 * The worker: claims jobs in batches, runs each through the same path as the command line
 * (`main`, with its output captured), and records how each ended, in batches.
 *
 * - **Claiming**: up to `concurrency + prefetch` jobs held at once, claimed with `FOR UPDATE
 *   SKIP LOCKED` in one round trip; woken by LISTEN/NOTIFY, with a poll as fallback, and at the
 *   time the next delayed job comes due.
 * - **Ending**: results are written while the next jobs run; whatever ended during one write
 *   goes in the next, so the batch grows with the load.
 * - **Retries**: a failed attempt with attempts left runs again after an exponential backoff
 *   with jitter; a usage error (exit code 2) is not retried, it would fail the same way.
 * - **Leases**: the worker heartbeats; a job held by a worker silent for `lease` is queued again
 *   by any other worker (at least once: a job is never lost).
 * - **Draining**: when `signal` aborts, unstarted jobs are given back at once, running ones get
 *   `gracePeriod` to finish, then their signal is aborted and they are given back too.
 *
 * @module
 */

import type { Database } from "../database.ts";
import { CommandError } from "../errors.ts";
import { main } from "../main.ts";
import { type CapturedOutput, captureOutput } from "../output.ts";
import type { Registry } from "../registry.ts";
import { isSchedule, type Schedule } from "../schedule.ts";
import {
  CANCEL_CHANNEL,
  cancelRequested,
  capOutput,
  type ClaimedJob,
  claimJobs,
  DEFAULT_QUEUE,
  failureLine,
  finishJobs,
  heartbeat,
  insertScheduledJob,
  JOBS_CHANNEL,
  newJob,
  nextRunAt,
  type Outcome,
  pendingAmong,
  pruneJobs,
  reapLostJobs,
  releaseJobs,
  saveOutput,
  unregisterWorker,
  type WorkerInfo,
} from "./queue.ts";

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

interface Running {
  readonly job: ClaimedJob;
  readonly controller: AbortController;
  /** What the job has written so far. */
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  /** How much of it is stored (see `saveOutput`). */
  saved: number;
  /** Ends when the command returns. */
  done: Promise<void>;
  /** True once its outcome is recorded (the command may still be running, if it was stuck). */
  settled: boolean;
  /** Aborts its signal, and gives up on it if it does not stop within the abort grace. */
  abort: (reason: string) => void;
}

const HOUR = 3_600_000;
/** Claims that fail in a row before the worker gives up. */
const MAX_CLAIM_FAILURES = 3;
/** Jobs ended by a worker before it vacuums the pending table when it is next idle. */
const VACUUM_AFTER = 10_000;
/** The most jobs a worker holds ahead of free slots when it chooses. */
const MAX_PREFETCH = 500;
/** How much work, in seconds at the recent pace, a worker holds ahead of free slots. */
const PREFETCH_SECONDS = 0.25;

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/** A worker; `run()` works until the signal aborts (or, in burst mode, the queue is empty). */
export class Worker {
  /** This worker's id, as jobs and `manage_worker` record it. */
  readonly id: string;
  readonly #o: Required<
    Omit<WorkerOptions, "jobDatabase" | "signal" | "log" | "id" | "env" | "cwd" | "prefetch">
  >;
  readonly #jobDatabase: () => Promise<Database>;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #cwd: string;
  readonly #signal?: AbortSignal;
  readonly #log: (level: LogLevel, line: string) => void;
  readonly #info: WorkerInfo;
  /** What it has done so far. */
  readonly stats: WorkerStats = {
    claimed: 0,
    succeeded: 0,
    failed: 0,
    retried: 0,
    cancelled: 0,
    released: 0,
    recovered: 0,
    scheduled: 0,
  };

  #local: ClaimedJob[] = [];
  #running = new Map<number, Running>();
  #outcomes: Outcome[] = [];
  #released: number[] = [];
  #flushing?: Promise<void>;
  #mayHaveWork = true;
  #stopping = false;
  #wake = Promise.withResolvers<void>();
  #retriedHere = new Set<number>();
  #schedules: Schedule[] = [];
  #lastTick = new Map<string, number>();
  #beating = false;
  #ticking = false;
  #lastPrune = 0;
  #dueTimer?: ReturnType<typeof setTimeout>;
  #claimFailures = 0;
  readonly #fixedPrefetch?: number;
  /** How long jobs have been taking, in ms: a moving average. */
  #averageMs?: number;
  #savingOutput = false;
  #endedSinceVacuum = 0;
  #failure: unknown;

  /** A worker with these options (see {@linkcode WorkerOptions} for the defaults). */
  constructor(options: WorkerOptions) {
    const concurrency = options.concurrency ?? 10;
    const lease = options.lease ?? 30_000;
    this.#o = {
      db: options.db,
      registry: options.registry,
      queues: options.queues?.length ? options.queues : [DEFAULT_QUEUE],
      concurrency,
      burst: options.burst ?? false,
      pollInterval: options.pollInterval ?? 2000,
      lease,
      heartbeatInterval: options.heartbeatInterval ?? lease / 4,
      gracePeriod: options.gracePeriod ?? 30_000,
      abortGrace: options.abortGrace ?? 5000,
      retryDelay: options.retryDelay ?? 1000,
      maxRetryDelay: options.maxRetryDelay ?? HOUR,
      retention: options.retention ?? 7 * 24 * HOUR,
      schedules: options.schedules ?? true,
      asyncCommit: options.asyncCommit ?? true,
      outputInterval: options.outputInterval ?? 500,
      styledOutput: options.styledOutput ?? true,
    };
    const host = hostname();
    this.id = options.id ?? `${host}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.#info = {
      id: this.id,
      hostname: host,
      pid: Deno.pid,
      queues: this.#o.queues,
      concurrency,
    };
    this.#fixedPrefetch = options.prefetch;
    this.#jobDatabase = options.jobDatabase ?? (() => Promise.resolve(options.db));
    this.#env = options.env ?? {};
    this.#cwd = options.cwd ?? ".";
    this.#signal = options.signal;
    this.#log = options.log ?? (() => {});
  }

  /** The queues this worker takes jobs from. */
  get queues(): readonly string[] {
    return this.#o.queues;
  }

  /** Works until stopped; gives what it did. */
  async run(): Promise<WorkerStats> {
    const { db } = this.#o;
    if (!this.#o.burst && this.#o.schedules) {
      this.#schedules = await loadSchedules(this.#o.registry);
    }
    if (this.#o.asyncCommit && db.driver === "postgres") {
      await db.exec("SET synchronous_commit = off");
    }
    await heartbeat(db, this.#info);
    this.stats.recovered += await reapLostJobs(db, this.#o.lease);
    const unlisten = await db.listen(JOBS_CHANNEL, (queue) => {
      if (this.#o.queues.includes(queue)) {
        this.#mayHaveWork = true;
        this.#wakeUp();
      }
    });
    const unlistenCancel = await db.listen(CANCEL_CHANNEL, (id) => this.#cancel(Number(id)));
    const onAbort = () => {
      this.#stopping = true;
      this.#wakeUp();
    };
    this.#signal?.addEventListener("abort", onAbort);
    if (this.#signal?.aborted) onAbort();
    const timers = [
      setInterval(() => this.#beat(), this.#o.heartbeatInterval),
      setInterval(() => {
        this.#mayHaveWork = true;
        this.#wakeUp();
      }, this.#o.pollInterval),
      ...(this.#schedules.length > 0 ? [setInterval(() => this.#tick(), 1000)] : []),
      setInterval(() => this.#saveOutput(), this.#o.outputInterval),
    ];
    if (this.#schedules.length > 0) await this.#tick();
    try {
      await this.#loop();
      await this.#drain();
      if (this.#failure !== undefined) {
        throw new CommandError(
          `The worker stopped: the database failed ${MAX_CLAIM_FAILURES} times in a row: ${
            (this.#failure as Error)?.message ?? String(this.#failure)
          }`,
          { cause: this.#failure },
        );
      }
    } finally {
      timers.forEach(clearInterval);
      clearTimeout(this.#dueTimer);
      this.#signal?.removeEventListener("abort", onAbort);
      await this.#flush();
      await Promise.allSettled([unlisten(), unlistenCancel()]);
      await unregisterWorker(db, this.id).catch(() => {});
    }
    return this.stats;
  }

  #wakeUp(): void {
    this.#wake.resolve();
  }

  async #sleep(): Promise<void> {
    await this.#wake.promise;
    this.#wake = Promise.withResolvers<void>();
  }

  /** Jobs held ahead of free slots: as given, or a quarter second of work at the recent pace. */
  get #prefetch(): number {
    if (this.#fixedPrefetch !== undefined) return this.#fixedPrefetch;
    if (this.#averageMs === undefined) return this.#o.concurrency;
    const perSecond = this.#o.concurrency * 1000 / Math.max(this.#averageMs, 0.01);
    return Math.min(MAX_PREFETCH, Math.round(perSecond * PREFETCH_SECONDS));
  }

  get #capacity(): number {
    return this.#o.concurrency + this.#prefetch;
  }

  async #loop(): Promise<void> {
    const { db, queues, concurrency } = this.#o;
    while (!this.#stopping) {
      this.#startJobs();
      const room = this.#capacity - this.#running.size - this.#local.length;
      let claimedNone = false;
      if (this.#mayHaveWork && room > 0 && this.#local.length < concurrency) {
        this.#mayHaveWork = false;
        let jobs: ClaimedJob[];
        try {
          jobs = await claimJobs(db, this.id, queues, room);
        } catch (error) {
          // The database is unreachable: a few tries, then stop (drained) and fail, so that a
          // supervisor restarts the worker; its jobs go to other workers after the lease.
          this.#log("error", `Could not claim jobs: ${(error as Error).message}`);
          if (++this.#claimFailures >= MAX_CLAIM_FAILURES) {
            this.#failure = error;
            break;
          }
          this.#mayHaveWork = true;
          await this.#pause(this.#o.pollInterval);
          continue;
        }
        this.#claimFailures = 0;
        // A full batch: there may be more. Fewer: the queue had no more due jobs just now, and
        // a job enqueued since will notify.
        if (jobs.length === room) this.#mayHaveWork = true;
        this.stats.claimed += jobs.length;
        if (this.#stopping) {
          this.#released.push(...jobs.map((j) => j.id));
          break;
        }
        this.#local.push(...jobs);
        if (jobs.length > 0) continue;
        claimedNone = true;
      }
      if (this.#running.size === 0 && this.#local.length === 0 && !this.#mayHaveWork) {
        if (this.#endedSinceVacuum >= VACUUM_AFTER) await this.#vacuum();
        if (this.#o.burst) {
          if (await this.#burstDone()) break;
        } else if (claimedNone) {
          await this.#wakeWhenDue();
        }
      }
      await this.#sleep();
    }
  }

  /** Burst mode: done unless a retry of a job this worker ran is waiting; then wait for it. */
  async #burstDone(): Promise<boolean> {
    const waiting = await pendingAmong(this.#o.db, [...this.#retriedHere]);
    if (waiting.count === 0) return true;
    this.#dueAt(waiting.next);
    return false;
  }

  async #wakeWhenDue(): Promise<void> {
    try {
      this.#dueAt(await nextRunAt(this.#o.db, this.#o.queues));
    } catch {
      // The poll will look again.
    }
  }

  /** Wakes the loop (to claim) when `at` comes, if that is before the next poll. */
  #dueAt(at: Date | null): void {
    clearTimeout(this.#dueTimer);
    const wait = at ? Math.max(0, at.getTime() - Date.now()) : this.#o.pollInterval;
    if (wait >= this.#o.pollInterval && !this.#o.burst) return;
    this.#dueTimer = setTimeout(() => {
      this.#mayHaveWork = true;
      this.#wakeUp();
    }, Math.min(wait + 5, 2 ** 31 - 1));
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake.promise.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #startJobs(): void {
    while (this.#running.size < this.#o.concurrency && this.#local.length > 0) {
      const job = this.#local.shift()!;
      if (job.cancelRequested) {
        this.#cancelUnstarted(job);
        continue;
      }
      this.#start(job);
    }
  }

  #start(job: ClaimedJob): void {
    const controller = new AbortController();
    const stdout = captureOutput();
    const stderr = captureOutput();
    const startedAt = new Date();
    const began = performance.now();
    this.#log("debug", `Job ${job.id} started: ${[job.command, ...job.args].join(" ")}`);
    let timeout: ReturnType<typeof setTimeout> | undefined;
    let giveUp: ReturnType<typeof setTimeout> | undefined;
    const entry: Running = {
      job,
      controller,
      stdout,
      stderr,
      saved: 0,
      settled: false,
      abort: (reason) => {
        controller.abort(reason);
        giveUp = setTimeout(() => {
          const note =
            `\n(the command did not stop within ${this.#o.abortGrace} ms of being asked)\n`;
          this.#settle(entry, null, stdout.text, stderr.text + note, startedAt);
        }, this.#o.abortGrace);
      },
      done: Promise.resolve(),
    };
    entry.done = (async () => {
      let code: number;
      try {
        code = await main([job.command, ...job.args], {
          registry: this.#o.registry,
          stdout,
          stderr,
          stdoutIsTerminal: this.#o.styledOutput,
          stderrIsTerminal: this.#o.styledOutput,
          env: this.#env,
          signal: controller.signal,
          cwd: this.#cwd,
          prog: "manage",
          database: this.#jobDatabase,
          // main() refuses a command that may not run in the background (exit 2: not retried).
          from: "background",
        });
      } catch (error) {
        stderr.write(`${(error as Error)?.message ?? String(error)}\n`);
        code = 1;
      }
      const ms = performance.now() - began;
      this.#averageMs = this.#averageMs === undefined ? ms : this.#averageMs * 0.9 + ms * 0.1;
      this.#settle(entry, code, stdout.text, stderr.text, startedAt);
    })();
    if (job.timeoutMs) timeout = setTimeout(() => entry.abort("timeout"), job.timeoutMs);
    this.#running.set(job.id, entry);
    entry.done.finally(() => {
      clearTimeout(timeout);
      clearTimeout(giveUp);
    });
  }

  #settle(
    entry: Running,
    code: number | null,
    stdout: string,
    stderr: string,
    startedAt: Date,
  ): void {
    if (entry.settled) return;
    entry.settled = true;
    const { job, controller } = entry;
    this.#running.delete(job.id);
    this.#wakeUp();
    const reason = controller.signal.aborted ? String(controller.signal.reason) : undefined;
    if (reason === "shutdown") {
      this.#released.push(job.id);
      return;
    }
    const base = {
      exitCode: code,
      stdout: capOutput(stdout),
      stderr: capOutput(stderr),
      startedAt,
      finishedAt: new Date(),
    };
    if (reason === "cancelled") {
      this.#record(job, { ...base, status: "cancelled", error: "cancelled while running" });
      return;
    }
    if (code === 0 && reason === undefined) {
      this.#record(job, { ...base, status: "succeeded", error: null });
      return;
    }
    const error = reason === "timeout"
      ? `timed out after ${job.timeoutMs} ms`
      : failureLine(stderr) ?? `exit code ${code}`;
    const retry = code !== 2 && job.attempts < job.maxAttempts;
    this.#record(job, {
      ...base,
      status: "failed",
      error,
      retryMs: retry ? this.#backoff(job.attempts) : undefined,
    });
  }

  /** Exponential backoff with "equal jitter": half the delay fixed, half random. */
  #backoff(attempt: number): number {
    const delay = Math.min(this.#o.retryDelay * 2 ** (attempt - 1), this.#o.maxRetryDelay);
    return Math.round(delay / 2 + Math.random() * delay / 2);
  }

  /**
   * After a burst, when idle: vacuums the pending table, whose index the claims read in order.
   * Every job that ended left a dead entry there, before the live ones; autovacuum comes within
   * a minute or so, and until it does each claim steps over them all.
   */
  async #vacuum(): Promise<void> {
    this.#endedSinceVacuum = 0;
    await this.#flush();
    try {
      await this.#o.db.exec("VACUUM (ANALYZE, SKIP_LOCKED) manage_job");
      this.#log("debug", "Vacuumed manage_job");
    } catch (error) {
      // Not the table's owner, say: autovacuum will do it.
      this.#log("debug", `Could not vacuum manage_job: ${(error as Error).message}`);
    }
  }

  #record(job: ClaimedJob, outcome: Omit<Outcome, "id">): void {
    this.#endedSinceVacuum++;
    const level = outcome.status === "succeeded" ? "debug" : "info";
    if (outcome.retryMs !== undefined) {
      this.stats.retried++;
      this.#retriedHere.add(job.id);
      this.#log(
        "info",
        `Job ${job.id} ${job.command} failed (attempt ${job.attempts} of ${job.maxAttempts}): ` +
          `${outcome.error}; retrying in ${(outcome.retryMs / 1000).toFixed(1)}s`,
      );
    } else {
      this.stats[outcome.status]++;
      this.#retriedHere.delete(job.id);
      const ms = outcome.finishedAt.getTime() - outcome.startedAt.getTime();
      this.#log(
        level,
        `Job ${job.id} ${job.command} ${outcome.status} in ${ms} ms` +
          (outcome.error ? `: ${outcome.error}` : ""),
      );
    }
    this.#outcomes.push({ id: job.id, ...outcome });
    this.#flushSoon();
  }

  #flushSoon(): void {
    this.#flushing ??= this.#flushLoop().finally(() => {
      this.#flushing = undefined;
      if (this.#outcomes.length > 0 || this.#released.length > 0) this.#flushSoon();
    });
  }

  async #flushLoop(): Promise<void> {
    let failures = 0;
    while (this.#outcomes.length > 0 || this.#released.length > 0) {
      const outcomes = this.#outcomes.splice(0, 1000);
      const released = this.#released.splice(0);
      try {
        await finishJobs(this.#o.db, this.id, outcomes);
        this.stats.released += await releaseJobs(this.#o.db, this.id, released);
        failures = 0;
      } catch (error) {
        this.#outcomes.unshift(...outcomes);
        this.#released.unshift(...released);
        // Given up after a while: the jobs stay claimed, and the lease gives them to others.
        if (++failures >= 5) {
          this.#log(
            "error",
            `Could not record ${outcomes.length} job results: ${(error as Error).message}`,
          );
          this.#outcomes.length = 0;
          this.#released.length = 0;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * failures));
      }
    }
  }

  async #flush(): Promise<void> {
    this.#flushSoon();
    while (this.#flushing) await this.#flushing;
  }

  /** Stores the output so far of running jobs that wrote more since the last time. */
  async #saveOutput(): Promise<void> {
    if (this.#savingOutput) return;
    const changed = [...this.#running.values()].filter((entry) =>
      !entry.settled && entry.stdout.text.length + entry.stderr.text.length !== entry.saved
    );
    if (changed.length === 0) return;
    this.#savingOutput = true;
    try {
      const outputs = changed.map((entry) => {
        const stdout = capOutput(entry.stdout.text);
        const stderr = capOutput(entry.stderr.text);
        entry.saved = entry.stdout.text.length + entry.stderr.text.length;
        return { id: entry.job.id, stdout, stderr };
      });
      await saveOutput(this.#o.db, this.id, outputs);
    } catch (error) {
      this.#log(
        "warning",
        `Could not save the output of running jobs: ${(error as Error).message}`,
      );
    } finally {
      this.#savingOutput = false;
    }
  }

  #cancelUnstarted(job: ClaimedJob): void {
    const now = new Date();
    this.#record(job, {
      status: "cancelled",
      exitCode: null,
      stdout: "",
      stderr: "",
      error: "cancelled before it ran",
      startedAt: now,
      finishedAt: now,
    });
  }

  #cancel(id: number): void {
    const local = this.#local.findIndex((job) => job.id === id);
    if (local >= 0) {
      this.#cancelUnstarted(this.#local.splice(local, 1)[0]);
      return;
    }
    const entry = this.#running.get(id);
    if (entry && !entry.controller.signal.aborted) {
      this.#log("info", `Job ${id} ${entry.job.command}: cancelling`);
      entry.abort("cancelled");
    }
  }

  async #beat(): Promise<void> {
    if (this.#beating) return;
    this.#beating = true;
    const { db } = this.#o;
    try {
      await heartbeat(db, this.#info);
      const recovered = await reapLostJobs(db, this.#o.lease);
      if (recovered > 0) {
        this.stats.recovered += recovered;
        this.#log("warning", `Queued ${recovered} job(s) of stopped workers again`);
      }
      if (this.#running.size > 0 || this.#local.length > 0) {
        for (const id of await cancelRequested(db, this.id)) this.#cancel(id);
      }
      if (Date.now() - this.#lastPrune > HOUR) {
        this.#lastPrune = Date.now();
        await pruneJobs(db, this.#o.retention);
      }
    } catch (error) {
      this.#log("warning", `Heartbeat failed: ${(error as Error).message}`);
    } finally {
      this.#beating = false;
    }
  }

  /** Enqueues the ticks of the schedules that came due (each once, whoever enqueues it). */
  async #tick(): Promise<void> {
    if (this.#ticking || this.#stopping) return;
    this.#ticking = true;
    try {
      const now = new Date();
      for (const schedule of this.#schedules) {
        const tick = schedule.previousTick(now).getTime();
        // A tick missed while no worker ran is caught up once, if it is recent.
        const last = this.#lastTick.get(schedule.name) ?? now.getTime() - 5 * 60_000;
        if (tick <= last) continue;
        const job = newJob(schedule.command, schedule.args ?? [], {
          queue: schedule.queue,
          priority: schedule.priority,
          maxAttempts: schedule.maxAttempts,
          timeout: schedule.timeout,
          schedule: schedule.name,
        });
        const id = await insertScheduledJob(this.#o.db, new Date(tick), job);
        this.#lastTick.set(schedule.name, tick);
        if (id !== undefined) {
          this.stats.scheduled++;
          this.#log("debug", `Schedule ${schedule.name}: enqueued job ${id}`);
        }
      }
    } catch (error) {
      this.#log("warning", `Schedules: ${(error as Error).message}`);
    } finally {
      this.#ticking = false;
    }
  }

  async #drain(): Promise<void> {
    const unstarted = this.#local.splice(0).map((job) => job.id);
    this.#released.push(...unstarted);
    if (this.#running.size > 0) {
      this.#log(
        "info",
        `Waiting up to ${this.#o.gracePeriod / 1000}s for ${this.#running.size} running job(s)`,
      );
      await this.#whenIdle(this.#o.gracePeriod);
    }
    if (this.#running.size > 0) {
      for (const entry of this.#running.values()) {
        if (!entry.controller.signal.aborted) entry.abort("shutdown");
      }
      await this.#whenIdle(this.#o.abortGrace + 100);
    }
  }

  async #whenIdle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.#running.size > 0 && Date.now() < deadline) {
      const all = Promise.all([...this.#running.values()].map((e) => e.done));
      await Promise.race([all, new Promise((r) => setTimeout(r, deadline - Date.now()))]);
    }
  }
}

/** Every schedule the registry's apps declare. */
export async function loadSchedules(registry: Registry): Promise<Schedule[]> {
  const schedules: Schedule[] = [];
  for (const entry of registry.schedules ?? []) {
    const module = await entry.load();
    const list = module.default;
    if (!Array.isArray(list) || !list.every(isSchedule)) {
      throw new Error(
        `${entry.module} must default-export a list of schedules: export default [defineSchedule({...})]`,
      );
    }
    schedules.push(...list);
  }
  return schedules;
}

/** Runs a worker until stopped (see {@linkcode Worker}); gives what it did. */
export function runWorker(options: WorkerOptions): Promise<WorkerStats> {
  return new Worker(options).run();
}
