/**
 * Enqueueing a command to run in the background: its arguments are checked against the
 * command's declaration first, so that a job that could never run is refused at once, as the
 * command line would refuse it.
 *
 * @module
 */

import { loadCommand } from "../../../core/checks.ts";
import type { Queryable } from "../../../core/database.ts";
import { CommandError, UsageError } from "../../../core/errors.ts";
import { parseArgs } from "../../../core/parser.ts";
import {
  findCommand,
  openRegistryDatabase,
  type Registry,
  unknownCommandMessage,
} from "../../../core/registry.ts";
import type { ArgSpec, Signature } from "../../../core/arguments.ts";
import { checkRunFrom, type RunFrom } from "../../../core/run_from.ts";
import { EXIT_OPTIONS, NOT_IN_JOBS } from "../../../core/shared_options.ts";
import { insertJob, type JobOptions, newJob } from "./_queue.ts";
import { getJob } from "./_records.ts";

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
  /**
   * The environment (for `DATABASE_URL` and options' environment fallbacks); none when left out
   * (pass `ctx.env` inside a command; the process's environment as an object elsewhere).
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The working directory the embedded database is found from (`ctx.cwd`); `.` by default. */
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
 * Checks that the command `name` may run from each of `doors` (a `RunFromError`, exit code 2:
 * a job from the console needs `console` and `background`, one run now only `console`) and
 * checks `args` against its declaration (a `UsageError`, exit code 2, as on the command line),
 * refusing the shared options that are not the caller's to give (see `NOT_IN_JOBS`).
 */
export async function checkJobArguments(
  registry: Registry,
  name: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  doors: readonly RunFrom[] = ["background"],
): Promise<void> {
  const entry = findCommand(registry, name);
  if (!entry) throw new CommandError(unknownCommandMessage(registry, name).split("\n")[0]);
  checkRunFrom(name, entry.runFrom, doors);
  const command = await loadCommand(entry);
  checkRunFrom(name, command.runFrom, doors);
  const refused = refusedSpecs(command.signature);
  // Without their environment fallbacks, the refused options count as given only when the
  // words give them.
  const ownEnv = { ...env };
  for (const spec of refused) if (spec.env) delete ownEnv[spec.env];
  let parsed;
  try {
    parsed = parseArgs(command.signature, args, {
      env: ownEnv,
      command: name,
      stopOn: EXIT_OPTIONS,
    });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(`${name}: ${error.message} (see 'manage help ${name}')`);
  }
  if (parsed.stopped) {
    throw new UsageError(
      `${name}: a job cannot ask for --${parsed.stopped}: it runs in the background`,
    );
  }
  const given = refused.find((spec) => parsed.given.has(spec.key));
  if (given) {
    const flag = given.flags.find((f) => f.startsWith("--")) ?? given.flags[0];
    throw new UsageError(`${name}: a job's words may not give ${flag}: ${NOT_IN_JOBS[given.key]}`);
  }
}

/** The shared options of a signature and its subcommands that a job's words may not give. */
function refusedSpecs(signature: Signature): ArgSpec[] {
  const specs = signature.options.filter((spec) =>
    spec.shared && Object.hasOwn(NOT_IN_JOBS, spec.key)
  );
  for (const sub of signature.subcommands?.values() ?? []) {
    specs.push(...refusedSpecs(sub.signature));
  }
  return specs;
}

/**
 * Checks that the job `id` may run again, its command started anew from `doors` (a retry from
 * the console needs `console` and `background`): a `RunFromError` when it may not. A job that
 * does not exist passes (retrying it says so).
 */
export async function checkRetry(
  db: Queryable,
  registry: Registry,
  id: number,
  doors: readonly RunFrom[],
): Promise<void> {
  const job = await getJob(db, id);
  const entry = job && findCommand(registry, job.command);
  if (!entry) return;
  checkRunFrom(entry.name, entry.runFrom, doors);
  checkRunFrom(entry.name, (await loadCommand(entry)).runFrom, doors);
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
  const env = options.env ?? {};
  const job = newJob(name, args, options);
  await checkJobArguments(options.registry, name, args, env);
  if (options.db) return await insertJob(options.db, job);
  const db = await openRegistryDatabase(options.registry, options.database ?? env.DATABASE_URL, {
    env,
    cwd: options.cwd ?? ".",
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
