/**
 * The console's pages, as functions of what they show: the layout, login, the commands, one
 * command's form, the job list and one job. They render; `server.ts` decides who sees them.
 *
 * @module
 */

import type { Signature } from "../../core/arguments.ts";
import type { JobRecord } from "../jobs/queue/mod.ts";
import type { RegistryEntry } from "../../core/registry.ts";
import { mayRunFrom, type RunFrom } from "../../core/run_from.ts";
import { ansiToHtml } from "./ansi.ts";
import { formFields, type FormValues } from "./forms.ts";
import { type Html, html, trusted } from "./html.ts";
import type { ConsoleUser } from "./sessions.ts";

/** What every page of a signed-in user needs. */
export interface PageContext {
  /** The signed-in user (none on the login page). */
  user?: ConsoleUser;
  /** The session's CSRF token, for the forms. */
  csrf?: string;
  /** The nonce that lets the page's own script run (Content-Security-Policy). */
  nonce: string;
  /** The database in use, shown in the header's title. */
  database?: string;
  /** Whether the command may be run from the console (a job page links to its form then). */
  offered?: (command: string) => boolean;
}

/** The job statuses, in the order filters offer them. */
export const STATUSES: readonly JobRecord["status"][] = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
];

/** Whether a job has ended. */
export function ended(job: JobRecord): boolean {
  return job.status === "succeeded" || job.status === "failed" || job.status === "cancelled";
}

/** The hidden CSRF field of a form. */
function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="csrf_token" value="${ctx.csrf ?? ""}">`;
}

/** The whole page around `body`. */
export function layout(ctx: PageContext, title: string, body: Html, script?: string): Html {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title} · manage</title>
    <link rel="stylesheet" href="/static/style.css">
    ${ctx.csrf && ctx.user ? html`<meta name="csrf-token" content="${ctx.csrf}">` : ""}
      </head>
      <body>
    <header>
    <a class="brand" href="/">manage</a>
    ${ctx.user
      ? html`<nav><a href="/">Dashboard</a><a href="/commands">Commands</a><a href="/jobs">Jobs</a></nav>
<span class="who">${ctx.user.username}</span>
<form method="post" action="/logout">${csrfField(ctx)}<button type="submit">Log out</button></form>`
      : ""}
    </header>
    <main>
    ${body}
    </main>
    ${script ? html`<script nonce="${ctx.nonce}">${trusted(script)}</script>` : ""}
      </body>
    </html>
  `;
}

/** The login form, with an error when the last attempt failed. */
export function loginPage(
  ctx: PageContext,
  { next, username = "", error }: { next: string; username?: string; error?: string },
): Html {
  return layout(
    ctx,
    "Log in",
    html`<div class="login card">
<h1>Log in</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
<form method="post" action="/login">
${csrfField(ctx)}
<input type="hidden" name="next" value="${next}">
<div class="field"><label for="id_username">Username</label>
<input type="text" name="username" id="id_username" value="${username}" autocomplete="username" autocapitalize="none" autofocus></div>
<div class="field"><label for="id_password">Password</label>
<input type="password" name="password" id="id_password" autocomplete="current-password"></div>
<p><button type="submit">Log in</button></p>
</form>
<p class="hint">Active superusers of the auth app may log in (<code>manage createsuperuser</code>).</p>
</div>`,
  );
}

/**
 * Every command that may run from the console, grouped by app, with the first line of its help.
 */
export function commandsPage(ctx: PageContext, all: Map<string, RegistryEntry[]>): Html {
  const groups = new Map(
    [...all]
      .map(([app, entries]) =>
        [app, entries.filter((e) => mayRunFrom(e.runFrom, "console"))] as const
      )
      .filter(([, entries]) => entries.length > 0),
  );
  return layout(
    ctx,
    "Commands",
    html`<h1>Commands</h1>
${ctx.database ? html`<p class="hint">Database: <code>${ctx.database}</code></p>` : ""}
${
      [...groups].map(([app, entries]) =>
        html`
          <section class="card" id="app-${app}">
            <h2>${app}</h2>
            <ul class="commands">${entries.map((entry) =>
              html`<li><a class="name mono" href="/commands/${entry.name}">${entry.name}</a><span class="summary">${entry.summary}</span></li>`
            )}</ul>
          </section>
        `
      )
    }`,
  );
}

/** What a command's page shows. */
export interface CommandPageData {
  /** The command's name. */
  name: string;
  /** Its app. */
  app: string;
  /** Its whole help text. */
  help: string;
  /** Its usage line(s), as `manage help` prints them. */
  usage: string;
  /** Its declaration. */
  signature: Signature;
  /** Where it may run (its registry entry's `runFrom`): without `background`, only now. */
  runFrom?: readonly RunFrom[];
  /** The subcommand whose form is shown, when the command has subcommands. */
  subcommand?: string;
  /** What was submitted, to show again with an error. */
  form?: FormValues;
  /** The parser's message for what was submitted. */
  error?: string;
}

/** A command's help and the form that runs it. */
export function commandPage(ctx: PageContext, data: CommandPageData): Html {
  const subs = [...(data.signature.subcommands?.values() ?? [])];
  const action = `/commands/${data.name}${data.subcommand ? `?sub=${data.subcommand}` : ""}`;
  const queue = data.form?.get("queue") ?? "";
  const delay = data.form?.get("delay") ?? "";
  const runNow = data.form?.get("run_now") != null;
  const background = mayRunFrom(data.runFrom, "background");
  return layout(
    ctx,
    data.name,
    html`<h1><span class="mono">${data.name}</span> <small class="note">(${data.app})</small></h1>
<pre class="help-text">${data.help}</pre>
<pre class="usage">${data.usage}</pre>
${
      subs.length
        ? html`<nav class="tabs" aria-label="Subcommands">${
          subs.map((s) =>
            html`
              <a href="/commands/${data.name}?sub=${s.name}" ${s.name === data.subcommand
                ? html`
                  class="current" aria-current="page"
                `
                : ""}>${s.name}</a>
            `
          )
        }</nav>${
          data.subcommand
            ? html`<p class="hint">${
              data.signature.subcommands?.get(data.subcommand)?.help ?? ""
            }</p>`
            : html`<p class="message">Choose a subcommand.</p>`
        }`
        : ""
    }
${data.error ? html`<p class="error" role="alert" id="form-error">${data.error}</p>` : ""}
${
      subs.length && !data.subcommand
        ? ""
        : html`<form method="post" action="${action}" class="card" novalidate>
${csrfField(ctx)}
${formFields(data.signature, data.form, data.subcommand)}
<div class="run">
${
          background
            ? html`
              <div
                class="field"><label for="id_queue">Queue</label><input type="text" name="queue" id="id_queue" value="${queue}" placeholder="default"></div>
              <div
                class="field"><label for="id_delay">Delay</label><input type="text" name="delay" id="id_delay" value="${delay}" placeholder="none (10s, 5m…)"></div>
              <div
                class="field check"><label><input type="checkbox" name="run_now" value="on"${runNow
                  ? html`
                    checked
                  `
                  : ""}> Run now (here, waiting for it)</label></div>
            `
            : html`<input type="hidden" name="run_now" value="on">
<p class="hint">It runs now, here, while you wait: it may not run in the background.</p>`
        }
<button type="submit">Run</button>
</div>
</form>`
    }`,
  );
}

/** A job's command line, quoted as a shell would need it. */
export function commandLine(job: Pick<JobRecord, "command" | "args">): string {
  return [job.command, ...job.args.map((a) => /^[\w./:=@%+,-]+$/.test(a) ? a : JSON.stringify(a))]
    .join(" ");
}

/** `2026-11-26 17:02:03`, UTC. */
function when(iso: string | null): string {
  return iso ? iso.slice(0, 19).replace("T", " ") : "–";
}

function statusBadge(status: JobRecord["status"]): Html {
  return html`<span class="status status-${status}">${status}</span>`;
}

/** The job list, with its filters. */
export function jobsPage(
  ctx: PageContext,
  jobs: JobRecord[],
  filter: { status?: string; queue?: string; command?: string },
): Html {
  return layout(
    ctx,
    "Jobs",
    html`
      <h1>Jobs</h1>
      <form method="get" action="/jobs" class="filters">
        <div><label for="id_status">Status</label><select name="status" id="id_status"><option value="">any</option>${STATUSES
          .map((s) =>
            html`
              <option value="${s}" ${s === filter.status
                ? html`
                  selected
                `
                : ""}>${s}</option>
            `
          )}</select></div>
        <div><label for="id_queue">Queue</label><input type="text" name="queue" id="id_queue" value="${filter
          .queue ?? ""}" placeholder="any"></div>
        <div><label for="id_command">Command</label><input type="text" name="command" id="id_command" value="${filter
          .command ?? ""}" placeholder="any"></div>
        <button type="submit" class="secondary">Filter</button>
      </form>
      <div class="card table-wrap">
      ${jobs.length === 0
        ? html`<p>No jobs${
          filter.status || filter.queue || filter.command ? " match" : " yet"
        }.</p>`
        : html`
          <table>
            <thead>
              <tr>
                <th>Job</th>
                <th>Status</th>
                <th>Command</th>
                <th class="optional">Queue</th>
                <th class="optional">Created</th>
                <th class="optional">Started</th>
                <th>Finished</th>
                <th class="optional">Attempts</th>
              </tr>
            </thead>
            <tbody>${jobs.map((job) =>
              html`
                <tr>
                  <td><a href="/jobs/${job.id}">#${job.id}</a></td>
                  <td>${statusBadge(job.status)}</td>
                  <td class="mono">${commandLine(job)}</td>
                  <td class="optional">${job.queue}</td>
                  <td class="optional">${when(job.createdAt)}</td>
                  <td class="optional">${when(job.startedAt)}</td>
                  <td>${when(job.finishedAt)}</td>
                  <td class="optional">${job.attempts}/${job.maxAttempts}</td>
                </tr>
              `
            )}</tbody>
          </table>
        `}
      </div>
    `,
  );
}

/** The parts of a job page that change while it runs (sent again by its event stream). */
export function jobParts(
  ctx: PageContext,
  job: JobRecord,
): Record<"meta" | "stdout" | "stderr" | "actions", Html> {
  const meta = html`<dl class="meta">
<dt>Status</dt><dd>${statusBadge(job.status)}</dd>
<dt>Exit status</dt><dd id="job-exit">${job.exitCode ?? "–"}</dd>
<dt>Queue</dt><dd>${job.queue}</dd>
<dt>Attempts</dt><dd>${job.attempts} of ${job.maxAttempts}</dd>
<dt>Created</dt><dd>${when(job.createdAt)}</dd>
<dt>Run at</dt><dd>${when(job.runAt)}</dd>
<dt>Started</dt><dd>${when(job.startedAt)}</dd>
<dt>Finished</dt><dd>${when(job.finishedAt)}</dd>
<dt>Worker</dt><dd>${job.worker ?? "–"}</dd>
${
    job.error
      ? html`
        <dt>Error</dt>
        <dd class="mono">${job.error}</dd>
      `
      : ""
  }${
    job.notRetried
      ? html`
        <dt>Not retried</dt>
        <dd id="job-not-retried">${job.notRetried}</dd>
      `
      : ""
  }
</dl>`;
  const canCancel = job.status === "queued" || job.status === "running";
  const canRetry = job.status !== "running";
  const actions = html`${
    canRetry
      ? html`
        <form method="post"
          action="/jobs/${job.id}/retry">${csrfField(
            ctx,
          )}<button type="submit" class="secondary">${ended(job)
            ? "Retry"
            : "Run now"}</button></form>
      `
      : ""
  }${
    canCancel
      ? html`
        <form method="post"
          action="/jobs/${job.id}/cancel">${csrfField(
            ctx,
          )}<button type="submit" class="danger">Cancel</button></form>
      `
      : ""
  }${
    ctx.offered?.(job.command) === false
      ? ""
      : html`<a class="button" href="/commands/${job.command}">Run ${job.command} again…</a>`
  }`;
  return {
    meta,
    stdout: trusted(ansiToHtml(job.stdout ?? "")),
    stderr: trusted(ansiToHtml(job.stderr ?? "")),
    actions,
  };
}

/** One job: its status and times, its output (live while it runs), and its buttons. */
export function jobPage(ctx: PageContext, job: JobRecord, message?: string, script?: string): Html {
  const parts = jobParts(ctx, job);
  const done = ended(job);
  return layout(
    ctx,
    `Job ${job.id}`,
    html`
      <div id="job" data-events="/jobs/${job.id}/events" data-status="${job.status}"
        data-ended="${String(done)}">
      <h1>Job #${job.id}: <span class="mono">${commandLine(job)}</span></h1>
      ${message ? html`<p class="message" role="status">${message}</p>` : ""}
      <div class="card" id="job-meta">${parts.meta}</div>
      <div class="actions" id="job-actions">${parts.actions}</div>
      <p class="live" id="job-live">${done ? "" : "Following the job live…"}</p>
      <div class="stream-title">Standard output</div>
      <pre class="terminal" id="job-stdout">${parts.stdout}</pre>
      <div class="stream-title">Standard error</div>
      <pre class="terminal stderr" id="job-stderr">${parts.stderr}</pre>
      </div>
    `,
    script,
  );
}

/**
 * The page of a job just run now whose output is secret (a token): the output is shown on this
 * answer, once; the job itself keeps a placeholder.
 */
export function shownOncePage(ctx: PageContext, job: JobRecord, output: string): Html {
  return jobPage(
    ctx,
    { ...job, stdout: output },
    `The output of ${job.command} is secret: it is shown this once and is not kept. Copy it now.`,
  );
}

/** A page with one message: not found, forbidden, too many attempts. */
export function messagePage(ctx: PageContext, title: string, message: string): Html {
  return layout(
    ctx,
    title,
    html`
      <h1>${title}</h1>
      <p class="error">${message}</p>
    `,
  );
}
