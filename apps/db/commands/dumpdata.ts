import { resolve } from "node:path";
import { AtomicFile } from "../../../core/atomic_file.ts";
import { defineCommand } from "../../../core/command.ts";
import { DatabaseUnavailableError } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import { dumpModels, knownApps, loadModels, selectModels } from "../serializers/mod.ts";

/** Rows per COPY on the embedded database, which copies through memory. */
const EMBEDDED_PAGE = 5000;

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether the error came from the database or the connection to it (an SQLSTATE, or the
 * driver's code for a connection that closed or failed), rather than from this program.
 */
function isDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^([0-9A-Z]{5}|CONNECTION_[A-Z_]+|E[A-Z]+)$/.test(code);
}

export default defineCommand({
  help: "Outputs the contents of the database as a fixture of the given format",
  // --output writes any file the server's user may write, and a dump holds every password
  // hash: not for the console. A nightly dump enqueued from the command line is fine.
  runFrom: ["cli", "background"],
  epilog: "Rows stream as they are read: memory stays flat however large the tables are. " +
    "--output replaces its file only when the dump is complete.",
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
  async handle({ options, db, stdout, registry, cwd, defer, signal }) {
    if (options.indent !== undefined && options.indent < 0) {
      throw new CommandError(`--indent must be 0 or more, not ${options.indent}`);
    }
    const models = selectModels(await loadModels(registry), options.appLabels, knownApps(registry));
    const name = options.output;
    const cannotWrite = (error: unknown) =>
      new CommandError(`Cannot write ${name}: ${reason(error)}`, { cause: error });
    let write: (bytes: Uint8Array) => void;
    let file: AtomicFile | undefined;
    if (name !== undefined) {
      // Into a file beside the old one, put in its place once the dump is whole.
      try {
        file = await AtomicFile.open(resolve(cwd, name));
      } catch (error) {
        throw cannotWrite(error);
      }
      const output = file;
      defer(() => output.abort());
      write = (bytes) => {
        // Stopped (Ctrl-C, SIGTERM): the dump ends here and the old file stays.
        signal.throwIfAborted();
        try {
          output.writeSync(bytes);
        } catch (error) {
          throw cannotWrite(error);
        }
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
      const lost = error instanceof DatabaseUnavailableError;
      if (!lost && (error instanceof CommandError || !isDatabaseError(error))) throw error;
      const what = lost
        ? error.message.replace(/^The /, "the ")
        : /^[0-9A-Z]{5}$/.test(String((error as { code: unknown }).code))
        ? reason(error)
        : `the connection to the database was lost (${reason(error)})`;
      const kept = name === undefined ? "" : `; ${name} was left as it was`;
      throw new CommandError(`Unable to serialize database: ${what}${kept}`, { cause: error });
    }
    try {
      await file?.commit({ signal });
    } catch (error) {
      throw signal.aborted ? error : cannotWrite(error);
    }
  },
});
