// A job cannot take its worker down: a job that calls Deno.exit, leaves a rejection unhandled or
// throws a string (at once, or from a timer) fails, saying why, and the worker runs the others;
// and a burst worker does not call the queue empty while a killed worker's jobs are still marked
// running. Real worker processes, on a PostgreSQL server of the test's own (and on the embedded
// database).

import assert from "node:assert/strict";
import { pgliteTestDatabase } from "../../../_database.ts";
import { copyProject, type Project } from "../../../_helpers.ts";
import { OWN_SERVER_AVAILABLE, type OwnServer, startOwnServer } from "../../../_own_server.ts";
import { crashLines, startCli, until } from "../../../_process.ts";
import { enqueueRuns, FAULT_APP } from "../_fault_app.ts";

const ignore = !OWN_SERVER_AVAILABLE;

async function setUp(): Promise<{ server: OwnServer; project: Project }> {
  const server = await startOwnServer();
  const project = await copyProject(FAULT_APP, { without: ["apps/myapp"] });
  const migrate = await project.run(["migrate", "-v", "0"], { env: { DATABASE_URL: server.url } });
  assert.equal(migrate.code, 0, migrate.stderr);
  return { server, project };
}

async function rows(server: OwnServer, sql: string): Promise<string[]> {
  return (await server.psql(sql)).trim().split("\n").filter((line) => line !== "");
}

/** Rows of one column, through psql on the server or `manage dbshell -c` on PGlite. */
type Rows = (sql: string) => Promise<string[]>;

function embeddedRows(project: Project, env: Record<string, string>): Rows {
  return async (sql) => {
    const out = await project.run(["dbshell", "-c", sql], { env });
    assert.equal(out.code, 0, out.stderr);
    // A header, its rule, the rows, and "(n rows)".
    return out.stdout.trimEnd().split("\n").slice(2, -1).map((line) => line.trim());
  };
}

Deno.test({
  name: "a job's Deno.exit, unhandled rejection or thrown string fails it; the worker goes on",
  ignore,
  async fn(t) {
    const { server, project } = await setUp();
    await using _server = server;
    await using _project = project;
    const embedded = await pgliteTestDatabase({ root: project.root });
    const places: [string, Record<string, string>, Rows][] = [
      ["server", { DATABASE_URL: server.url }, (sql) => rows(server, sql)],
      [
        "embedded",
        { DATABASE_URL: embedded.url },
        embeddedRows(project, {
          DATABASE_URL: embedded.url,
        }),
      ],
    ];
    for (const [name, env, select] of places) {
      await t.step(name, async () => {
        if (name === "embedded") {
          const migrate = await project.run(["migrate", "-v", "0"], { env });
          assert.equal(migrate.code, 0, migrate.stderr);
        }
        for (const words of [["exit_now", "0"], ["reject_later"], ["throw_now"], ["throw_later"]]) {
          const r = await project.run(["enqueue", "--max-attempts", "1", ...words], { env });
          assert.equal(r.code, 0, r.stderr);
        }
        await select(enqueueRuns(20, 20).split(";")[0]);
        const worker = await project.run(["worker", "--burst", "-c", "4"], { env });
        assert.equal(worker.code, 0, worker.stderr);
        assert.deepEqual(crashLines(worker.stderr), []);
        assert.match(worker.stdout, /stopped: 20 succeeded, 4 failed, 0 retried, 0 cancelled\n$/);
        assert.deepEqual(
          await select(
            "SELECT command || ': ' || error FROM manage_job_result WHERE status = 'failed' " +
              "ORDER BY id",
          ),
          [
            "exit_now: The job called exit(0), which would have ended its worker",
            "reject_later: Unhandled promise rejection in the job: nobody handles this",
            "throw_now: Error: not an Error",
            "throw_later: Uncaught exception in the job: boom",
          ],
        );
        assert.deepEqual(await select("SELECT count(*) FROM manage_job"), ["0"]);
        assert.deepEqual(await select("SELECT count(DISTINCT n) FROM fault_run"), ["20"]);
      });
    }
    await embedded.drop();
  },
});

Deno.test({
  name: "worker --burst runs the jobs of a killed worker before it calls the queue empty",
  ignore,
  async fn() {
    const { server, project } = await setUp();
    await using _server = server;
    await using _project = project;
    const env = { DATABASE_URL: server.url };
    await server.psql(enqueueRuns(4, 60_000));
    const doomed = startCli(
      project,
      ["worker", "-c", "2", "--prefetch", "0", "--lease", "2s"],
      env,
    );
    const running = async () =>
      (await rows(server, "SELECT count(*) FROM manage_job WHERE status = 'running'"))[0] === "2";
    await until(running, "two running jobs");
    doomed.child.kill("SIGKILL");
    await doomed.end();
    await server.psql("UPDATE manage_job SET args = jsonb_build_array(args->>0)");

    const burst = await project.run(["worker", "--burst", "--lease", "2s"], { env });
    assert.equal(burst.code, 0, burst.stderr);
    assert.deepEqual(crashLines(burst.stderr), []);
    assert.deepEqual(await rows(server, "SELECT status, count(*) FROM manage_job GROUP BY 1"), []);
    assert.deepEqual(
      await rows(server, "SELECT status || ' ' || count(*) FROM manage_job_result GROUP BY status"),
      ["succeeded 4"],
    );
    assert.deepEqual(await rows(server, "SELECT count(DISTINCT n) FROM fault_run"), ["4"]);
  },
});
