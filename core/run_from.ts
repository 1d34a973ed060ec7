/**
 * Where a command may be started from. There are three doors: the command line (`cli`: whoever
 * types it has the machine already), the web console and its JSON API (`console`: a superuser
 * in a browser, or a script with a token), and a background job (`background`: run by a worker,
 * with no terminal, its output stored for the console to show). A command declares the doors it
 * may come through (`runFrom`); every place that starts one checks it, and the refusal is a
 * {@linkcode RunFromError}.
 *
 * @module
 */

import { CommandError, DefinitionError } from "./errors.ts";

/**
 * A door a command may come through: the command line, the web console, a background job.
 *
 * @example A command for the command line only
 * ```ts
 * import { defineCommand } from "./command.ts";
 * import type { RunFrom } from "./run_from.ts";
 *
 * const doors: RunFrom[] = ["cli"];
 * export default defineCommand({ help: "Opens a prompt", runFrom: doors, handle() {} });
 * ```
 */
export type RunFrom = "cli" | "console" | "background";

/**
 * Every door, in the order they are listed: where a command that declares nothing may run.
 *
 * @example
 * ```ts
 * import { defineCommand } from "./command.ts";
 * import { RUN_FROM } from "./run_from.ts";
 *
 * const command = defineCommand({ help: "Greets", handle() {} });
 * console.assert(String(command.runFrom) === String(RUN_FROM));
 * ```
 */
export const RUN_FROM: readonly RunFrom[] = ["cli", "console", "background"];

const PLACES: Readonly<Record<RunFrom, string>> = {
  cli: "from the command line",
  console: "from the web console",
  background: "in the background",
};

/**
 * A command started through a door it does not declare. Exit code 2, as a usage error: the
 * words are fine, the place is not, and trying again there never helps (a worker does not retry
 * it).
 *
 * @example `enqueueCommand` refuses a command that may not run in the background
 * ```ts ignore
 * import { enqueueCommand, RunFromError } from "./mod.ts";
 * import { registry } from "./commands/_registry.ts";
 *
 * try {
 *   await enqueueCommand("dbshell", [], { registry });
 * } catch (error) {
 *   if (!(error instanceof RunFromError)) throw error;
 *   console.error(error.message); // The dbshell command may not run in the background: …
 * }
 * ```
 */
export class RunFromError extends CommandError {
  /** Creates the error for the command `name`, started `from` where it may not run. */
  constructor(name: string, from: RunFrom, runFrom: readonly RunFrom[]) {
    super(
      `The ${name} command may not run ${PLACES[from]}: it runs only ` +
        runFrom.map((door) => PLACES[door]).join(" and "),
      { returncode: 2 },
    );
  }
}

/** Whether a command that declares `runFrom` (every door when undefined) may run from `from`. */
export function mayRunFrom(runFrom: readonly RunFrom[] | undefined, from: RunFrom): boolean {
  return (runFrom ?? RUN_FROM).includes(from);
}

/**
 * Throws a {@linkcode RunFromError} when the command `name`, which declares `runFrom` (every door
 * when undefined), may not run from each of `doors`.
 *
 * @example
 * ```ts
 * import { checkRunFrom, RunFromError } from "./run_from.ts";
 *
 * checkRunFrom("greet_user", undefined, ["console", "background"]);
 * try {
 *   checkRunFrom("dbshell", ["cli"], ["background"]);
 * } catch (error) {
 *   console.assert(error instanceof RunFromError && error.returncode === 2);
 * }
 * ```
 */
export function checkRunFrom(
  name: string,
  runFrom: readonly RunFrom[] | undefined,
  doors: readonly RunFrom[],
): void {
  for (const door of doors) {
    if (!mayRunFrom(runFrom, door)) throw new RunFromError(name, door, runFrom ?? RUN_FROM);
  }
}

/**
 * A declaration's `runFrom` as a command keeps it: every door when undefined, in
 * {@linkcode RUN_FROM}'s order, each once; no door, or one that does not exist, is a
 * `DefinitionError`.
 */
export function declaredRunFrom(value: readonly RunFrom[] | undefined): readonly RunFrom[] {
  if (value === undefined) return RUN_FROM;
  if (!Array.isArray(value) || value.length === 0) {
    throw new DefinitionError(
      `runFrom names no door: give one or more of ${RUN_FROM.map((d) => `'${d}'`).join(", ")}`,
    );
  }
  const unknown = value.find((door) => !RUN_FROM.includes(door));
  if (unknown !== undefined) {
    throw new DefinitionError(
      `runFrom: '${unknown}' is no door: use 'cli', 'console' or 'background'`,
    );
  }
  return RUN_FROM.filter((door) => value.includes(door));
}
