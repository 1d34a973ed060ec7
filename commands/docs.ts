import { defineCommand } from "../core/command.ts";
import { CommandError } from "../core/errors.ts";
import { projectFolder } from "../core/project.ts";
import { VERSION } from "../core/version.ts";
import {
  compareFolder,
  DEFAULT_OUTPUT,
  DOC_FORMATS,
  referenceFiles,
  writeReference,
} from "./_docs/mod.ts";

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export default defineCommand({
  help: "Writes the reference of every registered command, from their declarations\n\n" +
    "Usage, arguments, options with their types, defaults, environment variables and choices, " +
    "subcommands and examples, as Markdown (docs/commands/), man pages (docs/man/) or JSON " +
    "(docs/json/commands.json). With --check it writes nothing and fails when the files differ.",
  // It writes files into the project.
  runFrom: ["cli"],
  examples: [
    "manage docs",
    "manage docs --format man --output /usr/local/share/man/man1",
    "manage docs --check",
  ],
  options: {
    format: { choices: DOC_FORMATS, default: "markdown", help: "the format to write" },
    output: {
      metavar: "DIR",
      help: "the folder to write to (default: docs/commands, docs/man or docs/json in the project)",
    },
    check: {
      type: "boolean",
      help: "write nothing; exit 1 when the folder's files differ from the declarations",
    },
  },
  async handle({ options, stdout, style, registry, cwd }) {
    const format = options.format;
    const dir = options.output === undefined
      ? `${await projectFolder(cwd)}/${DEFAULT_OUTPUT[format]}`
      : options.output.startsWith("/")
      ? options.output
      : `${cwd}/${options.output}`;
    const files = await referenceFiles(registry.commands, format, VERSION);
    const diff = await compareFolder(dir, files, format);
    if (options.check) {
      const names = [...diff.changed, ...diff.stale.map((name) => `${name} (no such command)`)];
      if (names.length === 0) {
        stdout.write(
          `${dir}: the reference of ${registry.commands.length} commands is up to date.`,
        );
        return;
      }
      const again = ["manage docs"];
      if (format !== "markdown") again.push(`--format ${format}`);
      if (options.output !== undefined) again.push(`--output ${options.output}`);
      throw new CommandError(
        `${dir} is out of date (${plural(names.length, "file")}: ${names.slice(0, 5).join(", ")}${
          names.length > 5 ? ", …" : ""
        }): run '${again.join(" ")}' and commit it`,
      );
    }
    await writeReference(dir, files, diff);
    stdout.write(style.SUCCESS(
      `Wrote ${dir}: ${
        plural(diff.changed.length, "file")
      } changed, ${diff.stale.length} removed, ${files.size} in all.`,
    ));
  },
});
