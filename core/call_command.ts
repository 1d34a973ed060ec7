/**
 * Running a command in-process: the same parsing, validation and lifecycle as the command line,
 * with output to the caller's sinks, errors thrown instead of exiting.
 *
 * @module
 */

import type { ArgSpec, Signature } from "./arguments.ts";
import { loadCommand } from "./checks.ts";
import type { CallOptions, Command } from "./command.ts";
import { type CommandClass, toCommand } from "./command_class.ts";
import { CommandError } from "./errors.ts";
import { invoke, type RunEnvironment } from "./execute.ts";
import { lineSink } from "./output.ts";
import { findCommand, type Registry } from "./registry.ts";
import { EXIT_OPTIONS } from "./shared_options.ts";

const EMPTY_REGISTRY: Registry = { commands: [], checks: [] };

function optionKeys(signature: Signature): Set<string> {
  const keys = new Set<string>();
  const add = (specs: readonly ArgSpec[]) => specs.forEach((spec) => keys.add(spec.key));
  add(signature.positionals);
  add(signature.options);
  for (const sub of signature.subcommands?.values() ?? []) {
    optionKeys(sub.signature).forEach((k) => keys.add(k));
  }
  for (const exit of EXIT_OPTIONS) keys.delete(exit);
  return keys;
}

/** Resolves a command by name (or takes it as it is) and runs it in `run`. */
export async function runIn(
  run: RunEnvironment,
  target: string | Command | CommandClass,
  args: readonly string[],
  named: Readonly<Record<string, unknown>>,
  commandName = "command",
): Promise<unknown> {
  let name = commandName;
  let command: Command;
  if (typeof target === "string") {
    if (run.registry.commands.length === 0) {
      throw new CommandError(
        `No registry to find '${target}' in: pass { registry } (import it from commands/_registry.ts), ` +
          "or use ctx.callCommand inside a command",
      );
    }
    const entry = findCommand(run.registry, target);
    if (!entry) throw new CommandError(`Unknown command: '${target}'`);
    name = target;
    command = await loadCommand(entry);
  } else {
    command = toCommand(target, "The command given to callCommand");
  }
  const valid = optionKeys(command.signature);
  const unknown = Object.keys(named).filter((key) => !valid.has(key));
  if (unknown.length > 0) {
    throw new CommandError(
      `Unknown option(s) for ${name} command: ${unknown.sort().join(", ")}. ` +
        `Valid options are: ${[...valid].sort().join(", ")}.`,
    );
  }
  return await invoke(
    { name, command, argv: args, named },
    run,
    (other, otherArgs, options, parent) => {
      const {
        stdout,
        stderr,
        signal,
        registry,
        env,
        stdin,
        stdinIsTerminal,
        cwd,
        processCwd,
        guardExit,
        pid,
        hostname,
        prog,
        ...rest
      } = options ?? {};
      const child: RunEnvironment = {
        ...parent,
        cwd: cwd ?? parent.cwd,
        processCwd: processCwd ?? parent.processCwd,
        guardExit: guardExit ?? parent.guardExit,
        pid: pid ?? parent.pid,
        hostname: hostname ?? parent.hostname,
        prog: prog ?? parent.prog,
        registry: registry ?? parent.registry,
        stdout: stdout ?? parent.stdout,
        stderr: stderr ?? parent.stderr,
        signal: signal ?? parent.signal,
        env: env ?? parent.env,
        stdin: stdin ?? parent.stdin,
        // Another input is no longer the terminal (unless the caller says it stands for one).
        stdinIsTerminal: stdin
          ? stdinIsTerminal ?? false
          : stdinIsTerminal ?? parent.stdinIsTerminal,
        setRaw: stdin ? undefined : parent.setRaw,
      };
      return runIn(child, other, otherArgs ?? [], rest);
    },
  );
}

/**
 * Runs a command in-process, by name (found in `options.registry`), as a command object or a
 * command class, with command-line words in `args` and options by key in `options`. Returns what
 * `handle` returns; throws `CommandError` (and `UsageError`, exit code 2, for bad arguments)
 * instead of exiting.
 *
 * It reads nothing from the process: the run's environment, working directory, process id and
 * host name are the ones given in `options` (`env`, `cwd`, `pid`, `hostname`), or none (`.` for
 * the working directory); output with no sink given goes to the console a line at a time.
 *
 * @example
 * ```ts
 * import { callCommand } from "./call_command.ts";
 * import { defineCommand } from "./command.ts";
 * import { captureOutput } from "./output.ts";
 *
 * const greet = defineCommand({
 *   help: "Greets a user by name",
 *   arguments: { name: {} },
 *   handle: ({ options, stdout }) => stdout.write(`Hello, ${options.name}!`),
 * });
 * const stdout = captureOutput();
 * await callCommand(greet, ["John"], { stdout });
 * console.assert(stdout.text === "Hello, John!\n");
 * ```
 */
export async function callCommand<R = unknown>(
  target: string | Command<never, R> | CommandClass,
  args: readonly string[] = [],
  options: CallOptions = {},
): Promise<R> {
  const {
    stdout,
    stderr,
    signal,
    registry,
    env,
    stdin,
    stdinIsTerminal,
    cwd,
    processCwd,
    guardExit,
    pid,
    hostname,
    prog,
    ...named
  } = options;
  // Nothing is read from the process: what the run sees is what the caller gives.
  const run: RunEnvironment = {
    registry: registry ?? EMPTY_REGISTRY,
    stdout: stdout ?? lineSink(console.log),
    stderr: stderr ?? lineSink(console.error),
    stdoutIsTerminal: false,
    stderrIsTerminal: false,
    env: env ?? {},
    signal,
    cwd: cwd ?? ".",
    processCwd,
    guardExit,
    pid,
    hostname,
    prog,
    stdin,
    stdinIsTerminal: stdinIsTerminal ?? false,
  };
  return await runIn(run, target as string | Command | CommandClass, args, named) as R;
}
