// `manage jobs stats|workers|schedules` and `GET /api/stats|workers|schedules` on both drivers,
// after a known sequence run by real processes: jobs enqueued, three run to success and two to
// failure by a burst worker, and a worker SIGKILLed with a job in hand, shown lost, then found
// lost by another worker, which queues its job again. The text and JSON outputs, and the API's,
// tell the same counts.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../../_database.ts";
import { copyProject } from "../../../_helpers.ts";
import { startCli, until } from "../../../_process.ts";
import { Client, consoleOn } from "../../web/_web.ts";
import { defineSchedule } from "../../../../apps/jobs/queue/mod.ts";
import { registry as fixtureRegistry } from "../../../fixtures/registry.ts";
import type { Registry } from "../../../../core/registry.ts";

const OPS_APP: Record<string, string> = {
  "apps/ops/commands/nap.ts": `import { CommandError, defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Waits --ms, then succeeds (or fails with --fail)",
  options: { ms: { type: "integer", default: 0 }, fail: { type: "boolean" } },
  async handle({ options }) {
    await new Promise((resolve) => setTimeout(resolve, options.ms));
    if (options.fail) throw new CommandError("told to fail");
  },
});
`,
  "apps/ops/schedules.ts": `import { defineSchedule } from "../../mod.ts";

export default [defineSchedule({ name: "ops.hourly_nap", command: "nap", cron: "@hourly" })];
`,
};

/** The registry the console serves in-process: the ops app's schedule, as the copy's lists it. */
const OPS_REGISTRY: Registry = {
  ...fixtureRegistry,
  schedules: [{
    app: "ops",
    module: "apps/ops/schedules.ts",
    load: () =>
      Promise.resolve({
        default: [defineSchedule({ name: "ops.hourly_nap", command: "nap", cron: "@hourly" })],
      }),
  }],
};

interface Counts {
  queue: string;
  waiting: number;
  delayed: number;
  running: number;
  succeeded: number;
  failed: number;
}

const counts = (q: Counts) => ({
  queue: q.queue,
  waiting: q.waiting,
  delayed: q.delayed,
  running: q.running,
  succeeded: q.succeeded,
  failed: q.failed,
});

Deno.test({
  name: "jobs stats, workers and schedules, and the API, after enqueues, failures and a SIGKILL",
  async fn(t) {
    await using project = await copyProject(OPS_APP, { without: ["apps/myapp"] });
    await forEachDatabase(t, async (database, step) => {
      const env = { DATABASE_URL: database.url };
      const cli = async (args: string[]) => {
        const result = await project.run(args, { env });
        assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
        return result.stdout;
      };
      const cliJson = async (args: string[]) =>
        JSON.parse(await cli([...args, "--format", "json"]));
      await cli(["migrate", "-v", "0"]);
      for (let i = 0; i < 3; i++) await cli(["enqueue", "nap"]);
      for (let i = 0; i < 2; i++) await cli(["enqueue", "--max-attempts", "1", "nap", "--fail"]);
      await cli(["enqueue", "--delay", "1h", "nap"]);
      await cli(["enqueue", "-q", "slow", "nap", "--ms", "600000"]);
      await cli(["worker", "--burst", "--skip-schedules"]);

      const doomed = startCli(
        project,
        ["worker", "-Q", "slow", "-c", "3", "--lease", "2s", "--skip-schedules"],
        env,
      );
      try {
        await until(
          async () => {
            const workers = await cliJson(["jobs", "workers"]);
            return workers.length === 1 && workers[0].jobsInHand === 1;
          },
          "the worker's job running",
          { ms: 60_000, every: 250 },
        );
        doomed.child.kill("SIGKILL");
        await doomed.end();
      } finally {
        if (!doomed.ended()) doomed.child.kill("SIGKILL");
        await doomed.end();
      }
      await new Promise((resolve) => setTimeout(resolve, 2500));

      await step.step(
        `${database.kind}: the killed worker shows as lost, its job in hand`,
        async () => {
          const workers = await cliJson(["jobs", "workers"]);
          assert.equal(workers.length, 1);
          assert.equal(workers[0].pid, doomed.child.pid);
          assert.deepEqual(workers[0].queues, ["slow"]);
          assert.equal(workers[0].concurrency, 3);
          assert.equal(workers[0].leaseMs, 2000);
          assert.equal(workers[0].state, "lost");
          assert.equal(workers[0].lostAt, null);
          assert.equal(workers[0].jobsInHand, 1);
          const text = await cli(["jobs", "workers"]);
          assert.match(text, /^HOST +PID +QUEUES +CONCURRENCY +IN HAND +HEARTBEAT \(UTC\)/);
          assert.match(
            text,
            new RegExp(`${doomed.child.pid} +slow +3 +1 .*lost: heartbeat overdue; 1 job in hand`),
          );

          const stats = await cliJson(["jobs", "stats"]);
          assert.deepEqual(stats.queues.map(counts), [
            { queue: "default", waiting: 0, delayed: 1, running: 0, succeeded: 3, failed: 2 },
            { queue: "slow", waiting: 0, delayed: 0, running: 1, succeeded: 0, failed: 0 },
          ]);
          assert.deepEqual(
            stats.commands.map((c: { command: string; runs: number; failed: number }) => [
              c.command,
              c.runs,
              c.failed,
            ]),
            [["nap", 5, 2]],
          );
          assert.equal(stats.commands[0].failureRate, 0.4);
          const statsText = await cli(["jobs", "stats", "--window", "15m"]);
          assert.match(statsText, /ended jobs over the last 15m:/);
          assert.match(statsText, /^default +0 +1 +0 +3 +2 +-$/m);
          assert.match(statsText, /^slow +0 +0 +1 +0 +0 +-$/m);
          assert.match(statsText, /^\(all\) +0 +1 +1 +3 +2 +-$/m);
          assert.match(statsText, /^nap +5 +2 +40% /m);
          assert.match(statsText, /^Ended per 15s: +\|/m);
        },
      );

      // Another worker (of another queue, done at once) finds it lost and queues its job again.
      await cli(["worker", "--burst", "-Q", "other", "--lease", "2s", "--skip-schedules"]);
      await step.step(`${database.kind}: found lost, its job queued again`, async () => {
        const workers = await cliJson(["jobs", "workers"]);
        assert.equal(workers.length, 1, "the burst worker went; the lost one is kept");
        assert.equal(workers[0].state, "lost");
        assert.notEqual(workers[0].lostAt, null);
        assert.equal(workers[0].jobsInHand, 0);
        assert.equal(workers[0].jobsRequeued, 1);
        assert.match(await cli(["jobs", "workers"]), /lost at .*: 1 job queued again, 0 failed/);
        const stats = await cliJson(["jobs", "stats"]);
        assert.deepEqual(counts(stats.total), {
          queue: "*",
          waiting: 1,
          delayed: 1,
          running: 0,
          succeeded: 3,
          failed: 2,
        });
        const schedules = await cliJson(["jobs", "schedules"]);
        const nap = schedules.find((s: { name: string }) => s.name === "ops.hourly_nap");
        assert.equal(nap.describe, "cron @hourly");
        assert.equal(nap.lastTick, null);
        assert.equal(new Date(nap.nextRun).getUTCMinutes(), 0);
        assert.match(
          await cli(["jobs", "schedules"]),
          /^ops\.hourly_nap +cron @hourly +nap +\d{4}-\d\d-\d\d \d\d:00:00 +- +-$/m,
        );
      });

      await step.step(`${database.kind}: the API tells the same`, async () => {
        // A registry with the schedule the CLI steps above listed.
        const app = await consoleOn(database, OPS_REGISTRY);
        try {
          const client = new Client(app.handler);
          const anonymous = await client.fetch("/api/stats");
          assert.equal(anonymous.response.status, 401);
          await client.login();
          const stats = JSON.parse((await client.fetch("/api/stats")).text);
          assert.deepEqual(counts(stats.total), {
            queue: "*",
            waiting: 1,
            delayed: 1,
            running: 0,
            succeeded: 3,
            failed: 2,
          });
          assert.equal(stats.throughput.length, 60);
          const narrow = await client.fetch("/api/stats?window=5m");
          assert.equal(JSON.parse(narrow.text).bucketMs, 5000);
          const bad = await client.fetch("/api/stats?window=soon");
          assert.equal(bad.response.status, 400);
          assert.match(JSON.parse(bad.text).error, /'window' must be a duration/);
          const { workers } = JSON.parse((await client.fetch("/api/workers")).text);
          assert.equal(workers.length, 1);
          assert.equal(workers[0].state, "lost");
          assert.equal(workers[0].jobsRequeued, 1);
          const { schedules } = JSON.parse((await client.fetch("/api/schedules")).text);
          assert.ok(schedules.some((s: { name: string }) => s.name === "ops.hourly_nap"));
        } finally {
          await app.close();
        }
      });
    });
  },
});
