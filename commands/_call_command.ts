// The project's callCommand: the framework's, with this project's generated registry as the
// default. The registry is imported when first needed, not at start-up, so a missing or stale
// registry never stops a command module from loading (the registry build imports them all).

import { callCommand as callIn } from "../core/call_command.ts";
import type { CallOptions, Command, CommandClass } from "../core/command.ts";

/**
 * Runs a command in-process, by name, as a command object or as a command class, as `manage` would run it from the
 * command line: the same parsing, validation and lifecycle. Options may be given by key in
 * `options` (`{ verbose: true }`) beside `stdout`, `stderr`, `signal`, `env` and `registry`
 * (this project's registry by default). Returns what the command's `handle` returns; throws
 * `CommandError` (and `UsageError`, exit code 2, for bad arguments) instead of exiting.
 *
 * @example
 * ```ts
 * import { callCommand, captureOutput } from "../mod.ts";
 *
 * const stdout = captureOutput();
 * await callCommand("greet_user", ["John"], { stdout });
 * console.assert(stdout.text === "Hello, John!\n");
 * ```
 */
export async function callCommand<R = unknown>(
  target: string | Command<never, R> | CommandClass,
  args: readonly string[] = [],
  options: CallOptions = {},
): Promise<R> {
  const registry = options.registry ?? (await import("./_registry.ts")).registry;
  return await callIn(target, args, { ...options, registry });
}
