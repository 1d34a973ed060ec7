// How many connections a worker process holds while its jobs run, counted by the server
// (pg_stat_activity) on a PostgreSQL server of the test's own: one for the worker, one it
// listens on, one its jobs share, however the database is named.

import assert from "node:assert/strict";
import { copyProject } from "../../../_helpers.ts";
import { OWN_SERVER_AVAILABLE, type OwnServer, startOwnServer } from "../../../_own_server.ts";
import { type CliProcess, startCli } from "../../../_process.ts";
import { enqueueRuns, FAULT_APP } from "../_fault_app.ts";

/** The most connections the server had to `database` while `worker` ran. */
async function peakConnections(server: OwnServer, worker: CliProcess) {
  let peak = 0;
  while (!worker.ended()) {
    peak = Math.max(peak, await server.connections("postgres"));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return peak;
}

Deno.test({
  name: "a worker holds one connection for its jobs, whether DATABASE_URL or --database names it",
  ignore: !OWN_SERVER_AVAILABLE,
  async fn(t) {
    await using server = await startOwnServer();
    await using project = await copyProject(FAULT_APP, { without: ["apps/myapp"] });
    const migrate = await project.run(["migrate", "-v", "0"], {
      env: { DATABASE_URL: server.url },
    });
    assert.equal(migrate.code, 0, migrate.stderr);
    const ways: [string, string[], Record<string, string>][] = [
      ["DATABASE_URL", [], { DATABASE_URL: server.url }],
      ["--database", ["--database", server.url], {}],
    ];
    let from = 1;
    for (const [name, args, env] of ways) {
      await t.step(name, async () => {
        await server.psql(enqueueRuns(100, 300, from));
        from += 100;
        const worker = startCli(project, ["worker", "--burst", "-c", "20", ...args], env);
        const peak = await peakConnections(server, worker);
        const ended = await worker.end();
        assert.equal(ended.code, 0, ended.stderr);
        assert.match(ended.stdout, /stopped: 100 succeeded, 0 failed/);
        // The worker's own connection, the one it listens on, and the one its jobs share.
        console.log(`${name}: ${peak} connections at most while 100 jobs ran, 20 at once`);
        assert.ok(peak <= 3, `${peak} connections while 100 jobs ran (20 at once)`);
      });
    }
  },
});
