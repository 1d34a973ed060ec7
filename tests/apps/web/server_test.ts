// The console against a hostile or careless client, through a real `manage runserver` and real
// HTTP on both drivers: parallel guesses cannot pass the login throttle, bodies are bounded and
// refused before they are read, a redirect never leaves the site, and only the console's own
// host names are answered.

import assert from "node:assert/strict";
import { createSuperuser } from "../../../apps/auth/users.ts";
import { createApiToken } from "../../../apps/web/sessions.ts";
import { forEachDatabase, pgliteTestDatabase, type TestDatabase } from "../../_database.ts";
import { rawRequest, type Server, startServer } from "./_server.ts";
import { addUser, migrateAll, PASSWORD, USERNAME } from "./_web.ts";

/** Whose password is hashed as createsuperuser hashes it (1,200,000 iterations): slow to check. */
const TARGET = "bob";

/** A cookie jar's `Cookie` header from a response's `Set-Cookie` headers. */
function cookieHeader(response: Response, jar = new Map<string, string>()): string {
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(";");
    const at = pair.indexOf("=");
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}

/** The login form as a browser gets it: its cookie and the token in the form. */
async function loginForm(server: Server): Promise<{ cookie: string; token: string }> {
  const response = await fetch(`${server.base}/login`);
  const text = await response.text();
  return {
    cookie: cookieHeader(response),
    token: /name="csrf_token" value="([^"]+)"/.exec(text)![1],
  };
}

/** Posts the login form; gives the answer's status, `Location` and session cookie. */
async function postLogin(
  server: Server,
  form: { cookie: string; token: string },
  fields: Record<string, string>,
): Promise<{ status: number; location: string | null; cookie: string }> {
  const response = await fetch(`${server.base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: form.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf_token: form.token, ...fields }),
  });
  await response.body?.cancel();
  return {
    status: response.status,
    location: response.headers.get("location"),
    cookie: cookieHeader(response),
  };
}

/** Migrates, adds the users and a token, and starts `manage runserver` on the database. */
async function serve(database: TestDatabase): Promise<{ server: Server; token: string }> {
  await migrateAll(database.url);
  const db = await database.open();
  let token: string;
  try {
    const id = await addUser(db, USERNAME, PASSWORD);
    await createSuperuser(db, { username: TARGET, email: "", password: PASSWORD });
    token = await createApiToken(db, id, "tests");
  } finally {
    await db.close();
  }
  return { server: await startServer(database.url), token };
}

/** Runs `fn` against a server on each database, and stops it. */
async function eachServer(
  t: Deno.TestContext,
  fn: (server: Server, token: string, database: TestDatabase) => Promise<void>,
): Promise<void> {
  await forEachDatabase(t, async (database) => {
    const { server, token } = await serve(database);
    try {
      await fn(server, token, database);
    } finally {
      await server.stop();
    }
    assert.doesNotMatch(server.output(), /Internal error/, "no request was a server error");
  });
}

Deno.test("fifteen parallel wrong passwords: five are checked (401), ten refused unchecked (429)", async (t) => {
  await eachServer(t, async (server, _token, database) => {
    const form = await loginForm(server);
    const answers = await Promise.all(
      Array.from(
        { length: 15 },
        (_, i) => postLogin(server, form, { username: TARGET, password: `wrong ${i}` }),
      ),
    );
    const count = (status: number) => answers.filter((a) => a.status === status).length;
    assert.deepEqual(
      { 401: count(401), 429: count(429) },
      { 401: 5, 429: 10 },
      `statuses: ${answers.map((a) => a.status).join(" ")}`,
    );
    const right = await postLogin(server, form, { username: TARGET, password: PASSWORD });
    assert.equal(right.status, 429, "locked: even the right password is refused");
    const db = await database.open();
    try {
      const [row] = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM web_login_failure WHERE username = $1",
        [TARGET],
      );
      assert.equal(row.n, 5, "only five attempts were counted, and so checked");
    } finally {
      await db.close();
    }
  });
});

const MiB = 1024 * 1024;

Deno.test("bodies are bounded and refused before they are read; bad bodies are 400, not 500", async (t) => {
  await eachServer(t, async (server, token) => {
    const login = await loginForm(server);
    const part = "a".repeat(64 * 1024);
    const head = (path: string, headers: string[]) =>
      [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, ...headers].join("\r\n");

    // Declared too large: refused on the headers, though 30 MB never come.
    const huge = await rawRequest(
      server.port,
      head("/login", [
        `Cookie: ${login.cookie}`,
        "Content-Type: application/x-www-form-urlencoded",
        `Content-Length: ${30 * MiB}`,
      ]),
      Array(20).fill(part),
    );
    assert.equal(huge.status, 413, huge.headers);
    const api = await rawRequest(
      server.port,
      head("/api/jobs", [
        `Authorization: Bearer ${token}`,
        "Content-Type: application/json",
        `Content-Length: ${2 * MiB}`,
      ]),
      ["{"],
    );
    assert.equal(api.status, 413, api.headers);
    assert.match(api.headers, /content-type: application\/json/i);
    assert.match(JSON.parse(api.body).error, /too large/i);

    // A chunked body is cut off where it passes the limit: the end never comes.
    const chunk = `${part.length.toString(16)}\r\n${part}\r\n`;
    const chunked = await rawRequest(
      server.port,
      head("/login", [
        `Cookie: ${login.cookie}`,
        "Content-Type: application/x-www-form-urlencoded",
        "Transfer-Encoding: chunked",
      ]),
      Array(4).fill(chunk),
    );
    assert.equal(chunked.status, 413, chunked.headers || "no answer: the server waited");
    const chunkedApi = await rawRequest(
      server.port,
      head("/api/jobs", [`Authorization: Bearer ${token}`, "Transfer-Encoding: chunked"]),
      Array(20).fill(chunk),
    );
    assert.equal(chunkedApi.status, 413, chunkedApi.headers || "no answer: the server waited");

    // Without the login form's cookie, the body is not waited for.
    const cookieless = await rawRequest(
      server.port,
      head("/login", ["Content-Type: application/x-www-form-urlencoded", "Content-Length: 60000"]),
      [],
      10_000,
    );
    assert.equal(cookieless.status, 403, cookieless.headers || "no answer: the server waited");
    assert.match(cookieless.body, /CSRF cookie not set/);

    // Not a form, or a broken one: 400.
    for (
      const [type, body] of [
        ["application/json", JSON.stringify({ username: USERNAME })],
        ["multipart/form-data; boundary=x", "not multipart"],
      ]
    ) {
      const response = await fetch(`${server.base}/login`, {
        method: "POST",
        headers: { cookie: login.cookie, "content-type": type },
        body,
      });
      await response.body?.cancel();
      assert.equal(response.status, 400, type);
    }

    // A delay no database can hold: a JSON 400 naming it.
    const delayed = await fetch(`${server.base}/api/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ command: "check", args: [], delay: 1e308 }),
    });
    assert.equal(delayed.status, 400);
    assert.match(delayed.headers.get("content-type")!, /application\/json/);
    assert.match((await delayed.json()).error, /delay/);

    // Within the limits all is as before.
    const ok = await postLogin(server, login, { username: USERNAME, password: PASSWORD });
    assert.equal(ok.status, 303);
  });
});

/** Hostile `next` values: each resolves off the site, or to a script, if taken as it is. */
const HOSTILE_NEXT = [
  "//evil.example",
  "///evil.example",
  "/\\evil.example",
  "\\\\evil.example",
  "/\t/evil.example",
  "/.//evil.example",
  "/..//evil.example",
  "/\n/evil.example",
  " //evil.example",
  "https://evil.example/",
  "https:evil.example",
  "HTTP://evil.example",
  "//evil.example@127.0.0.1",
  "javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
];

Deno.test("?next= is followed only to a page of this site", async (t) => {
  await eachServer(t, async (server) => {
    const origin = new URL(server.base).origin;
    const onSite = (location: string | null, next: string) => {
      assert.ok(location, `no Location for ${JSON.stringify(next)}`);
      assert.ok(
        location.startsWith("/") && new URL(location, server.base).origin === origin &&
          !/[\t\n\r\\]/.test(location),
        `${JSON.stringify(next)} sent the browser to ${JSON.stringify(location)}`,
      );
    };
    const form = await loginForm(server);
    const session = await postLogin(server, form, {
      username: USERNAME,
      password: PASSWORD,
      next: "/jobs?status=failed",
    });
    assert.equal(session.location, "/jobs?status=failed", "a page of the site is kept");
    for (const next of HOSTILE_NEXT) {
      const signedIn = await fetch(`${server.base}/login?next=${encodeURIComponent(next)}`, {
        redirect: "manual",
        headers: { cookie: session.cookie },
      });
      await signedIn.body?.cancel();
      assert.equal(signedIn.status, 303);
      onSite(signedIn.headers.get("location"), next);
      const fresh = await loginForm(server);
      const posted = await postLogin(server, fresh, {
        username: USERNAME,
        password: PASSWORD,
        next,
      });
      assert.equal(posted.status, 303);
      onSite(posted.location, next);
    }
  });
});

Deno.test("only the console's host names are answered (DNS rebinding is 400)", async (t) => {
  await eachServer(t, async (server) => {
    const get = (host: string) =>
      rawRequest(server.port, `GET /login HTTP/1.1\r\nHost: ${host}`, [], 10_000);
    for (const host of ["evil.example", `evil.example:${server.port}`, "127.0.0.1.evil.example"]) {
      const answer = await get(host);
      assert.equal(answer.status, 400, `Host: ${host}`);
    }
    for (
      const host of [
        `127.0.0.1:${server.port}`,
        `localhost:${server.port}`,
        "LOCALHOST",
        `console.localhost:${server.port}`,
        `[::1]:${server.port}`,
      ]
    ) {
      const answer = await get(host);
      assert.equal(answer.status, 200, `Host: ${host}`);
    }
    assert.match(server.output(), /Invalid Host header 'evil\.example'/);
    assert.doesNotMatch(server.output(), /plain HTTP/, "a loopback address needs no warning");
  });
});

Deno.test("runserver on every address warns once of plain HTTP and answers the allowed hosts", async () => {
  const database = await pgliteTestDatabase();
  try {
    await migrateAll(database.url);
    const server = await startServer(database.url, [], {
      addrport: "0.0.0.0:0",
      env: { MANAGE_ALLOWED_HOSTS: "console.example.com, .example.org" },
    });
    try {
      const status = async (host: string) =>
        (await rawRequest(server.port, `GET /login HTTP/1.1\r\nHost: ${host}`, [], 10_000))
          .status;
      assert.equal(await status("console.example.com"), 200);
      assert.equal(await status(`ops.example.org:${server.port}`), 200);
      assert.equal(await status("example.org"), 200);
      assert.equal(await status("localhost"), 400, "the list given replaces the default");
      assert.equal(await status("evil.example"), 400);
    } finally {
      await server.stop();
    }
    const output = server.output();
    assert.equal(output.match(/serves plain HTTP/g)?.length, 1, output);
    assert.match(output, /behind a proxy that terminates TLS/);
  } finally {
    await database.drop();
  }
});
