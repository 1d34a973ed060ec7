import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { lineReader } from "../../../core/prompt.ts";
import { truncateSql, userTables } from "../introspection/mod.ts";

export default defineCommand({
  help: "Empties every table (except the migrations record), keeping the schema",
  // It empties every table: for someone at the machine, who confirms it.
  runFrom: ["cli"],
  requiresDatabase: true,
  options: {
    noinput: {
      type: "boolean",
      flag: "--noinput",
      aliases: ["--no-input"],
      help: "do not ask for confirmation",
    },
  },
  async handle({ options, db, stdout, stdin, verbosity, style }) {
    const connection = await db.connect();
    if (!options.noinput) {
      stdout.write(
        "You have requested a flush of the database.\n" +
          `This will IRREVERSIBLY DESTROY all data currently in the database ${connection.url},\n` +
          "and return each table to an empty state.\n" +
          "Are you sure you want to do this?\n\n" +
          "    Type 'yes' to continue, or 'no' to cancel: ",
        { ending: "" },
      );
      const reader = lineReader(stdin);
      const answer = await reader.readLine();
      reader.release();
      if (answer === undefined) {
        throw new CommandError("Flush needs confirmation: answer 'yes', or run it with --noinput");
      }
      if (answer.trim() !== "yes") {
        stdout.write("Flush cancelled.");
        return;
      }
    }
    const tables = await userTables(connection);
    if (tables.length > 0) await connection.transaction((tx) => tx.exec(truncateSql(tables)));
    if (verbosity >= 2) stdout.write(style.SUCCESS(`Flushed ${tables.length} table(s).`));
  },
});
