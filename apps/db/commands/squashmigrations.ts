import { defineCommand } from "../../../core/command.ts";
import { CommandError, UsageError } from "../../../core/errors.ts";
import {
  loadMigrationGraph,
  type MigrationNode,
  type MigrationRef,
  migrationSource,
  type Operation,
  optimizeOperations,
} from "../migrator/mod.ts";
import { lineReader } from "../../../core/prompt.ts";
import { projectRoot, rebuildRegistry, writeNewFile } from "../../../core/scaffold.ts";
import { migratedApp } from "./_migrated_app.ts";

/** Migration names after the number: what the registry accepts. */
const MIGRATION_NAME = /^[a-z0-9_]+$/;

/** Django's words after a squash. */
const AFTER_SQUASH = "  You should commit this migration but leave the old ones in place;\n" +
  "  the new migration will be used for new installs. Once you are sure\n" +
  "  all instances of the codebase have applied the migrations you squashed,\n" +
  "  you can delete them.";

export default defineCommand({
  help: "Squashes an existing set of migrations (from first until specified) into a single " +
    "new one\n\n" +
    "The new migration replaces the old ones: a database that applied them all counts it as " +
    "applied, a new one applies it instead of them. Keep the old ones until every database " +
    "has applied them, then delete them.",
  // It writes source files into the project: code the next run executes.
  runFrom: ["cli"],
  arguments: {
    appLabel: {
      metavar: "app_label",
      help: "App label of the application to squash migrations for",
    },
    startMigrationName: {
      nargs: "?",
      metavar: "start_migration_name",
      help: "Migrations will be squashed starting from and including this migration",
    },
    migrationName: {
      nargs: "?",
      metavar: "migration_name",
      help: "Migrations will be squashed until and including this migration",
    },
  },
  options: {
    noOptimize: { type: "boolean", help: "Do not try to optimize the squashed operations" },
    noinput: {
      type: "boolean",
      aliases: ["--no-input"],
      help: "Tells manage to NOT prompt the user for input of any kind",
    },
    squashedName: { help: "Sets the name of the new squashed migration" },
  },
  async handle(ctx) {
    const { options, stdout, style, verbosity, registry, cwd, signal } = ctx;
    // As Django's: one name is the end; two are the start and the end.
    let start = options.startMigrationName;
    let end = options.migrationName;
    if (end === undefined) [start, end] = [undefined, start];
    if (end === undefined) {
      throw new UsageError(
        "the following arguments are required: migration_name",
        "squashmigrations",
      );
    }
    const squashedName = options.squashedName;
    if (squashedName !== undefined && !MIGRATION_NAME.test(squashedName)) {
      throw new CommandError(
        `'${squashedName}' is not a valid migration name: use lowercase letters, digits and _`,
      );
    }
    const graph = (await loadMigrationGraph(registry.migrations)).withOriginals();
    const app = migratedApp(
      registry,
      graph,
      options.appLabel,
      " (so squashmigrations on it makes no sense)",
    );
    const last = graph.find(app, end);

    // The app's migrations up to the last one, in the order migrate applies them.
    let squashed = graph.forwardsPlan(last.key).filter((node) => node.app === app);
    if (start !== undefined) {
      const first = graph.find(app, start);
      const index = squashed.findIndex((node) => node.key === first.key);
      if (index < 0) {
        throw new CommandError(
          `The migration '${first.key}' cannot be found. Maybe it comes after the migration ` +
            `'${last.key}'? Have a look at 'manage showmigrations ${app}'`,
        );
      }
      squashed = squashed.slice(index);
    }
    if (squashed.some((node) => node.replaces.length > 0)) {
      throw new CommandError(
        "You cannot squash squashed migrations! Please transition it to a normal migration " +
          "first: delete the migrations it replaces once every database applied them, and " +
          "remove its 'replaces'",
      );
    }

    const interactive = ctx.stdinIsTerminal && !options.noinput;
    if (verbosity >= 1 || interactive) {
      stdout.write(style.MIGRATE_HEADING("Will squash the following migrations:"));
      for (const node of squashed) stdout.write(` - ${node.name}`);
      if (
        interactive && !(await proceed(ctx.stdin, (text) => stdout.write(text, { ending: "" })))
      ) {
        return;
      }
    }

    const operations = squashed.flatMap((node) => [...node.migration.operations]);
    let optimized: Operation[] = operations;
    if (options.noOptimize) {
      if (verbosity >= 1) stdout.write(style.MIGRATE_HEADING("(Skipping optimization.)"));
    } else {
      if (verbosity >= 1) stdout.write(style.MIGRATE_HEADING("Optimizing..."));
      optimized = optimizeOperations(operations);
      if (verbosity >= 1) {
        stdout.write(
          optimized.length === operations.length
            ? "  No optimizations possible."
            : `  Optimized from ${operations.length} operations to ${optimized.length} operations.`,
        );
      }
    }

    const name = squashedName !== undefined
      ? `${start !== undefined ? squashed[0].name.slice(0, 4) : "0001"}_${squashedName}`
      : start !== undefined
      ? `${squashed[0].name}_squashed_${last.name}`
      : `0001_squashed_${last.name}`;
    const path = `apps/${app}/migrations/${name}.ts`;
    const source = migrationSource({
      replaces: squashed.map((node): MigrationRef => [node.app, node.name]),
      dependencies: externalDependencies(squashed),
      atomic: squashed.every((node) => node.migration.atomic),
      operations: optimized,
    });
    const root = await projectRoot("squashmigrations", cwd);
    try {
      await writeNewFile(root, path, source);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new CommandError(`Migration ${name} already exists. Use a different name.`);
      }
      throw error;
    }
    const report = await rebuildRegistry(root, { created: path, signal });
    if (verbosity >= 1) {
      stdout.write(style.MIGRATE_HEADING(`Created new squashed migration ${path}`));
      stdout.write(AFTER_SQUASH);
    }
    if (verbosity >= 2 && report) stdout.write(report);
  },
});

/** The dependencies of the squashed migrations on other apps', each once. */
function externalDependencies(nodes: readonly MigrationNode[]): MigrationRef[] {
  const seen = new Set<string>();
  const refs: MigrationRef[] = [];
  for (const node of nodes) {
    for (const [app, name] of node.migration.dependencies) {
      if (app === node.app || seen.has(`${app}.${name}`)) continue;
      seen.add(`${app}.${name}`);
      refs.push([app, name]);
    }
  }
  return refs;
}

/** Django's `Do you wish to proceed? [y/N]`: anything but yes (or no answer) is no. */
async function proceed(
  stdin: ReadableStream<Uint8Array> | undefined,
  write: (text: string) => void,
): Promise<boolean> {
  const reader = lineReader(stdin);
  try {
    for (;;) {
      write("Do you wish to proceed? [y/N] ");
      const answer = (await reader.readLine())?.trim().toLowerCase();
      if (!answer) return false;
      if (answer[0] === "y" || answer[0] === "n") return answer[0] === "y";
    }
  } finally {
    reader.release();
  }
}
