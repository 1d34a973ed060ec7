// The console's dashboard in this process, on both drivers, after a known sequence: the counts,
// the charts, a lost worker with its job in hand, the schedules with "Run now" (CSRF, the
// command's doors, one job a click), the commands linking to their failing jobs, everything
// escaped, and the live stream sending the parts that change.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../_database.ts";
import { defineSchedule, enqueueCommand, runWorker } from "../../../apps/jobs/queue/mod.ts";
import { claimJobs, heartbeat } from "../../../apps/jobs/queue/_claims.ts";
import type { RegistryEntry } from "../../../core/registry.ts";
import { fast, Runs, testCommands, testRegistry } from "../jobs/_jobs.ts";
import { Client, consoleOn, readEvents } from "./_web.ts";

const SCHEDULES = [
  defineSchedule({ name: "test.hourly_ok", command: "ok", args: ["<img src=x>"], cron: "@hourly" }),
  defineSchedule({ name: "test.cli_only", command: "number", args: ["1"], every: "1d" }),
];

/** Markup without the blanks between its tags. */
function flat(markup: string): string {
  return markup.replace(/>\s+</g, "><").replace(/\s+/g, " ");
}

/** The number shown in a count card. */
function count(page: string, id: string): string {
  const match = new RegExp(`id="count-${id}"><span class="value">([^<]*)<`).exec(page);
  assert.ok(match, `no count ${id}`);
  return match[1];
}

function chartTotal(page: string, id: string): number {
  const match = new RegExp(`id="${id}" data-total="(\\d+)"`).exec(page);
  assert.ok(match, `no chart ${id}`);
  return Number(match[1]);
}

Deno.test("the dashboard shows the queue after a known sequence, and runs a schedule now", async (t) => {
  await forEachDatabase(t, async (database) => {
    const runs = new Runs();
    const registry = testRegistry(testCommands(runs), SCHEDULES);
    // `number` may only run from the command line.
    (registry.commands.find((e) => e.name === "number") as { runFrom?: RegistryEntry["runFrom"] })
      .runFrom = ["cli"];
    const app = await consoleOn(database, registry);
    try {
      const { db } = app;
      const client = new Client(app.handler);
      const anonymous = await client.fetch("/");
      assert.equal(anonymous.response.headers.get("location"), "/login?next=%2F");
      const login = await client.login(undefined, undefined, "");
      assert.equal(login.response.headers.get("location"), "/", "home is the dashboard");

      for (const word of ["a", "b", "c"]) await enqueueCommand("ok", [word], { registry, db });
      for (const key of ["x", "y"]) {
        await enqueueCommand("fail_until", [key, "99"], { registry, db, maxAttempts: 1 });
      }
      await runWorker(fast({ db, registry, burst: true }));
      await enqueueCommand("ok", ["d"], { registry, db });
      await enqueueCommand("ok", ["e"], { registry, db, queue: "mail" });
      await heartbeat(db, {
        id: "gone",
        hostname: "host<1>",
        pid: 4242,
        queues: ["mail"],
        concurrency: 2,
        leaseMs: 5000,
      });
      assert.equal((await claimJobs(db, "gone", ["mail"], 1)).length, 1);
      await db.sql`UPDATE manage_worker SET heartbeat_at = now() - interval '1 minute'`;

      const { response, text } = await client.fetch("/");
      const page = flat(text);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-security-policy")!, /script-src 'nonce-/);
      assert.deepEqual(
        ["waiting", "delayed", "running", "succeeded", "failed"].map((id) => count(page, id)),
        ["1", "0", "1", "3", "2"],
      );
      assert.equal(chartTotal(page, "chart-throughput"), 5);
      assert.match(page, /<svg class="chart" viewBox="0 0 600 120"/);
      assert.match(
        page,
        /<tr data-queue="default">.*?<td>1<\/td><td>0<\/td><td>0<\/td><td>3<\/td>/,
      );
      assert.match(
        page,
        /<tr data-worker="gone" data-state="lost"><td>host&lt;1&gt;<\/td><td>4242<\/td><td>mail<\/td>/,
      );
      assert.match(page, /heartbeat overdue; 1 job in hand/);
      assert.match(page, /href="\/jobs\?status=failed&amp;command=fail_until">2<\/a>/);
      assert.ok(!page.includes("<img src=x>"), "a schedule's words are escaped");
      assert.match(page, /ok &lt;img src=x&gt;/);
      assert.match(page, /action="\/schedules\/test.hourly_ok\/run"/);
      assert.match(page, /<tr data-schedule="test.cli_only">.*not from the console/);

      const failing = await client.fetch("/jobs?status=failed&command=fail_until");
      assert.equal([...flat(failing.text).matchAll(/<td><a href="\/jobs\/\d+">/g)].length, 2);

      // Run now: CSRF first, the command's doors next, then one job a click.
      const jobs = async () =>
        Number((await db.sql<{ n: number }>`SELECT count(*)::int AS n FROM manage_job`)[0].n);
      const before = await jobs();
      const forged = await client.fetch("/schedules/test.hourly_ok/run", {
        form: { csrf_token: "nope" },
      });
      assert.equal(forged.response.status, 403);
      const csrf = Client.csrfIn(page);
      const refused = await client.fetch("/schedules/test.cli_only/run", {
        form: { csrf_token: csrf },
      });
      assert.equal(refused.response.status, 403);
      assert.match(refused.text, /number/);
      const missing = await client.fetch("/schedules/nope/run", { form: { csrf_token: csrf } });
      assert.equal(missing.response.status, 404);
      assert.equal(await jobs(), before, "no job from a refused run");
      const ran = await client.fetch("/schedules/test.hourly_ok/run", {
        form: { csrf_token: csrf },
      });
      assert.equal(ran.response.status, 303);
      assert.match(ran.response.headers.get("location")!, /^\/jobs\/\d+\?enqueued=1$/);
      assert.equal(await jobs(), before + 1);

      const bad = await client.fetch("/?window=soon");
      assert.equal(bad.response.status, 400);

      // The live stream: the first event has every part; a job that runs changes the counts and
      // the chart in a later one.
      const stream = await client.handler(
        new Request("http://console.test/dashboard/events", {
          headers: { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
        }),
      );
      assert.equal(stream.headers.get("content-type"), "text/event-stream; charset=utf-8");
      let ranAgain = false;
      let working: Promise<unknown> = Promise.resolve();
      const events = await readEvents(stream, (event) => {
        if (!ranAgain) {
          ranAgain = true;
          assert.match(
            flat(String(event["dash-counts"])),
            /id="count-waiting"><span class="value">2</,
          );
          working = runWorker(fast({ db, registry, burst: true }));
          return false;
        }
        return String(event["dash-charts"] ?? "").includes('data-total="7"');
      });
      await working;
      const last = events.at(-1)!;
      assert.match(flat(String(last["dash-charts"])), /id="chart-throughput" data-total="7"/);
      assert.match(
        flat(String(last["dash-counts"])),
        /id="count-succeeded"><span class="value">5</,
      );
    } finally {
      await app.close();
    }
  });
});
