/**
 * The command framework: everything between the process's arguments and a command's
 * `handle(ctx)`, and nothing else. It imports nothing outside `core/`; the ORM and migrations
 * (`apps/db/`), the job queue (`apps/jobs/queue/`) and the release machinery
 * (`commands/_release/`) stand on it.
 *
 * - a command and its context: `command.ts` (`defineCommand`), `command_class.ts` (`BaseCommand`), its arguments
 *   declared as data (`arguments.ts`), normalized and checked (`signature.ts`);
 * - reading the words: the parser (`parser.ts`, argparse's behaviour), typed values
 *   (`values.ts`), "did you mean" (`suggest.ts`), ordering names (`compare.ts`), the options every command shares
 *   (`shared_options.ts`), the project's settings (`settings.ts`), help and usage (`help.ts`);
 * - a run: its lifecycle (`execute.ts`), the dispatcher (`main.ts`), `callCommand`
 *   (`call_command.ts`), the registry's types and lookups (`registry.ts`), system checks
 *   (`checks.ts`), the doors a command may come through (`run_from.ts`), where a run is
 *   (`project.ts`) and the version (`version.ts`);
 * - what a command uses: output and styles (`output.ts`, `style.ts`), the two kinds of failure
 *   (`errors.ts`), the database interface of `ctx.db` (`database.ts`), prompts (`prompt.ts`),
 *   files replaced atomically (`atomic_file.ts`), secrets kept out of output (`secrets.ts`),
 *   missing permissions named (`permissions.ts`), and what the commands that write source files
 *   share (`scaffold.ts`);
 * - testing commands against a rolled-back test database (`testing.ts`, for `manage test`).
 *
 * Each of those modules is public (no `_` prefix) and may be imported on its own, as Deno std's
 * `cli/parse_args.ts` may: `cli.ts` loads only the parts a run needs, which keeps start-up short.
 * This module re-exports them all; the project's public API is the root `mod.ts`.
 *
 * @example Run a command in-process
 * ```ts ignore
 * import { callCommand, captureOutput } from "./mod.ts";
 *
 * const stdout = captureOutput();
 * await callCommand("greet_user", ["John"], { registry, stdout });
 * ```
 *
 * @module
 */

export * from "./arguments.ts";
export * from "./atomic_file.ts";
export * from "./call_command.ts";
export * from "./checks.ts";
export * from "./command.ts";
export * from "./command_class.ts";
export * from "./database.ts";
export * from "./errors.ts";
export * from "./execute.ts";
export * from "./help.ts";
export * from "./main.ts";
export * from "./output.ts";
export * from "./parser.ts";
export * from "./permissions.ts";
export * from "./project.ts";
export * from "./prompt.ts";
export * from "./registry.ts";
export * from "./retry.ts";
export * from "./run_from.ts";
export * from "./scaffold.ts";
export * from "./secrets.ts";
export * from "./settings.ts";
export * from "./shared_options.ts";
export * from "./signature.ts";
export * from "./style.ts";
export * from "./suggest.ts";
export * from "./compare.ts";
export * from "./testing.ts";
export * from "./values.ts";
export * from "./version.ts";
