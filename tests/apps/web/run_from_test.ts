// Where a command may run, as the console and its API see it, over real HTTP (the console's
// handler served by Deno.serve on a free port, as runserver serves it) on both drivers: a command
// that may not run from the console is neither listed nor run and leaves nothing behind; the
// built-ins' decisions, one by one; a job's words cannot choose the database; and what a job
// shows hides the passwords in its words and the output a command marks as secret.

import assert from "node:assert/strict";
import { join } from "node:path";
import { forEachDatabase } from "../../_database.ts";
import { ROOT, runCli } from "../../_helpers.ts";
import { enqueueCommand, listJobs, runWorker } from "../../../apps/jobs/queue/mod.ts";
import { registry } from "../../fixtures/registry.ts";
import { createApiToken } from "../../../apps/web/sessions.ts";
import { Client, type ConsoleFixture, consoleOn, USERNAME } from "./_web.ts";

/** A PostgreSQL server psql can reach: the test server, or the one on this machine. */
const SERVER = Deno.env.get("TEST_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A JSON API call's status and parsed body. */
type Call = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: Record<string, unknown> & { error?: string } }>;

/** The console of `app` served over real HTTP on 127.0.0.1, and an API client with a token. */
async function served(app: ConsoleFixture): Promise<
  { base: string; call: Call; token: string } & AsyncDisposable
> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request, info) => app.handler(request, { remoteAddr: info.remoteAddr as Deno.NetAddr }),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const [user] = await app.db.query<{ id: number }>(
    "SELECT id FROM auth_user WHERE username = $1",
    [USERNAME],
  );
  const token = await createApiToken(app.db, Number(user.id), "test");
  const call: Call = async (method, path, body) => {
    const response = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  return { base, call, token, [Symbol.asyncDispose]: () => server.shutdown() };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function jobRows(app: ConsoleFixture): Promise<number> {
  const [row] = await app.db.query<{ n: number }>(
    "SELECT (SELECT count(*) FROM manage_job) + (SELECT count(*) FROM manage_job_result) AS n",
  );
  return Number(row.n);
}

Deno.test("POST /api/jobs cannot open dbshell: 403 over HTTP, no job row, no file, nothing for a worker", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    const dir = await Deno.makeTempDir({ prefix: "manage_dbshell_" });
    try {
      await using http = await served(app);
      const file = join(dir, "owned");
      const args = [`--database=${SERVER}`, "-c", `\\! id > ${file}`];
      for (const now of [false, true]) {
        const answer = await http.call("POST", "/api/jobs", { command: "dbshell", args, now });
        assert.equal(answer.status, 403, JSON.stringify(answer.body));
        assert.equal(
          answer.body.error,
          "The dbshell command may not run from the web console: it runs only from the command line",
        );
      }
      await runWorker({ db: app.db, registry, burst: true, schedules: false, pollInterval: 50 });
      assert.equal(await jobRows(app), 0, "no job was stored");
      assert.equal(await exists(file), false, "no shell command ran");
    } finally {
      await app.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("a command that may not run from the console is not listed, and its page and form are refused", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      const client = new Client(app.handler);
      await client.login();
      const list = await client.fetch("/commands");
      assert.match(list.text, /href="\/commands\/greet_user"/);
      assert.doesNotMatch(list.text, /href="\/commands\/dbshell"/);
      const csrf_token = Client.csrfIn(list.text);
      const page = await client.fetch("/commands/dbshell");
      assert.equal(page.response.status, 403);
      assert.match(page.text, /The dbshell command may not run from the web console/);
      assert.doesNotMatch(page.text, /name="f_command"/, "no form");
      for (const run_now of [undefined, "on"]) {
        const posted = await client.fetch("/commands/dbshell", {
          form: { csrf_token, f_command: "SELECT 1", ...(run_now ? { run_now } : {}) },
        });
        assert.equal(posted.response.status, 403);
        assert.match(posted.text, /it runs only from the command line/);
      }
      assert.equal(await jobRows(app), 0);
    } finally {
      await app.close();
    }
  });
});

/** Where each built-in may run, and words it would accept where it may run in the background. */
const DECISIONS: Record<string, { runFrom: string[]; args?: string[] }> = {
  apitokens: { runFrom: ["cli", "console"] },
  changepassword: { runFrom: ["cli"] },
  check: { runFrom: ["cli", "console", "background"], args: [] },
  check_database: { runFrom: ["cli", "console", "background"], args: [] },
  clearsessions: { runFrom: ["cli", "console", "background"], args: [] },
  completion: { runFrom: ["cli"] },
  createapitoken: { runFrom: ["cli", "console"] },
  createsuperuser: { runFrom: ["cli"] },
  dbserver: { runFrom: ["cli"] },
  dbshell: { runFrom: ["cli"] },
  diffsettings: { runFrom: ["cli", "console"] },
  docs: { runFrom: ["cli"] },
  dumpdata: { runFrom: ["cli", "background"], args: ["sample"] },
  enqueue: { runFrom: ["cli"] },
  flush: { runFrom: ["cli"] },
  greet_user: { runFrom: ["cli", "console", "background"], args: ["John"] },
  help: { runFrom: ["cli", "console", "background"], args: [] },
  inspectdb: { runFrom: ["cli", "console", "background"], args: [] },
  jobs: { runFrom: ["cli", "console", "background"], args: ["list"] },
  loaddata: { runFrom: ["cli", "background"], args: ["objects"] },
  makecommand: { runFrom: ["cli"] },
  makemigrations: { runFrom: ["cli"] },
  optimizemigration: { runFrom: ["cli"] },
  migrate: { runFrom: ["cli"] },
  runserver: { runFrom: ["cli"] },
  shell: { runFrom: ["cli"] },
  show_status: { runFrom: ["cli", "console", "background"], args: [] },
  showmigrations: { runFrom: ["cli", "console", "background"], args: [] },
  sqlflush: { runFrom: ["cli", "console", "background"], args: [] },
  sqlsequencereset: { runFrom: ["cli", "console", "background"], args: ["sample"] },
  sqlmigrate: { runFrom: ["cli", "console", "background"], args: ["sample", "0001_initial"] },
  squashmigrations: { runFrom: ["cli"] },
  startapp: { runFrom: ["cli"] },
  test: { runFrom: ["cli"] },
  upgrade: { runFrom: ["cli"] },
  version: { runFrom: ["cli", "console", "background"], args: [] },
  worker: { runFrom: ["cli"] },
};

/** The README's table of where the built-ins may run: command name → its doors. */
async function readmeDecisions(): Promise<Map<string, string[]>> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const section = readme.split("### Where a command may run")[1]?.split("\n### ")[0] ?? "";
  const doors: Record<string, string> = {
    "command line": "cli",
    "console": "console",
    "background": "background",
  };
  const found = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 4 || !cells[1].startsWith("`")) continue;
    const where = cells[2].split(",").map((w) => doors[w.trim()]);
    for (const name of cells[1].matchAll(/`(\w+)`/g)) found.set(name[1], where);
  }
  return found;
}

Deno.test("every built-in's doors, as decided and documented, hold at the console, the API and enqueue", async (t) => {
  assert.deepEqual(
    registry.commands.map((c) => c.name).sort(),
    Object.keys(DECISIONS).sort(),
    "every built-in has a decision in this table",
  );
  const documented = await readmeDecisions();
  for (const [name, { runFrom }] of Object.entries(DECISIONS)) {
    const entry = registry.commands.find((c) => c.name === name)!;
    assert.deepEqual((entry as { runFrom?: unknown }).runFrom, runFrom, `${name}'s registry entry`);
    assert.deepEqual(documented.get(name), runFrom, `${name} in the README's table`);
  }
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      await using http = await served(app);
      const listed = await http.call("GET", "/api/commands");
      const offered = (listed.body.commands as { name: string }[]).map((c) => c.name);
      const client = new Client(app.handler);
      await client.login();
      const page = (await client.fetch("/commands")).text;
      for (const [name, { runFrom, args }] of Object.entries(DECISIONS)) {
        const console = runFrom.includes("console");
        const background = runFrom.includes("background");
        assert.equal(offered.includes(name), console, `${name} in GET /api/commands`);
        assert.equal(page.includes(`href="/commands/${name}"`), console, `${name} on /commands`);
        if (!console) {
          const one = await http.call("GET", `/api/commands/${name}`);
          assert.equal(one.status, 403, name);
          for (const now of [false, true]) {
            const posted = await http.call("POST", "/api/jobs", { command: name, args: [], now });
            assert.equal(posted.status, 403, `${name} now=${now}`);
            assert.match(
              posted.body.error!,
              new RegExp(`^The ${name} command may not run from the web console: it runs only`),
            );
          }
        }
        const before = await jobRows(app);
        if (background) {
          await enqueueCommand(name, args!, { registry, db: app.db, delay: "1h" });
          assert.equal(await jobRows(app), before + 1, `${name} is enqueued`);
          if (console) {
            const posted = await http.call("POST", "/api/jobs", {
              command: name,
              args,
              delay: "1h",
            });
            assert.equal(posted.status, 201, `${name}: ${posted.body.error}`);
          }
        } else {
          await assert.rejects(
            enqueueCommand(name, [], { registry, db: app.db }),
            new RegExp(`The ${name} command may not run in the background: it runs only from`),
            name,
          );
          assert.equal(await jobRows(app), before, `${name}: nothing stored`);
        }
      }
    } finally {
      await app.close();
    }
  });
});

Deno.test("a job's words from the API cannot choose the database or skip the checks", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      await using http = await served(app);
      for (
        const args of [
          [`--database=${SERVER}`],
          ["--database", "pglite:memory"],
          ["--data=pglite:memory", "--wait", "1"],
        ]
      ) {
        for (const now of [false, true]) {
          const answer = await http.call("POST", "/api/jobs", {
            command: "check_database",
            args,
            now,
          });
          assert.equal(answer.status, 400, JSON.stringify(args));
          assert.equal(
            answer.body.error,
            "check_database: a job's words may not give --database: a job runs on the " +
              "database of the process that runs it",
          );
        }
      }
      const verbose = await http.call("POST", "/api/jobs", {
        command: "check_database",
        args: ["-v", "2", "--traceback", "--no-color", "--force-color"],
      });
      assert.equal(verbose.status, 201, "options that only shape the output are the caller's");
      assert.equal(await jobRows(app), 1);
    } finally {
      await app.close();
    }
  });
});

Deno.test("a password in a job's words is hidden on the pages, in the API and in manage jobs", async (t) => {
  await forEachDatabase(t, async (database) => {
    const url = "postgres://app:sw0rd@fish9@db.example:5432/app";
    const app = await consoleOn(database);
    let id: number;
    const shown: string[] = [];
    try {
      await using http = await served(app);
      const posted = await http.call("POST", "/api/jobs", { command: "greet_user", args: [url] });
      assert.equal(posted.status, 201);
      id = Number(posted.body.id);
      await runWorker({ db: app.db, registry, burst: true, schedules: false, pollInterval: 50 });
      const job = await http.call("GET", `/api/jobs/${id}`);
      assert.equal(job.body.status, "succeeded");
      assert.deepEqual(job.body.args, ["postgres://app:****@db.example:5432/app"]);
      assert.equal(job.body.stdout, "Hello, postgres://app:****@db.example:5432/app!\n");
      shown.push(
        JSON.stringify(job.body),
        JSON.stringify((await http.call("GET", "/api/jobs")).body),
      );
      const client = new Client(app.handler);
      await client.login();
      shown.push((await client.fetch("/jobs")).text, (await client.fetch(`/jobs/${id}`)).text);
      assert.match(shown.at(-1)!, /postgres:\/\/app:\*\*\*\*@db\.example:5432\/app/);
    } finally {
      await app.close();
    }
    const show = await runCli(["jobs", "show", String(id), "--database", database.url]);
    const list = await runCli(["jobs", "list", "--database", database.url]);
    assert.equal(show.code, 0, show.stderr);
    assert.equal(list.code, 0, list.stderr);
    assert.match(show.stdout, /greet_user "postgres:\/\/app:\*\*\*\*@db\.example:5432\/app"/);
    assert.match(list.stdout, /greet_user "postgres:\/\/app:\*\*\*\*@db\.example:5432\/app"/);
    shown.push(show.stdout, list.stdout);
    for (const text of shown) {
      assert.ok(!text.includes("sw0rd") && !text.includes("fish9"), `a password shows: ${text}`);
    }
  });
});

Deno.test("createapitoken from the console: the token is shown once by Run now and never stored", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      await using http = await served(app);
      const client = new Client(app.handler);
      await client.login();
      const form = await client.fetch("/commands/createapitoken");
      assert.equal(form.response.status, 200);
      assert.doesNotMatch(form.text, /name="queue"/, "it may not run in the background");
      const csrf_token = Client.csrfIn(form.text);
      const background = await client.fetch("/commands/createapitoken", {
        form: { csrf_token, f_username: USERNAME },
      });
      assert.equal(background.response.status, 403);
      assert.match(background.text, /The createapitoken command may not run in the background/);
      assert.equal(await jobRows(app), 0);

      const ran = await client.fetch("/commands/createapitoken", {
        form: { csrf_token, f_username: USERNAME, f_name: "from the form", run_now: "on" },
      });
      assert.equal(ran.response.status, 200, "the output is shown on this response, once");
      const token = /mgt_[A-Za-z0-9_-]{20,}/.exec(ran.text)?.[0];
      assert.ok(token, "the token is shown");
      assert.match(ran.text, /shown this once/);
      assert.equal(ran.response.headers.get("cache-control"), "no-store");

      const api = await http.call("POST", "/api/jobs", {
        command: "createapitoken",
        args: [USERNAME],
        now: true,
      });
      assert.equal(api.status, 201);
      const second = String(api.body.secretOutput);
      assert.match(second, /^mgt_[A-Za-z0-9_-]{20,}\n$/);
      assert.equal(
        (await http.call("POST", "/api/jobs", { command: "createapitoken", args: [USERNAME] }))
          .status,
        403,
        "not in the background: its output would be seen by no one",
      );

      const jobs = await listJobs(app.db);
      assert.equal(jobs.length, 2);
      const rows = await app.db.query<{ stdout: string; stderr: string }>(
        "SELECT stdout, stderr FROM manage_job_result",
      );
      const seen = [
        ...rows.flatMap((r) => [r.stdout, r.stderr]),
        (await client.fetch(`/jobs/${jobs[1].id}`)).text,
        (await client.fetch("/jobs")).text,
        JSON.stringify((await http.call("GET", `/api/jobs/${api.body.id}`)).body),
      ];
      for (const text of seen) {
        assert.ok(!text.includes(token!) && !text.includes(second.trim()), `stored: ${text}`);
      }
      assert.match(rows[0].stdout, /secret/);
      for (const real of [token!, second.trim()]) {
        const answer = await fetch(`${http.base}/api/jobs`, {
          headers: { authorization: `Bearer ${real}` },
        });
        assert.equal(answer.status, 200, "the token shown once is a real one");
        await answer.body?.cancel();
      }
      const retried = await http.call("POST", `/api/jobs/${api.body.id}/retry`);
      assert.equal(retried.status, 403, "a retry would run it in the background");
      assert.match(retried.body.error!, /The createapitoken command may not run in the background/);
      const viaJobs = await http.call("POST", "/api/jobs", {
        command: "jobs",
        args: ["retry", String(api.body.id)],
        now: true,
      });
      const failed = await http.call("GET", `/api/jobs/${viaJobs.body.id}`);
      assert.equal(failed.body.status, "failed", "manage jobs retry, from the console, neither");
      assert.match(String(failed.body.error), /The createapitoken command may not run in the/);
      assert.equal((await http.call("GET", `/api/jobs/${api.body.id}`)).body.status, "succeeded");
    } finally {
      await app.close();
    }
  });
});
