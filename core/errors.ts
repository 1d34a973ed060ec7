/**
 * The two kinds of failure a user can meet: {@linkcode CommandError} (one line, an exit code) and
 * its subclass {@linkcode UsageError} (bad arguments, exit code 2). {@linkcode DefinitionError} is
 * the command author's mistake, found when a command is declared.
 *
 * @module
 */

/** Options for {@linkcode CommandError}. */
export interface CommandErrorOptions {
  /** The process exit code when the error ends a command-line run. Defaults to 1. */
  returncode?: number;
  /** The error that caused this one, shown with `--traceback`. */
  cause?: unknown;
  /** Print the message alone, without the `CommandError:` prefix (for reports of several lines). */
  bare?: boolean;
  /**
   * Whether a job that fails with it is worth running again (see `retryVerdict`): a
   * CommandError is final unless raised with `retry: true` (a service that was busy, say).
   */
  retry?: boolean;
}

/**
 * A failure the user should see as one line, without a stack trace: the command-line runner
 * prints `CommandError: <message>` to stderr and exits with {@linkcode CommandError.returncode}.
 *
 * @example Fail a command with exit code 3
 * ```ts
 * import { CommandError } from "./errors.ts";
 *
 * const error = new CommandError("Database is not reachable", { returncode: 3 });
 * console.assert(error.returncode === 3);
 * ```
 */
export class CommandError extends Error {
  /** The process exit code for this failure. */
  readonly returncode: number;
  /** The message is printed alone, without the `CommandError:` prefix. */
  readonly bare: boolean;
  /** Whether a job failing with it is worth retrying, when the command said so. */
  readonly retry?: boolean;

  /** Creates the error with a one-line message and an optional exit code. */
  constructor(message: string, options: CommandErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CommandError";
    this.returncode = options.returncode ?? 1;
    this.bare = options.bare ?? false;
    if (options.retry !== undefined) this.retry = options.retry;
  }
}

/**
 * Bad command-line input: a missing argument, an unknown option, a value of the wrong type.
 * Exit code 2, as argparse. The command-line runner prints the usage line before the message.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 *
 * const error = new UsageError("the following arguments are required: name", "greet_user");
 * console.assert(error.returncode === 2);
 * ```
 */
export class UsageError extends CommandError {
  /** The name of the command whose arguments were wrong (for the usage line). */
  readonly command: string;
  /** The subcommand path below the command, when the error is in a subcommand. */
  readonly subcommands: readonly string[];

  /** Creates a usage error for `command` (and the `subcommands` path within it). */
  constructor(message: string, command = "", subcommands: readonly string[] = []) {
    super(message, { returncode: 2 });
    this.name = "UsageError";
    this.command = command;
    this.subcommands = subcommands;
  }
}

/**
 * A mistake in a command's declaration (two options with one flag, a `default` outside its
 * `choices`…): a bug for the command's author, raised when the command is defined.
 *
 * @example
 * ```ts
 * import { DefinitionError } from "./errors.ts";
 *
 * const error = new DefinitionError("Option --name is declared twice");
 * console.assert(error.name === "DefinitionError");
 * ```
 */
export class DefinitionError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "DefinitionError";
  }
}
