// The schedules a worker enqueues: each tick of each schedule the registry's apps declare, enqueued
// once however many workers run (the tick's job is unique), and a tick missed while no worker
// ran caught up once, if it is recent.

import type { Queryable } from "../../../core/database.ts";
import type { Registry } from "../../../core/registry.ts";
import { insertScheduledJob, newJob } from "./_queue.ts";
import { isSchedule, type Schedule } from "./_schedule.ts";
import type { LogLevel } from "./_worker_options.ts";

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

/** Enqueues the ticks of schedules as they come due; call {@linkcode ScheduleTicker.tick} often. */
export class ScheduleTicker {
  /** The schedules it enqueues. */
  readonly schedules: readonly Schedule[];
  readonly #lastTick = new Map<string, number>();
  #ticking = false;

  /** A ticker of `schedules`. */
  constructor(schedules: readonly Schedule[]) {
    this.schedules = schedules;
  }

  /**
   * Enqueues in `db` the ticks that came due since the last call (each once, whoever enqueues
   * it); gives how many this call enqueued. A failure is logged, not thrown.
   */
  async tick(db: Queryable, log: (level: LogLevel, line: string) => void): Promise<number> {
    if (this.#ticking) return 0;
    this.#ticking = true;
    let enqueued = 0;
    try {
      const now = new Date();
      for (const schedule of this.schedules) {
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
        const id = await insertScheduledJob(db, new Date(tick), job);
        this.#lastTick.set(schedule.name, tick);
        if (id !== undefined) {
          enqueued++;
          log("debug", `Schedule ${schedule.name}: enqueued job ${id}`);
        }
      }
    } catch (error) {
      log("warning", `Schedules: ${(error as Error).message}`);
    } finally {
      this.#ticking = false;
    }
    return enqueued;
  }
}
