// `manage runserver` against a PostgreSQL server of the test's own that is crashed (`pg_ctl
// stop -m immediate`) and started again: while it is down, pages that need it say so; once it
// is back, they are served again and the worker in the same process runs jobs again.

import assert from "node:assert/strict";
import { copyProject } from "../../_helpers.ts";
import { OWN_SERVER_AVAILABLE, startOwnServer } from "../../_own_server.ts";
import { crashLines, startCli, until } from "../../_process.ts";
import { enqueueRuns, FAULT_APP } from "../jobs/_fault_app.ts";

Deno.test({
  name: "runserver and its worker serve again after the database server restarts",
  ignore: !OWN_SERVER_AVAILABLE,
  async fn() {
    await using server = await startOwnServer();
    await using project = await copyProject(FAULT_APP, { without: ["apps/myapp"] });
    const env = { DATABASE_URL: server.url };
    const migrate = await project.run(["migrate", "-v", "0"], { env });
    assert.equal(migrate.code, 0, migrate.stderr);
    const console = startCli(project, ["runserver", "127.0.0.1:0"], env);
    try {
      const [, address] = await console.waitFor(/at (http:\/\/\S+\/)/);
      // The login page looks the session cookie up in the database.
      const page = async () => {
        const response = await fetch(new URL("login", address), {
          headers: { cookie: "manage_session=not-a-session" },
        });
        await response.body?.cancel();
        return response.status;
      };
      const results = async () =>
        Number((await server.psql("SELECT count(*) FROM manage_job_result")).trim());
      assert.equal(await page(), 200);
      await server.psql(enqueueRuns(3, 0));
      await until(async () => (await results()) === 3, "the first jobs");

      await server.crash();
      assert.equal(await page(), 503, "the database is away: say so");
      await server.start();
      await until(async () => (await page()) === 200, "the page served again", { ms: 15_000 });
      await server.psql(enqueueRuns(3, 0, 4));
      await until(async () => (await results()) === 6, "the jobs enqueued after the restart");
      assert.ok(!console.ended(), console.stderr());

      console.child.kill("SIGTERM");
      const ended = await console.end();
      assert.equal(ended.code, 143, ended.stderr);
      assert.deepEqual(crashLines(ended.stderr), [], "no uncaught error, no stack trace");
      assert.match(ended.stderr, /GET \/login 503/);
    } finally {
      if (!console.ended()) console.child.kill("SIGKILL");
      await console.end();
    }
  },
});
