// How `manage jobs stats`, `jobs workers` and `jobs schedules` read as text: tables with a
// heading, times in UTC, durations rounded to what a person reads at a glance.

import type { Style } from "../../../core/style.ts";
import {
  type QueueCounts,
  type QueueStats,
  type ScheduleStatus,
  shortDuration,
  windowText,
  type WorkerStatus,
} from "../queue/mod.ts";

/** `2026-11-26 17:02:03`, UTC. */
export function when(iso: string | null): string {
  return iso ? iso.slice(0, 19).replace("T", " ") : "-";
}

/** Lines of a table: a heading in the style's heading, columns padded to their widest cell. */
export function table(style: Style, head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join("  ");
  return [style.MIGRATE_HEADING(line(head)), ...rows.map(line)];
}

const BARS = "▁▂▃▄▅▆▇█";

/** A sparkline of `values`: one bar a value, the highest full. */
export function sparkline(values: readonly number[]): string {
  const top = Math.max(...values, 0);
  return values.map((v) =>
    top === 0 || v === 0 ? " " : BARS[Math.min(7, Math.floor((v / top) * 7.999))]
  ).join("");
}

function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

/** `manage jobs stats` as text. */
export function statsLines(style: Style, stats: QueueStats): string[] {
  const window = windowText(stats.windowMs);
  const lines = [`Queues at ${when(stats.at)} UTC; ended jobs over the last ${window}:`, ""];
  const row = (q: QueueCounts, name = q.queue) => [
    name,
    String(q.waiting),
    String(q.delayed),
    String(q.running),
    String(q.succeeded),
    String(q.failed),
    shortDuration(q.oldestWaitingMs),
  ];
  lines.push(
    ...table(
      style,
      ["QUEUE", "WAITING", "DELAYED", "RUNNING", "SUCCEEDED", "FAILED", "OLDEST WAITING"],
      [...stats.queues.map((q) => row(q)), row(stats.total, "(all)")],
    ),
  );
  const ended = stats.throughput.map((b) => b.succeeded + b.failed);
  const failed = stats.throughput.map((b) => b.failed);
  const step = windowText(stats.bucketMs);
  lines.push(
    "",
    `Ended per ${step}:  |${sparkline(ended)}| peak ${Math.max(0, ...ended)}`,
    `Failed per ${step}: |${sparkline(failed)}| peak ${Math.max(0, ...failed)}`,
    "",
  );
  if (stats.commands.length === 0) {
    lines.push(`No job ended in the last ${window}.`);
    return lines;
  }
  lines.push(
    ...table(
      style,
      ["COMMAND", "RUNS", "FAILED", "FAILURE RATE", "MEDIAN", "P95"],
      stats.commands.map((c) => [
        c.command,
        String(c.runs),
        String(c.failed),
        percent(c.failureRate),
        shortDuration(c.medianMs),
        shortDuration(c.p95Ms),
      ]),
    ),
  );
  return lines;
}

/** What a worker's state says: alive, or lost and what became of its jobs. */
export function workerState(worker: WorkerStatus): string {
  if (worker.state === "alive") return "alive";
  if (worker.lostAt === null) {
    const n = worker.jobsInHand;
    return `lost: heartbeat overdue; ${n} job${n === 1 ? "" : "s"} in hand, queued again ` +
      "when another worker checks";
  }
  const requeued = `${worker.jobsRequeued} job${worker.jobsRequeued === 1 ? "" : "s"}`;
  return `lost at ${when(worker.lostAt)}: ${requeued} queued again, ${worker.jobsFailed} failed`;
}

/** `manage jobs workers` as text. */
export function workersLines(style: Style, workers: readonly WorkerStatus[]): string[] {
  if (workers.length === 0) return ["No workers."];
  return table(
    style,
    [
      "HOST",
      "PID",
      "QUEUES",
      "CONCURRENCY",
      "IN HAND",
      "HEARTBEAT (UTC)",
      "STARTED (UTC)",
      "STATE",
    ],
    workers.map((w) => [
      w.hostname,
      String(w.pid),
      w.queues.join(","),
      String(w.concurrency),
      String(w.jobsInHand),
      when(w.heartbeatAt),
      when(w.startedAt),
      workerState(w),
    ]),
  );
}

/** What a schedule's last job says: `#12 succeeded`, `#13 queued`. */
export function lastJobText(schedule: ScheduleStatus): string {
  return schedule.lastJob ? `#${schedule.lastJob.id} ${schedule.lastJob.status}` : "-";
}

/** `manage jobs schedules` as text. */
export function schedulesLines(style: Style, schedules: readonly ScheduleStatus[]): string[] {
  if (schedules.length === 0) return ["No schedules: apps declare them in schedules.ts."];
  return table(
    style,
    ["NAME", "SCHEDULE", "COMMAND", "NEXT RUN (UTC)", "LAST TICK (UTC)", "LAST JOB"],
    schedules.map((s) => [
      s.name,
      s.describe,
      [s.command, ...s.args].join(" "),
      when(s.nextRun),
      when(s.lastTick),
      lastJobText(s),
    ]),
  );
}
