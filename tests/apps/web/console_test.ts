// The web console's handler in this process, on both drivers: who gets in (sessions, the login
// form, throttling), CSRF on every unsafe request, the commands' forms validated by the parser,
// running in the background and now, the job pages and their live stream, and that no password
// or secret ever shows.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../_database.ts";
import { listJobs, Worker } from "../../../apps/jobs/queue/mod.ts";
import { hashSecret } from "../../../apps/web/sessions.ts";
import { registry } from "../../../commands/_registry.ts";
import { Runs, testCommands, testRegistry } from "../jobs/_jobs.ts";
import { addUser, Client, CLIENT_IP, consoleOn, PASSWORD, readEvents, USERNAME } from "./_web.ts";

function assertNoSecrets(where: readonly string[], secrets: readonly string[]): void {
  for (const text of where) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `a secret appears in: ${text.slice(0, 200)}`);
    }
  }
}

Deno.test("without a session, pages redirect to the login form and the API answers 401", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      const client = new Client(app.handler);
      for (const path of ["/", "/commands", "/commands/greet_user", "/jobs", "/jobs/1"]) {
        const { response } = await client.fetch(path);
        assert.equal(response.status, 303, path);
        const location = response.headers.get("location")!;
        assert.ok(path === "/" || location === `/login?next=${encodeURIComponent(path)}`, location);
      }
      const post = await client.fetch("/commands/greet_user", { form: { f_name: "John" } });
      assert.equal(post.response.status, 303);
      assert.match(post.response.headers.get("location")!, /^\/login/);
      for (
        const [method, path] of [
          ["GET", "/api/commands"],
          ["GET", "/api/jobs"],
          [
            "POST",
            "/api/jobs",
          ],
          ["GET", "/api/jobs/1"],
          ["POST", "/api/jobs/1/cancel"],
        ]
      ) {
        const { response, text } = await client.fetch(path, {
          method,
          body: method === "POST"
            ? JSON.stringify({ command: "greet_user", args: ["x"] })
            : undefined,
        });
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.match(response.headers.get("content-type")!, /application\/json/);
        assert.match(JSON.parse(text).error, /Authentication required/);
      }
      const bad = await client.fetch("/api/jobs", {
        headers: { authorization: "Bearer mgt_nope" },
      });
      assert.equal(bad.response.status, 401);
      assert.deepEqual(JSON.parse(bad.text), { error: "Invalid API token" });
      assert.deepEqual(await listJobs(app.db), [], "no request made a job");
    } finally {
      await app.close();
    }
  });
});

Deno.test("only active superusers log in; the session is a hashed key in an HttpOnly cookie", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      await addUser(app.db, "bob", PASSWORD, { superuser: false });
      await addUser(app.db, "carol", PASSWORD, { active: false });
      for (
        const [username, password] of [[USERNAME, "wrong"], ["bob", PASSWORD], [
          "carol",
          PASSWORD,
        ], ["nobody", PASSWORD]]
      ) {
        const client = new Client(app.handler);
        const { response, text } = await client.login(username, password);
        assert.equal(response.status, 401, username);
        assert.match(text, /Please enter the correct username and password of an active superuser/);
        assert.ok(!client.cookies.has("manage_session"));
      }
      const client = new Client(app.handler);
      const { response } = await client.login(USERNAME, PASSWORD, "/jobs?status=failed");
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/jobs?status=failed");
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith("manage_session="))!;
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
      assert.doesNotMatch(cookie, /Secure/, "plain HTTP: no Secure flag");
      const key = client.cookies.get("manage_session")!;
      const rows = await app.db.query<{ key_hash: string }>("SELECT key_hash FROM web_session");
      assert.deepEqual(
        rows.map((r) => r.key_hash),
        [await hashSecret(key)],
        "only the hash is kept",
      );
      const [user] = await app.db.query<{ last_login: unknown }>(
        "SELECT last_login FROM auth_user WHERE username = $1",
        [USERNAME],
      );
      assert.ok(user.last_login, "last_login is recorded");
      const commands = await client.fetch("/commands");
      assert.equal(commands.response.status, 200);
      assert.match(commands.text, /greet_user/);
      const again = await client.fetch("/login?next=%2Fjobs");
      assert.equal(again.response.headers.get("location"), "/jobs", "signed in: straight on");
      const offsite = await client.fetch("/login?next=%2F%2Fevil.example");
      assert.equal(offsite.response.headers.get("location"), "/", "never off the site");

      // Behind a proxy that terminated HTTPS, the cookie is Secure.
      const secure = new Client(app.handler);
      const page = await secure.fetch("/login", { headers: { "x-forwarded-proto": "https" } });
      const login = await secure.fetch("/login", {
        headers: { "x-forwarded-proto": "https" },
        form: { csrf_token: Client.csrfIn(page.text), username: USERNAME, password: PASSWORD },
      });
      const secureCookie = login.response.headers.getSetCookie().find((c) =>
        c.startsWith("manage_session=")
      )!;
      assert.match(secureCookie, /; Secure/);

      // Logging out ends the session in the database too.
      const csrf = Client.csrfIn(commands.text);
      const out = await client.fetch("/logout", { form: { csrf_token: csrf } });
      assert.equal(out.response.headers.get("location"), "/login");
      assert.equal((await client.fetch("/commands")).response.status, 303);
      const left = await app.db.query("SELECT 1 FROM web_session WHERE key_hash = $1", [
        await hashSecret(key),
      ]);
      assert.equal(left.length, 0);
      assertNoSecrets([...client.bodies, ...secure.bodies, ...app.logs], [PASSWORD, key]);
    } finally {
      await app.close();
    }
  });
});

Deno.test("every unsafe request needs the session's CSRF token (403 without it)", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      // The login form: the token must match its cookie.
      const stranger = new Client(app.handler);
      await stranger.fetch("/login");
      for (const csrf_token of ["", "x".repeat(43)]) {
        const { response, text } = await stranger.fetch("/login", {
          form: { csrf_token, username: USERNAME, password: PASSWORD },
        });
        assert.equal(response.status, 403);
        assert.match(text, /CSRF verification failed/);
      }
      const client = new Client(app.handler);
      await client.login();
      const other = new Client(app.handler);
      await other.login();
      const page = await client.fetch("/commands/greet_user");
      const token = Client.csrfIn(page.text);
      const otherToken = Client.csrfIn((await other.fetch("/commands/greet_user")).text);
      assert.notEqual(token, otherToken, "each session has its own token");
      for (const csrf_token of [undefined, "", otherToken]) {
        const form: Record<string, string> = { f_name: "John" };
        if (csrf_token !== undefined) form.csrf_token = csrf_token;
        const { response, text } = await client.fetch("/commands/greet_user", { form });
        assert.equal(response.status, 403, `token ${csrf_token}`);
        assert.match(text, /CSRF verification failed/);
      }
      const foreign = await client.fetch("/commands/greet_user", {
        headers: { origin: "https://evil.example" },
        form: { csrf_token: token, f_name: "John" },
      });
      assert.equal(foreign.response.status, 403, "a request from another site");
      for (const path of ["/jobs/1/cancel", "/jobs/1/retry", "/logout"]) {
        assert.equal((await client.fetch(path, { form: {} })).response.status, 403, path);
      }
      const api = await client.fetch("/api/jobs", {
        method: "POST",
        body: JSON.stringify({ command: "greet_user", args: ["John"] }),
      });
      assert.equal(api.response.status, 403);
      assert.match(JSON.parse(api.text).error, /CSRF verification failed/);
      assert.deepEqual(await listJobs(app.db), [], "no refused request made a job");
      const allowed = await client.fetch("/api/jobs", {
        method: "POST",
        headers: { "x-csrf-token": token },
        body: JSON.stringify({ command: "greet_user", args: ["John"] }),
      });
      assert.equal(allowed.response.status, 201);
      const ok = await client.fetch("/commands/greet_user", {
        form: { csrf_token: token, f_name: "John" },
      });
      assert.equal(ok.response.status, 303);
      assert.equal((await listJobs(app.db)).length, 2);
    } finally {
      await app.close();
    }
  });
});

Deno.test("five failed logins lock a username out from that address for 15 minutes (429)", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      const client = new Client(app.handler);
      for (let i = 0; i < 5; i++) {
        assert.equal((await client.login(USERNAME, `wrong ${i}`)).response.status, 401);
      }
      const locked = await client.login(USERNAME, PASSWORD);
      assert.equal(locked.response.status, 429, "even the right password is refused");
      assert.match(
        locked.text,
        /Too many failed login attempts for this username\. Try again in 15 minutes\./,
      );
      const retryAfter = Number(locked.response.headers.get("retry-after"));
      assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${retryAfter}`);
      assert.ok(!client.cookies.has("manage_session"));
      // Another address is not locked out, and succeeding clears its own failures.
      const elsewhere = new Client(app.handler, "http://console.test", "198.51.100.1");
      assert.equal((await elsewhere.login(USERNAME, "wrong")).response.status, 401);
      assert.equal((await elsewhere.login()).response.status, 303);
      const [row] = await app.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM web_login_failure WHERE ip = $1",
        ["198.51.100.1"],
      );
      assert.equal(row.n, 0);
      // Once the failures are older than the window, the username is let in again.
      await app.db.query(
        "UPDATE web_login_failure SET failed_at = failed_at - interval '16 minutes' WHERE ip = $1",
        [CLIENT_IP],
      );
      assert.equal((await client.login()).response.status, 303);
      assertNoSecrets([...client.bodies, ...app.logs], [PASSWORD]);
    } finally {
      await app.close();
    }
  });
});

Deno.test("a command's form: validated by the parser, run in the background or now, escaped", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      const client = new Client(app.handler);
      await client.login();
      const list = await client.fetch("/commands");
      assert.match(list.text, /<h2>myapp<\/h2>/);
      assert.match(
        list.text,
        /href="\/commands\/greet_user">greet_user<\/a><span class="summary">Greets a user by name/,
      );
      const form = await client.fetch("/commands/greet_user");
      assert.match(form.text, /name="f_name"/);
      assert.match(form.text, /title="required"/);
      assert.match(form.text, /usage: manage greet_user/);
      const csrf_token = Client.csrfIn(form.text);

      const missing = await client.fetch("/commands/greet_user", { form: { csrf_token } });
      assert.equal(missing.response.status, 400);
      assert.match(missing.text, /greet_user: the following arguments are required: name/);
      const wrongType = await client.fetch("/commands/check_database", {
        form: { csrf_token, f_wait: "soon" },
      });
      assert.equal(wrongType.response.status, 400);
      assert.match(
        wrongType.text,
        /check_database: argument --wait: invalid float value: &#39;soon&#39;/,
      );
      assert.match(wrongType.text, /value="soon"/, "what was typed is shown again");
      assert.deepEqual(await listJobs(app.db), [], "an invalid form makes no job");

      const queued = await client.fetch("/commands/greet_user", {
        form: { csrf_token, f_name: "John" },
      });
      assert.equal(queued.response.status, 303);
      const id = Number(
        /^\/jobs\/(\d+)\?enqueued=1$/.exec(queued.response.headers.get("location")!)![1],
      );
      const [job] = await listJobs(app.db);
      assert.deepEqual([job.id, job.command, job.args, job.status], [
        id,
        "greet_user",
        ["John"],
        "queued",
      ]);
      const waiting = await client.fetch(`/jobs/${id}?enqueued=1`);
      assert.match(waiting.text, /Enqueued job \d+: a worker runs it\./);
      assert.match(waiting.text, /<script nonce="/, "a waiting job's page follows it live");

      const evil = "<script>alert(1)</script>";
      const now = await client.fetch("/commands/greet_user", {
        form: { csrf_token, f_name: evil, run_now: "on", f_verbosity: "1" },
      });
      assert.equal(now.response.status, 303);
      const ran = await client.fetch(now.response.headers.get("location")!);
      assert.match(ran.text, /Hello, &lt;script&gt;alert\(1\)&lt;\/script&gt;!/);
      assert.ok(!ran.text.includes(evil), "output is escaped");
      assert.match(ran.text, /status-succeeded/);
      assert.match(ran.text, /web:alice/);
      assert.doesNotMatch(ran.text, /<script nonce=/, "an ended job's page needs no script");
      const csp = ran.response.headers.get("content-security-policy")!;
      assert.match(csp, /default-src 'none'/);

      const failing = await client.fetch("/commands/check_database", {
        form: { csrf_token, run_now: "on", f_database: "postgres://nobody@127.0.0.1:1/x" },
      });
      assert.equal(failing.response.status, 303, "the --database field is not offered: ignored");
    } finally {
      await app.close();
    }
  });
});

Deno.test("a job page streams the output while the job runs, then its exit status", async (t) => {
  await forEachDatabase(t, async (database) => {
    const runs = new Runs();
    const commands = testRegistry(testCommands(runs));
    const app = await consoleOn(database, { ...registry, commands: commands.commands });
    const controller = new AbortController();
    const worker = new Worker({
      db: app.db,
      registry: commands,
      signal: controller.signal,
      pollInterval: 100,
      outputInterval: 100,
      schedules: false,
    });
    const working = worker.run();
    try {
      const client = new Client(app.handler);
      await client.login();
      const csrf_token = Client.csrfIn((await client.fetch("/commands/slow")).text);
      const posted = await client.fetch("/commands/slow", {
        form: { csrf_token, f_key: "k1", f_ms: "1500" },
      });
      const id = Number(/\/jobs\/(\d+)/.exec(posted.response.headers.get("location")!)![1]);
      const stream = await client.handler(
        new Request(`http://console.test/jobs/${id}/events`, {
          headers: { cookie: `manage_session=${client.cookies.get("manage_session")}` },
        }),
      );
      assert.equal(stream.headers.get("content-type"), "text/event-stream; charset=utf-8");
      const events = await readEvents(stream, (e) => e.ended === true);
      const running = events.find((e) =>
        e.status === "running" && String(e.stdout).includes("started k1")
      );
      assert.ok(running, "the output so far arrives while the job runs");
      assert.ok(!String(running.stdout).includes("finished k1"));
      const last = events.at(-1)!;
      assert.equal(last.status, "succeeded");
      assert.equal(last.exitCode, 0);
      assert.match(String(last.stdout), /started k1\nfinished k1/);
      assert.match(String(last.meta), /<dd id="job-exit">0<\/dd>/);

      const late = await client.fetch(`/jobs/${id}/cancel`, { form: { csrf_token } });
      assert.equal(late.response.headers.get("location"), `/jobs/${id}?did=finished`);
      assert.match(
        (await client.fetch(`/jobs/${id}?did=finished`)).text,
        /The job had already ended: there was nothing to cancel\./,
      );

      // The list, filtered; cancel and retry from the job page.
      const delayed = await client.fetch("/commands/ok", {
        form: { csrf_token, f_word: "later", delay: "1h", queue: "slowlane" },
      });
      const later = Number(/\/jobs\/(\d+)/.exec(delayed.response.headers.get("location")!)![1]);
      const all = await client.fetch("/jobs");
      assert.match(all.text, new RegExp(`href="/jobs/${later}"`));
      assert.match(all.text, new RegExp(`href="/jobs/${id}"`));
      const onlyQueued = await client.fetch("/jobs?status=queued");
      assert.match(onlyQueued.text, new RegExp(`href="/jobs/${later}"`));
      assert.doesNotMatch(onlyQueued.text, new RegExp(`href="/jobs/${id}"`));
      const byQueue = await client.fetch("/jobs?queue=default");
      assert.doesNotMatch(byQueue.text, new RegExp(`href="/jobs/${later}"`));
      const cancelled = await client.fetch(`/jobs/${later}/cancel`, { form: { csrf_token } });
      assert.equal(cancelled.response.headers.get("location"), `/jobs/${later}?did=cancelled`);
      const page = await client.fetch(`/jobs/${later}?did=cancelled`);
      assert.match(page.text, /status-cancelled/);
      assert.match(page.text, /The job is cancelled\./);
      const retried = await client.fetch(`/jobs/${later}/retry`, { form: { csrf_token } });
      assert.equal(retried.response.headers.get("location"), `/jobs/${later}?did=queued`);
      const [again] = await listJobs(app.db, { queue: "slowlane" });
      assert.equal(again.status, "queued");
      assert.equal((await client.fetch("/jobs/999999")).response.status, 404);
    } finally {
      controller.abort();
      await working;
      await app.close();
    }
  });
});

Deno.test("the JSON API: commands, enqueue (201 or 400), status and output, cancel, retry, tokens", async (t) => {
  await forEachDatabase(t, async (database) => {
    const app = await consoleOn(database);
    try {
      const { createApiToken } = await import("../../../apps/web/sessions.ts");
      const [user] = await app.db.query<{ id: number }>("SELECT id FROM auth_user");
      const token = await createApiToken(app.db, Number(user.id), "ci");
      const [stored] = await app.db.query<{ token_hash: string }>(
        "SELECT token_hash FROM web_api_token",
      );
      assert.equal(stored.token_hash, await hashSecret(token), "only the hash is kept");
      const client = new Client(app.handler);
      const auth = { authorization: `Bearer ${token}` };
      const call = async (method: string, path: string, body?: unknown) => {
        const { response, text } = await client.fetch(path, {
          method,
          headers: auth,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: response.status, body: JSON.parse(text) };
      };
      const commands = await call("GET", "/api/commands");
      assert.equal(commands.status, 200);
      const greet = commands.body.commands.find((c: { name: string }) => c.name === "greet_user");
      assert.deepEqual(greet.arguments, [{ name: "name", type: "string", required: true }]);
      assert.equal(greet.app, "myapp");
      const jobs = commands.body.commands.find((c: { name: string }) => c.name === "jobs");
      assert.deepEqual(
        jobs.subcommands.map((s: { name: string }) => s.name),
        ["list", "show", "retry", "cancel", "prune", "stats", "workers", "schedules"],
      );

      const refused = await call("POST", "/api/jobs", { command: "greet_user", args: [] });
      assert.equal(refused.status, 400);
      assert.equal(
        refused.body.error,
        "greet_user: the following arguments are required: name (see 'manage help greet_user')",
      );
      assert.equal((await call("POST", "/api/jobs", { command: "nope" })).status, 400);
      assert.equal(
        (await call("POST", "/api/jobs", { command: "greet_user", args: "x" })).status,
        400,
      );
      assert.deepEqual((await call("GET", "/api/jobs")).body, { jobs: [] });

      const created = await call("POST", "/api/jobs", {
        command: "greet_user",
        args: ["John"],
        delay: "1h",
      });
      assert.equal(created.status, 201);
      const id = created.body.id;
      assert.deepEqual(created.body, {
        id,
        created: true,
        status: "queued",
        url: `/api/jobs/${id}`,
      });
      const shown = await call("GET", `/api/jobs/${id}`);
      assert.equal(shown.body.status, "queued");
      assert.deepEqual(shown.body.args, ["John"]);
      assert.equal((await call("GET", "/api/jobs?status=queued")).body.jobs.length, 1);
      assert.equal((await call("GET", "/api/jobs?status=failed")).body.jobs.length, 0);
      assert.equal((await call("GET", "/api/jobs?status=bogus")).status, 400);
      assert.deepEqual((await call("POST", `/api/jobs/${id}/cancel`)).body, {
        id,
        result: "cancelled",
      });
      assert.deepEqual((await call("POST", `/api/jobs/${id}/retry`)).body, {
        id,
        result: "queued",
      });
      assert.equal((await call("GET", "/api/jobs/424242")).status, 404);

      const now = await call("POST", "/api/jobs", {
        command: "greet_user",
        args: ["Ann"],
        now: true,
      });
      assert.equal(now.status, 201);
      assert.equal(now.body.status, "succeeded");
      const output = await call("GET", `/api/jobs/${now.body.id}`);
      assert.equal(output.body.stdout, "Hello, Ann!\n");
      assert.equal(output.body.exitCode, 0);
      assertNoSecrets([...client.bodies, ...app.logs], [token, PASSWORD]);
    } finally {
      await app.close();
    }
  });
});
