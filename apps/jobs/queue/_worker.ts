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
 * - **A database that goes away**: the worker tries again with a backoff of seconds (1, 2, 4 …
 *   up to 30), starts no job meanwhile and keeps the results it could not record; when the
 *   database is back it records them, gives back the jobs it had claimed but not started (their
 *   lease may have passed meanwhile) and carries on. After `giveUpAfter` without it, it drains
 *   and fails, so that a supervisor can say so.
 *
 * It is over 500 lines because these are one state machine: claiming, running, recording,
 * heartbeats, draining and the database's absence read and change the same state (the jobs held
 * and running, the results not yet recorded, whether the database answers). What stands apart is
 * beside it: the statements (`_claims.ts`), running one job (`_job_run.ts`), the schedules
 * (`_schedule_ticks.ts`) and the options (`_worker_options.ts`).
 *
 * @module
 */

import { type Database, useRunDatabaseScope } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import {
  anyDue,
  cancelRequested,
  type ClaimedJob,
  claimJobs,
  finishJobs,
  heartbeat,
  nextRunAt,
  type Outcome,
  pendingAmong,
  reapLostJobs,
  releaseJobs,
  runningElsewhere,
  runningOn,
  saveOutput,
  unregisterWorker,
  type WorkerInfo,
} from "./_claims.ts";
import type { Running, startJob } from "./_job_run.ts";
import {
  CANCEL_CHANNEL,
  capOutput,
  DEFAULT_QUEUE,
  failureLine,
  JOBS_CHANNEL,
  requireCurrentTables,
} from "./_queue.ts";
import { pruneJobs, withNotRetried } from "./_records.ts";
import { loadSchedules, ScheduleTicker } from "./_schedule_ticks.ts";
import type { LogLevel, WorkerOptions, WorkerStats } from "./_worker_options.ts";

export type { LogLevel, WorkerOptions, WorkerStats };

const HOUR = 3_600_000;
/** The first wait before trying the database again, in ms; each next one doubles. */
const DATABASE_RETRY = 1000;
/** The longest wait before trying the database again, in ms. */
const MAX_DATABASE_RETRY = 30_000;
/** Tries to record results, when stopping without a database, before leaving them to the lease. */
const STOPPING_FLUSH_TRIES = 3;
/** Jobs ended by a worker before it vacuums the pending table when it is next idle. */
const VACUUM_AFTER = 10_000;
/** The most jobs a worker holds ahead of free slots when it chooses. */
const MAX_PREFETCH = 500;
/** How much work, in seconds at the recent pace, a worker holds ahead of free slots. */
const PREFETCH_SECONDS = 0.25;

/** A worker; `run()` works until the signal aborts (or, in burst mode, the queue is empty). */
export class Worker {
  /** This worker's id, as jobs and `manage_worker` record it. */
  readonly id: string;
  readonly #o: Required<
    Omit<
      WorkerOptions,
      | "jobDatabase"
      | "signal"
      | "log"
      | "id"
      | "env"
      | "cwd"
      | "prefetch"
      | "pid"
      | "hostname"
      | "guardExit"
    >
  >;
  readonly #jobDatabase: () => Promise<Database>;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #cwd: string;
  readonly #signal?: AbortSignal;
  readonly #guardExit?: WorkerOptions["guardExit"];
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
  /** Starts a claimed job; loaded by run(). */
  #startJob?: typeof startJob;
  #mayHaveWork = true;
  #stopping = false;
  #wake = Promise.withResolvers<void>();
  #retriedHere = new Set<number>();
  #ticker = new ScheduleTicker([]);
  #beating = false;
  #lastPrune = 0;
  #dueTimer?: ReturnType<typeof setTimeout>;
  /** Since when the database has been failing (undefined while it answers). */
  #downSince?: number;
  /** Jobs claimed whose end is not yet recorded (see `#reconcile`). */
  readonly #held = new Set<number>();
  /** The database came back: look for jobs whose recorded end a crash undid. */
  #mustReconcile = false;
  /** When the server started, as its heartbeat last said. */
  #serverStarted?: number;
  /** Resolved when the database answers again, to end the waits before the next try. */
  #back = Promise.withResolvers<void>();
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
      giveUpAfter: options.giveUpAfter ?? 5 * 60_000,
      schedules: options.schedules ?? true,
      asyncCommit: options.asyncCommit ?? true,
      outputInterval: options.outputInterval ?? 500,
      styledOutput: options.styledOutput ?? true,
    };
    const host = options.hostname ?? "localhost";
    const pid = options.pid ?? 0;
    this.id = options.id ?? `${host}-${pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.#info = {
      id: this.id,
      hostname: host,
      pid,
      queues: this.#o.queues,
      concurrency,
      leaseMs: lease,
    };
    this.#fixedPrefetch = options.prefetch;
    this.#jobDatabase = options.jobDatabase ?? (() => Promise.resolve(options.db));
    this.#env = options.env ?? {};
    this.#cwd = options.cwd ?? ".";
    this.#signal = options.signal;
    this.#log = options.log ?? (() => {});
    this.#guardExit = options.guardExit;
  }

  /** The queues this worker takes jobs from. */
  get queues(): readonly string[] {
    return this.#o.queues;
  }

  /** Works until stopped; gives what it did. */
  async run(): Promise<WorkerStats> {
    const { db } = this.#o;
    await requireCurrentTables(db, this.#o.registry);
    if (!this.#o.burst && this.#o.schedules) {
      this.#ticker = new ScheduleTicker(await loadSchedules(this.#o.registry));
    }
    if (this.#o.asyncCommit && db.driver === "postgres") {
      await db.exec("SET synchronous_commit = off");
    }
    this.#serverStarted = await heartbeat(db, this.#info);
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
    // Loaded when a worker runs, not when a command imports the queue: containing jobs needs
    // node:async_hooks, which would cost every command's start-up a few milliseconds.
    const [{ containJobs }, jobRun] = await Promise.all([
      import("./_contain.ts"),
      import("./_job_run.ts"),
      useRunDatabaseScope(), // jobs run side by side: each finds its own run database
    ]);
    this.#startJob = jobRun.startJob;
    const uncontain = containJobs(this.#guardExit);
    const timers = [
      setInterval(() => this.#beat(), this.#o.heartbeatInterval),
      setInterval(() => {
        this.#mayHaveWork = true;
        this.#wakeUp();
      }, this.#o.pollInterval),
      ...(this.#ticker.schedules.length > 0 ? [setInterval(() => this.#tick(), 1000)] : []),
      setInterval(() => this.#saveOutput(), this.#o.outputInterval),
    ];
    if (this.#ticker.schedules.length > 0) await this.#tick();
    try {
      await this.#loop();
      await this.#drain();
      if (this.#failure !== undefined) {
        throw new CommandError(
          `The worker gave up: no database for ${shownDuration(this.#o.giveUpAfter)} (${
            (this.#failure as Error)?.message ?? String(this.#failure)
          })`,
          { cause: this.#failure },
        );
      }
    } finally {
      uncontain();
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
      if (this.#mustReconcile && this.#downSince === undefined) await this.#reconcile();
      this.#startJobs();
      const room = Math.max(0, this.#capacity - this.#running.size - this.#local.length);
      // While the database is away the claim is how it is tried again, room or not.
      const probing = this.#downSince !== undefined;
      let claimedNone = false;
      if (this.#mayHaveWork && (probing || (room > 0 && this.#local.length < concurrency))) {
        this.#mayHaveWork = false;
        let jobs: ClaimedJob[];
        try {
          jobs = await claimJobs(db, this.id, queues, room);
        } catch (error) {
          // The database is away: try again seconds apart, and after `giveUpAfter` stop
          // (drained) and fail, so that a supervisor sees it; the jobs go to other workers
          // once their lease ends.
          this.#mayHaveWork = true;
          const wait = this.#databaseFailed(error, "claim jobs");
          if (wait === undefined) break;
          await this.#rest(wait);
          continue;
        }
        for (const job of jobs) this.#held.add(job.id);
        this.#databaseBack();
        // A full batch: there may be more. Fewer: the queue had no more due jobs just now, and
        // a job enqueued since will notify.
        if (jobs.length === room || probing) this.#mayHaveWork = true;
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
          let done: boolean;
          try {
            done = await this.#burstDone();
          } catch (error) {
            this.#mayHaveWork = true;
            const wait = this.#databaseFailed(error, "look for jobs");
            if (wait === undefined) break;
            await this.#rest(wait);
            continue;
          }
          if (done) break;
        } else if (claimedNone) {
          await this.#wakeWhenDue();
        }
      }
      await this.#sleep();
    }
  }

  /**
   * Burst mode: done unless a retry of a job this worker ran is waiting, or a job of its queues
   * runs elsewhere: that may be a dead worker's, which goes back to the queue when its lease
   * ends (any heartbeat, this worker's too, sees to it) and then runs here. Else it waits.
   */
  async #burstDone(): Promise<boolean> {
    const { db, queues } = this.#o;
    // In this order: a dead worker's job that a heartbeat queues again between the two queries
    // is seen by one of them (running elsewhere first, then due here).
    const elsewhere = await runningElsewhere(db, this.id, queues);
    if (await anyDue(db, queues)) {
      this.#mayHaveWork = true;
      return false;
    }
    const waiting = await pendingAmong(db, [...this.#retriedHere]);
    if (waiting.count === 0 && elsewhere === 0) return true;
    this.#dueAt(elsewhere > 0 ? null : waiting.next);
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

  /**
   * Notes that the database failed; gives how long to wait before trying it again, or undefined
   * when it has been away for `giveUpAfter` (then the worker stops, failing with `error`).
   */
  #databaseFailed(error: unknown, doing: string): number | undefined {
    const now = Date.now();
    this.#downSince ??= now;
    const left = this.#downSince + this.#o.giveUpAfter - now;
    if (left <= 0) {
      this.#failure = error;
      return undefined;
    }
    // About as long as it has been away: 1, 1, 2, 4, 8 … seconds, up to 30.
    const delay = Math.min(Math.max(DATABASE_RETRY, now - this.#downSince), MAX_DATABASE_RETRY);
    // Some jitter, so that workers cut off together do not come back together; and one last
    // try when the time to give up comes.
    const wait = Math.min(Math.round(delay * (0.75 + Math.random() / 4)), left);
    this.#log(
      "warning",
      `Could not ${doing}: ${(error as Error)?.message ?? String(error)}; ` +
        `trying again in ${Math.max(1, Math.round(wait / 1000))}s`,
    );
    return wait;
  }

  /** The database answered: after an outage, carry on where the worker was. */
  #databaseBack(): void {
    if (this.#downSince === undefined) return;
    const seconds = Math.round((Date.now() - this.#downSince) / 1000);
    this.#downSince = undefined;
    this.#mustReconcile = true;
    this.#log("info", `The database is back after ${seconds}s`);
    // Claimed before the outage and not started: their lease may have passed meanwhile, and
    // another worker run them. Given back (only those still this worker's), and claimed again.
    this.#released.push(...this.#local.splice(0).map((job) => job.id));
    this.#mayHaveWork = true;
    this.#back.resolve();
    this.#back = Promise.withResolvers<void>();
    this.#flushSoon();
    this.#wakeUp();
  }

  /**
   * After the database came back from a crash: the worker's own writes are acknowledged before
   * they reach the disk (`asyncCommit`), so a crash may have undone the recorded end of jobs it
   * ran; they are marked running by this worker again, and its heartbeat would keep them so for
   * ever. Those it no longer holds are queued again (and run again: at least once).
   */
  async #reconcile(): Promise<void> {
    this.#mustReconcile = false;
    try {
      const orphans = (await runningOn(this.#o.db, this.id)).filter((id) => !this.#held.has(id));
      if (orphans.length === 0) return;
      const queued = await releaseJobs(this.#o.db, this.id, orphans);
      this.#log(
        "warning",
        `Queued ${queued} job(s) again whose end the database lost in its restart`,
      );
    } catch {
      // Away again: the claims find out, and the next recovery looks once more.
    }
  }

  /**
   * Waits `ms` before the database is tried again, or until the worker is stopped or the
   * database answers another query (other wake-ups do not cut it short).
   */
  #rest(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#signal?.addEventListener("abort", done, { once: true });
      this.#back.promise.then(done);
      if (this.#stopping) done();
    });
  }

  #startJobs(): void {
    // Without a database, a job could not record how it ended: wait for it to come back.
    if (this.#downSince !== undefined) return;
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
    const entry = this.#startJob!(job, {
      registry: this.#o.registry,
      styledOutput: this.#o.styledOutput,
      env: this.#env,
      cwd: this.#cwd,
      abortGrace: this.#o.abortGrace,
      jobDatabase: this.#jobDatabase,
      log: this.#log,
      ran: (ms) => {
        this.#averageMs = this.#averageMs === undefined ? ms : this.#averageMs * 0.9 + ms * 0.1;
      },
      settle: (...ended) => this.#settle(...ended),
    });
    this.#running.set(job.id, entry);
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
    const error = entry.escaped ??
      (reason === "timeout"
        ? `timed out after ${job.timeoutMs} ms`
        : failureLine(stderr) ?? `exit code ${code}`);
    // What escaped the command, or a timeout, is worth another attempt; else the run's verdict.
    const verdict = entry.escaped !== undefined || reason === "timeout" ? undefined : entry.verdict;
    // Why it is final is stored with the error; attempts used up is read from the counts.
    const final = verdict?.retry === false
      ? verdict.reason ?? "the command said this failure is final"
      : code === 2
      ? "a usage error (exit status 2) is final"
      : undefined;
    const retry = final === undefined && job.attempts < job.maxAttempts;
    this.#record(job, {
      ...base,
      status: "failed",
      error: final === undefined ? error : withNotRetried(error, final),
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
          (outcome.error ? `: ${outcome.error.replace("\n", "; ")}` : ""),
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
        for (const outcome of outcomes) this.#held.delete(outcome.id);
        for (const id of released) this.#held.delete(id);
        failures = 0;
        this.#databaseBack();
      } catch (error) {
        this.#outcomes.unshift(...outcomes);
        this.#released.unshift(...released);
        // Kept while the database is away (recorded when it is back); left to the lease (the
        // jobs stay claimed, and run again elsewhere) only when the worker stops without it.
        const stopping = this.#failure !== undefined ||
          (this.#stopping && ++failures >= STOPPING_FLUSH_TRIES);
        const wait = stopping ? undefined : this.#databaseFailed(error, "record job results");
        if (wait === undefined) {
          this.#log(
            "error",
            `Could not record ${this.#outcomes.length} job results: ${
              (error as Error).message
            }; their jobs run again once their lease ends`,
          );
          this.#outcomes.length = 0;
          this.#released.length = 0;
          return;
        }
        if (this.#stopping) await new Promise((resolve) => setTimeout(resolve, 1000));
        else await this.#rest(wait);
      }
    }
  }

  async #flush(): Promise<void> {
    this.#flushSoon();
    while (this.#flushing) await this.#flushing;
  }

  /** Stores the output so far of running jobs that wrote more since the last time. */
  async #saveOutput(): Promise<void> {
    if (this.#savingOutput || this.#downSince !== undefined) return;
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
      const started = await heartbeat(db, this.#info);
      this.#databaseBack();
      if (started !== this.#serverStarted) {
        // Restarted, though no query of this worker's failed: the end of jobs it recorded
        // just before may be undone.
        this.#serverStarted = started;
        this.#mustReconcile = true;
        this.#wakeUp();
      }
      const recovered = await reapLostJobs(db, this.#o.lease);
      if (recovered > 0) {
        this.stats.recovered += recovered;
        this.#log("warning", `Queued ${recovered} job(s) of stopped workers again`);
        this.#mayHaveWork = true;
        this.#wakeUp();
      }
      if (this.#running.size > 0 || this.#local.length > 0) {
        for (const id of await cancelRequested(db, this.id)) this.#cancel(id);
      }
      if (Date.now() - this.#lastPrune > HOUR) {
        this.#lastPrune = Date.now();
        await pruneJobs(db, this.#o.retention);
      }
    } catch (error) {
      // The claims say it when the database is away.
      if (this.#downSince === undefined) {
        this.#log("warning", `Heartbeat failed: ${(error as Error).message}`);
      }
    } finally {
      this.#beating = false;
    }
  }

  /** Enqueues the ticks of the schedules that came due (each once, whoever enqueues it). */
  async #tick(): Promise<void> {
    if (this.#stopping || this.#downSince !== undefined) return;
    this.stats.scheduled += await this.#ticker.tick(this.#o.db, this.#log);
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

/** A duration as its options are written: `90s`, `5m`, `2h`. */
function shownDuration(ms: number): string {
  if (ms === Infinity) return "ever";
  for (const [unit, size] of [["h", HOUR], ["m", 60_000], ["s", 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Runs a worker until stopped (see {@linkcode Worker}); gives what it did. */
export function runWorker(options: WorkerOptions): Promise<WorkerStats> {
  return new Worker(options).run();
}
