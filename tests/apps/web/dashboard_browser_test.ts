// The dashboard in headless Chromium, on both drivers, against a real `manage runserver` (with
// its in-process worker): the counts after a known set of jobs, the charts changing without a
// reload as more jobs run, the worker listed, "Run now" on a schedule, the link from a failing
// command to its jobs, and the page on a phone's width. Screenshots go to .manage/screenshots/.
// The server runs in a project copy without the starter app myapp, with the fixture app sample
// (greet_user, show_status) and a schedule of it.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../_database.ts";
import { type Project, ROOT, sampleProject } from "../../_helpers.ts";
import { needs } from "../../_requires.ts";
import { ALL_PERMISSIONS, openChromium, runInChild } from "./_browser.ts";
import { startServer } from "./_server.ts";

const USERNAME = "operator";
const PASSWORD = "Correct-Horse-42";
const SCREENSHOTS = new URL(".manage/screenshots/", ROOT);
/**
 * A schedule of the fixture app sample, for "Run now". Its daily tick is twelve hours from now:
 * the server's worker neither runs it nor catches up a tick just missed (within 5 minutes) while
 * the test counts jobs.
 */
const SCHEDULES = `import { defineSchedule } from "../../mod.ts";

export default [
  defineSchedule({ name: "sample.nightly_status", command: "show_status", cron: "0 ${
  (new Date().getUTCHours() + 12) % 24
} * * *" }),
];
`;
const TEST_NAME = "in Chromium: the dashboard counts jobs, its charts follow them live";

Deno.test(needs("chromium", {
  name: TEST_NAME,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (!ALL_PERMISSIONS) {
      return await runInChild(TEST_NAME, "tests/apps/web/dashboard_browser_test.ts");
    }
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    const chromium = await openChromium({ width: 1100, height: 900 });
    const browser = chromium.context;
    let project: Project | undefined;
    try {
      project = await sampleProject({ "apps/sample/schedules.ts": SCHEDULES });
      const root = project.root;
      const runCli = (args: string[], options: { env?: Record<string, string> } = {}) =>
        project!.run(args, options);
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
        const server = await startServer(database.url, [], { root });
        try {
          const minted = await runCli(["createapitoken", USERNAME, "--database", database.url]);
          assert.equal(minted.code, 0, minted.stderr);
          const token = minted.stdout.trim();
          const api = async (path: string, body?: unknown) => {
            const response = await fetch(server.base + path, {
              method: body === undefined ? "GET" : "POST",
              headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
              body: body === undefined ? undefined : JSON.stringify(body),
            });
            return await response.json();
          };
          const ended = async () => {
            const { total } = await api("/api/stats");
            return total.succeeded + total.failed;
          };
          const waitForEnded = async (n: number) => {
            const deadline = Date.now() + 30_000;
            while ((await ended()) < n) {
              assert.ok(Date.now() < deadline, `fewer than ${n} jobs ended`);
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
          };
          // Two that succeed and one that fails (an app with no migrations), once.
          await api("/api/jobs", { command: "greet_user", args: ["Ann"] });
          await api("/api/jobs", { command: "greet_user", args: ["Bob"] });
          await api("/api/jobs", { command: "sqlmigrate", args: ["nope", "0001"], maxAttempts: 1 });
          await waitForEnded(3);

          const page = await browser.newPage();
          await page.goto(`${server.base}/`);
          assert.match(page.url(), /\/login\?next=%2F$/);
          await page.fill("#id_username", USERNAME);
          await page.fill("#id_password", PASSWORD);
          await page.click("button[type=submit]");
          await page.waitForURL(`${server.base}/`);
          const value = async (id: string) =>
            (await page.textContent(`#count-${id} .value`))?.trim();
          assert.equal(await value("succeeded"), "2");
          assert.equal(await value("failed"), "1");
          assert.equal(await value("waiting"), "0");
          const total = () => page.getAttribute("#chart-throughput", "data-total");
          assert.equal(await total(), "3");
          assert.equal(await page.getAttribute("#chart-failures", "data-max"), "100");
          assert.equal(await page.locator("#dash-workers tr[data-state='alive']").count(), 1);
          await page.waitForSelector("#dash-live:text-is('live')");
          await page.screenshot({
            path: new URL(`dashboard_${database.kind}.png`, SCREENSHOTS).pathname,
            fullPage: true,
          });

          // More jobs run: the counts and the chart change without a reload.
          await page.evaluate("globalThis.notReloaded = true");
          await api("/api/jobs", { command: "greet_user", args: ["Cy"] });
          await page.waitForSelector("#chart-throughput[data-total='4']", { timeout: 20_000 });
          await page.waitForSelector("#count-succeeded .value:text-is('3')");
          assert.equal(await page.evaluate("globalThis.notReloaded"), true, "no reload");

          // A failing command links to its failing jobs.
          await page.click("#dash-commands a[href='/jobs?status=failed&command=sqlmigrate']");
          await page.waitForURL(/\/jobs\?status=failed&command=sqlmigrate$/);
          assert.equal(await page.locator("tbody tr").count(), 1);

          // Run now: one job of the schedule's command, which runs.
          await page.goto(`${server.base}/`);
          await page.click("tr[data-schedule='sample.nightly_status'] button[type=submit]");
          await page.waitForURL(/\/jobs\/\d+\?enqueued=1$/);
          await page.waitForSelector("#job-exit:text-is('0')", { timeout: 20_000 });
          assert.match(await page.textContent("main") ?? "", /show_status/);
          assert.match(await page.textContent("#job-meta") ?? "", /succeeded/);

          // On a phone: the charts fit the screen's width.
          await page.setViewportSize({ width: 390, height: 844 });
          await page.goto(`${server.base}/`);
          // The live updates may swap the chart while it is measured: measure it once it stands.
          const chart = page.locator("#chart-throughput svg");
          let box = null;
          for (let tries = 0; tries < 50 && box === null; tries++) {
            await chart.waitFor({ state: "visible", timeout: 20_000 });
            box = await chart.boundingBox();
            if (box === null) await new Promise((resolve) => setTimeout(resolve, 100));
          }
          assert.ok(box && box.width > 200 && box.x + box.width <= 390, JSON.stringify(box));
          await page.screenshot({
            path: new URL(`dashboard_phone_${database.kind}.png`, SCREENSHOTS).pathname,
            fullPage: true,
          });
          await page.close();
        } finally {
          await server.stop();
        }
      });
    } finally {
      await chromium.close();
      await project?.remove();
    }
  },
}));
