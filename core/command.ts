/**
 * The command model. A command is a plain typed object made by {@linkcode defineCommand} —
 * help, positional arguments and options declared as data, and `handle(ctx)` whose
 * `ctx.options` is typed from the declaration — or, in the shape Django users know, a class
 * extending {@linkcode BaseCommand} with `help`, `addArguments(parser)` and `handle(options)`.
 * Both become the same {@linkcode Command}.
 *
 * @module
 */

import type {
  ArgumentDecl,
  ArgumentsDecl,
  ExclusiveGroupDecl,
  OptionDecl,
  Signature,
  SubcommandDecl,
  ValuesOf,
} from "./arguments.ts";
import type { LazyDatabase } from "./database.ts";
import type { Settings } from "./settings.ts";
import { signatureOf } from "./signature.ts";
import type { OutputWrapper, TextSink } from "./output.ts";
import type { Registry } from "./registry.ts";
import type { RetryPolicy } from "./retry.ts";
import { declaredRunFrom, type RunFrom } from "./run_from.ts";
import { sharedOptions, type SharedValues } from "./shared_options.ts";
import type { Style } from "./style.ts";

/** Options for running a command in-process (see `callCommand`). */
export interface CallOptions {
  /**
   * Where the command's stdout goes; when left out (and not called from a command), whole lines
   * go to `console.log`.
   */
  stdout?: TextSink;
  /** Where the command's stderr goes; when left out, whole lines go to `console.error`. */
  stderr?: TextSink;
  /** Aborts the command (its `ctx.signal`). */
  signal?: AbortSignal;
  /** The registry that names resolve in. */
  registry?: Registry;
  /**
   * Environment for options' `env` fallbacks (`DATABASE_URL`) and colour settings. When left
   * out: the calling command's, or, from other code, none: pass the process's environment as an
   * object to give it.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The working directory (`ctx.cwd`) the command reads the paths it is given from, and finds
   * the embedded database in. When left out: the calling command's, or `.`.
   */
  cwd?: string;
  /**
   * The process's own working directory, when `cwd` is not it (see `RunEnvironment`); the
   * calling command's when left out, or unknown.
   */
  processCwd?: string;
  /** The process's id (`ctx.pid`); the calling command's when left out. */
  pid?: number;
  /**
   * Replaces the process's exit for a worker (`ctx.guardExit`, see `RunEnvironment`); the
   * calling command's when left out, or none.
   */
  guardExit?: (
    guard: (exit: (code?: number) => never) => (code?: number) => never,
  ) => () => void;
  /** The host's name (`ctx.hostname`); the calling command's when left out. */
  hostname?: string;
  /** The program's name in usage lines and messages (`ctx.prog`); `manage` when left out. */
  prog?: string;
  /** Standard input for the command (prompts, SQL to run); none when left out. */
  stdin?: ReadableStream<Uint8Array>;
  /**
   * Treat `stdin` as a terminal a person answers prompts at (`ctx.stdinIsTerminal`), as Django's
   * tests pass a mock TTY: commands that ask only a person (`createsuperuser`) then ask.
   */
  stdinIsTerminal?: boolean;
  /** Options given by key, as on the command line (`{ verbose: true }`). */
  [option: string]: unknown;
}

/** Everything a command's `handle` gets: its options, its output streams, and its resources. */
export interface CommandContext<O = Record<string, unknown>> {
  /** The parsed options and positional arguments, typed from the declaration. */
  readonly options: O & SharedValues;
  /** Standard output: `write()` adds the newline. */
  readonly stdout: OutputWrapper;
  /** Standard error: `write()` adds the newline; styled as `ERROR` when colour is on. */
  readonly stderr: OutputWrapper;
  /** Style functions by role: `ctx.style.SUCCESS("Done")`. */
  readonly style: Style;
  /** Aborted when the run is interrupted (Ctrl-C, SIGTERM) or the caller aborts it. */
  readonly signal: AbortSignal;
  /** The verbosity level, 0 to 3. */
  readonly verbosity: 0 | 1 | 2 | 3;
  /** The environment the command was run with. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The command's name. */
  readonly name: string;
  /**
   * The door the run came through: `cli` (the command line, and `callCommand` from code),
   * `console` (the web console and its API) or `background` (a worker).
   */
  readonly from: RunFrom;
  /** The program's name in messages and usage lines, `manage`. */
  readonly prog: string;
  /** The registry the command was found in. */
  readonly registry: Registry;
  /** The terminal width, in columns, for formatting. */
  readonly terminalWidth: number;
  /** The working directory the command was run from: paths the user names are read from it. */
  readonly cwd: string;
  /** The running program's file, when known: the compiled manage, or deno in a source run. */
  readonly executable?: string;
  /** The process's id, when the caller gave it (`cli.ts` does). */
  readonly pid?: number;
  /** The host's name, when the caller gave it (`cli.ts` does). */
  readonly hostname?: string;
  /** Standard input, when the command has one (the terminal or a pipe; none in `callCommand`). */
  readonly stdin?: ReadableStream<Uint8Array>;
  /** Standard input is a terminal (a person may answer prompts). */
  readonly stdinIsTerminal: boolean;
  /**
   * Switches the terminal on standard input to raw mode (`true`: keys arrive one by one and
   * unechoed, Ctrl-C still interrupts) and back (`false`). Present only when standard input is
   * a real terminal; `prompter(ctx).askSecret()` in `core/prompt.ts` uses it to read passwords.
   */
  readonly setRaw?: (raw: boolean) => void;
  /**
   * Replaces the process's exit with the function `guard` makes of it, until the function it
   * returns is called; given by `cli.ts` (see `RunEnvironment.guardExit`), for a worker.
   */
  readonly guardExit?: (
    guard: (exit: (code?: number) => never) => (code?: number) => never,
  ) => () => void;
  /** Standard error is a terminal (progress may redraw one line; otherwise print whole lines). */
  readonly stderrIsTerminal: boolean;
  /** Runs another command in-process with this one's streams, signal and registry. */
  callCommand(name: string, args?: readonly string[], options?: CallOptions): Promise<unknown>;
  /** Registers a clean-up that runs when the command ends, however it ends (last in, first out). */
  defer(cleanup: () => unknown): void;
  /**
   * The database (`--database`, `DATABASE_URL`, the settings' `default`, or the embedded
   * default), opened on first use and closed when the command ends.
   */
  readonly db: LazyDatabase;
  /**
   * Another database of the settings, by alias (`ctx.database("replica")`), or by URL; opened on
   * first use and closed when the command ends. `ctx.database("default")` is `ctx.db`.
   */
  database(alias: string): LazyDatabase;
  /** The settings of the run (`--settings`, `MANAGE_SETTINGS`, `settings.ts`, the defaults). */
  readonly settings: Settings;
}

/** The brand that marks an object as a command (see {@linkcode isCommand}). */
export const COMMAND: unique symbol = Symbol.for("manage.command") as never;

/** A command, ready to parse and run. Made by {@linkcode defineCommand} or from a class. */
export interface Command<V = Record<string, unknown>, R = unknown> {
  /** Brand that marks a command object. */
  readonly [COMMAND]: true;
  /** Help text: the first line is the summary shown in listings. */
  readonly help: string;
  /** Text shown after the options in the command's help. */
  readonly epilog?: string;
  /** Example command lines, for the reference `manage docs` writes. */
  readonly examples: readonly string[];
  /** The normalized arguments (shared options included). */
  readonly signature: Signature;
  /** The system checks run before `handle` (and `--skip-checks` is offered). */
  readonly requiresSystemChecks: boolean;
  /** The command uses the database (and `--database` is offered). */
  readonly requiresDatabase: boolean;
  /** Unapplied migrations are reported (a warning) before `handle` runs, as Django's. */
  readonly requiresMigrationsChecks: boolean;
  /** The doors it may come through: the command line, the web console, a background job. */
  readonly runFrom: readonly RunFrom[];
  /** Its standard output is a secret: outside the command line it is never stored. */
  readonly secretOutput: boolean;
  /** Which of its failures a job runs again (see `retryVerdict`). */
  readonly retry?: RetryPolicy;
  /** Runs the command. */
  handle(ctx: CommandContext<V>): R | Promise<R>;
}

/** What {@linkcode defineCommand} takes. */
export interface CommandDefinition<A, O, S, R> {
  /** Help text: the first line is the summary shown in listings. */
  help: string;
  /** Text shown after the options in the command's help. */
  epilog?: string;
  /**
   * Example command lines (`"manage greet_user John --times 2"`), shown in the reference that
   * `manage docs` writes.
   */
  examples?: readonly string[];
  /** Positional arguments, in order. */
  arguments?: A;
  /** Options. */
  options?: O;
  /** Groups of options of which at most one (or, when required, exactly one) may be given. */
  exclusive?: readonly ExclusiveGroupDecl<NoInfer<Extract<keyof O, string>>>[];
  /** Subcommands: `ctx.options.subcommand` names the one chosen. */
  subcommands?: S;
  /** Run the system checks before `handle` (and offer `--skip-checks`). */
  requiresSystemChecks?: boolean;
  /** The command uses the database: offer `--database DATABASE`. */
  requiresDatabase?: boolean;
  /** Warn about unapplied migrations before `handle` runs (implies `requiresDatabase`). */
  requiresMigrationsChecks?: boolean;
  /**
   * Where it may be started from: `"cli"` (the command line), `"console"` (the web console and
   * its API), `"background"` (a job). Every door when left out; narrow it for a command that
   * opens a prompt, serves, writes source files, or does what a web user should not.
   */
  runFrom?: readonly RunFrom[];
  /**
   * Its standard output is a secret (a token it creates): run from the console it is shown
   * once and never stored; a job keeps a placeholder instead.
   */
  secretOutput?: boolean;
  /** Which of its failures a job runs again (`"never"`, `"always"`, a function): see core/retry.ts. */
  retry?: RetryPolicy;
  /** Runs the command; a string it returns is written to stdout. */
  handle(
    ctx: CommandContext<ValuesOf<{ arguments: A; options: O; subcommands: S }>>,
  ): R | Promise<R>;
}

/**
 * Defines a command. Option and argument types are inferred from the declaration.
 *
 * @example A command with a positional argument and an option
 * ```ts
 * import { defineCommand } from "./command.ts";
 *
 * export default defineCommand({
 *   help: "Greets a user by name",
 *   arguments: { name: { help: "who to greet" } },
 *   options: { times: { type: "integer", default: 1, help: "how many times" } },
 *   handle({ options, stdout }) {
 *     for (let i = 0; i < options.times; i++) stdout.write(`Hello, ${options.name}!`);
 *   },
 * });
 * ```
 */
export function defineCommand<
  const A extends Readonly<Record<string, ArgumentDecl>> = Record<never, never>,
  const O extends Readonly<Record<string, OptionDecl>> = Record<never, never>,
  const S extends Readonly<Record<string, SubcommandDecl>> = Record<never, never>,
  R = unknown,
>(
  definition: CommandDefinition<A, O, S, R>,
): Command<ValuesOf<{ arguments: A; options: O; subcommands: S }>, R> {
  const requiresSystemChecks = definition.requiresSystemChecks ?? false;
  const requiresMigrationsChecks = definition.requiresMigrationsChecks ?? false;
  const requiresDatabase = (definition.requiresDatabase ?? false) || requiresMigrationsChecks;
  const decl: ArgumentsDecl = definition;
  return {
    [COMMAND]: true,
    help: definition.help,
    epilog: definition.epilog,
    examples: definition.examples ?? [],
    signature: signatureOf(decl, sharedOptions({ requiresSystemChecks, requiresDatabase })),
    requiresSystemChecks,
    requiresDatabase,
    requiresMigrationsChecks,
    runFrom: declaredRunFrom(definition.runFrom),
    secretOutput: definition.secretOutput ?? false,
    ...(definition.retry === undefined ? {} : { retry: definition.retry }),
    handle: definition.handle,
  };
}

/** Whether `value` is a command made by {@linkcode defineCommand} or {@linkcode commandFromClass}. */
export function isCommand(value: unknown): value is Command {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[COMMAND] === true;
}
