/**
 * The web console: a request handler for `Deno.serve` (or a test, which calls it directly) that
 * logs active superusers in, lists the commands, runs them from forms generated from their
 * declarations — in the background as jobs, or now — and shows the jobs, following a running
 * one's output live. `/api/` offers the same as JSON (see `api.ts`).
 *
 * Every page but the login form needs a session; every POST needs the session's CSRF token
 * (the login form, a token from its own cookie) and, when the browser says where it comes from,
 * an `Origin` of this site. Before anything else, a request must name one of the console's host
 * names, and its body must be within a size limit (64 KiB for the login form, 1 MiB elsewhere).
 *
 * It is over 500 lines because {@linkcode consoleHandler} is one router over the console's state
 * (its options, sessions and command cache), each route a few lines that check and hand over; the
 * pages (`pages.ts`), forms (`forms.ts`), API (`api.ts`), HTTP helpers (`_http.ts`), request
 * bodies and hosts are modules of their own.
 *
 * @module
 */

import { formatUsage } from "../../core/help.ts";
import { commandsByApp, findCommand } from "../../core/registry.ts";
import { mayRunFrom, RunFromError } from "../../core/run_from.ts";
import { DatabaseUnavailableError } from "../../core/database.ts";
import { CommandError, UsageError } from "../../core/errors.ts";
import {
  cancelJob,
  checkJobArguments,
  checkRetry,
  enqueue,
  getJob,
  listJobs,
  retryJob,
} from "../jobs/queue/mod.ts";
import { handleApi } from "./api.ts";
import { dashboardRoute } from "./dashboard.ts";
import {
  asset,
  CommandCache,
  type ConsoleOptions,
  cookies,
  json,
  LOGIN_CSRF_COOKIE,
  makeNonce,
  page,
  pollingEventStream,
  redirect,
  safeNext,
  SESSION_COOKIE,
  setCookie,
} from "./_http.ts";
import { argvFromForm } from "./forms.ts";
import { runInline } from "./inline.ts";
import {
  commandPage,
  commandsPage,
  ended,
  jobPage,
  jobParts,
  jobsPage,
  loginPage,
  messagePage,
  type PageContext,
  shownOncePage,
  STATUSES,
} from "./pages.ts";
import {
  type ConsoleUser,
  createSession,
  csrfToken,
  deleteSession,
  login,
  randomSecret,
  SESSION_AGE_MS,
  sessionUser,
  validCsrf,
} from "./sessions.ts";
import { JOB_SCRIPT, STYLESHEET } from "./static.ts";
import { constantTimeEqual } from "../auth/hashers.ts";
import { BODY_LIMIT, BodyTooLarge, boundBody, LOGIN_BODY_LIMIT, readForm } from "./_body.ts";
import { DEFAULT_ALLOWED_HOSTS, hostAllowed, printableHost, requestHost } from "./_hosts.ts";

/** What a job page says after a Retry or Cancel button (`?did=`). */
const DID_MESSAGES: Readonly<Record<string, string>> = {
  cancelled: "The job is cancelled.",
  requested: "Cancelling: its worker aborts it.",
  queued: "The job is queued to run again.",
  finished: "The job had already ended: there was nothing to cancel.",
  running: "The job is running: retry it once it has ended.",
  conflict: "Another job with its unique key is waiting or running: it was not queued again.",
};

function didMessage(did: string | null): string | undefined {
  return did !== null && Object.hasOwn(DID_MESSAGES, did) ? DID_MESSAGES[did] : undefined;
}

export type { ConsoleOptions };

/** Where a request came from, as `Deno.serve` tells it. */
export interface RequestInfo {
  /** The client's address. */
  remoteAddr?: { hostname?: string };
}

/** A console request handler. */
export type ConsoleHandler = (request: Request, info?: RequestInfo) => Promise<Response>;

/** The signed-in user of a page request, with their session's key and CSRF token. */
interface Session {
  user: ConsoleUser;
  key: string;
  csrf: string;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Whether an unsafe request's `Origin` (when the browser sent one) is this site: the host the
 * request names, which the allow-list has let through. Behind a proxy, that is the `Host` the
 * proxy passes on (`X-Forwarded-Host` is not trusted).
 */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  const host = (request.headers.get("host") ?? new URL(request.url).host).toLowerCase();
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Makes the console's request handler.
 *
 * @example
 * ```ts ignore
 * import { consoleHandler } from "./server.ts";
 *
 * const handler = consoleHandler({ db, registry, env: {}, cwd: "." });
 * Deno.serve({ port: 8000 }, handler);
 * ```
 */
export function consoleHandler(options: ConsoleOptions): ConsoleHandler {
  const commands = new CommandCache(options.registry);
  const { db } = options;
  const jobDatabase = options.jobDatabase ?? (() => Promise.resolve(db));
  const log = options.log ?? (() => {});
  const allowedHosts = options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS;

  async function sessionOf(request: Request): Promise<Session | undefined> {
    const key = cookies(request).get(SESSION_COOKIE);
    if (!key) return undefined;
    const user = await sessionUser(db, key);
    return user ? { user, key, csrf: await csrfToken(key) } : undefined;
  }

  function context(session: Session | undefined, nonce = makeNonce()): PageContext {
    const offered = (name: string) => {
      const entry = findCommand(options.registry, name);
      return entry !== undefined && mayRunFrom(entry.runFrom, "console");
    };
    return { user: session?.user, csrf: session?.csrf, nonce, database: db.url, offered };
  }

  function forbidden(ctx: PageContext, why: string, headers: HeadersInit = []): Response {
    return page(messagePage(ctx, "Forbidden", why), { status: 403, nonce: ctx.nonce, headers });
  }

  function badForm(ctx: PageContext): Response {
    return page(messagePage(ctx, "Bad request", "The form could not be read: send it again."), {
      status: 400,
      nonce: ctx.nonce,
    });
  }

  function notFound(ctx: PageContext, what = "There is no such page."): Response {
    return page(messagePage(ctx, "Not found", what), { status: 404, nonce: ctx.nonce });
  }

  async function loginRoute(request: Request, info: RequestInfo | undefined): Promise<Response> {
    const url = new URL(request.url);
    let token = cookies(request).get(LOGIN_CSRF_COOKIE) ?? "";
    const headers: [string, string][] = [];
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) {
      token = randomSecret();
      headers.push(["set-cookie", setCookie(request, LOGIN_CSRF_COOKIE, token)]);
    }
    const ctx: PageContext = { nonce: makeNonce(), csrf: token };
    if (request.method === "GET") {
      const next = safeNext(url.searchParams.get("next"));
      // Already signed in (a bookmark, the back button): straight on.
      if (await sessionOf(request)) return redirect(next);
      return page(loginPage(ctx, { next }), { headers });
    }
    if (request.method !== "POST") return new Response(null, { status: 405 });
    // What the headers tell is checked before the body is read: a browser that was given the
    // form has its cookie, so a POST without it is refused unread, whatever its size.
    if (headers.length > 0) {
      return forbidden(ctx, "CSRF cookie not set: reload the login page and try again.", headers);
    }
    if (!sameOrigin(request)) {
      return forbidden(ctx, "CSRF verification failed: reload the login page and try again.");
    }
    const form = await readForm(request);
    if (!form) {
      return page(messagePage(ctx, "Bad request", "The login form was not sent as a form."), {
        status: 400,
      });
    }
    const given = String(form.get("csrf_token") ?? "");
    if (!given || !constantTimeEqual(given, token)) {
      return forbidden(ctx, "CSRF verification failed: reload the login page and try again.");
    }
    const username = String(form.get("username") ?? "");
    const password = String(form.get("password") ?? "");
    const next = safeNext(String(form.get("next") ?? ""));
    const ip = info?.remoteAddr?.hostname ?? "unknown";
    const result = await login(db, username, password, ip);
    if (!result.ok && result.throttled) {
      const minutes = Math.ceil(result.retryAfterSeconds / 60);
      return page(
        loginPage(ctx, {
          next,
          username,
          error: `Too many failed login attempts for this username. Try again in ${minutes} ` +
            `minute${minutes === 1 ? "" : "s"}.`,
        }),
        { status: 429, headers: [...headers, ["retry-after", String(result.retryAfterSeconds)]] },
      );
    }
    if (!result.ok) {
      return page(
        loginPage(ctx, {
          next,
          username,
          error: "Please enter the correct username and password of an active superuser. " +
            "Note that both fields may be case-sensitive.",
        }),
        { status: 401, headers },
      );
    }
    const key = await createSession(db, result.user.id);
    return redirect(next, [
      ["set-cookie", setCookie(request, SESSION_COOKIE, key, SESSION_AGE_MS / 1000)],
      ["set-cookie", setCookie(request, LOGIN_CSRF_COOKIE, "", 0)],
    ]);
  }

  async function commandRoute(
    request: Request,
    session: Session,
    name: string,
  ): Promise<Response> {
    const ctx = context(session);
    const url = new URL(request.url);
    const listed = findCommand(options.registry, name);
    if (listed && !mayRunFrom(listed.runFrom, "console")) {
      return forbidden(ctx, new RunFromError(name, "console", listed.runFrom!).message);
    }
    const found = await commands.get(name);
    if (!found) return notFound(ctx, `There is no command '${name}'.`);
    const { entry, command } = found;
    const subcommands = command.signature.subcommands;
    const requested = url.searchParams.get("sub") ?? undefined;
    const subcommand = requested && subcommands?.has(requested) ? requested : undefined;
    const usageOf = () =>
      formatUsage(
        subcommand ? subcommands!.get(subcommand)!.signature : command.signature,
        { prog: "manage", path: subcommand ? [name, subcommand] : [name], width: 90 },
      );
    const data = {
      name,
      app: entry.app,
      help: command.help,
      usage: usageOf(),
      signature: command.signature,
      runFrom: entry.runFrom,
      subcommand,
    };
    if (request.method === "GET") {
      return page(commandPage(ctx, data), { nonce: ctx.nonce });
    }
    if (request.method !== "POST") return new Response(null, { status: 405 });
    const form = await readForm(request);
    if (!form) return badForm(ctx);
    const values = { get: (field: string) => form.has(field) ? String(form.get(field)) : null };
    if (subcommands && !subcommand) {
      return page(commandPage(ctx, { ...data, form: values, error: "Choose a subcommand." }), {
        status: 400,
        nonce: ctx.nonce,
      });
    }
    const queue = values.get("queue")?.trim() || undefined;
    const delay = values.get("delay")?.trim() || undefined;
    let argv: string[];
    try {
      argv = argvFromForm(command.signature, values, subcommand);
      // The very check the command line and `manage enqueue` make: argparse's message, no job.
      const now = values.get("run_now") !== null;
      const doors = now ? ["console"] as const : ["console", "background"] as const;
      await checkJobArguments(options.registry, name, argv, options.env, doors);
      if (now) {
        const { id, secretOutput } = await runInline(name, argv, {
          db,
          jobDatabase,
          registry: options.registry,
          env: options.env,
          cwd: options.cwd,
          signal: options.signal,
          timeout: options.inlineTimeout ?? 60_000,
          username: session.user.username,
          queue,
        });
        const job = secretOutput === undefined ? undefined : await getJob(db, id);
        if (job) return page(shownOncePage(ctx, job, secretOutput!), { nonce: ctx.nonce });
        return redirect(`/jobs/${id}`);
      }
      const { id } = await enqueue(name, argv, {
        registry: options.registry,
        db,
        env: options.env,
        queue,
        delay,
      });
      return redirect(`/jobs/${id}?enqueued=1`);
    } catch (error) {
      if (error instanceof RunFromError) return forbidden(ctx, error.message);
      if (!(error instanceof CommandError)) throw error;
      const message = error instanceof UsageError
        ? error.message.replace(/ \(see 'manage help [^']*'\)$/, "")
        : error.message;
      return page(commandPage(ctx, { ...data, form: values, error: message }), {
        status: 400,
        nonce: ctx.nonce,
      });
    }
  }

  function jobEvents(request: Request, session: Session, id: number): Response {
    const ctx = context(session);
    const interval = options.pollInterval ?? 250;
    let last = "";
    let quiet = 0;
    return pollingEventStream(
      [request.signal, ...(options.signal ? [options.signal] : [])],
      interval,
      async (send) => {
        const job = await getJob(db, id);
        if (!job) {
          send("event: gone\ndata: {}\n\n");
          return false;
        }
        const seen = [job.status, job.attempts, job.stdout?.length, job.stderr?.length].join("|");
        if (seen !== last) {
          last = seen;
          quiet = 0;
          const parts = jobParts(ctx, job);
          send(`data: ${
            JSON.stringify({
              status: job.status,
              ended: ended(job),
              exitCode: job.exitCode,
              meta: parts.meta.text,
              stdout: parts.stdout.text,
              stderr: parts.stderr.text,
              actions: parts.actions.text,
            })
          }\n\n`);
          if (ended(job)) return false;
        } else if ((quiet += interval) >= 15_000) {
          quiet = 0;
          send(": still running\n\n");
        }
      },
      (error) => log(`Job ${id}'s event stream failed: ${error.message}`),
    );
  }

  async function jobRoute(
    request: Request,
    session: Session,
    id: number,
    action: string | undefined,
  ): Promise<Response> {
    const ctx = context(session);
    if (action === "events" && request.method === "GET") return jobEvents(request, session, id);
    if (action === undefined && request.method === "GET") {
      const job = await getJob(db, id);
      if (!job) return notFound(ctx, `There is no job ${id}.`);
      const url = new URL(request.url);
      const message = url.searchParams.get("enqueued")
        ? `Enqueued job ${id}: a worker runs it.`
        : didMessage(url.searchParams.get("did"));
      return page(jobPage(ctx, job, message, ended(job) ? undefined : JOB_SCRIPT), {
        nonce: ctx.nonce,
      });
    }
    if ((action === "cancel" || action === "retry") && request.method === "POST") {
      try {
        if (action === "retry") {
          await checkRetry(db, options.registry, id, ["console", "background"]);
        }
      } catch (error) {
        if (error instanceof RunFromError) return forbidden(ctx, error.message);
        throw error;
      }
      const result = action === "cancel" ? await cancelJob(db, id) : await retryJob(db, id);
      if (result === "missing") return notFound(ctx, `There is no job ${id}.`);
      return redirect(`/jobs/${id}?did=${result}`);
    }
    return notFound(ctx);
  }

  async function pages(
    request: Request,
    url: URL,
    session: Session | undefined,
  ): Promise<Response> {
    const path = url.pathname;
    if (!session) {
      const next = encodeURIComponent(path + url.search);
      return redirect(`/login?next=${next}`);
    }
    const ctx = context(session);
    if (UNSAFE.has(request.method)) {
      let given = request.headers.get("x-csrf-token");
      if (given === null && request.headers.get("content-type")?.includes("form")) {
        const form = await readForm(request.clone());
        if (!form) return badForm(ctx);
        given = String(form.get("csrf_token") ?? "");
      }
      if (!sameOrigin(request) || !(await validCsrf(session.key, given))) {
        return forbidden(ctx, "CSRF verification failed: reload the page and try again.");
      }
    }
    const dashboard = await dashboardRoute(request, url, ctx, options);
    if (dashboard) return dashboard;
    if (path === "/logout" && request.method === "POST") {
      await deleteSession(db, session.key);
      return redirect("/login", [["set-cookie", setCookie(request, SESSION_COOKIE, "", 0)]]);
    }
    if (path === "/commands" && request.method === "GET") {
      return page(commandsPage(ctx, commandsByApp(options.registry)), { nonce: ctx.nonce });
    }
    const command = /^\/commands\/([A-Za-z0-9_.-]+)$/.exec(path);
    if (command) return await commandRoute(request, session, command[1]);
    if (path === "/jobs" && request.method === "GET") {
      const status = url.searchParams.get("status") || undefined;
      const queue = url.searchParams.get("queue") || undefined;
      const command = url.searchParams.get("command") || undefined;
      const jobs = await listJobs(db, {
        status: STATUSES.find((s) => s === status),
        queue,
        command,
        limit: 100,
      });
      return page(jobsPage(ctx, jobs, { status, queue, command }), { nonce: ctx.nonce });
    }
    const job = /^\/jobs\/(\d{1,15})(?:\/(events|cancel|retry))?$/.exec(path);
    if (job) return await jobRoute(request, session, Number(job[1]), job[2]);
    return notFound(ctx);
  }

  async function route(request: Request, info: RequestInfo | undefined): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === "/static/style.css") return asset(STYLESHEET, "text/css; charset=utf-8");
    if (path === "/favicon.ico") return new Response(null, { status: 204 });
    if (path === "/api" || path.startsWith("/api/")) {
      return await handleApi(request, { options, commands, sessionOf });
    }
    if (path === "/login") return await loginRoute(request, info);
    return await pages(request, url, await sessionOf(request));
  }

  /** An answer in the console's form: JSON under `/api/`, a page elsewhere. */
  function problem(
    api: boolean,
    status: number,
    title: string,
    message: string,
    headers: HeadersInit = {},
  ): Response {
    return api
      ? json({ error: message }, status, { headers })
      : page(messagePage(context(undefined), title, message), { status, headers });
  }

  /** Answers a request whose host is allowed, its body bounded. */
  async function answer(request: Request, info: RequestInfo | undefined, api: boolean) {
    const path = new URL(request.url).pathname;
    const host = requestHost(request);
    if (host === undefined || !hostAllowed(host, allowedHosts)) {
      log(
        `Invalid Host header '${printableHost(request)}': add the name to --allowed-hosts ` +
          "(MANAGE_ALLOWED_HOSTS) if the console is reached by it",
      );
      return problem(api, 400, "Bad request", "This console does not serve that host name.");
    }
    const limit = path === "/login" ? LOGIN_BODY_LIMIT : BODY_LIMIT;
    // Nothing more of the body is read (what the client still sends, the server discards), and
    // the connection is not kept for another request.
    const tooLarge = () =>
      problem(api, 413, "Too large", `The request body is too large: at most ${limit} bytes.`, {
        connection: "close",
      });
    const bounded = boundBody(request, limit);
    if (!bounded) return tooLarge();
    try {
      const response = await route(bounded.request, info);
      if (!bounded.exceeded()) return response;
      // A handler that read the body caught its error as a bad body: it was a large one.
      await response.body?.cancel();
      return tooLarge();
    } catch (error) {
      if (error instanceof BodyTooLarge) return tooLarge();
      throw error;
    }
  }

  return async (request, info) => {
    const started = performance.now();
    const path = new URL(request.url).pathname;
    const api = path === "/api" || path.startsWith("/api/");
    let response: Response;
    try {
      response = await answer(request, info, api);
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) {
        // Away for a moment, and back by itself: one line, and "try again".
        log(`The database is unavailable: ${error.message}`);
        const why = "The database cannot be reached just now: try again in a moment.";
        response = problem(api, 503, "Service unavailable", why, { "retry-after": "5" });
      } else {
        log(
          `Internal error on ${request.method} ${path}: ${
            (error as Error)?.stack ?? String(error)
          }`,
        );
        response = problem(api, 500, "Server error", "Something went wrong.");
      }
    }
    const elapsed = (performance.now() - started).toFixed(1);
    log(`${request.method} ${path} ${response.status} ${elapsed} ms`);
    return response;
  };
}
