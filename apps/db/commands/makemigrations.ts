import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { isDirectory, NAME, projectRoot, rebuildRegistry } from "../../../commands/_scaffold.ts";

/** Migration names after the number: what the registry accepts (`0002_add_index.ts`). */
const MIGRATION_NAME = /^[a-z0-9_]+$/;

/** Django's `get_migration_name_timestamp()`: `20240501_1230` (UTC). */
function nameTimestamp(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}_` +
    `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}`;
}

/** The highest migration number in `dir` (0 when it has none or does not exist). */
async function lastNumber(dir: string): Promise<number> {
  let last = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      const match = /^(\d{4})_.*\.ts$/.exec(entry.name);
      if (entry.isFile && match) last = Math.max(last, Number(match[1]));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return last;
}

const TEMPLATE = [
  'import { defineMigration } from "../../../mod.ts";',
  "",
  "export default defineMigration({",
  "  dependencies: [],",
  "  operations: [],",
  "});",
  "",
].join("\n");

export default defineCommand({
  help: "Creates new migrations for apps\n\n" +
    "For now it writes empty migrations (--empty) to fill in with runSQL(sql, reverse); " +
    "detecting changes to models comes later. Run it from the project root: it rebuilds the " +
    "registry after.",
  arguments: {
    appLabels: {
      nargs: "*",
      metavar: "app_label",
      help: "Specify the app label(s) to create migrations for",
    },
  },
  options: {
    empty: { type: "boolean", help: "Create an empty migration" },
    name: { short: "n", help: "Use this name for migration file(s)" },
    dryRun: {
      type: "boolean",
      help: "Just show what migrations would be made; don't actually write them",
    },
    noinput: {
      type: "boolean",
      aliases: ["--no-input"],
      help: "Tells manage to NOT prompt the user for input of any kind",
    },
  },
  async handle({ options, stdout, style, verbosity, signal, cwd }) {
    if (!options.empty) {
      throw new CommandError(
        "Detecting changes to models is not available yet (the model autodetector comes later): " +
          "write a migration by hand with 'manage makemigrations --empty <app>'",
      );
    }
    if (options.appLabels.length === 0) {
      throw new CommandError(
        "You must supply at least one app label when using --empty: " +
          "'manage makemigrations --empty <app>'",
      );
    }
    const name = options.name;
    if (name !== undefined && !MIGRATION_NAME.test(name)) {
      throw new CommandError(
        `'${name}' is not a valid migration name: use lowercase letters, digits and _`,
      );
    }
    const root = await projectRoot("makemigrations", cwd);
    const written: { app: string; path: string }[] = [];
    for (const app of new Set(options.appLabels)) {
      if (!NAME.test(app) || !(await isDirectory(`${root}/apps/${app}`))) {
        throw new CommandError(
          `No installed app with label '${app}': create it with 'manage startapp ${app}'`,
        );
      }
      const last = await lastNumber(`${root}/apps/${app}/migrations`);
      if (last >= 9999) {
        throw new CommandError(`App '${app}' has migration 9999: no number is left after it`);
      }
      const number = String(last + 1).padStart(4, "0");
      const file = `${number}_${
        name ?? (last === 0 ? "initial" : `auto_${nameTimestamp(new Date())}`)
      }.ts`;
      written.push({ app, path: `apps/${app}/migrations/${file}` });
    }
    for (const { app, path } of written) {
      if (verbosity >= 1) {
        stdout.write(style.MIGRATE_HEADING(`Migrations for '${app}':`));
        stdout.write(`  ${style.MIGRATE_LABEL(path)}`);
      }
      if (options.dryRun) {
        if (verbosity >= 1) {
          stdout.write(style.MIGRATE_HEADING(`Full migrations file '${path.split("/").at(-1)}':`));
          stdout.write(TEMPLATE, { ending: "" });
        }
        continue;
      }
      await Deno.mkdir(`${root}/apps/${app}/migrations`, { recursive: true });
      try {
        await Deno.writeTextFile(`${root}/${path}`, TEMPLATE, { createNew: true });
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) {
          throw new CommandError(`${path} already exists: choose another name with --name`);
        }
        throw error;
      }
    }
    if (!options.dryRun) {
      const report = await rebuildRegistry(root, {
        created: written.map((w) => w.path).join(" and "),
        signal,
      });
      if (verbosity >= 2 && report) stdout.write(report);
    }
  },
});
