// The console end to end: `manage runserver` as a process (with its in-process worker) on both
// drivers, driven by headless Chromium through playwright-core as a person would use it, plus
// `createapitoken` from another process and Ctrl-C. Screenshots of the commands page and a job
// page go to .manage/screenshots/.

import assert from "node:assert/strict";
import { forEachDatabase, pgliteTestDatabase } from "../../_database.ts";
import { ROOT, type RunCliOptions, sampleProject } from "../../_helpers.ts";
import { needs } from "../../_requires.ts";
import { ALL_PERMISSIONS, openChromium, runInChild } from "./_browser.ts";
import { startServer } from "./_server.ts";

// One project copy for the file: without myapp, with the fixture app sample (greet_user).
const project = await sampleProject();
globalThis.addEventListener("unload", () => Deno.removeSync(project.root, { recursive: true }));
const runCli = (args: string[], options: Omit<RunCliOptions, "root"> = {}) =>
  project.run(args, options);

const USERNAME = "operator";
const PASSWORD = "Correct-Horse-42";
const SCREENSHOTS = new URL(".manage/screenshots/", ROOT);

const BROWSER_TEST = "in Chromium: log in, run greet_user from its form, watch Hello, John! arrive";

Deno.test(needs("chromium", {
  name: BROWSER_TEST,
  // playwright-core's pipes to the browser outlive a step; they are closed when it closes.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (!ALL_PERMISSIONS) return await runInChild(BROWSER_TEST, "tests/apps/web/browser_test.ts");
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    const chromium = await openChromium({ width: 1100, height: 800 });
    const browser = chromium.context;
    try {
      await forEachDatabase(t, async (database) => {
        const migrated = await runCli(["migrate", "--database", database.url, "-v", "0"]);
        assert.equal(migrated.code, 0, migrated.stderr);
        const created = await runCli(
          [
            "createsuperuser",
            "--noinput",
            "--username",
            USERNAME,
            "--email",
            "ops@example.com",
            "--database",
            database.url,
          ],
          { env: { MANAGE_SUPERUSER_PASSWORD: PASSWORD } },
        );
        assert.equal(created.code, 0, created.stderr);
        const server = await startServer(database.url, [], { root: project.root });
        let stopped = false;
        try {
          assert.match(server.output(), /Database: (pglite:|postgres:\/\/)/);
          assert.match(
            server.output(),
            /Background jobs: worker \S+ \(queues default, concurrency 4\)/,
          );
          // A token from another process: on the embedded database, through the server's socket.
          const minted = await runCli(["createapitoken", USERNAME, "--database", database.url]);
          assert.equal(minted.code, 0, minted.stderr);
          const token = minted.stdout.trim();
          const nobody = await runCli(["createapitoken", "nobody", "--database", database.url]);
          assert.equal(nobody.code, 1);
          assert.equal(nobody.stderr, "CommandError: User 'nobody' does not exist\n");
          assert.match(token, /^mgt_[A-Za-z0-9_-]{43}$/);
          const api = (path: string, init: RequestInit = {}) =>
            fetch(server.base + path, {
              ...init,
              headers: { authorization: `Bearer ${token}`, ...init.headers },
            });
          const jobCount = async () => (await (await api("/api/jobs")).json()).jobs.length;

          // Without a session: the login form for pages, 401 for the API.
          const anonymous = await fetch(`${server.base}/jobs`, { redirect: "manual" });
          await anonymous.body?.cancel();
          assert.equal(anonymous.status, 303);
          assert.equal(anonymous.headers.get("location"), "/login?next=%2Fjobs");
          const refused = await fetch(`${server.base}/api/jobs`);
          assert.equal(refused.status, 401);
          assert.match((await refused.json()).error, /Authentication required/);

          const page = await browser.newPage();
          await page.goto(`${server.base}/commands`);
          assert.match(page.url(), /\/login\?next=%2Fcommands$/);
          await page.fill("#id_username", USERNAME);
          await page.fill("#id_password", "not the password");
          await page.click("button[type=submit]");
          assert.match(await page.textContent(".error") ?? "", /correct username and password/);
          await page.fill("#id_password", PASSWORD);
          await page.click("button[type=submit]");
          await page.waitForURL(/\/commands$/);
          assert.match(
            await page.textContent("#app-sample") ?? "",
            /greet_user\s*Greets a user by name/,
          );
          await page.screenshot({
            path: new URL(`commands_${database.kind}.png`, SCREENSHOTS).pathname,
            fullPage: true,
          });

          await page.click("a[href='/commands/greet_user']");
          await page.waitForURL(/\/commands\/greet_user$/);
          await page.click("form.card button[type=submit]");
          await page.waitForSelector("#form-error");
          assert.equal(
            await page.textContent("#form-error"),
            "greet_user: the following arguments are required: name",
          );
          assert.equal(await jobCount(), 0, "the refused form made no job");

          await page.fill("#id_f_name", "John");
          await page.click("form.card button[type=submit]");
          await page.waitForURL(/\/jobs\/\d+\?enqueued=1$/);
          await page.waitForSelector("#job-stdout:has-text('Hello, John!')", { timeout: 20_000 });
          await page.waitForSelector("#job-exit:text-is('0')", { timeout: 20_000 });
          assert.match(await page.textContent("#job-meta") ?? "", /succeeded/);
          assert.equal(await jobCount(), 1);

          // A job that is still waiting when its page opens: the page changes without a reload.
          await page.goto(`${server.base}/commands/greet_user`);
          await page.fill("#id_f_name", "Jane");
          await page.fill("#id_delay", "2s");
          await page.click("form.card button[type=submit]");
          await page.waitForURL(/\/jobs\/\d+\?enqueued=1$/);
          const opened = page.url();
          assert.match(await page.textContent("#job-meta") ?? "", /queued/);
          assert.equal(await page.textContent("#job-stdout"), "");
          await page.evaluate("globalThis.notReloaded = true");
          await page.waitForSelector("#job-stdout:has-text('Hello, Jane!')", { timeout: 20_000 });
          await page.waitForSelector("#job-exit:text-is('0')", { timeout: 20_000 });
          assert.equal(await page.evaluate("globalThis.notReloaded"), true, "no reload");
          assert.equal(page.url(), opened);
          assert.equal(await page.textContent("#job-live"), "");
          await page.setViewportSize({ width: 390, height: 844 });
          await page.screenshot({
            path: new URL(`job_${database.kind}.png`, SCREENSHOTS).pathname,
            fullPage: true,
          });
          const cookies = await browser.cookies(server.base);
          const session = cookies.find((c) => c.name === "manage_session");
          assert.ok(session?.httpOnly && session.sameSite === "Lax");
          await page.close();

          // Ctrl-C stops the server and its worker cleanly.
          const code = await server.stop();
          stopped = true;
          assert.equal(code, 130, server.output());
          const output = server.output();
          assert.match(output, /The web console has stopped\./);
          assert.match(output, /POST \/commands\/greet_user 303/);
          for (const secret of [PASSWORD, token, session.value]) {
            assert.ok(!output.includes(secret), "a secret appears in runserver's output");
          }
        } finally {
          if (!stopped) await server.stop();
        }
      });
    } finally {
      await chromium.close();
    }
  },
}));

Deno.test("runserver refuses a bad address (exit 1) and offers --no-worker and --noreload", async () => {
  const address = await runCli(["runserver", "localhost:port", "--database", "pglite:memory"]);
  assert.equal(address.code, 1);
  assert.equal(
    address.stderr.split("\n").at(-2),
    'CommandError: "localhost:port" is not a valid port number or address:port pair.',
  );
  const help = await runCli(["runserver", "--help"]);
  assert.match(help.stdout, /--no-worker/);
  assert.match(help.stdout, /--noreload/);
});

Deno.test("runserver --no-worker leaves jobs to workers elsewhere and warns of no superuser", async () => {
  const database = await pgliteTestDatabase();
  try {
    const migrated = await runCli(["migrate", "--database", database.url, "-v", "0"]);
    assert.equal(migrated.code, 0, migrated.stderr);
    const server = await startServer(database.url, ["--no-worker"]);
    const output = server.output();
    const code = await server.stop();
    assert.equal(code, 130);
    assert.match(output, /Background jobs: not run here \(--no-worker\): start 'manage worker'/);
    assert.match(
      output,
      /No active superuser can log in yet: create one with 'manage createsuperuser'\./,
    );
  } finally {
    await database.drop();
  }
});
