import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import {
  describeOperation,
  detectChanges,
  installedApps,
  loadMigrationGraph,
  type MigrationGraph,
  type MigrationRef,
  migrationSource,
  nameFragment,
  parseRenames,
  type ProjectState,
  projectState,
  referencedModels,
  type SchemaOperation,
  splitLabel,
} from "../migrator/mod.ts";
import { projectModels } from "../orm/mod.ts";
import { type LineReader, lineReader } from "../../../core/prompt.ts";
import { staleRegistryMessage } from "../../../core/registry.ts";
import {
  isDirectory,
  NAME,
  projectRoot,
  rebuildRegistry,
  writeNewFile,
} from "../../../core/scaffold.ts";

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

/**
 * A migration's name after its number, as Django's `Migration.suggest_name()`: `initial` for an
 * app's first, else its operations' fragments joined while they fit in 52 characters
 * (`_and_more` when they do not).
 */
function suggestName(operations: readonly SchemaOperation[], initial: boolean): string {
  if (initial) return "initial";
  const fragments = operations.map((op) => nameFragment(op).replace(/[^a-z0-9_]+/g, "_"));
  if (fragments.length === 0) return `auto_${nameTimestamp(new Date())}`;
  let name = fragments[0];
  for (const fragment of fragments.slice(1)) {
    const longer = `${name}_${fragment}`;
    if (longer.length > 52) return `${name}_and_more`;
    name = longer;
  }
  return name;
}

/** Asks yes/no questions on standard output, reading the answers from standard input. */
function questioner(reader: LineReader, write: (text: string) => void) {
  return async (question: string): Promise<boolean> => {
    write(`${question} `);
    for (;;) {
      const answer = await reader.readLine();
      if (answer === undefined) return false;
      const first = answer.trim().toLowerCase()[0];
      if (first === undefined) return false;
      if (first === "y" || first === "n") return first === "y";
      write("Please answer yes or no: ");
    }
  };
}

/** A migration to write. */
interface Planned {
  app: string;
  name: string;
  path: string;
  operations: SchemaOperation[];
  dependencies: MigrationRef[];
}

/**
 * The dependencies of each app's new migration on other apps, as Django's: on the other app's
 * migration made in this run, else on its latest. Throws {@linkcode CommandError} when a model
 * pointed at has no migration and none is being made for it.
 */
function crossAppDependencies(
  planned: readonly Planned[],
  state: ProjectState,
  graph: MigrationGraph,
): void {
  const byApp = new Map(planned.map((p) => [p.app, p]));
  for (const migration of planned) {
    const refs = new Map<string, MigrationRef>();
    for (const target of referencedModels(migration.app, migration.operations)) {
      const [app] = splitLabel(target);
      const made = byApp.get(app);
      if (made) {
        refs.set(app, [app, made.name]);
        continue;
      }
      const leaf = graph.leaf(app);
      if (!state.has(target) || !leaf) {
        throw new CommandError(
          `Models of app '${migration.app}' point at ${target}, which no migration creates: ` +
            `run 'manage makemigrations ${migration.app} ${app}' (or without app labels)`,
        );
      }
      refs.set(app, [app, leaf.name]);
    }
    migration.dependencies = [...refs.values()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  }
  // Two new migrations that need each other cannot be applied in any order.
  for (const migration of planned) {
    for (const [app] of migration.dependencies) {
      const other = byApp.get(app);
      if (other?.dependencies.some(([a]) => a === migration.app)) {
        throw new CommandError(
          `The new migrations of apps '${migration.app}' and '${app}' would depend on each ` +
            `other (their models point at each other): make the migrations of one app first ` +
            `with the foreign key to the other left out, then add it`,
        );
      }
    }
  }
}

export default defineCommand({
  help: "Creates new migrations for apps\n\n" +
    "Compares every app's models (apps/<app>/models.ts) with the state its migrations leave, " +
    "and writes the next migration of each app that changed, with the operations that bring " +
    "the database to the models. A field (or model) removed and another of the same definition " +
    "added are a rename only when --rename says so or you confirm it at the prompt. Run it from " +
    "the project root: it rebuilds the registry after.",
  // It writes source files into the project: code the next migrate runs.
  runFrom: ["cli"],
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
    check: {
      type: "boolean",
      help: "Exit with a non-zero status if model changes are missing migrations and don't " +
        "actually write them",
    },
    rename: {
      multiple: true,
      metavar: "RENAME",
      help: "A rename to make instead of a removal and an addition: app.Model.old:new for a " +
        "field, app.Old:New for a model (may be repeated)",
    },
    noinput: {
      type: "boolean",
      aliases: ["--no-input"],
      help: "Tells manage to NOT prompt the user for input of any kind",
    },
  },
  async handle(ctx) {
    const { options, stdout, style, verbosity, signal, cwd, registry } = ctx;
    const name = options.name;
    if (name !== undefined && !MIGRATION_NAME.test(name)) {
      throw new CommandError(
        `'${name}' is not a valid migration name: use lowercase letters, digits and _`,
      );
    }
    if (options.empty && options.appLabels.length === 0) {
      throw new CommandError(
        "You must supply at least one app label when using --empty: " +
          "'manage makemigrations --empty <app>'",
      );
    }
    const renames = parseRenames(options.rename ?? []);
    const writes = !options.dryRun && !options.check;
    const root = writes ? await projectRoot("makemigrations", cwd) : cwd;
    const graph = await loadMigrationGraph(registry.migrations);
    const modelEntries = registry.models ?? [];
    const known = new Set([...installedApps(registry), ...modelEntries.map((e) => e.app)]);
    const appLabels = [...new Set(options.appLabels)];
    for (const app of appLabels) {
      if (!NAME.test(app) || !(known.has(app) || await isDirectory(`${root}/apps/${app}`))) {
        throw new CommandError(
          `No installed app with label '${app}': create it with 'manage startapp ${app}'`,
        );
      }
    }

    let changes: Map<string, SchemaOperation[]>;
    let state: ProjectState = new Map();
    if (options.empty) {
      changes = new Map(appLabels.map((app) => [app, []]));
    } else {
      state = projectState(graph);
      const models = await projectModels(modelEntries);
      let reader: LineReader | undefined;
      const interactive = ctx.stdinIsTerminal && !options.noinput;
      try {
        if (interactive) reader = lineReader(ctx.stdin);
        changes = await detectChanges(state, models, {
          apps: appLabels.length > 0 ? appLabels : undefined,
          renames,
          ask: reader
            ? questioner(reader, (text) => stdout.write(text, { ending: "" }))
            : undefined,
        });
      } finally {
        reader?.release();
      }
    }

    if (changes.size === 0) {
      // A registry a source run found stale and could not regenerate may lack an app's models
      // or migrations: "No changes" would be a guess.
      const unknown = registry.stale?.missing.find((module) =>
        /^apps\/[^/]+\/(models\.ts|migrations\/)/.test(module) &&
        (appLabels.length === 0 || appLabels.includes(module.split("/")[1]))
      );
      if (unknown) throw new CommandError(staleRegistryMessage(registry)!);
      if (verbosity >= 1) {
        stdout.write(
          appLabels.length === 0
            ? "No changes detected"
            : appLabels.length === 1
            ? `No changes detected in app '${appLabels[0]}'`
            : `No changes detected in apps '${appLabels.join("', '")}'`,
        );
      }
      return;
    }

    const planned: Planned[] = [];
    for (const [app, operations] of [...changes].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
      const leaf = graph.leaf(app);
      const last = Math.max(
        leaf ? Number(leaf.name.slice(0, 4)) : 0,
        await lastNumber(`${root}/apps/${app}/migrations`),
      );
      if (last >= 9999) {
        throw new CommandError(`App '${app}' has migration 9999: no number is left after it`);
      }
      const number = String(last + 1).padStart(4, "0");
      const file = `${number}_${name ?? suggestName(operations, last === 0)}`;
      planned.push({
        app,
        name: file,
        path: `apps/${app}/migrations/${file}.ts`,
        operations,
        dependencies: [],
      });
    }
    crossAppDependencies(planned, state, graph);

    for (const migration of planned) {
      const source = migrationSource(migration);
      if (verbosity >= 1) {
        stdout.write(style.MIGRATE_HEADING(`Migrations for '${migration.app}':`));
        stdout.write(`  ${style.MIGRATE_LABEL(migration.path)}`);
        for (const op of migration.operations) stdout.write(`    - ${describeOperation(op)}`);
      }
      if (!writes) {
        if (verbosity >= 3) {
          stdout.write(style.MIGRATE_HEADING(`Full migrations file '${migration.name}.ts':`));
          stdout.write(source, { ending: "" });
        }
        continue;
      }
      await Deno.mkdir(`${root}/apps/${migration.app}/migrations`, { recursive: true });
      try {
        await writeNewFile(root, migration.path, source);
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) {
          throw new CommandError(
            `${migration.path} already exists: choose another name with --name`,
          );
        }
        throw error;
      }
    }
    if (options.check) {
      throw new CommandError(
        `Models in app(s) '${planned.map((p) => p.app).join("', '")}' have changes that are ` +
          "not in a migration: run 'manage makemigrations' and commit the migrations",
      );
    }
    if (writes) {
      const report = await rebuildRegistry(root, {
        created: planned.map((w) => w.path).join(" and "),
        signal,
      });
      if (verbosity >= 2 && report) stdout.write(report);
    }
  },
});
