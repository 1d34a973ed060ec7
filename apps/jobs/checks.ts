// The job queue's system checks, run by `manage check`: every app's schedules load, have unique
// names, and name a command that takes their arguments — so a schedule's mistake shows at
// check time, not hours later in a worker's log.

import type { Check, CheckMessage } from "../../core/checks.ts";
import { checkJobArguments, checkQueueName, loadSchedules } from "./queue/mod.ts";

const scheduleChecks: Check = async ({ registry }) => {
  const messages: CheckMessage[] = [];
  let schedules;
  try {
    schedules = await loadSchedules(registry);
  } catch (error) {
    return [{
      level: "ERROR",
      id: "jobs.E001",
      msg: error instanceof Error ? error.message : String(error),
      hint: "Each entry is defineSchedule({ name, command, cron | every, … }).",
      obj: "schedules",
    }];
  }
  const seen = new Set<string>();
  for (const schedule of schedules) {
    if (seen.has(schedule.name)) {
      messages.push({
        level: "ERROR",
        id: "jobs.E002",
        msg: `Two schedules are named '${schedule.name}'.`,
        hint: "Ticks are recorded by name: give each schedule its own.",
        obj: schedule.name,
      });
    }
    seen.add(schedule.name);
    try {
      if (schedule.queue !== undefined) checkQueueName(schedule.queue);
      await checkJobArguments(registry, schedule.command, schedule.args ?? []);
    } catch (error) {
      messages.push({
        level: "ERROR",
        id: "jobs.E003",
        msg: `Schedule '${schedule.name}' (${schedule.describe}): ${(error as Error).message}`,
        hint: "Fix the schedule's command or arguments in its app's schedules.ts.",
        obj: schedule.name,
      });
    }
  }
  return messages;
};

export default [scheduleChecks];
