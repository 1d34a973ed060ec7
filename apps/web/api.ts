/**
 * The console's JSON API, under `/api/`: the commands with their declarations, enqueueing (or
 * running now), the jobs with their status and output, cancelling and retrying. Authenticated by
 * the session cookie (unsafe methods then need the session's CSRF token in `X-CSRF-Token`) or by
 * `Authorization: Bearer <token>` (`manage createapitoken`).
 *
 * | request                          | answer                                                 |
 * | -------------------------------- | ------------------------------------------------------ |
 * | `GET /api/commands`              | `{ commands: [{ name, app, summary, runFrom, help, arguments, options, subcommands }] }`: those that may run from the console |
 * | `GET /api/commands/<name>`       | one of them; 403 for a command that may not run from the console |
 * | `POST /api/jobs`                 | `{ command, args, queue?, delay?, priority?, maxAttempts?, timeout?, uniqueKey?, now? }` → 201 `{ id, created, status, url, secretOutput? }`, 400 `{ error }`, 403 `{ error }` where the command may not run |
 * | `GET /api/jobs?status=&queue=&command=&limit=` | `{ jobs: [...] }`                        |
 * | `GET /api/jobs/<id>`             | the job, with `stdout` and `stderr`                    |
 * | `POST /api/jobs/<id>/cancel`     | `{ id, result }`: `cancelled`, `requested`, `finished` |
 * | `POST /api/jobs/<id>/retry`      | `{ id, result }`: `queued`, `running`, `conflict` (409); 403 where the command may not run |
 * | `GET /api/stats?window=1h`       | the queues at a glance, as `manage jobs stats --format json`: `{ at, windowMs, total, queues, bucketMs, throughput, commands }` |
 * | `GET /api/workers`               | `{ workers: [...] }`, as `manage jobs workers --format json` |
 * | `GET /api/schedules`             | `{ schedules: [...] }`, as `manage jobs schedules --format json` |
 * | `POST /api/schedules/<name>/run` | enqueues the schedule's command once, now → 201 `{ id, created, status, url }`; 403 where the command may not run from the console |
 *
 * @module
 */

import type { ArgSpec, Signature } from "../../core/arguments.ts";
import { CommandError, UsageError } from "../../core/errors.ts";
import { formatUsage } from "../../core/help.ts";
import {
  cancelJob,
  checkJobArguments,
  checkRetry,
  enqueue,
  getJob,
  type JobRecord,
  listJobs,
  listWorkers,
  loadSchedules,
  queueStats,
  retryJob,
  scheduleStatus,
} from "../jobs/queue/mod.ts";
import { readWindow, runScheduleNow } from "./dashboard_data.ts";
import { findCommand, type RegistryEntry } from "../../core/registry.ts";
import { checkRunFrom, mayRunFrom, RUN_FROM, RunFromError } from "../../core/run_from.ts";
import type { Command } from "../../core/command.ts";
import { type CommandCache, type ConsoleOptions, json } from "./_http.ts";
import { runInline } from "./inline.ts";
import { type ConsoleUser, tokenUser, validCsrf } from "./sessions.ts";

/** What the API handler is given by the console. */
export interface ApiContext {
  /** The console's options. */
  options: ConsoleOptions;
  /** The commands' declarations. */
  commands: CommandCache;
  /** The session of a request, when it has a live one. */
  sessionOf(request: Request): Promise<{ user: ConsoleUser; key: string } | undefined>;
}

const STATUSES: readonly JobRecord["status"][] = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
];

function specJson(spec: ArgSpec) {
  return {
    name: spec.key,
    ...(spec.kind === "option" ? { flags: spec.flags } : {}),
    ...(spec.negativeFlag ? { negativeFlag: spec.negativeFlag } : {}),
    type: spec.type,
    ...(spec.kind === "option" ? { action: spec.action } : {}),
    ...(spec.nargs !== undefined ? { nargs: spec.nargs } : {}),
    ...(spec.choices ? { choices: spec.choices } : {}),
    ...(spec.default !== undefined ? { default: spec.default } : {}),
    required: spec.required,
    ...(spec.help ? { help: spec.help } : {}),
    ...(spec.metavar ? { metavar: spec.metavar } : {}),
    ...(spec.env ? { env: spec.env } : {}),
    ...(spec.shared ? { shared: true } : {}),
  };
}

function signatureJson(signature: Signature): Record<string, unknown> {
  return {
    arguments: signature.positionals.map(specJson),
    options: signature.options.filter((o) => !o.hidden).map(specJson),
    ...(signature.groups.length
      ? { exclusive: signature.groups.map((g) => ({ options: g.keys, required: g.required })) }
      : {}),
  };
}

function commandJson(name: string, entry: RegistryEntry, command: Command) {
  return {
    name,
    app: entry.app,
    summary: entry.summary,
    runFrom: entry.runFrom ?? RUN_FROM,
    help: command.help,
    usage: formatUsage(command.signature, { prog: "manage", path: [name], width: 100 }),
    ...signatureJson(command.signature),
    ...(command.signature.subcommands
      ? {
        subcommands: [...command.signature.subcommands.values()].map((sub) => ({
          name: sub.name,
          help: sub.help ?? "",
          ...signatureJson(sub.signature),
        })),
      }
      : {}),
  };
}

function error(status: number, message: string, headers?: HeadersInit): Response {
  return json({ error: message }, status, { headers });
}

/** Reads a JSON body's field as the type it must have, or says what is wrong. */
function field<T>(
  body: Record<string, unknown>,
  key: string,
  check: (value: unknown) => value is T,
  what: string,
): T | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!check(value)) throw new CommandError(`'${key}' must be ${what}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isInteger = (v: unknown): v is number => Number.isInteger(v);
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
const isDuration = (v: unknown): v is string | number =>
  typeof v === "string" || (typeof v === "number" && v >= 0);

async function enqueueRoute(request: Request, ctx: ApiContext, user: ConsoleUser) {
  const { options } = ctx;
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return error(400, 'The body must be a JSON object: { "command": "…", "args": […] }');
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return error(400, 'The body must be a JSON object: { "command": "…", "args": […] }');
  }
  const fields = body as Record<string, unknown>;
  try {
    const command = field(fields, "command", isString, "a command's name");
    if (!command) throw new CommandError("'command' is required: the name of a command");
    const args = fields.args ?? [];
    if (!Array.isArray(args) || !args.every(isString)) {
      throw new CommandError("'args' must be a list of command-line words (strings)");
    }
    const queue = field(fields, "queue", isString, "a queue's name");
    const now = field(fields, "now", isBoolean, "true or false") ?? false;
    // Run now, it runs here; enqueued, in the background too.
    const doors = now ? ["console"] as const : ["console", "background"] as const;
    await checkJobArguments(options.registry, command, args, options.env, doors);
    if (now) {
      const { id, secretOutput } = await runInline(command, args, {
        db: options.db,
        jobDatabase: options.jobDatabase ?? (() => Promise.resolve(options.db)),
        registry: options.registry,
        env: options.env,
        cwd: options.cwd,
        signal: options.signal,
        timeout: options.inlineTimeout ?? 60_000,
        username: user.username,
        queue,
      });
      const job = await getJob(options.db, id);
      return json({
        id,
        created: true,
        status: job?.status,
        url: `/api/jobs/${id}`,
        // Given this once: the job keeps a placeholder.
        ...(secretOutput === undefined ? {} : { secretOutput }),
      }, 201);
    }
    const { id, created } = await enqueue(command, args, {
      registry: options.registry,
      db: options.db,
      env: options.env,
      queue,
      delay: field(fields, "delay", isDuration, 'a duration such as "10m" or milliseconds'),
      priority: field(fields, "priority", isInteger, "a whole number"),
      maxAttempts: field(fields, "maxAttempts", isInteger, "a whole number"),
      timeout: field(fields, "timeout", isDuration, 'a duration such as "5m" or milliseconds'),
      uniqueKey: field(fields, "uniqueKey", isString, "a string"),
    });
    return json(
      { id, created, status: "queued", url: `/api/jobs/${id}` },
      created ? 201 : 200,
      { headers: { location: `/api/jobs/${id}` } },
    );
  } catch (caught) {
    if (caught instanceof RunFromError) return error(403, caught.message);
    if (caught instanceof UsageError || caught instanceof CommandError) {
      return error(400, caught.message);
    }
    throw caught;
  }
}

async function routes(request: Request, ctx: ApiContext, user: ConsoleUser): Promise<Response> {
  const { options } = ctx;
  const url = new URL(request.url);
  const path = url.pathname.replace(/\/$/, "");
  const method = request.method;
  if (path === "/api/commands" && method === "GET") {
    const commands = [];
    for (const entry of options.registry.commands) {
      if (!mayRunFrom(entry.runFrom, "console")) continue;
      const found = await ctx.commands.get(entry.name);
      if (found) commands.push(commandJson(entry.name, entry, found.command));
    }
    return json({ commands });
  }
  const one = /^\/api\/commands\/([A-Za-z0-9_.-]+)$/.exec(path);
  if (one && method === "GET") {
    const entry = findCommand(options.registry, one[1]);
    if (entry) checkRunFrom(entry.name, entry.runFrom, ["console"]);
    const found = await ctx.commands.get(one[1]);
    if (!found) return error(404, `Unknown command: '${one[1]}'`);
    return json(commandJson(one[1], found.entry, found.command));
  }
  if (path === "/api/jobs" && method === "GET") {
    const status = url.searchParams.get("status") || undefined;
    if (status && !STATUSES.includes(status as JobRecord["status"])) {
      return error(400, `Unknown status '${status}': use one of ${STATUSES.join(", ")}`);
    }
    const limit = Number(url.searchParams.get("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return error(400, "'limit' must be a whole number from 1 to 1000");
    }
    const jobs = await listJobs(options.db, {
      status: status as JobRecord["status"] | undefined,
      queue: url.searchParams.get("queue") || undefined,
      command: url.searchParams.get("command") || undefined,
      limit,
    });
    return json({ jobs });
  }
  if (path === "/api/jobs" && method === "POST") return await enqueueRoute(request, ctx, user);
  if (path === "/api/stats" && method === "GET") {
    const window = readWindow(url.searchParams.get("window"));
    if (typeof window === "string") return error(400, window);
    return json(await queueStats(options.db, { windowMs: window }));
  }
  if (path === "/api/workers" && method === "GET") {
    return json({ workers: await listWorkers(options.db) });
  }
  if (path === "/api/schedules" && method === "GET") {
    const schedules = await loadSchedules(options.registry);
    return json({ schedules: await scheduleStatus(options.db, schedules) });
  }
  const schedule = /^\/api\/schedules\/([^/]+)\/run$/.exec(path);
  if (schedule && method === "POST") {
    let name: string;
    try {
      name = decodeURIComponent(schedule[1]);
    } catch {
      return error(404, "There is no such schedule");
    }
    let enqueued;
    try {
      enqueued = await runScheduleNow(options, name);
    } catch (caught) {
      if (caught instanceof CommandError && !(caught instanceof RunFromError)) {
        return error(400, caught.message);
      }
      throw caught;
    }
    if (!enqueued) return error(404, `There is no schedule '${name}'`);
    const { id, created } = enqueued;
    return json({ id, created, status: "queued", url: `/api/jobs/${id}` }, created ? 201 : 200);
  }
  const job = /^\/api\/jobs\/(\d{1,15})(?:\/(cancel|retry))?$/.exec(path);
  if (job) {
    const id = Number(job[1]);
    if (job[2] === undefined && method === "GET") {
      const record = await getJob(options.db, id);
      return record ? json(record) : error(404, `There is no job ${id}`);
    }
    if (job[2] === "cancel" && method === "POST") {
      const result = await cancelJob(options.db, id);
      return result === "missing" ? error(404, `There is no job ${id}`) : json({ id, result });
    }
    if (job[2] === "retry" && method === "POST") {
      await checkRetry(options.db, options.registry, id, ["console", "background"]);
      const result = await retryJob(options.db, id);
      if (result === "missing") return error(404, `There is no job ${id}`);
      return json({ id, result }, result === "conflict" ? 409 : 200);
    }
    return error(405, `${method} is not allowed here`);
  }
  return error(404, `No API at ${url.pathname}`);
}

/**
 * Answers an `/api/` request: 401 without a session or a valid token, 403 for an unsafe request
 * of a session without its CSRF token.
 */
export async function handleApi(request: Request, ctx: ApiContext): Promise<Response> {
  const authorization = request.headers.get("authorization");
  let user: ConsoleUser | undefined;
  if (authorization !== null) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    user = bearer ? await tokenUser(ctx.options.db, bearer[1]) : undefined;
    if (!user) {
      return error(401, "Invalid API token", {
        "www-authenticate": 'Bearer error="invalid_token"',
      });
    }
  } else {
    const session = await ctx.sessionOf(request);
    if (!session) {
      return error(401, "Authentication required: log in, or send Authorization: Bearer <token>", {
        "www-authenticate": "Bearer",
      });
    }
    const unsafe = !["GET", "HEAD", "OPTIONS"].includes(request.method);
    if (unsafe && !(await validCsrf(session.key, request.headers.get("x-csrf-token")))) {
      return error(403, "CSRF verification failed: send the session's token in X-CSRF-Token");
    }
    user = session.user;
  }
  try {
    return await routes(request, ctx, user);
  } catch (caught) {
    if (caught instanceof RunFromError) return error(403, caught.message);
    throw caught;
  }
}
