/**
 * Generates `commands/_registry.ts`: every command in `commands/*.ts` and
 * `apps/<app>/commands/*.ts` (files starting with `_` and tests skipped) and every
 * `apps/<app>/checks.ts`, as data plus a literal `import()` of each module, so that
 * `deno compile` embeds them all and nothing lists a folder at run time.
 *
 * ```sh
 * deno task registry          # write the registry
 * deno task registry --check  # exit 1 when the registry is out of date
 * ```
 *
 * An app's command replaces a built-in of the same name; two apps defining one name, a file that
 * does not default-export a command, a command whose declaration is wrong, or an
 * `apps/<app>/models.ts` that exports something but no model are errors that name the file (one
 * that exports nothing, as `startapp` writes it, is an app with no models yet).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../core/atomic_file.ts";
import type { Command } from "../core/command.ts";
import { toCommand } from "../core/command_class.ts";
import { isMigration } from "../apps/db/migrator/mod.ts";
import { isModel } from "../apps/db/orm/mod.ts";
import { type CommandFile, listProjectFiles, REGISTRY_PATH } from "./registry_files.ts";
import { buildLauncher, LAUNCHER_PATH } from "./launcher.ts";

export { REGISTRY_PATH };

const NAME = /^[a-z][a-z0-9_]*$/;
const MIGRATION_NAME = /^\d{4}_[a-z0-9_]+\.ts$/;

async function listTs(root: URL, dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      if (
        entry.name.startsWith("_") || entry.name.endsWith("_test.ts") ||
        entry.name.endsWith(".d.ts")
      ) continue;
      names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

/** What {@linkcode buildRegistry} produced. */
export interface BuildResult {
  /** The registry module's source. */
  source: string;
  /** Problems, each naming its file; the source is not to be written when there are any. */
  errors: string[];
  /** How many commands are registered. */
  count: number;
}

function summaryOf(command: Command): string {
  return command.help.trim().split("\n")[0].trim();
}

function flagsOf(command: Command): string[] {
  const flags = new Set<string>();
  const add = (specs: Command["signature"]["options"]) => {
    for (const spec of specs) {
      if (spec.hidden) continue;
      spec.flags.forEach((f) => flags.add(f));
      if (spec.negativeFlag) flags.add(spec.negativeFlag);
    }
  };
  add(command.signature.options);
  for (const sub of command.signature.subcommands?.values() ?? []) add(sub.signature.options);
  return [...flags];
}

/** The registry entry of an app's module (checks, models, schedules). */
function appModuleEntry(entry: { app: string; module: string }): string {
  return [
    "    {",
    `      app: ${JSON.stringify(entry.app)},`,
    `      module: ${JSON.stringify(entry.module)},`,
    `      load: () => import(${JSON.stringify(`../${entry.module}`)}),`,
    "    },",
  ].join("\n");
}

/**
 * The settings modules: `settings.ts` at the root (named `settings`) and `settings/<name>.ts`,
 * as registry entries, sorted by name; a module that does not default-export an object is an
 * error naming it.
 */
async function settingsEntries(root: URL, errors: string[]): Promise<string[]> {
  const found: { name: string; module: string }[] = [];
  if (await exists(new URL("settings.ts", root))) {
    found.push({ name: "settings", module: "settings.ts" });
  }
  for (const file of await listTs(root, "settings/")) {
    found.push({ name: file.slice(0, -3), module: `settings/${file}` });
  }
  const entries: string[] = [];
  for (const item of found.sort((a, b) => a.name.localeCompare(b.name))) {
    try {
      const module = await import(new URL(item.module, root).href);
      if (typeof module.default !== "object" || module.default === null) {
        errors.push(
          `${item.module} does not default-export settings: end it with 'export default defineSettings({...})'`,
        );
        continue;
      }
    } catch (error) {
      errors.push(`${item.module}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    entries.push(
      [
        "    {",
        `      name: ${JSON.stringify(item.name)},`,
        `      module: ${JSON.stringify(item.module)},`,
        `      load: () => import(${JSON.stringify(`../${item.module}`)}),`,
        "    },",
      ].join("\n"),
    );
  }
  return entries;
}

/** Scans the project at `root` and returns the registry's source, or the problems found. */
export async function buildRegistry(root: URL): Promise<BuildResult> {
  const files = listProjectFiles(root);
  const found: CommandFile[] = files.commands;
  const checks: { app: string; module: string }[] = [];
  const migrations: { app: string; name: string; module: string }[] = [];
  const providers: { app: string; module: string }[] = [];
  const models: { app: string; module: string }[] = [];
  const schedules: { app: string; module: string }[] = [];
  const errors: string[] = [];
  for (const app of files.apps) {
    const has = files.appModules.get(app)!;
    if (has.has("checks.ts")) checks.push({ app, module: `apps/${app}/checks.ts` });
    if (has.has("models.ts")) models.push({ app, module: `apps/${app}/models.ts` });
    if (has.has("schedules.ts")) schedules.push({ app, module: `apps/${app}/schedules.ts` });
    if (has.has("database.ts")) providers.push({ app, module: `apps/${app}/database.ts` });
  }
  for (const { app, file, module } of files.migrations) {
    if (!MIGRATION_NAME.test(file)) {
      errors.push(
        `${module}: migration files are named NNNN_name.ts (0001_initial.ts): rename it`,
      );
      continue;
    }
    migrations.push({ app, name: file.slice(0, -3), module });
  }
  if (providers.length > 1) {
    errors.push(
      `Two apps provide the database: ${providers.map((p) => p.module).join(" and ")}; keep one`,
    );
  }
  for (const migration of migrations) {
    try {
      const module = await import(new URL(migration.module, root).href);
      if (!isMigration(module.default)) {
        errors.push(
          `${migration.module} does not default-export a migration: end it with 'export default defineMigration({...})'`,
        );
      }
    } catch (error) {
      errors.push(`${migration.module}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  for (const entry of models) {
    try {
      const module: Record<string, unknown> = await import(new URL(entry.module, root).href);
      const values = Object.values(module);
      if (values.length > 0 && !values.some(isModel)) {
        errors.push(
          `${entry.module} exports no model: export each model, as in ` +
            `'export const MyModel = defineModel("${entry.app}.MyModel", {...})'`,
        );
      }
    } catch (error) {
      errors.push(`${entry.module}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const byName = new Map<string, CommandFile>();
  for (const item of found) {
    if (!NAME.test(item.name)) {
      errors.push(`${item.module}: command names are snake_case (a-z, 0-9, _): rename the file`);
      continue;
    }
    const previous = byName.get(item.name);
    if (previous && previous.app !== "manage") {
      errors.push(
        `Command '${item.name}' is defined by two apps: ${previous.module} and ${item.module}; rename one of them`,
      );
      continue;
    }
    byName.set(item.name, item);
  }

  const entries: string[] = [];
  for (const item of [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    let command: Command;
    try {
      const module = await import(new URL(item.module, root).href);
      command = toCommand(module.default, item.module);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push(message.startsWith(item.module) ? message : `${item.module}: ${message}`);
      continue;
    }
    const subcommands = command.signature.subcommands
      ? [...command.signature.subcommands.keys()]
      : undefined;
    const specifier = item.module.startsWith("commands/")
      ? `./${item.module.slice("commands/".length)}`
      : `../${item.module}`;
    entries.push(
      [
        "    {",
        `      name: ${JSON.stringify(item.name)},`,
        `      app: ${JSON.stringify(item.app)},`,
        `      summary: ${JSON.stringify(summaryOf(command))},`,
        `      module: ${JSON.stringify(item.module)},`,
        `      flags: ${JSON.stringify(flagsOf(command))},`,
        ...(subcommands ? [`      subcommands: ${JSON.stringify(subcommands)},`] : []),
        `      runFrom: ${JSON.stringify(command.runFrom)},`,
        ...(command.secretOutput ? ["      secretOutput: true,"] : []),
        `      load: () => import(${JSON.stringify(specifier)}),`,
        "    },",
      ].join("\n"),
    );
  }
  const checkEntries = checks.map(appModuleEntry);
  const migrationEntries = migrations.map((m) =>
    [
      "    {",
      `      app: ${JSON.stringify(m.app)},`,
      `      name: ${JSON.stringify(m.name)},`,
      `      module: ${JSON.stringify(m.module)},`,
      `      load: () => import(${JSON.stringify(`../${m.module}`)}),`,
      "    },",
    ].join("\n")
  );
  const modelEntries = models.map(appModuleEntry);
  const scheduleEntries = schedules.map(appModuleEntry);
  const provider = providers[0];
  const settings = await settingsEntries(root, errors);
  const source = [
    "// Generated by scripts/build_registry.ts — do not edit. Run `deno task registry` after adding,",
    "// removing or changing a command or a migration; `deno task registry --check` fails when this",
    "// file is stale.",
    "",
    'import type { Registry } from "../core/registry.ts";',
    "",
    "/** Every command, check module and migration of the project, and its database provider. */",
    "export const registry: Registry = {",
    entries.length ? `  commands: [\n${entries.join("\n")}\n  ],` : "  commands: [],",
    checkEntries.length ? `  checks: [\n${checkEntries.join("\n")}\n  ],` : "  checks: [],",
    migrationEntries.length
      ? `  migrations: [\n${migrationEntries.join("\n")}\n  ],`
      : "  migrations: [],",
    modelEntries.length ? `  models: [\n${modelEntries.join("\n")}\n  ],` : "  models: [],",
    ...(scheduleEntries.length ? [`  schedules: [\n${scheduleEntries.join("\n")}\n  ],`] : []),

    ...(provider
      ? [
        "  database: {",
        `    app: ${JSON.stringify(provider.app)},`,
        `    module: ${JSON.stringify(provider.module)},`,
        `    load: () => import(${JSON.stringify(`../${provider.module}`)}),`,
        "  },",
      ]
      : []),
    ...(settings.length ? [`  settings: [\n${settings.join("\n")}\n  ],`] : []),
    "};",
    "",
  ].join("\n");
  return { source, errors, count: entries.length };
}

async function readText(url: URL): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(url);
  } catch {
    return undefined;
  }
}

/** What {@linkcode regenerateRegistry} did. */
export interface Regenerated {
  /** The problems that kept the registry from being written, each naming its file. */
  errors: string[];
  /** Whether the file changed. */
  wrote: boolean;
  /** How many commands are registered. */
  count: number;
}

/**
 * Generates the registry of the project at `root` and writes it when it changed and there are no
 * errors: whole or not at all, since a registry cut short would stop every command from starting.
 * A source run of `cli.ts` calls it when the registry is stale.
 */
export async function regenerateRegistry(root: URL): Promise<Regenerated> {
  const { source, errors, count } = await buildRegistry(root);
  if (errors.length > 0) return { errors, wrote: false, count };
  const target = new URL(REGISTRY_PATH, root);
  if (await readText(target) === source) return { errors, wrote: false, count };
  await writeFileAtomic(fileURLToPath(target), source);
  return { errors, wrote: true, count };
}

/** Whether the launcher at `target` is `source` and executable. */
async function launcherIsCurrent(target: URL, source: string): Promise<boolean> {
  if (await readText(target) !== source) return false;
  return Deno.build.os === "windows" || ((await Deno.stat(target)).mode ?? 0) & 0o111
    ? true
    : false;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const check = Deno.args.includes("--check");
  const quiet = Deno.args.includes("--quiet");
  const { source, errors, count } = await buildRegistry(root);
  let launcher: string | undefined;
  try {
    launcher = await buildLauncher(root);
  } catch (error) {
    errors.push(`${LAUNCHER_PATH}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (errors.length > 0 || launcher === undefined) {
    for (const error of errors) console.error(`error: ${error}`);
    Deno.exit(1);
  }
  const target = new URL(REGISTRY_PATH, root);
  const launcherTarget = new URL(LAUNCHER_PATH, root);
  const current = await readText(target);
  if (check) {
    let stale = false;
    if (current !== source) {
      console.error(
        `${REGISTRY_PATH} is out of date: run \`deno task registry\` and commit the result`,
      );
      stale = true;
    }
    if (!await launcherIsCurrent(launcherTarget, launcher)) {
      console.error(
        `./${LAUNCHER_PATH} does not match the manage task in deno.json: run \`deno task registry\` and commit the result`,
      );
      stale = true;
    }
    if (stale) Deno.exit(1);
    if (!quiet) {
      console.log(`${REGISTRY_PATH} and ./${LAUNCHER_PATH} are up to date (${count} commands)`);
    }
  } else {
    let launcherChanged = false;
    let writing = REGISTRY_PATH;
    try {
      // Whole or not at all: a registry cut short would stop every command from starting.
      if (current !== source) await writeFileAtomic(fileURLToPath(target), source);
      writing = LAUNCHER_PATH;
      if (!await launcherIsCurrent(launcherTarget, launcher)) {
        await writeFileAtomic(fileURLToPath(launcherTarget), launcher);
        if (Deno.build.os !== "windows") await Deno.chmod(launcherTarget, 0o755);
        launcherChanged = true;
      }
    } catch (error) {
      console.error(
        `error: Cannot write ${writing}: ${error instanceof Error ? error.message : error}`,
      );
      Deno.exit(1);
    }
    if (!quiet) {
      console.log(
        `${current === source ? "Unchanged" : "Wrote"} ${REGISTRY_PATH} (${count} commands)`,
      );
      if (launcherChanged) console.log(`Wrote ./${LAUNCHER_PATH}`);
    }
  }
}
