/**
 * The console's home: the queues at a glance (counts, the oldest waiting job, throughput and
 * failure rate as charts), the workers (alive or lost), the schedules with their "Run now", and
 * each command's runs and durations, linking to its failing jobs. The page is rendered whole on
 * the server; an event stream (`/dashboard/events`) sends its parts again as they change, and a
 * small script puts them in place. Every value is escaped (`html`).
 *
 * @module
 */

import { findCommand } from "../../core/registry.ts";
import { mayRunFrom, RunFromError } from "../../core/run_from.ts";
import {
  type QueueCounts,
  type ScheduleStatus,
  shortDuration,
  windowText,
  type WorkerStatus,
} from "../jobs/queue/mod.ts";
import { barChart } from "./charts.ts";
import { type ConsoleOptions, page, pollingEventStream, redirect } from "./_http.ts";
import { type DashboardData, dashboardData, readWindow, runScheduleNow } from "./dashboard_data.ts";
import { type Html, html } from "./html.ts";
import { layout, messagePage, type PageContext } from "./pages.ts";
import { DASHBOARD_SCRIPT } from "./static.ts";

/** The windows the page offers. */
const WINDOWS = [900_000, 3_600_000, 86_400_000];

function when(iso: string | null): string {
  return iso ? iso.slice(0, 19).replace("T", " ") : "–";
}

function hhmm(iso: string): string {
  return iso.slice(11, 16);
}

function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

function countCard(id: string, label: string, value: string, tone = ""): Html {
  return html`
    <div class="count ${tone}"
      id="count-${id}"><span class="value">${value}</span><span class="label">${label}</span></div>
  `;
}

function countsPart(total: QueueCounts, window: string): Html {
  return html`${countCard("waiting", "waiting", String(total.waiting))}${
    countCard("delayed", "delayed", String(total.delayed))
  }${countCard("running", "running", String(total.running), "tone-run")}${
    countCard("succeeded", `succeeded, ${window}`, String(total.succeeded), "tone-ok")
  }${
    countCard("failed", `failed, ${window}`, String(total.failed), total.failed ? "tone-bad" : "")
  }${countCard("oldest", "oldest waiting", shortDuration(total.oldestWaitingMs))}`;
}

function queuesPart(queues: readonly QueueCounts[]): Html {
  if (queues.length === 0) {
    return html`<p class="note">No jobs in the window, and none waiting.</p>`;
  }
  return html`
    <table>
      <thead>
        <tr>
          <th>Queue</th>
          <th>Waiting</th>
          <th>Delayed</th>
          <th>Running</th>
          <th>Succeeded</th>
          <th>Failed</th>
          <th class="optional">Oldest waiting</th>
        </tr>
      </thead>
      <tbody>${queues.map((q) =>
        html`
          <tr data-queue="${q.queue}">
            <td><a href="/jobs?queue=${encodeURIComponent(q.queue)}">${q.queue}</a></td>
            <td>${q.waiting}</td>
            <td>${q.delayed}</td>
            <td>${q.running}</td>
            <td>${q.succeeded}</td>
            <td>${q.failed > 0
              ? html`<a href="/jobs?status=failed&amp;queue=${
                encodeURIComponent(q.queue)
              }">${q.failed}</a>`
              : "0"}</td>
            <td class="optional">${shortDuration(q.oldestWaitingMs)}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

function chartsPart(data: DashboardData): Html {
  const { throughput, bucketMs } = data.stats;
  const labels = throughput.map((b) => hhmm(b.start));
  const from = hhmm(throughput[0]?.start ?? data.stats.at);
  const step = windowText(bucketMs);
  return html`${
    barChart({
      id: "chart-throughput",
      title: `Jobs ended per ${step}`,
      labels,
      series: [
        { name: "succeeded", className: "bar-ok", values: throughput.map((b) => b.succeeded) },
        { name: "failed", className: "bar-bad", values: throughput.map((b) => b.failed) },
      ],
      from,
      to: "now",
    })
  }${
    barChart({
      id: "chart-failures",
      title: `Failure rate per ${step}`,
      labels,
      series: [{
        name: "failed",
        className: "bar-bad",
        values: throughput.map((b) => {
          const ended = b.succeeded + b.failed;
          return ended === 0 ? 0 : Math.round((b.failed / ended) * 100);
        }),
      }],
      max: 100,
      format: (v) => `${v}%`,
      from,
      to: "now",
    })
  }`;
}

function workerState(w: WorkerStatus): Html {
  if (w.state === "alive") return html`<span class="status status-succeeded">alive</span>`;
  const what = w.lostAt === null
    ? `heartbeat overdue; ${w.jobsInHand} job${
      w.jobsInHand === 1 ? "" : "s"
    } in hand, queued again when another worker checks`
    : `found lost at ${when(w.lostAt)}: ${w.jobsRequeued} job${
      w.jobsRequeued === 1 ? "" : "s"
    } queued again, ${w.jobsFailed} failed`;
  return html`<span class="status status-failed">lost</span> <span class="note">${what}</span>`;
}

function workersPart(workers: readonly WorkerStatus[]): Html {
  if (workers.length === 0) {
    return html`<p class="note">No workers: start one with <code>manage worker</code>.</p>`;
  }
  return html`
    <table>
      <thead>
        <tr>
          <th>Host</th>
          <th>PID</th>
          <th>Queues</th>
          <th class="optional">Concurrency</th>
          <th>In hand</th>
          <th class="optional">Last heartbeat</th>
          <th class="optional">Started</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>${workers.map((w) =>
        html`
          <tr data-worker="${w.id}" data-state="${w.state}">
            <td>${w.hostname}</td>
            <td>${w.pid}</td>
            <td>${w.queues.join(", ")}</td>
            <td class="optional">${w.concurrency}</td>
            <td>${w.jobsInHand}</td>
            <td class="optional">${when(w.heartbeatAt)}</td>
            <td class="optional">${when(w.startedAt)}</td>
            <td>${workerState(w)}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

function schedulesPart(
  ctx: PageContext,
  schedules: readonly ScheduleStatus[],
  runnable: (command: string) => boolean,
): Html {
  if (schedules.length === 0) {
    return html`<p class="note">No schedules: apps declare them in <code>schedules.ts</code>.</p>`;
  }
  return html`
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Runs</th>
          <th class="optional">Command</th>
          <th>Next run</th>
          <th class="optional">Last tick</th>
          <th>Last job</th>
          <th></th>
        </tr>
      </thead>
      <tbody>${schedules.map((s) =>
        html`
          <tr data-schedule="${s.name}">
            <td>${s.name}</td>
            <td class="mono">${s.describe}</td>
            <td class="optional mono">${[s.command, ...s.args].join(" ")}</td>
            <td>${when(s.nextRun)}</td>
            <td class="optional">${when(s.lastTick)}</td>
            <td>${s.lastJob
              ? html`
                <a href="/jobs/${s.lastJob.id}">#${s.lastJob.id}</a> <span
                  class="status status-${s.lastJob.status}">${s.lastJob.status}</span>
              `
              : "–"}</td>
            <td>${runnable(s.command)
              ? html`
                <form method="post"
                  action="/schedules/${encodeURIComponent(
                    s.name,
                  )}/run"><input type="hidden" name="csrf_token" value="${ctx.csrf ??
                    ""}"><button type="submit" class="secondary">Run now</button></form>
              `
              : html`<span class="note">not from the console</span>`}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

function commandsPart(data: DashboardData): Html {
  const { commands } = data.stats;
  if (commands.length === 0) return html`<p class="note">No job ended in the window.</p>`;
  return html`
    <table>
      <thead>
        <tr>
          <th>Command</th>
          <th>Runs</th>
          <th>Failed</th>
          <th>Failure rate</th>
          <th>Median</th>
          <th>95th pct.</th>
        </tr>
      </thead>
      <tbody>${commands.map((c) =>
        html`
          <tr data-command="${c.command}">
            <td class="mono">${c.command}</td>
            <td>${c.runs}</td>
            <td>${c.failed > 0
              ? html`<a href="/jobs?status=failed&amp;command=${
                encodeURIComponent(c.command)
              }">${c.failed}</a>`
              : "0"}</td>
            <td>${percent(c.failureRate)}</td>
            <td>${shortDuration(c.medianMs)}</td>
            <td>${shortDuration(c.p95Ms)}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

/** The page's parts, by the id of the element each fills: the page and the stream send these. */
export function dashboardParts(
  ctx: PageContext,
  data: DashboardData,
  runnable: (command: string) => boolean,
): Record<string, Html> {
  const window = windowText(data.stats.windowMs);
  return {
    "dash-at": html`${when(data.stats.at)} UTC`,
    "dash-counts": countsPart(data.stats.total, window),
    "dash-queues": queuesPart(data.stats.queues),
    "dash-charts": chartsPart(data),
    "dash-workers": workersPart(data.workers),
    "dash-schedules": schedulesPart(ctx, data.schedules, runnable),
    "dash-commands": commandsPart(data),
  };
}

/** The dashboard page. */
export function dashboardPage(
  ctx: PageContext,
  data: DashboardData,
  runnable: (command: string) => boolean,
): Html {
  const parts = dashboardParts(ctx, data, runnable);
  const windowMs = data.stats.windowMs;
  const window = windowText(windowMs);
  return layout(
    ctx,
    "Dashboard",
    html`
      <h1>Dashboard</h1>
      <div id="dashboard" data-events="/dashboard/events?window=${window}">
        <p
          class="hint">As of <span id="dash-at">${parts[
            "dash-at"
          ]}</span> <span class="live" id="dash-live"></span></p>
        <nav class="tabs" aria-label="Window">${WINDOWS.map((w) =>
          html`<a href="/?window=${windowText(w)}" class="${w === windowMs ? "current" : ""}">${
            windowText(w)
          }</a>`
        )}</nav>
        <section class="counts" id="dash-counts" aria-label="Counts">${parts[
          "dash-counts"
        ]}</section>
        <section class="card charts" id="dash-charts">${parts["dash-charts"]}</section>
        <section class="card table-wrap">
          <h2>Queues</h2>
          <div id="dash-queues">${parts["dash-queues"]}</div>
        </section>
        <section class="card table-wrap">
          <h2>Workers</h2>
          <div id="dash-workers">${parts["dash-workers"]}</div>
        </section>
        <section class="card table-wrap">
          <h2>Schedules</h2>
          <div id="dash-schedules">${parts["dash-schedules"]}</div>
        </section>
        <section class="card table-wrap">
          <h2>Commands, last ${window}</h2>
          <div id="dash-commands">${parts["dash-commands"]}</div>
        </section>
      </div>
    `,
    DASHBOARD_SCRIPT,
  );
}

/** Whether a schedule's command may be enqueued from the console (console and background). */
function runnableIn(options: ConsoleOptions): (command: string) => boolean {
  return (command) => {
    const entry = findCommand(options.registry, command);
    return entry !== undefined && mayRunFrom(entry.runFrom, "console") &&
      mayRunFrom(entry.runFrom, "background");
  };
}

function events(
  request: Request,
  ctx: PageContext,
  options: ConsoleOptions,
  windowMs: number,
): Response {
  const runnable = runnableIn(options);
  const sent = new Map<string, string>();
  return pollingEventStream(
    [request.signal, ...(options.signal ? [options.signal] : [])],
    options.dashboardInterval ?? 2000,
    async (send) => {
      const parts = dashboardParts(ctx, await dashboardData(options, windowMs), runnable);
      const changed: Record<string, string> = {};
      for (const [id, part] of Object.entries(parts)) {
        if (id === "dash-at" || sent.get(id) === part.text) continue;
        sent.set(id, part.text);
        changed[id] = part.text;
      }
      changed["dash-at"] = parts["dash-at"].text;
      send(`data: ${JSON.stringify(changed)}\n\n`);
    },
    (error) => options.log?.(`The dashboard's event stream failed: ${error.message}`),
  );
}

/**
 * Answers the dashboard's requests of a signed-in user (CSRF already checked): `GET /`, `GET
 * /dashboard/events`, `POST /schedules/<name>/run`. Undefined for any other request.
 */
export async function dashboardRoute(
  request: Request,
  url: URL,
  ctx: PageContext,
  options: ConsoleOptions,
): Promise<Response | undefined> {
  const path = url.pathname;
  const isGet = request.method === "GET";
  if ((path === "/" || path === "/dashboard/events") && isGet) {
    const window = readWindow(url.searchParams.get("window"));
    if (typeof window === "string") {
      return page(messagePage(ctx, "Bad request", window), { status: 400, nonce: ctx.nonce });
    }
    if (path !== "/") return events(request, ctx, options, window);
    const data = await dashboardData(options, window);
    return page(dashboardPage(ctx, data, runnableIn(options)), { nonce: ctx.nonce });
  }
  const run = /^\/schedules\/([^/]+)\/run$/.exec(path);
  if (run && request.method === "POST") {
    let name: string;
    try {
      name = decodeURIComponent(run[1]);
    } catch {
      name = "";
    }
    try {
      const enqueued = await runScheduleNow(options, name);
      if (!enqueued) {
        return page(messagePage(ctx, "Not found", `There is no schedule '${name}'.`), {
          status: 404,
          nonce: ctx.nonce,
        });
      }
      return redirect(`/jobs/${enqueued.id}?enqueued=1`);
    } catch (error) {
      if (!(error instanceof RunFromError)) throw error;
      return page(messagePage(ctx, "Forbidden", error.message), { status: 403, nonce: ctx.nonce });
    }
  }
  return undefined;
}
