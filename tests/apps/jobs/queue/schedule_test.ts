import assert from "node:assert/strict";
import { cronMatches, defineSchedule } from "../../../../apps/jobs/queue/_schedule.ts";
import { DefinitionError } from "../../../../core/errors.ts";

const at = (iso: string) => new Date(iso);
const ticks = (cron: string, from: string, n: number) => {
  const schedule = defineSchedule({ name: "t", command: "c", cron });
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) out.push((t = schedule.nextTick(t)).toISOString().slice(0, 16));
  return out;
};

Deno.test("cron: fields, lists, ranges, steps, names and nicknames, in UTC", () => {
  assert.deepEqual(ticks("*/20 * * * *", "2026-11-26T10:05:00Z", 3), [
    "2026-11-26T10:20",
    "2026-11-26T10:40",
    "2026-11-26T11:00",
  ]);
  // Friday 17:45, then Monday 09:00 (mon-fri, 9 to 17).
  assert.deepEqual(ticks("*/15 9-17 * * mon-fri", "2026-11-27T17:44:00Z", 2), [
    "2026-11-27T17:45",
    "2026-11-30T09:00",
  ]);
  assert.deepEqual(ticks("0 3 1,15 jan,jul *", "2026-11-26T00:00:00Z", 3), [
    "2027-01-01T03:00",
    "2027-01-15T03:00",
    "2027-07-01T03:00",
  ]);
  assert.deepEqual(ticks("@daily", "2026-11-26T10:00:00Z", 1), ["2026-11-27T00:00"]);
  assert.deepEqual(ticks("@weekly", "2026-11-26T10:00:00Z", 1), ["2026-11-29T00:00"]);
  // Day of month and day of week both restricted: either matches (as cron does); 7 is Sunday.
  assert.deepEqual(ticks("0 0 13 * 7", "2026-11-26T10:00:00Z", 3), [
    "2026-11-29T00:00",
    "2026-12-06T00:00",
    "2026-12-13T00:00",
  ]);
  assert.deepEqual(ticks("0 12 29 2 *", "2026-11-26T10:00:00Z", 1), ["2028-02-29T12:00"]);
  assert.ok(cronMatches("*/15 9-17 * * mon-fri", at("2026-11-26T09:45:00Z")));
  assert.ok(!cronMatches("*/15 9-17 * * mon-fri", at("2026-11-28T09:45:00Z")), "a Saturday");
});

Deno.test("cron: previousTick is the latest tick at or before a time", () => {
  const s = defineSchedule({ name: "t", command: "c", cron: "30 */6 * * *" });
  assert.equal(
    s.previousTick(at("2026-11-26T13:00:00Z")).toISOString(),
    "2026-11-26T12:30:00.000Z",
  );
  assert.equal(
    s.previousTick(at("2026-11-26T12:30:00Z")).toISOString(),
    "2026-11-26T12:30:00.000Z",
  );
  assert.equal(
    s.previousTick(at("2026-11-26T00:10:00Z")).toISOString(),
    "2026-11-25T18:30:00.000Z",
  );
  const monthly = defineSchedule({ name: "m", command: "c", cron: "0 0 1 * *" });
  assert.equal(
    monthly.previousTick(at("2026-03-15T00:00:00Z")).toISOString(),
    "2026-03-01T00:00:00.000Z",
  );
});

Deno.test("every: ticks aligned to the epoch", () => {
  const s = defineSchedule({ name: "t", command: "c", every: "10m" });
  assert.equal(s.nextTick(at("2026-11-26T10:05:00Z")).toISOString(), "2026-11-26T10:10:00.000Z");
  assert.equal(s.nextTick(at("2026-11-26T10:10:00Z")).toISOString(), "2026-11-26T10:20:00.000Z");
  assert.equal(
    s.previousTick(at("2026-11-26T10:19:59Z")).toISOString(),
    "2026-11-26T10:10:00.000Z",
  );
  assert.equal(s.describe, "every 10m");
});

Deno.test("bad schedules are definition errors naming the fault", () => {
  const bad = (definition: Parameters<typeof defineSchedule>[0], message: string) =>
    assert.throws(() => defineSchedule(definition), (e: Error) => {
      assert.ok(e instanceof DefinitionError);
      assert.equal(e.message, message);
      return true;
    });
  bad(
    { name: "a", command: "c", cron: "61 * * * *" },
    `Schedule 'a': cron expression "61 * * * *": minute "61" is out of range (allowed: 0-59)`,
  );
  bad(
    { name: "a", command: "c", cron: "* * *" },
    `Schedule 'a': cron expression "* * *" has 3 fields; use five: minute hour day-of-month month day-of-week`,
  );
  bad(
    { name: "a", command: "c", cron: "* * * foo *" },
    `Schedule 'a': cron expression "* * * foo *": month "foo" is not a number (allowed: 1-12 or names such as feb)`,
  );
  bad(
    { name: "a", command: "c", cron: "5-1 * * * *" },
    `Schedule 'a': cron expression "5-1 * * * *": minute "5-1" has a range that runs backwards (allowed: 0-59)`,
  );
  bad({ name: "a", command: "c" }, "Schedule 'a' needs exactly one of cron and every");
  bad(
    { name: "a", command: "c", cron: "* * * * *", every: "1m" },
    "Schedule 'a' needs exactly one of cron and every",
  );
  bad({ name: "a", command: "c", every: "500ms" }, "Schedule 'a': every must be at least 1s");
  bad(
    { name: "a", command: "c", every: "often" },
    `Schedule 'a': every: invalid duration "often" (use a number with ms, s, m, h or d, such as 10m)`,
  );
});
