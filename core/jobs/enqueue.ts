/**
 * Enqueueing a command to run in the background: its arguments are checked against the
 * command's declaration first, so that a job that could never run is refused at once, as the
 * command line would refuse it.
 *
 * @module
 */

import { processEnv } from "../call_command.ts";
import { loadCommand } from "../checks.ts";
import type { Queryable } from "../database.ts";
import { CommandError, UsageError } from "../errors.ts";
import { parseArgs } from "../parser.ts";
import {
  findCommand,
  openRegistryDatabase,
  type Registry,
  unknownCommandMessage,
} from "../registry.ts";
import { EXIT_OPTIONS } from "../shared_options.ts";
import { insertJob, type JobOptions, newJob } from "./queue.ts";

/** Where and how to enqueue: the registry to check the command in, and the database. */
export interface EnqueueOptions extends JobOptions {
  /** The registry the command is found in (import it from `commands/_registry.ts`). */
  registry: Registry;
  /**
   * The database to store the job in (`ctx.db` inside a command). Without it, the database
   * `database` names (or `DATABASE_URL`, or the embedded default) is opened and closed again.
   */
  db?: Queryable;
  /** A database URL, when `db` is not given. */
  database?: string;
  /** The environment (for `DATABASE_URL` and options' environment fallbacks); the process's. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The working directory the embedded database is found from; the process's. */
  cwd?: string;
}

/** A stored job: its id, and whether it is new (false: a job with its unique key was waiting). */
export interface Enqueued {
  /** The job's id. */
  readonly id: number;
  /** False when a job with the same unique key was already waiting or running. */
  readonly created: boolean;
}

/**
 * Checks `args` against the command `name`'s declaration (a `UsageError`, exit code 2, as on
 * the command line) and gives the command's words as the job will run them.
 */
export async function checkJobArguments(
  registry: Registry,
  name: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<void> {
  const entry = findCommand(registry, name);
  if (!entry) throw new CommandError(unknownCommandMessage(registry, name).split("\n")[0]);
  const command = await loadCommand(entry);
  let stopped: string | undefined;
  try {
    stopped = parseArgs(command.signature, args, { env, command: name, stopOn: EXIT_OPTIONS })
      .stopped;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(`${name}: ${error.message} (see 'manage help ${name}')`);
  }
  if (stopped) {
    throw new UsageError(`${name}: a job cannot ask for --${stopped}: it runs in the background`);
  }
}

/**
 * Enqueues the command `name` with the command-line words `args`; gives the job's id and
 * whether it was created (see {@linkcode Enqueued}). Throws `UsageError` for arguments the
 * command would refuse, `CommandError` for a bad option or an unknown command.
 */
export async function enqueue(
  name: string,
  args: readonly string[],
  options: EnqueueOptions,
): Promise<Enqueued> {
  const env = options.env ?? processEnv();
  const job = newJob(name, args, options);
  await checkJobArguments(options.registry, name, args, env);
  if (options.db) return await insertJob(options.db, job);
  const db = await openRegistryDatabase(options.registry, options.database ?? env.DATABASE_URL, {
    env,
    cwd: options.cwd ?? Deno.cwd(),
    notice: () => {},
  });
  try {
    return await insertJob(db, job);
  } finally {
    await db.close();
  }
}

/**
 * Enqueues the command `name` to run in the background, by a `manage worker`, and gives the
 * job's id. Its arguments are checked against its declaration before the job is stored.
 *
 * @example
 * ```ts ignore
 * import { enqueueCommand } from "./mod.ts";
 * import { registry } from "./commands/_registry.ts";
 *
 * const id = await enqueueCommand("greet_user", ["John"], { registry, delay: "10m", queue: "mail" });
 * ```
 */
export async function enqueueCommand(
  name: string,
  args: readonly string[],
  options: EnqueueOptions,
): Promise<number> {
  return (await enqueue(name, args, options)).id;
}
