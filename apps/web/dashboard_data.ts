// What the console's dashboard and the API's `/api/stats`, `/api/workers` and `/api/schedules`
// read, and the schedules' "run now": one place, so that the page, its live updates and the API
// say the same.

import { parseDuration } from "../../core/values.ts";
import {
  enqueue,
  type Enqueued,
  listWorkers,
  loadSchedules,
  type QueueStats,
  queueStats,
  type ScheduleStatus,
  scheduleStatus,
  type WorkerStatus,
} from "../jobs/queue/mod.ts";
import { checkJobArguments } from "../jobs/queue/mod.ts";
import type { ConsoleOptions } from "./_http.ts";

/** The window ended jobs are counted over when none is asked for: an hour. */
export const DEFAULT_WINDOW = 3_600_000;
const MIN_WINDOW = 60_000;
const MAX_WINDOW = 30 * 86_400_000;

/** A `window` query parameter in ms (an hour when absent), or what is wrong with it. */
export function readWindow(text: string | null): number | string {
  if (text === null || text === "") return DEFAULT_WINDOW;
  const ms = parseDuration(text);
  if (ms === undefined || ms < MIN_WINDOW || ms > MAX_WINDOW) {
    return `'window' must be a duration from 1m to 30d, such as 15m or 24h`;
  }
  return ms;
}

/** Everything the dashboard shows. */
export interface DashboardData {
  /** The queues, throughput and commands over the window. */
  stats: QueueStats;
  /** The workers, alive or lost. */
  workers: WorkerStatus[];
  /** The apps' schedules. */
  schedules: ScheduleStatus[];
}

/** Reads what the dashboard shows, over the last `windowMs`. */
export async function dashboardData(
  options: ConsoleOptions,
  windowMs: number,
): Promise<DashboardData> {
  const [stats, workers, schedules] = await Promise.all([
    queueStats(options.db, { windowMs }),
    listWorkers(options.db),
    loadSchedules(options.registry).then((all) => scheduleStatus(options.db, all)),
  ]);
  return { stats, workers, schedules };
}

/**
 * Enqueues the schedule `name`'s command once, now, with its queue, priority, attempts and time
 * limit: a job from the console, so its command must be one that may come through the console and
 * run in the background (a `RunFromError` otherwise). Undefined when there is no such schedule.
 */
export async function runScheduleNow(
  options: ConsoleOptions,
  name: string,
): Promise<Enqueued | undefined> {
  const schedule = (await loadSchedules(options.registry)).find((s) => s.name === name);
  if (!schedule) return undefined;
  const args = schedule.args ?? [];
  await checkJobArguments(options.registry, schedule.command, args, options.env, [
    "console",
    "background",
  ]);
  return await enqueue(schedule.command, args, {
    registry: options.registry,
    db: options.db,
    env: options.env,
    queue: schedule.queue,
    priority: schedule.priority,
    maxAttempts: schedule.maxAttempts,
    timeout: schedule.timeout,
  });
}
