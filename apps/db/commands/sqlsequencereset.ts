import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { type ModelState, quoteIdent } from "../orm/mod.ts";
import { knownApps, loadModels } from "../serializers/mod.ts";

/** Column types whose values come from a sequence. */
const SERIAL = new Set(["serial", "bigserial", "smallserial"]);

/**
 * The statement that sets a model's sequence to its largest id (as Django's PostgreSQL
 * `sequence_reset_sql`), or undefined when no field takes its values from a sequence.
 */
export function sequenceResetSql(model: ModelState): string | undefined {
  const serial = Object.values(model.fields).find((field) => SERIAL.has(field.type));
  if (!serial) return undefined;
  const table = quoteIdent(model.table);
  const column = quoteIdent(serial.column);
  return `SELECT setval(pg_get_serial_sequence('${table.replaceAll("'", "''")}','${
    serial.column.replaceAll("'", "''")
  }'), coalesce(max(${column}), 1), max(${column}) IS NOT null) FROM ${table};`;
}

export default defineCommand({
  help: "Prints the SQL that sets the apps' sequences to their tables' largest ids",
  epilog: "Run it after loading rows with ids, as Django's: " +
    "manage sqlsequencereset myapp | manage dbshell",
  requiresDatabase: true,
  arguments: {
    appLabels: { nargs: "+", metavar: "app_label", help: "the apps to print the SQL for" },
  },
  async handle({ options, registry, stdout, stderr, style, verbosity }) {
    const apps = knownApps(registry);
    for (const app of options.appLabels) {
      if (!apps.has(app)) throw new CommandError(`No installed app with label '${app}'.`);
    }
    const models = await loadModels(registry);
    const withModels = new Set((registry.models ?? []).map((entry) => entry.app));
    const statements: string[] = [];
    for (const app of new Set(options.appLabels)) {
      // As Django's: an app without a models module prints nothing.
      if (!withModels.has(app)) continue;
      const found = models.filter((model) => model.app === app)
        .map(sequenceResetSql)
        .filter((sql): sql is string => sql !== undefined);
      if (found.length === 0 && verbosity >= 1) {
        stderr.write("No sequences found.", { style: (text) => text });
      }
      statements.push(...found);
    }
    if (statements.length === 0) return;
    stdout.write(style.SQL_KEYWORD("BEGIN;"));
    for (const sql of statements) stdout.write(sql);
    stdout.write(style.SQL_KEYWORD("COMMIT;"));
  },
});
