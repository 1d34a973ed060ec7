import { resolve } from "node:path";
import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { dumpModels } from "../_fixture_dump.ts";
import { knownApps, loadModels, selectModels } from "../_models.ts";

/** Rows per COPY on the embedded database, which copies through memory. */
const EMBEDDED_PAGE = 5000;

export default defineCommand({
  help: "Outputs the contents of the database as a fixture of the given format",
  // --output writes any file the server's user may write, and a dump holds every password
  // hash: not for the console. A nightly dump enqueued from the command line is fine.
  runFrom: ["cli", "background"],
  epilog: "Rows stream as they are read: memory stays flat however large the tables are.",
  requiresDatabase: true,
  arguments: {
    appLabels: {
      nargs: "*",
      metavar: "app_label[.ModelName]",
      help: "restricts the dump to these apps or models (all models when none is given)",
    },
  },
  options: {
    format: {
      choices: ["json", "jsonl"],
      default: "json",
      help: "the output format: json (an array) or jsonl (one object per line)",
    },
    indent: { type: "integer", metavar: "N", help: "indents json output by N spaces" },
    output: { short: "o", metavar: "FILE", help: "writes the fixture to FILE instead of stdout" },
  },
  async handle({ options, db, stdout, registry, cwd, defer }) {
    if (options.indent !== undefined && options.indent < 0) {
      throw new CommandError(`--indent must be 0 or more, not ${options.indent}`);
    }
    const models = selectModels(await loadModels(registry), options.appLabels, knownApps(registry));
    let write: (bytes: Uint8Array) => void;
    if (options.output !== undefined) {
      const path = resolve(cwd, options.output);
      let file: Deno.FsFile;
      try {
        file = await Deno.open(path, { write: true, create: true, truncate: true });
      } catch (error) {
        throw new CommandError(
          `Cannot write ${options.output}: ${error instanceof Error ? error.message : error}`,
          { cause: error },
        );
      }
      defer(() => file.close());
      write = (bytes) => {
        let rest = bytes;
        while (rest.length > 0) rest = rest.subarray(file.writeSync(rest));
      };
    } else {
      const decoder = new TextDecoder();
      write = (bytes) => stdout.write(decoder.decode(bytes, { stream: true }), { ending: "" });
    }
    const connection = await db.connect();
    try {
      await dumpModels(connection, models, {
        format: options.format,
        indent: options.indent,
        pageSize: connection.driver === "pglite" ? EMBEDDED_PAGE : undefined,
      }, write);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
        throw new CommandError(
          `Unable to serialize database: ${error instanceof Error ? error.message : error}`,
          { cause: error },
        );
      }
      throw error;
    }
  },
});
