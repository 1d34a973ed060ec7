import { defineCommand } from "../../../core/command.ts";
import { lazyDatabase, redactUrl } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import { openRegistryDatabase } from "../../../core/registry.ts";
import { databaseUrl } from "../../../core/settings.ts";
import {
  checkQueueName,
  DEFAULT_QUEUE,
  type LogLevel,
  requireQueue,
  Worker,
} from "../queue/mod.ts";

export default defineCommand({
  help: "Runs background jobs: claims them from the database and runs their commands\n\n" +
    "Start as many workers, on as many hosts, as the load needs: they share the queue. The " +
    "first Ctrl-C (or SIGTERM) drains the worker: jobs not started are given back, running " +
    "ones get --grace-period to finish. Workers also enqueue the apps' schedules.",
  // It runs jobs until stopped: a process of its own.
  runFrom: ["cli"],
  requiresDatabase: true,
  options: {
    queues: {
      short: "Q",
      help: "Comma-separated queues to take jobs from (default: the settings' queue.name, " +
        `${DEFAULT_QUEUE})`,
    },
    concurrency: {
      short: "c",
      type: "integer",
      help: "Jobs run at once (default: the settings' queue.concurrency, 10)",
    },
    prefetch: {
      type: "integer",
      help: "Jobs claimed ahead of a free slot (by default a quarter second of work, at most 500)",
    },
    burst: { type: "boolean", help: "Stop when no job is due (for CI and tests)" },
    pollInterval: {
      type: "duration",
      default: 2000,
      help: "How often to look for jobs when no notification comes",
    },
    lease: {
      type: "duration",
      default: 30_000,
      help: "How long a silent worker keeps its jobs before others run them again",
    },
    gracePeriod: {
      type: "duration",
      default: 30_000,
      help: "How long running jobs get to finish when the worker stops",
    },
    giveUpAfter: {
      type: "duration",
      default: 5 * 60_000,
      help: "How long to go on without the database (trying again seconds apart) before " +
        "draining and exiting with 1; 0 never gives up",
    },
    skipSchedules: { type: "boolean", help: "Do not enqueue the apps' schedules" },
  },
  async handle(ctx) {
    const { options, stdout, stderr, style, verbosity, registry, env } = ctx;
    const queues = (options.queues ?? ctx.settings.queue.name).split(",")
      .map((q) => checkQueueName(q.trim()));
    const concurrency = options.concurrency ?? ctx.settings.queue.concurrency;
    if (concurrency < 1) throw new CommandError("--concurrency must be at least 1");
    const db = await ctx.db.connect();
    await requireQueue(db);
    // A server gets a second connection for the jobs, so a slow job never holds the worker's
    // own queries back (its heartbeat above all); the embedded database is one session.
    // Opened on the first job; a failed open is tried again by the next (lazyDatabase).
    const jobDb = lazyDatabase(() =>
      openRegistryDatabase(registry, databaseUrl(ctx.settings, options.database), {
        env,
        cwd: ctx.cwd,
        notice: () => {},
        pid: ctx.pid,
        command: `${ctx.prog} ${ctx.name}`,
      })
    );
    const jobDatabase = db.driver === "pglite" ? undefined : () => jobDb.connect();
    ctx.defer(() => jobDb.close());
    const log = (level: LogLevel, text: string) => {
      // A job's words are logged: the passwords of URLs in them are not.
      const line = redactUrl(text);
      if (level === "error") stderr.write(line);
      else if (level === "warning") stderr.write(line, { style: style.WARNING });
      else if (level === "info" ? verbosity >= 1 : verbosity >= 2) stdout.write(line);
    };
    const worker = new Worker({
      db,
      jobDatabase,
      guardExit: ctx.guardExit,
      registry,
      queues,
      concurrency,
      prefetch: options.prefetch,
      burst: options.burst,
      pollInterval: options.pollInterval,
      lease: options.lease,
      gracePeriod: options.gracePeriod,
      giveUpAfter: options.giveUpAfter > 0 ? options.giveUpAfter : Infinity,
      schedules: !options.skipSchedules,
      signal: ctx.signal,
      env,
      cwd: ctx.cwd,
      pid: ctx.pid,
      hostname: ctx.hostname,
      log,
    });
    if (verbosity >= 1) {
      stdout.write(
        style.MIGRATE_HEADING(`Worker ${worker.id}`) +
          ` started: queues ${queues.join(", ")}, concurrency ${concurrency}, ` +
          `database ${db.url}${options.burst ? " (burst)" : ""}`,
      );
    }
    const stats = await worker.run();
    if (verbosity >= 1) {
      stdout.write(
        `Worker ${worker.id} stopped: ${stats.succeeded} succeeded, ${stats.failed} failed, ` +
          `${stats.retried} retried, ${stats.cancelled} cancelled` +
          (stats.released ? `, ${stats.released} given back` : ""),
      );
    }
  },
});
