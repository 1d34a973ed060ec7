import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { inspectTables, modelsSource } from "../introspection/mod.ts";

export default defineCommand({
  help: "Prints models.ts definitions for the tables in the database",
  epilog: "Save the output as apps/<app>/models.ts (the app given by --app), review its TODO " +
    "notes, and the models can query the tables.",
  requiresDatabase: true,
  arguments: {
    tables: {
      nargs: "*",
      metavar: "table",
      help: "the tables to inspect (every table of the current schema when none is given)",
    },
  },
  options: {
    app: { default: "legacy", metavar: "NAME", help: "the app label of the models" },
  },
  async handle({ options, db, stdout }) {
    if (!/^[a-z][a-z0-9_]*$/.test(options.app)) {
      throw new CommandError(
        `'${options.app}' is no app label: use lower-case letters, digits and _ (such as legacy)`,
      );
    }
    const connection = await db.connect();
    const tables = await inspectTables(connection, options.tables);
    const missing = options.tables.filter((name) => !tables.some((t) => t.name === name));
    if (missing.length > 0) {
      throw new CommandError(
        `No table named ${missing.map((m) => `'${m}'`).join(", ")} in the current schema`,
      );
    }
    stdout.write(modelsSource(tables, { app: options.app }), { ending: "" });
  },
});
