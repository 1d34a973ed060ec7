/**
 * Which files the registry lists, and whether a registry still lists exactly those: the rules
 * `scripts/build_registry.ts` generates by, and the cheap check `cli.ts` makes before a source run
 * (never in the compiled binary, whose registry is all it has).
 *
 * The files: `commands/*.ts` (the built-in commands), and for each `apps/<app>/` its
 * `commands/*.ts`, `migrations/*.ts`, `checks.ts`, `models.ts`, `schedules.ts` and `database.ts`,
 * and the settings modules (`settings.ts` at the root, `settings/*.ts`) — files starting with `_`, tests (`_test.ts`) and declarations (`.d.ts`) left out, and apps
 * whose folder name starts with `_` or `.`. An app's command replaces a built-in of the same name.
 *
 * Listing them takes one `readDir` of `apps/`, one per app and one per `commands/` and
 * `migrations/` folder: a millisecond or two, with no module loaded. `cli.ts` imports it on every
 * start, so it imports only the registry's types and messages.
 *
 * @module
 */

import { describeStaleness, type Registry, staleRegistryMessage } from "../core/registry.ts";

/** Where the generated registry is written, relative to the project root. */
export const REGISTRY_PATH = "commands/_registry.ts";

/** The modules of one app that the registry lists by their fixed name. */
export const APP_MODULES = ["checks.ts", "models.ts", "schedules.ts", "database.ts"] as const;

/** A command file found in the project. */
export interface CommandFile {
  /** The command's name: the file's name without `.ts`. */
  name: string;
  /** Its app (`manage` for `commands/`). */
  app: string;
  /** The file, relative to the project root. */
  module: string;
}

/** What the registry is generated from, every path relative to the project root. */
export interface ProjectFiles {
  /** The command files, built-ins first, then each app's, in name order. */
  commands: CommandFile[];
  /** The apps, in name order. */
  apps: string[];
  /** For each app, which of {@linkcode APP_MODULES} it has. */
  appModules: Map<string, Set<string>>;
  /** Every migration file, by app then name. */
  migrations: { app: string; file: string; module: string }[];
  /** The settings modules: `settings.ts` at the root and `settings/*.ts`. */
  settings: string[];
}

/** Whether a file of a registry folder counts: a `.ts` module, not private, a test or a declaration. */
export function isListed(name: string): boolean {
  return name.endsWith(".ts") && !name.startsWith("_") && !name.endsWith("_test.ts") &&
    !name.endsWith(".d.ts");
}

/** The entries of a folder (files and folders by name); none when it does not exist. */
function entries(url: URL): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  try {
    for (const entry of Deno.readDirSync(url)) {
      if (entry.isDirectory) dirs.push(entry.name);
      else if (entry.isFile) files.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
      throw error;
    }
  }
  return { files: files.sort(), dirs: dirs.sort() };
}

/** Lists the files the registry of the project at `root` is generated from. */
export function listProjectFiles(root: URL): ProjectFiles {
  const commands: CommandFile[] = entries(new URL("commands/", root)).files.filter(isListed)
    .map((file) => ({ name: file.slice(0, -3), app: "manage", module: `commands/${file}` }));
  const apps = entries(new URL("apps/", root)).dirs.filter((name) =>
    !name.startsWith("_") && !name.startsWith(".")
  );
  const appModules = new Map<string, Set<string>>();
  const migrations: ProjectFiles["migrations"] = [];
  for (const app of apps) {
    const folder = new URL(`apps/${app}/`, root);
    const { files, dirs } = entries(folder);
    appModules.set(app, new Set(APP_MODULES.filter((name) => files.includes(name))));
    if (dirs.includes("commands")) {
      for (const file of entries(new URL("commands/", folder)).files.filter(isListed)) {
        commands.push({ name: file.slice(0, -3), app, module: `apps/${app}/commands/${file}` });
      }
    }
    if (dirs.includes("migrations")) {
      for (const file of entries(new URL("migrations/", folder)).files.filter(isListed)) {
        migrations.push({ app, file, module: `apps/${app}/migrations/${file}` });
      }
    }
  }
  const settings = [
    ...(entries(root).files.includes("settings.ts") ? ["settings.ts"] : []),
    ...entries(new URL("settings/", root)).files.filter(isListed).map((file) => `settings/${file}`),
  ];
  return { commands, apps, appModules, migrations, settings };
}

/** The modules a registry lists: anything with a `module`, in its lists and its database. */
interface ListedModules {
  readonly commands: readonly { readonly module: string }[];
  readonly checks: readonly { readonly module: string }[];
  readonly migrations?: readonly { readonly module: string }[];
  readonly models?: readonly { readonly module: string }[];
  readonly schedules?: readonly { readonly module: string }[];
  readonly database?: { readonly module: string };
  readonly settings?: readonly { readonly module: string }[];
}

/** Every module path a registry lists. */
export function registeredModules(registry: ListedModules): Set<string> {
  return new Set(
    [
      ...registry.commands,
      ...registry.checks,
      ...(registry.migrations ?? []),
      ...(registry.models ?? []),
      ...(registry.schedules ?? []),
      ...(registry.database ? [registry.database] : []),
      ...(registry.settings ?? []),
    ].map((entry) => entry.module),
  );
}

/** Every module path the registry generated from `files` would list (or name in an error). */
export function expectedModules(files: ProjectFiles): Set<string> {
  const byName = new Map<string, string>();
  // An app's command replaces the built-in of its name (two apps' commands are an error, which
  // the build names; either of them counts here).
  for (const command of files.commands) byName.set(command.name, command.module);
  const modules = new Set(byName.values());
  for (const [app, names] of files.appModules) {
    for (const name of names) modules.add(`apps/${app}/${name}`);
  }
  for (const migration of files.migrations) modules.add(migration.module);
  for (const module of files.settings) modules.add(module);
  return modules;
}

/** How a registry differs from the files of its project. */
export interface Staleness {
  /** Files the registry does not list. */
  missing: string[];
  /** Modules the registry lists that are gone. */
  gone: string[];
}

/**
 * How the registry differs from the project at `root`, or `undefined` when it lists exactly the
 * project's files. It lists folders: `cli.ts` calls it only in a source run that may read the
 * project folder.
 *
 * @example
 * ```ts ignore
 * import { registry } from "../commands/_registry.ts";
 * import { staleness } from "./registry_files.ts";
 *
 * staleness(registry, new URL("../", import.meta.url)); // undefined, or { missing, gone }
 * ```
 */
export function staleness(registry: ListedModules, root: URL): Staleness | undefined {
  const listed = registeredModules(registry);
  const expected = expectedModules(listProjectFiles(root));
  const missing = [...expected].filter((module) => !listed.has(module)).sort();
  const gone = [...listed].filter((module) => !expected.has(module)).sort();
  return missing.length + gone.length === 0 ? undefined : { missing, gone };
}

/** A file URL as a path. */
function toPath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows" ? path.slice(1).replaceAll("/", "\\") : path;
}

/**
 * What `scripts/build_registry.ts` offers this module (declared here, not imported, so that the
 * generator may import this module's rules without a circle).
 */
interface RegistryBuilder {
  regenerateRegistry(root: URL): Promise<{ errors: readonly string[] }>;
}

/** What {@linkcode freshRegistry} found and did. */
export interface Fresh {
  /** The registry to run with: regenerated, or the given one (marked `stale` when it is). */
  registry: Registry;
  /** A line for standard error when the registry was regenerated or is stale. */
  notice?: string;
}

/**
 * The registry a source run of the project at `root` should use: `registry` when it lists
 * exactly the project's files (or when this run may not read the project folder, as a run with
 * read access to single files: nothing is listed then); otherwise the registry regenerated and
 * written in its place, with a notice; or, when it cannot be written, `registry` marked `stale`
 * with a notice saying what it lacks and how to fix it.
 *
 * `scripts/build_registry.ts` is imported only then, through a specifier that is no literal, so
 * that neither `deno run` nor `deno compile` loads it otherwise.
 */
export async function freshRegistry(registry: Registry, root: URL): Promise<Fresh> {
  const folder = toPath(root);
  const may = (name: "read" | "write") =>
    Deno.permissions.querySync({ name, path: folder }).state === "granted";
  if (!may("read")) return { registry };
  const found = staleness(registry, root);
  if (!found) return { registry };
  let reason = "was not regenerated: this run may not write the project folder";
  if (may("write")) {
    const script = new URL("build_registry.ts", import.meta.url).href;
    try {
      const build: RegistryBuilder = await import(script);
      const { errors } = await build.regenerateRegistry(root);
      if (errors.length === 0) {
        const url = new URL(`${REGISTRY_PATH}?${Date.now()}`, root).href;
        const fresh: { registry: Registry } = await import(url);
        return {
          registry: fresh.registry,
          notice: `${REGISTRY_PATH} was out of date (${describeStaleness(found)}): regenerated it`,
        };
      }
      reason = `could not be regenerated: ${errors[0]}`;
    } catch (error) {
      reason = `could not be regenerated: ${error instanceof Error ? error.message : error}`;
    }
  }
  const stale = { ...registry, stale: { ...found, reason } };
  return { registry: stale, notice: `warning: ${staleRegistryMessage(stale)}` };
}
