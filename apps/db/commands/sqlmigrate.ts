import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import {
  firstMigrationHint,
  installedApps,
  loadMigrationGraph,
  migrationSQL,
} from "../migrator/mod.ts";

export default defineCommand({
  help: "Prints the SQL statements for the named migration\n\n" +
    "Reads the migration only: it needs no database connection.",
  arguments: {
    appLabel: {
      metavar: "app_label",
      help: "App label of the application containing the migration",
    },
    migrationName: { metavar: "migration_name", help: "Migration name to print the SQL for" },
  },
  options: {
    backwards: {
      type: "boolean",
      help: "Creates SQL to unapply the migration, rather than to apply it",
    },
  },
  async handle({ options, stdout, stderr, registry, verbosity }) {
    const { appLabel, migrationName } = options;
    const graph = await loadMigrationGraph(registry.migrations);
    if (graph.appNodes(appLabel).length === 0) {
      const installed = installedApps(registry);
      throw new CommandError(
        installed.includes(appLabel)
          ? `App '${appLabel}' does not have migrations: create one with '${
            firstMigrationHint(registry, appLabel)
          }'`
          : `No installed app with label '${appLabel}' (installed: ${installed.join(", ")})`,
      );
    }
    // A squashed migration or one it replaces: both have their SQL.
    let node;
    try {
      node = graph.find(appLabel, migrationName);
    } catch (error) {
      try {
        node = graph.withOriginals().find(appLabel, migrationName);
      } catch {
        throw error;
      }
    }
    const sql = migrationSQL(node, options.backwards);
    if (sql === "") {
      if (verbosity >= 1) stderr.write("No operations found.", { style: (text) => text });
      return;
    }
    stdout.write(sql);
  },
});
