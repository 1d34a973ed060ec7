// The operator's view of the queue, as `manage jobs stats|workers|schedules`, the API and the
// console's dashboard read it: counts per queue, throughput and failures over a window, the
// commands' durations, the workers (alive or lost) and the schedules. Each is one statement over
// the queue's indexes: the pending table is small (only what waits or runs); what ended is read
// from the running totals (`_rollup.ts`), a few rows per bucket of the window, never the results.

import type { Queryable, Row } from "../../../core/database.ts";
import { redactor } from "../../../core/secrets.ts";
import { HISTOGRAM_COLUMNS } from "./_rollup.ts";
import type { Schedule } from "./_schedule.ts";

/** The counts of one queue (or of all, as `queue: "*"`). */
export interface QueueCounts {
  /** The queue's name. */
  queue: string;
  /** Jobs due and waiting for a worker. */
  waiting: number;
  /** Jobs waiting for a later time (a delay, or a retry's backoff). */
  delayed: number;
  /** Jobs a worker runs now. */
  running: number;
  /** Jobs that succeeded within the window. */
  succeeded: number;
  /** Jobs that failed (for good) within the window. */
  failed: number;
  /** Jobs cancelled within the window. */
  cancelled: number;
  /** How long the oldest due job has waited, in ms; null when none waits. */
  oldestWaitingMs: number | null;
}

/** Ended jobs in one stretch of time. */
export interface Bucket {
  /** Where the stretch starts (ISO 8601, UTC). */
  start: string;
  /** Jobs that succeeded in it. */
  succeeded: number;
  /** Jobs that failed in it. */
  failed: number;
}

/** One command's runs within the window. */
export interface CommandStats {
  /** The command. */
  command: string;
  /** Jobs of it that ended. */
  runs: number;
  /** Those that failed. */
  failed: number;
  /** `failed / runs`, from 0 to 1. */
  failureRate: number;
  /** The median duration of a run, in ms (null without a timed run). */
  medianMs: number | null;
  /** The 95th percentile of the durations, in ms. */
  p95Ms: number | null;
}

/** The queue at a glance. */
export interface QueueStats {
  /** When (by the database's clock, ISO 8601). */
  at: string;
  /** The window ended jobs are counted over, in ms. */
  windowMs: number;
  /** The counts summed over every queue. */
  total: QueueCounts;
  /** The counts per queue, by name. */
  queues: QueueCounts[];
  /** The length of each bucket of `throughput`, in ms. */
  bucketMs: number;
  /** Ended jobs per bucket over the window, oldest first. */
  throughput: Bucket[];
  /** Per command, by name. */
  commands: CommandStats[];
}

const num = (value: unknown): number => Number(value ?? 0);
const iso = (value: unknown): string => new Date(value as string).toISOString();
const optionalIso = (value: unknown): string | null => value == null ? null : iso(value);

/** A duration as a person reads it: `850 ms`, `12s`, `4m 05s`, `3h 20m`, `2d 4h`. */
export function shortDuration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A window as given: `1h`, `15m`, `7d`. */
export function windowText(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}

/** The length of the totals' rows a window is read from, in ms: seconds, minutes or hours. */
export function statLevel(windowMs: number): number {
  return windowMs < 3_600_000 ? 1000 : windowMs < 2 * 86_400_000 ? 60_000 : 3_600_000;
}

/**
 * The buckets a window is cut in: 60 at most, each a whole number of the rows it is read from
 * (seconds under an hour, minutes under two days, hours beyond): 1h is cut in minutes, 15m in
 * 15 s, 24h in 24 min, 7d in 3 h (56 buckets).
 */
export function bucketLength(windowMs: number): number {
  const level = statLevel(windowMs);
  return Math.max(level, Math.ceil(windowMs / 60 / level) * level);
}

// The totals of the window's buckets: the one that holds now, by the database's clock, and those
// before it, whole, back to the window's length.
const WINDOW_START = `to_timestamp((floor(extract(epoch FROM now())::float8 * 1000 / $2::float8)
  - $1::float8 + 1) * $2::float8 / 1000)`;

async function queueCounts(db: Queryable, windowMs: number, bucketMs: number) {
  const rows = await db.query(
    `
WITH pending AS (
  SELECT queue,
    count(*) FILTER (WHERE status = 'queued' AND run_at <= now()) AS waiting,
    count(*) FILTER (WHERE status = 'queued' AND run_at > now()) AS delayed,
    count(*) FILTER (WHERE status = 'running') AS running,
    min(run_at) FILTER (WHERE status = 'queued' AND run_at <= now()) AS oldest
  FROM manage_job GROUP BY queue
), ended AS (
  SELECT name AS queue,
    sum(runs) FILTER (WHERE status = 'succeeded') AS succeeded,
    sum(runs) FILTER (WHERE status = 'failed') AS failed,
    sum(runs) FILTER (WHERE status = 'cancelled') AS cancelled
  FROM manage_job_stat
  WHERE width = $3 AND kind = 'q' AND start >= ${WINDOW_START}
  GROUP BY name
)
SELECT coalesce(p.queue, e.queue) AS queue, p.waiting, p.delayed, p.running, e.succeeded,
  e.failed, e.cancelled, extract(epoch FROM now() - p.oldest) * 1000 AS oldest_ms, now() AS at
FROM pending AS p FULL JOIN ended AS e ON e.queue = p.queue
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, now()
ORDER BY 1`,
    [Math.ceil(windowMs / bucketMs), bucketMs, statLevel(windowMs) / 1000],
  );
  const at = iso(rows[0].at);
  const queues: QueueCounts[] = rows.filter((r: Row) => r.queue !== null).map((r: Row) => ({
    queue: r.queue as string,
    waiting: num(r.waiting),
    delayed: num(r.delayed),
    running: num(r.running),
    succeeded: num(r.succeeded),
    failed: num(r.failed),
    cancelled: num(r.cancelled),
    oldestWaitingMs: r.oldest_ms == null ? null : Math.max(0, Math.round(Number(r.oldest_ms))),
  }));
  const total: QueueCounts = {
    queue: "*",
    waiting: 0,
    delayed: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    oldestWaitingMs: null,
  };
  for (const q of queues) {
    for (
      const key of ["waiting", "delayed", "running", "succeeded", "failed", "cancelled"] as const
    ) {
      total[key] += q[key];
    }
    if (q.oldestWaitingMs !== null) {
      total.oldestWaitingMs = Math.max(total.oldestWaitingMs ?? 0, q.oldestWaitingMs);
    }
  }
  return { at, total, queues };
}

async function throughput(db: Queryable, windowMs: number, bucketMs: number) {
  const count = Math.ceil(windowMs / bucketMs);
  const rows = await db.query(
    `
WITH bounds AS (SELECT floor(extract(epoch FROM now())::float8 * 1000 / $2::float8) AS last)
SELECT b.last, r.bucket, r.succeeded, r.failed FROM bounds AS b LEFT JOIN LATERAL (
  SELECT floor(extract(epoch FROM start)::float8 * 1000 / $2::float8) AS bucket,
    sum(runs) FILTER (WHERE status = 'succeeded') AS succeeded,
    sum(runs) FILTER (WHERE status = 'failed') AS failed
  FROM manage_job_stat
  WHERE width = $3 AND kind = 'q' AND start >= to_timestamp((b.last - $1::float8 + 1) * $2::float8 / 1000)
  GROUP BY 1
) AS r ON true`,
    [count, bucketMs, statLevel(windowMs) / 1000],
  );
  const last = Number(rows[0].last);
  const first = last - count + 1;
  const byBucket = new Map(rows.map((r: Row) => [Number(r.bucket), r]));
  const buckets: Bucket[] = [];
  for (let b = first; b <= last; b++) {
    const row = byBucket.get(b);
    buckets.push({
      start: new Date(b * bucketMs).toISOString(),
      succeeded: num(row?.succeeded),
      failed: num(row?.failed),
    });
  }
  return buckets;
}

/**
 * A percentile of the durations from the histogram's counts: the geometric middle of the
 * half-octave that holds it, so within a factor of 2^(1/4) (±19%) of the exact figure from 1 ms
 * to 37 h (under 1 ms it reads 0.5 ms; over 2^27 ms, 2^27 ms).
 */
export function histogramPercentile(counts: readonly number[], p: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) {
      if (i === 0) return 0.5;
      if (i === counts.length - 1) return 2 ** ((i - 1) / 2);
      return 2 ** ((2 * i - 1) / 4);
    }
  }
  return null;
}

/**
 * Runs, failures and durations (median, 95th percentile, from the histogram) per command over
 * the window: whole minutes under 6 hours, whole hours beyond.
 */
export async function commandStats(db: Queryable, windowMs: number): Promise<CommandStats[]> {
  const width = windowMs < 6 * 3_600_000 ? 60 : 3600;
  const rows = await db.query(
    `
SELECT name AS command, sum(runs) AS runs, sum(runs) FILTER (WHERE status = 'failed') AS failed,
  ${HISTOGRAM_COLUMNS.map((h) => `sum(${h}) AS ${h}`).join(", ")}
FROM manage_job_stat
WHERE width = $2 AND kind = 'c'
  AND start >= to_timestamp(floor((extract(epoch FROM now())::float8 * 1000 - $1::float8)
    / ($2 * 1000)) * $2)
GROUP BY name ORDER BY name`,
    [windowMs, width],
  );
  return rows.map((r: Row) => {
    const runs = num(r.runs);
    const failed = num(r.failed);
    const counts = HISTOGRAM_COLUMNS.map((h) => num(r[h]));
    const ms = (value: number | null) => value == null ? null : Math.round(value * 10) / 10;
    return {
      command: r.command as string,
      runs,
      failed,
      failureRate: runs === 0 ? 0 : failed / runs,
      medianMs: ms(histogramPercentile(counts, 0.5)),
      p95Ms: ms(histogramPercentile(counts, 0.95)),
    };
  });
}

/**
 * The queue at a glance over the last `windowMs` (an hour by default): counts per queue, ended
 * jobs per bucket, and per command.
 *
 * @example
 * ```ts ignore
 * const stats = await queueStats(db, { windowMs: 3_600_000 });
 * console.log(stats.total.waiting, stats.total.failed);
 * ```
 */
export async function queueStats(
  db: Queryable,
  { windowMs = 3_600_000 }: { windowMs?: number } = {},
): Promise<QueueStats> {
  const bucketMs = bucketLength(windowMs);
  // Three statements at once: a pool runs them side by side, one connection in turn.
  const [{ at, total, queues }, buckets, commands] = await Promise.all([
    queueCounts(db, windowMs, bucketMs),
    throughput(db, windowMs, bucketMs),
    commandStats(db, windowMs),
  ]);
  return { at, windowMs, total, queues, bucketMs, throughput: buckets, commands };
}

/** A worker as the operator sees it. */
export interface WorkerStatus {
  /** Its id, as jobs record it. */
  id: string;
  /** Its host's name. */
  hostname: string;
  /** Its process id there. */
  pid: number;
  /** The queues it takes jobs from. */
  queues: string[];
  /** Jobs it runs at once. */
  concurrency: number;
  /** Jobs it holds now (running, or claimed to start next). */
  jobsInHand: number;
  /** Its last heartbeat (ISO 8601). */
  heartbeatAt: string;
  /** When it started. */
  startedAt: string;
  /** How long it may stay silent before it is taken for lost, in ms. */
  leaseMs: number;
  /** `alive`, or `lost`: its heartbeat is overdue. */
  state: "alive" | "lost";
  /** When another worker found it lost and took its jobs back (null before). */
  lostAt: string | null;
  /** Its jobs queued again then, to run elsewhere. */
  jobsRequeued: number;
  /** Its jobs failed then (their workers had stopped too often while running them). */
  jobsFailed: number;
}

/** Every worker that has recorded itself, alive or lost (a lost one is kept for a day). */
export async function listWorkers(db: Queryable): Promise<WorkerStatus[]> {
  const rows = await db.query(
    `
SELECT w.id, w.hostname, w.pid, w.queues, w.concurrency, w.heartbeat_at, w.started_at,
  w.lease_ms, w.lost_at, w.jobs_requeued, w.jobs_failed,
  (w.lost_at IS NOT NULL OR w.heartbeat_at < now() - w.lease_ms * interval '1 ms') AS lost,
  (SELECT count(*) FROM manage_job AS j WHERE j.worker = w.id AND j.status = 'running') AS in_hand
FROM manage_worker AS w
ORDER BY w.started_at, w.id`,
  );
  return rows.map((r: Row) => ({
    id: r.id as string,
    hostname: r.hostname as string,
    pid: num(r.pid),
    queues: String(r.queues).split(","),
    concurrency: num(r.concurrency),
    jobsInHand: num(r.in_hand),
    heartbeatAt: iso(r.heartbeat_at),
    startedAt: iso(r.started_at),
    leaseMs: num(r.lease_ms),
    state: r.lost ? "lost" : "alive",
    lostAt: optionalIso(r.lost_at),
    jobsRequeued: num(r.jobs_requeued),
    jobsFailed: num(r.jobs_failed),
  }));
}

/** A schedule as the operator sees it. */
export interface ScheduleStatus {
  /** Its name. */
  name: string;
  /** The command it runs, and its words. */
  command: string;
  args: string[];
  /** `cron 0 3 * * *`, `every 10m`. */
  describe: string;
  /** The queue its jobs go to. */
  queue: string;
  /** Its next tick (ISO 8601). */
  nextRun: string;
  /** Its last tick that a worker enqueued, if any. */
  lastTick: string | null;
  /** The last job it enqueued: its id, status and when it ended (null while it waits or runs). */
  lastJob: { id: number; status: string; finishedAt: string | null; error: string | null } | null;
}

/** The `schedules` with their next run, last tick and the outcome of their last job. */
export async function scheduleStatus(
  db: Queryable,
  schedules: readonly Schedule[],
): Promise<ScheduleStatus[]> {
  if (schedules.length === 0) return [];
  const rows = await db.query(
    `
SELECT s.name, t.tick, j.id, j.status, j.finished_at, j.error, now() AS at
FROM jsonb_array_elements_text($1::text::jsonb) AS s(name)
LEFT JOIN LATERAL (
  SELECT max(tick) AS tick FROM manage_schedule_tick WHERE schedule = s.name
) AS t ON true
LEFT JOIN LATERAL (
  SELECT * FROM (
    (SELECT id, status, NULL::timestamptz AS finished_at, last_error AS error FROM manage_job
      WHERE schedule = s.name ORDER BY id DESC LIMIT 1)
    UNION ALL
    (SELECT id, status, finished_at, error FROM manage_job_result
      WHERE schedule = s.name ORDER BY id DESC LIMIT 1)
  ) AS latest ORDER BY id DESC LIMIT 1
) AS j ON true`,
    [JSON.stringify(schedules.map((s) => s.name))],
  );
  const byName = new Map(rows.map((r: Row) => [r.name as string, r]));
  const now = new Date(rows[0]?.at as string ?? Date.now());
  return schedules.map((s) => {
    const r = byName.get(s.name)!;
    return {
      name: s.name,
      command: s.command,
      args: [...(s.args ?? [])],
      describe: s.describe,
      queue: s.queue ?? "default",
      nextRun: s.nextTick(now).toISOString(),
      lastTick: optionalIso(r?.tick),
      lastJob: r?.id == null ? null : {
        id: Number(r.id),
        status: r.status as string,
        finishedAt: optionalIso(r.finished_at),
        error: r.error == null ? null : redactor({}, s.args ?? [])(String(r.error)),
      },
    };
  });
}
