import {
  BaseCommand,
  CommandError,
  type CommandParser,
  type Options,
  redactUrl,
} from "../../../mod.ts";

/** How often `--wait` tries again, in milliseconds. */
const RETRY_INTERVAL = 500;

export default class Command extends BaseCommand {
  override help = "Checks the database connection";
  override requiresDatabase = true;

  override addArguments(parser: CommandParser) {
    parser.addArgument("--wait", {
      type: "number",
      default: 0,
      metavar: "SECONDS",
      help: "Keep trying for up to SECONDS until the database answers (for CI pipelines that " +
        "start one)",
    });
  }

  async handle(options: Options) {
    const wait = options.wait as number;
    if (!(wait >= 0)) {
      throw new CommandError(`--wait takes a number of seconds, 0 or more, not ${wait}`);
    }
    const deadline = Date.now() + wait * 1000;
    const { db, signal } = this.ctx;
    for (;;) {
      try {
        // Attempt to query the database to check if it's connected.
        await db.sql`SELECT 1`;
        this.stdout.write("Database is connected!");
        return;
      } catch (error) {
        // A failed connection is not kept: the next query tries again.
        const left = deadline - Date.now();
        if (left <= 0 || signal.aborted) {
          throw new CommandError(`Error connecting to the database: ${reasonOf(error)}`, {
            bare: true,
            cause: error,
          });
        }
        await sleep(Math.min(RETRY_INTERVAL, left), signal);
      }
    }
  }
}

/** The first line of an error's message, with any URL's password removed. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactUrl(message.split("\n")[0].trim() || "Unknown error");
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
