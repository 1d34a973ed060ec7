/**
 * The lifecycle of one command run, shared by the command line and `callCommand`:
 *
 * parse (usage errors, `--help`, `--version`) → colour → system checks → `handle(ctx)` →
 * deferred clean-ups in `finally`.
 *
 * It never touches the process: streams, environment and the abort signal come from the caller.
 *
 * @module
 */

import { type CheckLevel, formatCheckReport, runChecks, SystemCheckError } from "./checks.ts";
import type { CallOptions, Command, CommandContext } from "./command.ts";
import {
  type Database,
  enterRunDatabase,
  type LazyDatabase,
  lazyDatabase,
  runDatabaseScopeReady,
} from "./database.ts";
import { CommandError } from "./errors.ts";
import { formatHelp } from "./help.ts";
import { OutputWrapper, type TextSink } from "./output.ts";
import { parseArgs } from "./parser.ts";
import type { RunFrom } from "./run_from.ts";
import { openRegistryDatabase, type Registry } from "./registry.ts";
import type { RetryVerdict } from "./retry.ts";
import { databaseUrl, loadSettings } from "./settings.ts";
import { EXIT_OPTIONS, type SharedValues } from "./shared_options.ts";
import { choosePalette, makeStyle } from "./style.ts";
import { VERSION } from "./version.ts";

/** Everything a run needs from its caller. */
export interface RunEnvironment {
  /** The registry commands are found in. */
  registry: Registry;
  /** Standard output. */
  stdout: TextSink;
  /** Standard error. */
  stderr: TextSink;
  /** Standard output is a terminal (colour on by default). */
  stdoutIsTerminal?: boolean;
  /** Standard error is a terminal. */
  stderrIsTerminal?: boolean;
  /** The environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** Aborts the run. */
  signal?: AbortSignal;
  /** Terminal width for help. */
  terminalWidth?: number;
  /** The program name in usage lines, `manage`. */
  prog?: string;
  /** The working directory (`ctx.cwd`); `.` when left out. */
  cwd?: string;
  /**
   * The process's own working directory, when it may differ from `cwd` (under `deno task`,
   * `cwd` is the folder the user was in): what the runtime resolves relative paths against (see
   * `OpenOptions.processCwd`). Unknown when left out.
   */
  processCwd?: string;
  /**
   * Whether an embedded database may be served by a background server when `MANAGE_DBSERVER`
   * in `env` does not say (see `OpenOptions.backgroundServer`): `cli.ts` allows it, code does
   * not when this is left out.
   */
  backgroundServer?: boolean;
  /** The running program's file (`ctx.executable`): the compiled manage, or deno. */
  executable?: string;
  /** The process's id (`ctx.pid`): what a worker and a lock holder are known by. */
  pid?: number;
  /** The host's name (`ctx.hostname`): where a worker runs. */
  hostname?: string;
  /** Standard input (`ctx.stdin`). */
  stdin?: ReadableStream<Uint8Array>;
  /** Standard input is a terminal. */
  stdinIsTerminal?: boolean;
  /**
   * A database the caller keeps open and shares (a worker's, for its jobs): `ctx.db` uses it,
   * unless the command is given `--database` itself (a `DATABASE_URL` in `env` does not count),
   * and the run does not close it.
   */
  database?: () => Promise<Database>;
  /**
   * Switches the terminal on standard input to raw mode and back (`ctx.setRaw`), for input that
   * must not be echoed; given by `cli.ts` when standard input is a terminal.
   */
  setRaw?: (raw: boolean) => void;
  /**
   * Replaces the process's exit with the function `guard` makes of it, until the function it
   * returns is called (`ctx.guardExit`); given by `cli.ts`, so that a worker can keep a job
   * from ending its process. Without it, a job's call to exit is not contained.
   */
  guardExit?: (
    guard: (exit: (code?: number) => never) => (code?: number) => never,
  ) => () => void;
  /**
   * The door the run came through: the command line (`cli`, when left out), the web console
   * (`console`) or a worker (`background`). `main()` refuses a command that may not run there.
   */
  from?: RunFrom;
  /**
   * Where a command whose output is secret writes it when the run did not come from the command
   * line: a caller that shows it once (the console's "Run now"). `stdout` then gets only a
   * placeholder; when this is left out, the secret goes nowhere.
   */
  secretStdout?: TextSink;
  /**
   * Told, when the run fails (not when it is interrupted), whether the failure is worth another
   * attempt (see `retryVerdict`): a worker decides on it whether to run the job again.
   */
  failed?: (verdict: RetryVerdict) => void;
}

/** What to run: a command by name, with command-line words and values by key. */
export interface Invocation {
  /** The command's name. */
  name: string;
  /** The command. */
  command: Command;
  /** Command-line words after the command's name. */
  argv: readonly string[];
  /** Values by key (from `callCommand`). */
  named?: Readonly<Record<string, unknown>>;
}

/** Runs another command from inside one, with the same environment. */
export type Caller = (
  name: string,
  args: readonly string[] | undefined,
  options: CallOptions | undefined,
  run: RunEnvironment,
) => Promise<unknown>;

/**
 * Runs one command through its whole lifecycle and returns what `handle` returned. Throws
 * `UsageError`, `CommandError` and whatever `handle` throws.
 */
export async function invoke(
  invocation: Invocation,
  run: RunEnvironment,
  caller: Caller,
): Promise<unknown> {
  const { command, name } = invocation;
  const env = run.env;
  const parsed = parseArgs(command.signature, invocation.argv, {
    env,
    named: invocation.named,
    command: name,
    stopOn: EXIT_OPTIONS,
  });
  const plainOut = new OutputWrapper(run.stdout);
  if (parsed.stopped === "help") {
    const signature = parsed.subcommands.reduce(
      (sig, sub) => sig.subcommands!.get(sub)!.signature,
      command.signature,
    );
    const sub = parsed.subcommands.length > 0
      ? command.signature.subcommands!.get(parsed.subcommands[0])?.help
      : undefined;
    plainOut.write(
      formatHelp(signature, {
        prog: run.prog ?? "manage",
        path: [name, ...parsed.subcommands],
        width: run.terminalWidth,
      }, {
        description: sub ?? command.help,
        epilog: parsed.subcommands.length > 0 ? undefined : command.epilog,
      }),
      { ending: "" },
    );
    return undefined;
  }
  if (parsed.stopped === "version") {
    plainOut.write(VERSION);
    return undefined;
  }
  const options = parsed.values as Record<string, unknown> & SharedValues;
  if (options.noColor && options.forceColor) {
    throw new CommandError("The --no-color and --force-color options can't be used together.");
  }
  const colour = { noColor: options.noColor, forceColor: options.forceColor, env };
  const style = makeStyle(choosePalette({ ...colour, isTerminal: run.stdoutIsTerminal }));
  const errorStyle = makeStyle(choosePalette({ ...colour, isTerminal: run.stderrIsTerminal }));
  const stdout = new OutputWrapper(run.stdout);
  const stderr = new OutputWrapper(run.stderr, errorStyle.ERROR);

  const { settings } = await loadSettings(run.registry.settings, options.settings, env);
  if (command.requiresSystemChecks && !options.skipChecks) {
    const messages = await runChecks({ registry: run.registry, settings });
    const failLevel: CheckLevel = "ERROR";
    const report = formatCheckReport(messages, { failLevel, style: errorStyle });
    if (report.failed) throw new SystemCheckError(report.text);
    if (messages.some((m) => m.level === "WARNING")) stderr.write(report.text, { style: (t) => t });
  }

  // A job shares its worker's connection unless the job itself names a database: a
  // DATABASE_URL it inherits from the worker's environment names the worker's own.
  const shared = parsed.explicit.has("database") ? undefined : run.database;
  const open = (given: string | undefined) => () =>
    openRegistryDatabase(run.registry, databaseUrl(settings, given), {
      env,
      cwd: run.cwd ?? ".",
      notice: (line) => stderr.write(line, { style: (t) => t }),
      pid: run.pid,
      command: `${run.prog ?? "manage"} ${name}`,
      processCwd: run.processCwd,
      backgroundServer: run.backgroundServer,
    });
  const db = lazyDatabase(shared ?? open(options.database));
  const others = new Map<string, LazyDatabase>();
  const database = (alias: string): LazyDatabase => {
    if (alias === "default" && options.database === undefined) return db;
    let other = others.get(alias);
    if (!other) {
      databaseUrl(settings, alias); // an unknown alias fails here, before any use
      others.set(alias, other = lazyDatabase(open(alias)));
    }
    return other;
  };
  const cleanups: (() => unknown)[] = [];
  const signal = run.signal ?? new AbortController().signal;
  const childRun: RunEnvironment = { ...run, signal };
  const ctx: CommandContext = {
    options,
    stdout,
    stderr,
    style,
    signal,
    verbosity: options.verbosity,
    env,
    name,
    from: run.from ?? "cli",
    prog: run.prog ?? "manage",
    registry: run.registry,
    terminalWidth: run.terminalWidth ?? 80,
    cwd: run.cwd ?? ".",
    executable: run.executable,
    pid: run.pid,
    hostname: run.hostname,
    stdin: run.stdin,
    stdinIsTerminal: run.stdinIsTerminal ?? false,
    setRaw: run.stdinIsTerminal ? run.setRaw : undefined,
    guardExit: run.guardExit,
    stderrIsTerminal: run.stderrIsTerminal ?? false,
    callCommand: (other, args, callOptions) => caller(other, args, callOptions, childRun),
    defer: (cleanup) => void cleanups.push(cleanup),
    db,
    database,
    settings,
  };
  try {
    if (command.requiresMigrationsChecks && !options.skipChecks) {
      const messages = await runChecks({
        registry: run.registry,
        db,
        tags: ["database"],
        settings,
      });
      const visible = messages.filter((m) => m.level !== "DEBUG" && m.level !== "INFO");
      const report = formatCheckReport(visible, { style: errorStyle });
      if (report.failed) throw new SystemCheckError(report.text);
      for (const m of visible) {
        stderr.write(`${m.msg}${m.hint ? `\n${m.hint}` : ""}`, { style: errorStyle.NOTICE });
      }
    }
    // The ORM finds the run's database without being given it (`MyModel.objects.all()`).
    await runDatabaseScopeReady();
    const result = await enterRunDatabase(db, () => command.handle(ctx));
    if (typeof result === "string" && result !== "") stdout.write(result);
    return result;
  } finally {
    try {
      for (const cleanup of cleanups.reverse()) await cleanup();
    } finally {
      for (const other of others.values()) await other.close().catch(() => {});
      if (!shared) await db.close();
    }
  }
}
