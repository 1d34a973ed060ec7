import { defineCommand } from "../../../core/command.ts";
import { type Database, lazyDatabase, redactUrl } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import { openRegistryDatabase } from "../../../core/registry.ts";
import { databaseUrl } from "../../../core/settings.ts";
import {
  checkQueueName,
  DEFAULT_QUEUE,
  type LogLevel,
  requireCurrentTables,
  Worker,
} from "../../jobs/queue/mod.ts";
import { defaultAllowedHosts, isLoopback, parseAddrport, parseAllowedHosts } from "../_hosts.ts";
import { requireConsoleTables } from "../sessions.ts";

function timestamp(): string {
  return new Date().toISOString().slice(0, 19).replace("T", " ");
}

export default defineCommand({
  help: "Starts the web console: run commands, follow their output and see the job history\n\n" +
    "Active superusers (manage createsuperuser) log in. A worker runs in the same process " +
    "unless --no-worker is given, so background jobs run with nothing else started. Under " +
    "'deno task runserver' the server restarts when a source file changes.",
  // As Django's runserver: unapplied migrations are reported before it starts.
  // It serves until stopped, on an address it binds: a process of its own.
  runFrom: ["cli"],
  requiresMigrationsChecks: true,
  arguments: {
    addrport: {
      nargs: "?",
      metavar: "addrport",
      help: "Optional port number, or ipaddr:port (default: the settings' console.addrport, " +
        "127.0.0.1:8000)",
    },
  },
  options: {
    noreload: {
      type: "boolean",
      help: "Accepted as Django's: reloading on changes comes from 'deno task runserver' " +
        "(deno run --watch), never from 'manage runserver' itself",
    },
    noWorker: {
      type: "boolean",
      help: "Do not run background jobs in this process (run 'manage worker' instead)",
    },
    queues: {
      short: "Q",
      help: "Comma-separated queues the in-process worker takes jobs from (default: the " +
        `settings' queue.name, ${DEFAULT_QUEUE})`,
    },
    concurrency: {
      short: "c",
      type: "integer",
      help: "Jobs the in-process worker runs at once (default: the settings' " +
        "console.concurrency, 4)",
    },
    allowedHosts: {
      env: "MANAGE_ALLOWED_HOSTS",
      metavar: "HOSTS",
      help: "Comma-separated host names the console answers, as Django's ALLOWED_HOSTS " +
        "(.example.com: a domain and its subdomains; *: any); by default .localhost, " +
        "127.0.0.1, [::1] and the address given",
    },
  },
  async handle(ctx) {
    const { options, stdout, stderr, style, registry, env, verbosity } = ctx;
    const { console: settings } = ctx.settings;
    const { hostname, port } = parseAddrport(options.addrport ?? settings.addrport);
    const queues = (options.queues ?? ctx.settings.queue.name).split(",")
      .map((q) => checkQueueName(q.trim()));
    const concurrency = options.concurrency ?? settings.concurrency;
    if (concurrency < 1) throw new CommandError("--concurrency must be at least 1");
    const hostList = options.allowedHosts ?? settings.allowedHosts.join(",");
    const allowedHosts = hostList === ""
      ? defaultAllowedHosts(hostname)
      : parseAllowedHosts(hostList);
    if (typeof allowedHosts === "string") throw new CommandError(allowedHosts, { returncode: 2 });
    const db = await ctx.db.connect();
    await requireCurrentTables(db, ctx.registry);
    await requireConsoleTables(db);
    const [superusers] = await db.sql<{ n: number }>`
      SELECT count(*)::int AS n FROM auth_user WHERE is_active AND is_superuser`;
    if (superusers.n === 0) {
      stderr.write(
        "No active superuser can log in yet: create one with 'manage createsuperuser'.",
        { style: style.WARNING },
      );
    }
    // Web code is loaded here only, so no other command pays for it.
    const { consoleHandler } = await import("../server.ts");

    // A server gets connections of its own for the worker and for the jobs, so that a slow job
    // never holds a page back; the embedded database is one session, shared by everything.
    const url = databaseUrl(ctx.settings, options.database);
    const extra: Promise<Database>[] = [];
    const open = () => {
      const opening = openRegistryDatabase(registry, url, {
        env,
        cwd: ctx.cwd,
        notice: () => {},
        pid: ctx.pid,
        command: `${ctx.prog} ${ctx.name}`,
      });
      extra.push(opening);
      return opening;
    };
    ctx.defer(async () => {
      for (const opening of extra) await (await opening.catch(() => undefined))?.close();
    });
    // Opened on the first job; a failed open is tried again by the next (lazyDatabase).
    const jobDb = lazyDatabase(open);
    const jobDatabase = db.driver === "pglite" ? () => Promise.resolve(db) : () => jobDb.connect();

    const log = (line: string) =>
      stderr.write(`[${timestamp()}] ${redactUrl(line)}`, {
        style: (t) => t,
      });
    const handler = consoleHandler({
      db,
      jobDatabase,
      registry,
      env,
      cwd: ctx.cwd,
      signal: ctx.signal,
      allowedHosts,
      log: verbosity >= 1 ? log : (line) => {
        if (line.startsWith("Internal error")) log(line);
      },
    });

    let working: Promise<unknown> = Promise.resolve();
    let workerLine = "Background jobs: not run here (--no-worker): start 'manage worker'";
    if (!options.noWorker && settings.worker) {
      const workerLog = (level: LogLevel, line: string) => {
        if (level === "error" || level === "warning") log(line);
        else if (level === "info" ? verbosity >= 2 : verbosity >= 3) log(line);
      };
      const worker = new Worker({
        db: db.driver === "pglite" ? db : await open(),
        jobDatabase,
        registry,
        queues,
        concurrency,
        // The process stays up to serve pages: its worker waits for the database as long.
        giveUpAfter: Infinity,
        signal: ctx.signal,
        env,
        cwd: ctx.cwd,
        pid: ctx.pid,
        guardExit: ctx.guardExit,
        hostname: ctx.hostname,
        log: workerLog,
      });
      workerLine = `Background jobs: worker ${worker.id} (queues ${
        queues.join(", ")
      }, concurrency ${concurrency})`;
      working = worker.run().catch((error) => {
        log(`The worker stopped: ${(error as Error).message}`);
      });
    }

    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname,
        port,
        signal: ctx.signal,
        onListen(addr) {
          const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
          stdout.write(
            style.MIGRATE_HEADING("Starting the web console") +
              ` at http://${host}:${addr.port}/`,
          );
          stdout.write(`Database: ${db.url}`);
          stdout.write(workerLine);
          stdout.write(`Host names: ${allowedHosts.join(", ")} (--allowed-hosts)`);
          if (!isLoopback(hostname)) {
            stderr.write(
              `This console serves plain HTTP on ${host}: passwords, session cookies and API ` +
                "tokens cross the network readable by anyone on the way. Put it behind a proxy " +
                "that terminates TLS (README: 'Behind a proxy').",
              { style: style.WARNING },
            );
          }
          stdout.write("Quit the server with CONTROL-C.");
        },
        onError(error) {
          log(`Internal error: ${(error as Error)?.stack ?? String(error)}`);
          return new Response("Server error", { status: 500 });
        },
      }, (request, info) => handler(request, { remoteAddr: info.remoteAddr }));
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) {
        throw new CommandError(`That port is already in use: ${hostname}:${port}`);
      }
      if (error instanceof Deno.errors.AddrNotAvailable) {
        throw new CommandError(`That IP address can't be assigned to: ${hostname}`);
      }
      throw error;
    }
    await server.finished;
    await working;
    if (verbosity >= 1) stdout.write("The web console has stopped.");
  },
});
