import {
  BaseCommand,
  CommandError,
  type CommandParser,
  type Database,
  type OpenDatabase,
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
    const signal = this.ctx.signal;
    let failure = await this.attempt(options.database);
    while (failure !== undefined && !signal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(RETRY_INTERVAL, left), signal);
      if (signal.aborted) break;
      failure = await this.attempt(options.database);
    }
    if (failure !== undefined) {
      throw new CommandError(`Error connecting to the database: ${reasonOf(failure)}`, {
        bare: true,
        cause: failure,
      });
    }
    this.stdout.write("Database is connected!");
  }

  /** Connects and runs `SELECT 1`; returns the error when that fails. */
  private async attempt(url: string | undefined): Promise<unknown | undefined> {
    let db: Database | undefined;
    try {
      db = await this.open(url);
      await db.sql`SELECT 1`;
      return undefined;
    } catch (error) {
      return error ?? new Error("Unknown error");
    } finally {
      await db?.close().catch(() => {});
    }
  }

  /**
   * Opens the database as `ctx.db` does, through the registry's provider, but a new connection
   * for each attempt: `ctx.db` keeps its first attempt, failed or not, for the whole run.
   */
  private async open(url: string | undefined): Promise<Database> {
    const provider = this.ctx.registry.database;
    if (!provider) {
      throw new CommandError("No app provides a database: add apps/<app>/database.ts");
    }
    const open = (await provider.load()).default as OpenDatabase;
    return await open(url ?? this.ctx.env.DATABASE_URL, {
      env: this.ctx.env,
      cwd: this.ctx.cwd,
      notice: (line) => this.stderr.write(line, { style: (text) => text }),
    });
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
