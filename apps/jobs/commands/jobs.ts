import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import {
  cancelJob,
  checkRetry,
  getJob,
  type JobRecord,
  listJobs,
  listWorkers,
  loadSchedules,
  pruneJobs,
  queueStats,
  requireCurrentTables,
  retryJob,
  scheduleStatus,
} from "../queue/mod.ts";
import { schedulesLines, statsLines, when, workersLines } from "./_operator_view.ts";
import type { Style } from "../../../core/style.ts";
import { stripAnsi } from "../../../core/style.ts";

const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
const FORMAT = { choices: ["text", "json"], default: "text", help: "Output format" } as const;

/** A subcommand that acts on one job, by id. */
function onJob(help: string) {
  return {
    help,
    arguments: { id: { type: "integer", metavar: "id", help: "The job's id" } },
    options: { format: FORMAT },
  } as const;
}

function statusStyle(style: Style, status: JobRecord["status"]): (text: string) => string {
  switch (status) {
    case "succeeded":
      return style.SUCCESS;
    case "failed":
      return style.ERROR;
    case "cancelled":
      return style.WARNING;
    case "running":
      return style.NOTICE;
    default:
      return (text) => text;
  }
}

function commandLine(job: JobRecord): string {
  return [job.command, ...job.args.map((a) => /^[\w./:=@%+-]+$/.test(a) ? a : JSON.stringify(a))]
    .join(" ");
}

export default defineCommand({
  help: "Lists, shows, retries, cancels and prunes jobs; shows queue stats, workers, schedules",
  requiresDatabase: true,
  subcommands: {
    list: {
      help: "Lists jobs, newest first",
      options: {
        status: { choices: STATUSES, help: "Only jobs in this state" },
        queue: { help: "Only jobs of this queue" },
        command: { help: "Only jobs of this command" },
        limit: { type: "integer", default: 50, help: "At most this many" },
        format: FORMAT,
      },
    },
    show: onJob("Shows a job, with its output"),
    retry: onJob("Runs an ended job again (or a waiting one now)"),
    cancel: onJob("Cancels a job: a waiting one is dropped, a running one has its signal aborted"),
    prune: {
      help: "Deletes the records of jobs that ended long ago",
      options: {
        olderThan: { type: "duration", default: 7 * 86_400_000, help: "Age to prune (7d)" },
        format: FORMAT,
      },
    },
    stats: {
      help: "Counts per queue, ended jobs over a window, and each command's runs and durations",
      options: {
        window: {
          type: "duration",
          default: 3_600_000,
          help: "How far back ended jobs count (1h): from 1m to 30d",
        },
        format: FORMAT,
      },
    },
    workers: {
      help: "Lists the workers: alive, or lost with what became of their jobs",
      options: { format: FORMAT },
    },
    schedules: {
      help: "Lists the apps' schedules with their next run, last tick and last job",
      options: { format: FORMAT },
    },
  },
  async handle(ctx) {
    const { options, stdout, style, db } = ctx;
    await requireCurrentTables(db, ctx.registry);
    const json = (value: unknown) => stdout.write(JSON.stringify(value, null, 2));
    switch (options.subcommand) {
      case "list": {
        if (options.limit < 1) {
          throw new CommandError("--limit must be at least 1", { returncode: 2 });
        }
        const jobs = await listJobs(db, {
          status: options.status,
          queue: options.queue,
          command: options.command,
          limit: options.limit,
        });
        if (options.format === "json") return json(jobs);
        if (jobs.length === 0) return stdout.write("No jobs.");
        const rows = jobs.map((job) => [
          String(job.id),
          job.status,
          job.queue,
          `${job.attempts}/${job.maxAttempts}`,
          when(job.finishedAt ?? job.startedAt ?? job.runAt),
          commandLine(job),
        ]);
        const head = ["ID", "STATUS", "QUEUE", "TRIES", "TIME (UTC)", "COMMAND"];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        const line = (cells: string[]) =>
          cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join("  ");
        stdout.write(style.MIGRATE_HEADING(line(head)));
        jobs.forEach((job, i) => {
          const cells = rows[i];
          const text = line(cells);
          const at = widths[0] + 2;
          const status = cells[1].padEnd(widths[1]);
          stdout.write(
            text.slice(0, at) + statusStyle(style, job.status)(status) +
              text.slice(at + status.length),
          );
        });
        return;
      }
      case "show": {
        const job = await getJob(db, options.id);
        if (!job) throw new CommandError(`Job ${options.id} does not exist`);
        if (options.format === "json") return json(job);
        const plain = ctx.style.SUCCESS("x") === "x";
        stdout.write(`${style.MIGRATE_HEADING(`Job ${job.id}`)}  ${commandLine(job)}`);
        const fields: [string, string][] = [
          ["Status", statusStyle(style, job.status)(job.status)],
          ["Queue", `${job.queue} (priority ${job.priority})`],
          ["Attempts", `${job.attempts} of ${job.maxAttempts}`],
          ["Exit code", job.exitCode === null ? "-" : String(job.exitCode)],
          ["Created", when(job.createdAt)],
          ["Run at", when(job.runAt)],
          ["Started", when(job.startedAt)],
          ["Finished", when(job.finishedAt)],
          ["Worker", job.worker ?? "-"],
        ];
        if (job.schedule) fields.push(["Schedule", job.schedule]);
        if (job.uniqueKey) fields.push(["Unique key", job.uniqueKey]);
        if (job.timeoutMs) fields.push(["Timeout", `${job.timeoutMs} ms`]);
        if (job.error) fields.push(["Error", job.error]);
        if (job.notRetried) fields.push(["Not retried", job.notRetried]);
        for (const [name, value] of fields) {
          stdout.write(`  ${`${name}:`.padEnd(Math.max(12, name.length + 2))}${value}`);
        }
        for (const stream of ["stdout", "stderr"] as const) {
          const text = job[stream] ?? "";
          if (text === "") continue;
          stdout.write(style.MIGRATE_HEADING(`${stream}:`));
          stdout.write(plain ? stripAnsi(text) : text, { ending: text.endsWith("\n") ? "" : "\n" });
        }
        return;
      }
      case "retry": {
        // A retry runs the job's command again, in the background: from the console, as the
        // console's own Retry, its command must be one the console may start.
        const doors = ctx.from === "console"
          ? ["console", "background"] as const
          : ["background"] as const;
        await checkRetry(db, ctx.registry, options.id, doors);
        const result = await retryJob(db, options.id);
        if (result === "missing") throw new CommandError(`Job ${options.id} does not exist`);
        if (result === "conflict") {
          throw new CommandError(
            `Job ${options.id} has a unique key that a waiting or running job holds now: ` +
              "cancel that job first, or let it end",
          );
        }
        if (result === "running") {
          throw new CommandError(`Job ${options.id} is running: cancel it first, or wait for it`);
        }
        if (options.format === "json") return json({ id: options.id, status: "queued" });
        return stdout.write(style.SUCCESS(`Job ${options.id} queued to run again`));
      }
      case "cancel": {
        const result = await cancelJob(db, options.id);
        if (result === "missing") throw new CommandError(`Job ${options.id} does not exist`);
        if (result === "finished") {
          throw new CommandError(`Job ${options.id} has already ended: nothing to cancel`);
        }
        if (options.format === "json") {
          return json({
            id: options.id,
            status: result === "cancelled" ? "cancelled" : "cancelling",
          });
        }
        return stdout.write(
          result === "cancelled"
            ? style.SUCCESS(`Job ${options.id} cancelled`)
            : style.WARNING(`Job ${options.id} is running: its worker has been asked to stop it`),
        );
      }
      case "stats": {
        if (options.window < 60_000 || options.window > 30 * 86_400_000) {
          throw new CommandError("--window must be from 1m to 30d", { returncode: 2 });
        }
        const stats = await queueStats(db, { windowMs: options.window });
        if (options.format === "json") return json(stats);
        for (const line of statsLines(style, stats)) stdout.write(line);
        return;
      }
      case "workers": {
        const workers = await listWorkers(db);
        if (options.format === "json") return json(workers);
        for (const line of workersLines(style, workers)) stdout.write(line);
        return;
      }
      case "schedules": {
        const schedules = await scheduleStatus(db, await loadSchedules(ctx.registry));
        if (options.format === "json") return json(schedules);
        for (const line of schedulesLines(style, schedules)) stdout.write(line);
        return;
      }
      case "prune": {
        const pruned = await pruneJobs(db, options.olderThan);
        if (options.format === "json") return json({ pruned });
        return stdout.write(`Pruned ${pruned} ended job${pruned === 1 ? "" : "s"}.`);
      }
    }
  },
});
