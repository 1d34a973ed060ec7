/**
 * The options every command shares, declared once (Django's `--verbosity`, `--traceback`,
 * `--no-color`, …) and listed after a command's own in its help.
 *
 * @module
 */

import type { OptionDecl } from "./arguments.ts";

/** The shared options' values, as a command's `handle` sees them. */
export interface SharedValues {
  /** 0 = minimal output, 1 = normal output, 2 = verbose output, 3 = very verbose output. */
  verbosity: 0 | 1 | 2 | 3;
  /** Show the full stack trace when the command fails. */
  traceback: boolean;
  /** Colour is off (`--no-color`). */
  noColor: boolean;
  /** Colour is on even when the output is not a terminal (`--force-color`). */
  forceColor: boolean;
  /** System checks were skipped (`--skip-checks`). */
  skipChecks: boolean;
  /** The database alias or URL given with `--database` or `DATABASE_URL` (commands that use one). */
  database?: string;
  /** The settings module given with `--settings` or `MANAGE_SETTINGS`. */
  settings?: string;
}

const HELP: OptionDecl = { type: "boolean", short: "h", help: "show this help message and exit" };

const COMMON = {
  version: { type: "boolean", help: "Show program's version number and exit." },
  verbosity: {
    type: "integer",
    short: "v",
    choices: [0, 1, 2, 3],
    default: 1,
    help:
      "Verbosity level; 0=minimal output, 1=normal output, 2=verbose output, 3=very verbose output",
  },
  traceback: { type: "boolean", help: "Display a full stack trace when the command fails." },
  noColor: { type: "boolean", help: "Don't colorize the command output." },
  forceColor: { type: "boolean", help: "Force colorization of the command output." },
  settings: {
    metavar: "NAME",
    env: "MANAGE_SETTINGS",
    help: "The settings module: NAME for settings/NAME.ts (default: settings.ts, when the " +
      "project has one).",
  },
} as const satisfies Record<string, OptionDecl>;

const SKIP_CHECKS: OptionDecl = { type: "boolean", help: "Skip system checks." };

const DATABASE: OptionDecl = {
  // As Django's: an alias or a URL (argparse names it after the option).
  metavar: "DATABASE",
  env: "DATABASE_URL",
  help: "The database: an alias of the settings' databases (default, replica), or a URL: " +
    "postgres://user@host/name, pglite:<dir> or pglite:memory (default: the settings' " +
    "default, else the embedded database in .manage/db).",
};

/** What decides which shared options a command has. */
export interface SharedOptionsFor {
  /** The command runs the system checks first, so it takes `--skip-checks`. */
  requiresSystemChecks?: boolean;
  /** The command uses the database, so it takes `--database DATABASE`. */
  requiresDatabase?: boolean;
}

/**
 * The shared options of a command: `-h/--help`, `--version`, `-v/--verbosity`, `--traceback`,
 * `--no-color`, `--force-color`, `--database` where a database is used, and `--skip-checks` where
 * checks apply.
 *
 * @example
 * ```ts
 * import { sharedOptions } from "./shared_options.ts";
 *
 * console.assert("skipChecks" in sharedOptions({ requiresSystemChecks: true }));
 * console.assert(!("skipChecks" in sharedOptions({})));
 * ```
 */
export function sharedOptions(flags: SharedOptionsFor = {}): Record<string, OptionDecl> {
  return {
    help: HELP,
    ...COMMON,
    ...(flags.requiresDatabase ? { database: DATABASE } : {}),
    ...(flags.requiresSystemChecks ? { skipChecks: SKIP_CHECKS } : {}),
  };
}

/** Keys of the shared options that end parsing at once: help and version. */
export const EXIT_OPTIONS = ["help", "version"] as const;

/**
 * The shared options a job's words may not give, each with the reason. A job's words come from
 * whoever enqueues it (a console user, a token, a script); where and how the program runs is
 * the worker's or the console's to decide: the database it runs on, and whether the system
 * checks guard it. `--help` and `--version` are refused too (a job cannot ask for them); the
 * options that only shape the output (`--verbosity`, `--traceback`, the colour options) stay the
 * caller's.
 */
export const NOT_IN_JOBS: Readonly<Record<string, string>> = {
  database: "a job runs on the database of the process that runs it",
  skipChecks: "a job runs its system checks",
  settings: "a job runs with the settings of the process that runs it",
};
