import { defineCommand } from "../../../core/command.ts";
import { truncateSql, userTables } from "../introspection/mod.ts";

export default defineCommand({
  help: "Prints the SQL that flush would run: emptying every table but the migrations record",
  requiresDatabase: true,
  async handle({ db, stdout, stderr, style }) {
    const tables = await userTables(db);
    if (tables.length === 0) {
      stderr.write("No tables found.", { style: (text) => text });
      return;
    }
    stdout.write(style.SQL_KEYWORD("BEGIN;"));
    stdout.write(truncateSql(tables));
    stdout.write(style.SQL_KEYWORD("COMMIT;"));
  },
});
