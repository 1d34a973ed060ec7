/**
 * The command-line dispatcher: `manage <command> [args…]` → the command's lifecycle → an exit
 * code. Errors become one line on stderr (the stack only with `--traceback`): usage errors exit
 * 2 after the usage line, `CommandError` with its `returncode`, anything else 1, an interrupted
 * run 130 (SIGINT) or 143 (SIGTERM).
 *
 * It takes everything from its caller, so `cli.ts` is the only module touching the process.
 *
 * @module
 */

import { loadCommand } from "./checks.ts";
import type { Command } from "./command.ts";
import { CommandError, DefinitionError, UsageError } from "./errors.ts";
import { runIn } from "./call_command.ts";
import type { RunEnvironment } from "./execute.ts";
import { formatUsage } from "./help.ts";
import { OutputWrapper, type TextSink } from "./output.ts";
import { missingPermission, permissionError } from "./permissions.ts";
import { findCommand, unknownCommandMessage } from "./registry.ts";
import { retryVerdict } from "./retry.ts";
import { checkRunFrom } from "./run_from.ts";
import { redactor } from "./secrets.ts";
import { choosePalette, makeStyle } from "./style.ts";

/** The line after an unexpected error's, when the run was not given `--traceback`. */
export const TRACEBACK_HINT = "Run the command again with --traceback to see the stack trace.";

/** Exit codes for runs ended by a signal, as shells report them. */
export const SIGNAL_EXIT_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

function beforeDashes(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf("--");
  return end < 0 ? argv : argv.slice(0, end);
}

/**
 * The standard output of a command whose output is secret, run from a door other than the
 * command line: the text goes to `secretStdout` only, and `stdout` (what a job keeps) gets a
 * placeholder the first time.
 */
function secretSink(run: RunEnvironment, name: string): TextSink {
  let told = false;
  return {
    write(text) {
      if (!told) run.stdout.write(`(the output of ${name} is secret: it is not kept)\n`);
      told = true;
      run.secretStdout?.write(text);
    },
  };
}

/** Picks the command name and its words from argv (`manage`, `manage -h` → help). */
function route(argv: readonly string[]): [string, readonly string[]] {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help") return ["help", []];
  if (first === "--version") return ["version", []];
  return [first, rest];
}

/**
 * Runs `argv` (the words after the program name) and returns the exit code.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * import { captureOutput } from "./output.ts";
 *
 * const stderr = captureOutput();
 * const code = await main(["nope"], {
 *   registry: { commands: [], checks: [] },
 *   stdout: captureOutput(),
 *   stderr,
 *   env: {},
 * });
 * console.assert(code === 1 && stderr.text.startsWith("Unknown command: 'nope'"));
 * ```
 */
export async function main(argv: readonly string[], run: RunEnvironment): Promise<number> {
  const prog = run.prog ?? "manage";
  const [name, words] = route(argv);
  const flags = beforeDashes(words);
  const traceback = flags.includes("--traceback");
  const palette = choosePalette({
    noColor: flags.includes("--no-color"),
    forceColor: flags.includes("--force-color"),
    isTerminal: run.stderrIsTerminal,
    env: run.env,
  });
  const style = makeStyle(palette);
  // Whatever an error says, a password from the environment or the command line is not printed.
  const redact = redactor(run.env, flags);
  const stderr = new OutputWrapper({ write: (text) => run.stderr.write(redact(text)) });
  const from = run.from ?? "cli";

  const entry = findCommand(run.registry, name);
  if (!entry) {
    stderr.write(unknownCommandMessage(run.registry, name, prog));
    run.failed?.({ retry: false, reason: `there is no command '${name}'` });
    return 1;
  }
  let command: Command | undefined;
  try {
    // The registry says where it may run before its module is loaded; the module, if the
    // registry is stale.
    checkRunFrom(name, entry.runFrom, [from]);
    command = await loadCommand(entry);
    checkRunFrom(name, command.runFrom, [from]);
    const stdout = command.secretOutput && from !== "cli" ? secretSink(run, name) : run.stdout;
    await runIn({ ...run, prog, stdout }, command, words, {}, name);
    return run.signal?.aborted ? SIGNAL_EXIT_CODES[String(run.signal.reason)] ?? 130 : 0;
  } catch (error) {
    const interrupted = run.signal?.aborted;
    if (interrupted) {
      if (traceback && error instanceof Error) stderr.write(error.stack ?? String(error));
      return SIGNAL_EXIT_CODES[String(run.signal!.reason)] ?? 130;
    }
    run.failed?.(retryVerdict(error, command?.retry));
    if (error instanceof UsageError && command) {
      const signature = error.subcommands.reduce(
        (sig, sub) => sig.subcommands?.get(sub)?.signature ?? sig,
        command.signature,
      );
      const path = [name, ...error.subcommands];
      stderr.write(formatUsage(signature, { prog, path, width: run.terminalWidth }));
      stderr.write(style.ERROR(`${[prog, ...path].join(" ")}: error: ${error.message}`));
      return error.returncode;
    }
    if (traceback && error instanceof Error) {
      stderr.write(style.ERROR(error.stack ?? `${error.name}: ${error.message}`));
      return error instanceof CommandError ? error.returncode : 1;
    }
    const denied = permissionError(error);
    if (denied) {
      const missing = missingPermission(denied.message);
      stderr.write(style.ERROR(`PermissionError: ${missing?.refused ?? denied.message}`));
      stderr.write(
        `The ${name} command needs a permission this run was not given: add ` +
          `${missing?.flag ?? "it"} to the manage task in deno.json (see README, "Permissions")`,
      );
      return 1;
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      // The operating system refused (a file's mode or owner), not Deno: no flag helps.
      stderr.write(style.ERROR(`PermissionError: ${error.message}`));
      return 1;
    }
    if (error instanceof CommandError && error.bare) {
      stderr.write(error.message);
      return error.returncode;
    }
    if (error instanceof CommandError) {
      stderr.write(style.ERROR(`CommandError: ${error.message}`));
      return error.returncode;
    }
    const described = error instanceof Error
      ? `${error.name}: ${error.message}`
      : `Error: ${String(error)}`;
    stderr.write(style.ERROR(described.split("\n")[0]));
    if (!(error instanceof DefinitionError)) {
      stderr.write(TRACEBACK_HINT);
    }
    return 1;
  }
}
