import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { loadMigrationGraph, migrationSource, optimizeOperations } from "../migrator/mod.ts";
import { projectRoot } from "../../../core/scaffold.ts";
import { writeFileAtomic } from "../../../core/atomic_file.ts";
import { migratedApp } from "./_migrated_app.ts";

export default defineCommand({
  help: "Optimizes the operations for the named migration\n\n" +
    "Combines operations that can be combined (a model created then given a field, a field " +
    "added then removed, renames in a row) and writes the migration again. An applied " +
    "migration's checksum changes with it: optimize migrations no database has applied yet.",
  // It writes source files into the project: code the next run executes.
  runFrom: ["cli"],
  arguments: {
    appLabel: {
      metavar: "app_label",
      help: "App label of the application to optimize the migration for",
    },
    migrationName: {
      metavar: "migration_name",
      help: "Migration name to optimize the operations for",
    },
  },
  options: {
    check: {
      type: "boolean",
      help: "Exit with a non-zero status if the migration can be optimized",
    },
  },
  async handle({ options, stdout, style, verbosity, registry, cwd }) {
    const graph = await loadMigrationGraph(registry.migrations);
    const app = migratedApp(registry, graph, options.appLabel, "");
    const node = graph.find(app, options.migrationName);
    const operations = node.migration.operations;
    const optimized = optimizeOperations(operations);
    if (optimized.length === operations.length) {
      if (verbosity >= 1) stdout.write("No optimizations possible.");
      return;
    }
    if (verbosity >= 1) {
      stdout.write(
        `Optimizing from ${operations.length} operations to ${optimized.length} operations.`,
      );
    }
    if (options.check) {
      throw new CommandError(
        `Migration ${node.key} can be optimized: run 'manage optimizemigration ${app} ${node.name}'`,
      );
    }
    const root = await projectRoot("optimizemigration", cwd);
    const source = migrationSource({
      replaces: node.migration.replaces,
      dependencies: node.migration.dependencies,
      atomic: node.migration.atomic,
      operations: optimized,
    });
    try {
      await writeFileAtomic(`${root}/${node.module}`, source);
    } catch (error) {
      throw new CommandError(
        `Cannot write ${node.module}: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
    if (verbosity >= 1) stdout.write(style.MIGRATE_HEADING(`Optimized migration ${node.module}`));
  },
});
