import { defineCommand } from "../../../core/command.ts";
import { CommandError, UsageError } from "../../../core/errors.ts";
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_QUEUE, enqueue } from "../queue/mod.ts";

/** `--at`: an ISO 8601 time (`2026-12-01T09:00:00Z`; without an offset, UTC). */
function parseAt(text: string): Date {
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(text) || !/T|\d \d/.test(text) ? text : `${text}Z`;
  const date = new Date(withZone.replace(" ", "T"));
  if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(date.getTime())) {
    throw new CommandError(
      `Invalid time '${text}' for --at: use ISO 8601, such as 2026-12-01T09:00:00Z`,
      { returncode: 2 },
    );
  }
  return date;
}

/** A hint when the words given to the command hold one of enqueue's own options. */
function misplaced(args: readonly string[]): string {
  const own = new Set(
    command.signature.options.filter((spec) => !spec.shared).flatMap((spec) => spec.flags),
  );
  const flag = args.map((word) => word.split("=")[0]).find((word) => own.has(word));
  return flag === undefined
    ? ""
    : `; enqueue's own options, such as ${flag}, go before the command's name`;
}

const command = defineCommand({
  help: "Enqueues a command to run in the background, and prints the job's id\n\n" +
    "The command's arguments are checked against its declaration now, as the command line " +
    "would check them; a `manage worker` runs the job. Options of enqueue come before the " +
    "command's name: every word after it is the command's.",
  // The console enqueues by itself; through this, a web user could enqueue what the console
  // may not start.
  runFrom: ["cli"],
  requiresDatabase: true,
  arguments: {
    command: { help: "The command to run" },
    args: { nargs: "...", metavar: "args", help: "Its arguments and options" },
  },
  options: {
    queue: {
      short: "q",
      help: `The queue to put it in (default: the settings' queue.name, ${DEFAULT_QUEUE})`,
    },
    at: { help: "Run it at this time (ISO 8601, UTC unless it has an offset)" },
    delay: { type: "duration", help: "Run it after this long (30s, 10m, 2h)" },
    priority: { type: "integer", default: 0, help: "Higher runs first" },
    maxAttempts: {
      type: "integer",
      help: "Attempts before it fails for good (retried with backoff; default: the " +
        `settings' queue.maxAttempts, ${DEFAULT_MAX_ATTEMPTS})`,
    },
    timeout: { type: "duration", help: "Abort it after this long (5m)" },
    uniqueKey: {
      help: "While a job with this key waits or runs, give its id instead of adding another",
    },
    format: { choices: ["text", "json"], default: "text", help: "Output format" },
  },
  exclusive: [{ options: ["at", "delay"] }],
  async handle({ options, stdout, style, db, registry, env, settings }) {
    const queue = options.queue ?? settings.queue.name;
    const { id, created } = await enqueue(options.command, options.args, {
      registry,
      db,
      env,
      queue,
      runAt: options.at === undefined ? undefined : parseAt(options.at),
      delay: options.delay,
      priority: options.priority,
      maxAttempts: options.maxAttempts ?? settings.queue.maxAttempts,
      timeout: options.timeout,
      uniqueKey: options.uniqueKey,
    }).catch((error) => {
      // The command's arguments are at fault, not enqueue's: no usage line of enqueue's.
      if (error instanceof UsageError) {
        throw new CommandError(error.message + misplaced(options.args), {
          returncode: error.returncode,
        });
      }
      throw error;
    });
    if (options.format === "json") {
      stdout.write(JSON.stringify({ id, created }));
    } else if (created) {
      stdout.write(
        style.SUCCESS(`Enqueued job ${id}: ${options.command}`) + ` (queue ${queue})`,
      );
    } else {
      stdout.write(
        style.WARNING(
          `Job ${id} with unique key '${options.uniqueKey}' is already waiting or running`,
        ),
      );
    }
  },
});

export default command;
