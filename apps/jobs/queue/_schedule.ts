/**
 * Periodic commands: an app declares them in `apps/<app>/schedules.ts`, default-exporting a list
 * of {@linkcode defineSchedule} entries; the registry lists the module, and every `manage worker`
 * enqueues each tick of each schedule, exactly once however many workers run.
 *
 * A schedule runs on a cron expression (five fields, minute hour day-of-month month
 * day-of-week, in UTC, with `*`, lists, ranges, steps and names; or `@hourly`, `@daily`,
 * `@weekly`, `@monthly`, `@yearly`) or every fixed interval (`every: "10m"`, ticks aligned to
 * the Unix epoch).
 *
 * @module
 */

import { parseDuration } from "../../../core/values.ts";
import { DefinitionError } from "../../../core/errors.ts";

/** What an app declares: a command run periodically. */
export interface ScheduleDefinition {
  /** A name unique in the project (`myapp.nightly_report`); ticks are recorded under it. */
  readonly name: string;
  /** The command to run. */
  readonly command: string;
  /** Its command-line words. */
  readonly args?: readonly string[];
  /** A cron expression, in UTC: `"0 3 * * *"`, `"@hourly"`. Give this or `every`. */
  readonly cron?: string;
  /** A fixed interval: `"30s"`, `"10m"`, `"1h"`, or milliseconds. Give this or `cron`. */
  readonly every?: string | number;
  /** The queue its jobs go to (`default`). */
  readonly queue?: string;
  /** Their priority: higher runs first (0). */
  readonly priority?: number;
  /** Their attempts before failing (3). */
  readonly maxAttempts?: number;
  /** Their time limit: a duration such as `"5m"`, or milliseconds. */
  readonly timeout?: string | number;
}

/** A checked schedule, with the function that gives its ticks. */
export interface Schedule extends ScheduleDefinition {
  /** The first tick strictly after `after`. */
  nextTick(after: Date): Date;
  /** The latest tick at or before `at`. */
  previousTick(at: Date): Date;
  /** How the schedule reads: `cron 0 3 * * *`, `every 10m`. */
  readonly describe: string;
}

/**
 * Declares a periodic command; throws a `DefinitionError` naming the problem when the cron
 * expression or the interval is not valid.
 *
 * @example
 * ```ts
 * import { defineSchedule } from "./mod.ts";
 *
 * const nightly = defineSchedule({ name: "myapp.nightly", command: "show_status", cron: "0 3 * * *" });
 * console.assert(nightly.nextTick(new Date("2026-01-01T12:00:00Z")).toISOString() === "2026-01-02T03:00:00.000Z");
 * ```
 */
export function defineSchedule(definition: ScheduleDefinition): Schedule {
  const where = `Schedule '${definition.name}'`;
  if (!definition.name || typeof definition.name !== "string") {
    throw new DefinitionError("A schedule needs a name: defineSchedule({ name: 'app.what', … })");
  }
  if (!definition.command) throw new DefinitionError(`${where} names no command`);
  if ((definition.cron === undefined) === (definition.every === undefined)) {
    throw new DefinitionError(`${where} needs exactly one of cron and every`);
  }
  if (definition.cron !== undefined) {
    const cron = parseCron(definition.cron, where);
    return {
      ...definition,
      describe: `cron ${definition.cron}`,
      nextTick: (after) => cronNext(cron, after),
      previousTick: (at) => cronPrevious(cron, at),
    };
  }
  const every = toMilliseconds(definition.every!, `${where}: every`);
  if (every < 1000) throw new DefinitionError(`${where}: every must be at least 1s`);
  return {
    ...definition,
    describe: `every ${definition.every}`,
    nextTick: (after) => new Date((Math.floor(after.getTime() / every) + 1) * every),
    previousTick: (at) => new Date(Math.floor(at.getTime() / every) * every),
  };
}

/** Whether a value is a schedule made by `defineSchedule`. */
export function isSchedule(value: unknown): value is Schedule {
  return typeof value === "object" && value !== null &&
    typeof (value as Schedule).nextTick === "function" &&
    typeof (value as Schedule).name === "string";
}

/** A duration given as text (`10m`) or milliseconds, in milliseconds. */
export function toMilliseconds(value: string | number, what: string): number {
  const ms = typeof value === "number" ? value : parseDuration(value);
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
    throw new DefinitionError(
      `${what}: invalid duration ${
        JSON.stringify(value)
      } (use a number with ms, s, m, h or d, such as 10m)`,
    );
  }
  return ms;
}

/** A parsed cron expression: the allowed values of each field. */
interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Day-of-month and day-of-week both restricted: a day matches either (as cron does). */
  either: boolean;
}

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/**
 * Parses a cron expression; throws a `DefinitionError` naming the field at fault.
 *
 * @example
 * ```ts
 * import { cronMatches } from "./_schedule.ts";
 *
 * console.assert(cronMatches("*\/15 9-17 * * mon-fri", new Date("2026-11-26T09:45:00Z")));
 * ```
 */
function parseCron(expression: string, where: string): Cron {
  const text = NICKNAMES[expression.trim().toLowerCase()] ?? expression;
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new DefinitionError(
      `${where}: cron expression ${
        JSON.stringify(expression)
      } has ${parts.length} fields; use five: minute hour day-of-month month day-of-week`,
    );
  }
  const field = (i: number, name: string, min: number, max: number, names?: string[]) =>
    parseField(parts[i], { name, min, max, names, where, expression });
  const weekdays = field(4, "day-of-week", 0, 7, WEEKDAYS);
  if (weekdays.has(7)) {
    weekdays.delete(7);
    weekdays.add(0);
  }
  return {
    minutes: field(0, "minute", 0, 59),
    hours: field(1, "hour", 0, 23),
    days: field(2, "day-of-month", 1, 31),
    months: field(3, "month", 1, 12, MONTHS),
    weekdays,
    either: parts[2] !== "*" && parts[4] !== "*",
  };
}

function parseField(
  text: string,
  f: {
    name: string;
    min: number;
    max: number;
    names?: string[];
    where: string;
    expression: string;
  },
): Set<number> {
  const bad = (why: string) =>
    new DefinitionError(
      `${f.where}: cron expression ${JSON.stringify(f.expression)}: ${f.name} ${
        JSON.stringify(text)
      } ${why} (allowed: ${f.min}-${f.max}${f.names ? ` or names such as ${f.names[1]}` : ""})`,
    );
  const value = (word: string): number => {
    const named = f.names?.indexOf(word.toLowerCase()) ?? -1;
    if (named >= 0) return named + (f.name === "month" ? 1 : 0);
    if (!/^\d+$/.test(word)) throw bad("is not a number");
    const n = Number(word);
    if (n < f.min || n > f.max) throw bad("is out of range");
    return n;
  };
  const values = new Set<number>();
  for (const item of text.split(",")) {
    const [range, stepText] = item.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || item.split("/").length > 2) {
      throw bad("has a bad step");
    }
    let from: number;
    let to: number;
    if (range === "*") [from, to] = [f.min, f.max];
    else if (range.includes("-")) {
      const [a, b] = range.split("-");
      [from, to] = [value(a), value(b)];
      if (from > to) throw bad("has a range that runs backwards");
    } else {
      from = value(range);
      to = stepText === undefined ? from : f.max;
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

function dayMatches(cron: Cron, date: Date): boolean {
  const dom = cron.days.has(date.getUTCDate());
  const dow = cron.weekdays.has(date.getUTCDay());
  return cron.either ? dom || dow : dom && dow;
}

function cronNext(cron: Cron, after: Date): Date {
  const t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
  // Four years hold every combination of month, day and weekday.
  const limit = after.getTime() + 4 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!cron.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(cron, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
    } else if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!cron.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else {
      return t;
    }
  }
  throw new DefinitionError("The cron expression never matches a date (such as 30 February)");
}

function cronPrevious(cron: Cron, at: Date): Date {
  const t = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
  const limit = at.getTime() - 4 * 366 * 86_400_000;
  while (t.getTime() >= limit) {
    if (!cron.months.has(t.getUTCMonth() + 1)) {
      t.setUTCDate(0); // the last day of the month before
      t.setUTCHours(23, 59, 0, 0);
    } else if (!dayMatches(cron, t)) {
      t.setUTCHours(0, 0, 0, 0);
      t.setTime(t.getTime() - 60_000);
    } else if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCMinutes(0, 0, 0);
      t.setTime(t.getTime() - 60_000);
    } else if (!cron.minutes.has(t.getUTCMinutes())) {
      t.setTime(t.getTime() - 60_000);
    } else {
      return t;
    }
  }
  throw new DefinitionError("The cron expression never matches a date (such as 30 February)");
}

/** Whether `date` (to the minute, UTC) is a tick of the cron `expression`. */
export function cronMatches(expression: string, date: Date): boolean {
  const cron = parseCron(expression, "cron");
  return date.getUTCSeconds() === 0 && date.getUTCMilliseconds() === 0
    ? cronPrevious(cron, date).getTime() === date.getTime()
    : cron.minutes.has(date.getUTCMinutes()) && cron.hours.has(date.getUTCHours()) &&
      cron.months.has(date.getUTCMonth() + 1) && dayMatches(cron, date);
}
