/**
 * The command registry: what `scripts/build_registry.ts` generates from `commands/` and
 * `apps/<app>/commands/`. Each entry carries its command's metadata as data — so help, listing
 * and completion load no command module — and a literal `import()` of the module, which
 * `deno compile` embeds.
 *
 * @module
 */

import type { Database, OpenDatabase, OpenOptions } from "./database.ts";
import { CommandError } from "./errors.ts";
import type { RunFrom } from "./run_from.ts";
import { closeMatches } from "./suggest.ts";
import { compareText } from "./compare.ts";

/** One registered command. */
export interface RegistryEntry {
  /** The command's name: its file name without `.ts`. */
  readonly name: string;
  /** The app that defines it (`manage` for the built-in commands). */
  readonly app: string;
  /** The first line of its help text. */
  readonly summary: string;
  /** Its module, relative to the project root (for messages). */
  readonly module: string;
  /** Every option flag it accepts, for completion. */
  readonly flags: readonly string[];
  /** Its subcommands' names, when it has any. */
  readonly subcommands?: readonly string[];
  /**
   * The doors it may come through (its declaration's `runFrom`), so that the console lists and
   * refuses commands without loading them; every door when left out.
   */
  readonly runFrom?: readonly RunFrom[];
  /** Its standard output is a secret (its declaration's `secretOutput`). */
  readonly secretOutput?: boolean;
  /** Imports its module. */
  readonly load: () => Promise<{ readonly default?: unknown }>;
}

/** An app's module of system checks (`apps/<app>/checks.ts`). */
export interface CheckModuleEntry {
  /** The app. */
  readonly app: string;
  /** The module, relative to the project root. */
  readonly module: string;
  /** Imports the module, whose default export is a list of checks. */
  readonly load: () => Promise<{ readonly default?: unknown }>;
}

/** One migration: `apps/<app>/migrations/<name>.ts`. */
export interface MigrationEntry {
  /** The app. */
  readonly app: string;
  /** The migration's name: its file name without `.ts` (`0001_initial`). */
  readonly name: string;
  /** The module, relative to the project root. */
  readonly module: string;
  /** Imports the module, whose default export is a migration. */
  readonly load: () => Promise<{ readonly default?: unknown }>;
}

/** An app's models module: `apps/<app>/models.ts`. */
export interface ModelsEntry {
  /** The app. */
  readonly app: string;
  /** The module, relative to the project root. */
  readonly module: string;
  /** Imports the module, whose exported models (`defineModel`) are the app's models. */
  readonly load: () => Promise<Readonly<Record<string, unknown>>>;
}

/** The module of the app that provides the database (`apps/<app>/database.ts`). */
export interface DatabaseEntry {
  /** The app. */
  readonly app: string;
  /** The module, relative to the project root. */
  readonly module: string;
  /** Imports the module, whose default export opens a database (`OpenDatabase`). */
  readonly load: () => Promise<{ readonly default?: unknown }>;
}

/** An app's periodic commands: `apps/<app>/schedules.ts`. */
export interface SchedulesEntry {
  /** The app. */
  readonly app: string;
  /** The module, relative to the project root. */
  readonly module: string;
  /** Imports the module, whose default export is a list of schedules (`defineSchedule`). */
  readonly load: () => Promise<{ readonly default?: unknown }>;
}

/**
 * How a registry differs from its project's files, when a source run found it out of date and
 * could not regenerate it (`cli.ts` sets it; a registry in the compiled binary never has it).
 */
export interface RegistryStaleness {
  /** Files of the project the registry does not list, relative to the project root. */
  readonly missing: readonly string[];
  /** Modules the registry lists that are gone. */
  readonly gone: readonly string[];
  /**
   * Why it was not regenerated, after "and": `could not be regenerated: <error>`, or `was not
   * regenerated: this run may not write the project folder`.
   */
  readonly reason: string;
}

/** A settings module: `settings.ts` at the project root, or `settings/<name>.ts`. */
export interface SettingsEntry {
  /** The name `--settings` picks it by: `settings` for the root one, else its file name. */
  readonly name: string;
  /** The module, relative to the project root. */
  readonly module: string;
  /** Imports the module, whose default export is its settings (`defineSettings`). */
  readonly load: () => Promise<{ readonly default?: unknown }>;
}

/** Every command, check module and migration of a project, and its database provider. */
export interface Registry {
  /** The commands, sorted by name. */
  readonly commands: readonly RegistryEntry[];
  /** The apps' check modules. */
  readonly checks: readonly CheckModuleEntry[];
  /** The apps' migrations, sorted by app and name. */
  readonly migrations?: readonly MigrationEntry[];
  /** The apps' models modules, sorted by app. */
  readonly models?: readonly ModelsEntry[];
  /** The apps' schedules modules, sorted by app. */
  readonly schedules?: readonly SchedulesEntry[];
  /** The database provider, when an app provides one. */
  readonly database?: DatabaseEntry;
  /** Set when the registry is out of date with the project's files (see `RegistryStaleness`). */
  readonly stale?: RegistryStaleness;
  /** The settings modules, sorted by name. */
  readonly settings?: readonly SettingsEntry[];
}

/** The generated registry's file, relative to the project root. */
export const REGISTRY_FILE = "commands/_registry.ts";

/** What a registry lacks or lists that is gone, in a few words: `apps/blog/models.ts is not in it`. */
export function describeStaleness(
  stale: Pick<RegistryStaleness, "missing" | "gone">,
): string {
  const parts = [
    ...stale.missing.map((module) => `${module} is not in it`),
    ...stale.gone.map((module) => `${module} is gone`),
  ];
  return parts.length > 2
    ? `${parts.slice(0, 2).join(", ")} and ${parts.length - 2} more`
    : parts.join(", ");
}

/**
 * The stale registry as one line: what it lacks (or lists that is gone), why it was not
 * regenerated, and the fix; `undefined` when it is not stale.
 */
export function staleRegistryMessage(registry: Registry): string | undefined {
  const stale = registry.stale;
  if (!stale) return undefined;
  return `${REGISTRY_FILE} is out of date (${describeStaleness(stale)}) and ${stale.reason}: ` +
    "run 'deno task registry'";
}

/** The app name of the built-in commands. */
export const BUILTIN_APP = "manage";

/**
 * The message for a name that is no command, as Django's: `Unknown command: 'greet_usr'. Did
 * you mean greet_user?` and `Type 'manage help' for usage.`
 */
export function unknownCommandMessage(registry: Registry, name: string, prog = "manage"): string {
  const file = registry.stale?.missing.find((module) =>
    /^(commands|apps\/[^/]+\/commands)\//.test(module) && module.endsWith(`/${name}.ts`)
  );
  if (file) {
    return `Unknown command: '${name}': ${file} exists, but ${REGISTRY_FILE} does not list it ` +
      `and ${registry.stale!.reason}: run 'deno task registry'`;
  }
  const hint = closeMatches(name, registry.commands.map((c) => c.name))[0];
  return `Unknown command: '${name}'${
    hint ? `. Did you mean ${hint}?` : ""
  }\nType '${prog} help' for usage.`;
}

/** Finds a command by name. */
export function findCommand(registry: Registry, name: string): RegistryEntry | undefined {
  return registry.commands.find((entry) => entry.name === name);
}

/**
 * The commands grouped by app, apps in alphabetical order, commands by name.
 *
 * @example
 * ```ts
 * import { commandsByApp } from "./registry.ts";
 *
 * const groups = commandsByApp({ commands: [], checks: [] });
 * console.assert(groups.size === 0);
 * ```
 */
export function commandsByApp(registry: Registry): Map<string, RegistryEntry[]> {
  const groups = new Map<string, RegistryEntry[]>();
  const sorted = [...registry.commands].sort((a, b) =>
    compareText(a.app, b.app) || compareText(a.name, b.name)
  );
  for (const entry of sorted) {
    const group = groups.get(entry.app) ?? [];
    group.push(entry);
    groups.set(entry.app, group);
  }
  return groups;
}

/**
 * Opens the database `url` names (undefined: the default) through the provider the registry
 * names; a registry without one is a `CommandError` saying so.
 */
export async function openRegistryDatabase(
  registry: Registry,
  url: string | undefined,
  options: OpenOptions,
): Promise<Database> {
  if (!registry.database) {
    throw new CommandError(
      "No app provides a database: the registry names no apps/<app>/database.ts",
    );
  }
  const open = (await registry.database.load()).default as OpenDatabase;
  return await open(url, options);
}
