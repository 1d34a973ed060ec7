// A worker in this process whose connections the server terminates carries on; and worker
// processes against a PostgreSQL server of the test's own that is crashed (`pg_ctl stop
// -m immediate`) and started again: the worker outlives the restart and every job runs (twice
// only if it was in flight), and a worker left without a database gives up after
// --give-up-after with one line.

import assert from "node:assert/strict";
import openDatabase from "../../../../apps/db/database.ts";
import { enqueueCommand } from "../../../../apps/jobs/queue/mod.ts";
import { createQueueTables } from "../../../../apps/jobs/queue/_tables.ts";
import { copyProject, type Project } from "../../../_helpers.ts";
import { OWN_SERVER_AVAILABLE, type OwnServer, startOwnServer } from "../../../_own_server.ts";
import { crashLines, startCli, until } from "../../../_process.ts";
import { enqueueRuns, FAULT_APP } from "../_fault_app.ts";
import { Runs, testCommands, testRegistry, workUntil } from "../_jobs.ts";

const ignore = !OWN_SERVER_AVAILABLE;

async function setUp(): Promise<{ server: OwnServer; project: Project }> {
  const server = await startOwnServer();
  const project = await copyProject(FAULT_APP, { without: ["apps/myapp"] });
  const migrate = await project.run(["migrate", "-v", "0"], { env: { DATABASE_URL: server.url } });
  assert.equal(migrate.code, 0, migrate.stderr);
  return { server, project };
}

async function count(server: OwnServer, sql: string): Promise<number> {
  return Number((await server.psql(sql)).trim());
}

Deno.test({
  name: "a worker outlives a server restart: every job runs, twice only if it was in flight",
  ignore,
  async fn() {
    const { server, project } = await setUp();
    await using _server = server;
    await using _project = project;
    const jobs = 300;
    await server.psql(enqueueRuns(jobs, 50));
    const worker = startCli(project, ["worker", "-c", "10", "--lease", "20s"], {
      DATABASE_URL: server.url,
    });
    try {
      const results = () => count(server, "SELECT count(*) FROM manage_job_result");
      await until(async () => (await results()) >= 50, "the first results");
      const crashedAt = (await server.psql("SELECT clock_timestamp()")).trim();
      await server.crash();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.ok(!worker.ended(), `the worker ended with the server:\n${worker.stderr()}`);
      await server.start();
      await until(async () => (await results()) >= jobs || worker.ended(), "every job", {
        ms: 120_000,
        every: 250,
      });
      assert.ok(!worker.ended(), `the worker ended:\n${worker.stderr()}`);
      worker.child.kill("SIGTERM");
      const ended = await worker.end();
      assert.equal(ended.code, 143, ended.stderr);
      assert.deepEqual(crashLines(ended.stderr), [], "no uncaught error, no stack trace");

      const succeeded = await count(
        server,
        "SELECT count(*) FROM manage_job_result WHERE status = 'succeeded'",
      );
      assert.equal(succeeded, jobs, "every job succeeded");
      assert.equal(await count(server, "SELECT count(DISTINCT n) FROM fault_run"), jobs);
      // A job ran twice only if an earlier run was in flight at the crash, or had just ended:
      // the worker's own writes (the claim, the result) are acknowledged before they are on
      // disk, so the last moment of them may be undone by a crash.
      const early = await count(
        server,
        `SELECT count(*) FROM (SELECT n, min(ended_at) AS first FROM fault_run GROUP BY n
          HAVING count(*) > 1) AS d WHERE first < '${crashedAt}'::timestamptz - interval '2 s'`,
      );
      assert.equal(early, 0, "no job that had ended before the crash ran again");
    } finally {
      if (!worker.ended()) worker.child.kill("SIGKILL");
      await worker.end();
    }
  },
});

Deno.test({
  name: "a worker without a database retries seconds apart, then gives up with one line",
  ignore,
  async fn() {
    const { server, project } = await setUp();
    await using _server = server;
    await using _project = project;
    await server.psql(enqueueRuns(40, 200));
    const worker = startCli(
      project,
      ["worker", "-c", "4", "--give-up-after", "6s", "--grace-period", "1s"],
      { DATABASE_URL: server.url },
    );
    try {
      await worker.waitFor(/started/);
      await until(
        async () => (await count(server, "SELECT count(*) FROM fault_run")) >= 4,
        "the first runs",
      );
      // Timed from the start of the crash: the worker may notice the server gone before
      // crash() returns (it waits for the server to be down).
      const crashed = Date.now();
      await server.crash();
      const ended = await worker.end();
      const waited = Date.now() - crashed;
      assert.equal(ended.code, 1, ended.stderr);
      assert.deepEqual(crashLines(ended.stderr), [], "no uncaught error, no stack trace");
      const lines = ended.stderr.trimEnd().split("\n");
      assert.match(
        lines.at(-1)!,
        /^CommandError: The worker gave up: no database for 6s \(.*ECONNREFUSED.*\)$/,
      );
      assert.ok(waited >= 6000, `it gave up after ${waited} ms, before --give-up-after`);
      // Seconds apart: a handful of tries in six seconds, not hundreds.
      const tries = lines.filter((line) => /^Could not claim jobs/.test(line)).length;
      assert.ok(tries >= 2 && tries <= 6, `${tries} tries:\n${ended.stderr}`);
    } finally {
      if (!worker.ended()) worker.child.kill("SIGKILL");
      await worker.end();
    }
  },
});

Deno.test({
  name: "a worker whose connections the server terminates carries on with the next jobs",
  ignore,
  async fn() {
    await using server = await startOwnServer();
    const open = () => openDatabase(server.url, { env: {}, cwd: ".", notice: () => {} });
    const db = await open();
    const other = await open();
    try {
      await createQueueTables(db);
      const runs = new Runs();
      const registry = testRegistry(testCommands(runs));
      await enqueueCommand("ok", ["before"], { registry, db: other });
      const logs: string[] = [];
      let cut = false;
      const log = (_: string, line: string) => void logs.push(line);
      const { met } = await workUntil({ db, registry, log }, async () => {
        if (!cut && runs.of("ok", "before").length === 1) {
          cut = true;
          await server.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity " +
              "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
          );
          await server.psql(
            `INSERT INTO manage_job (command, args) VALUES ('ok', '["after"]');
NOTIFY manage_jobs, 'default'`,
          );
        }
        return runs.of("ok", "after").length > 0;
      }, 30_000);
      assert.ok(
        met,
        `the job enqueued after the connections were cut never ran:\n${logs.join("\n")}`,
      );
    } finally {
      await db.close();
      await other.close();
    }
  },
});
