import { loadCommand } from "../core/checks.ts";
import { defineCommand } from "../core/command.ts";
import { CommandError } from "../core/errors.ts";
import { formatHelp } from "../core/help.ts";
import { commandsByApp, findCommand, unknownCommandMessage } from "../core/registry.ts";

export default defineCommand({
  help: "Lists the available commands, or shows one command's help",
  arguments: {
    command: { nargs: "?", help: "the command to show the help of" },
  },
  options: {
    commands: { type: "boolean", help: "list the command names only, one per line" },
  },
  async handle({ options, stdout, style, registry, prog, terminalWidth }) {
    if (options.commands) {
      for (const name of registry.commands.map((c) => c.name).sort()) stdout.write(name);
      return;
    }
    if (options.command !== undefined) {
      const entry = findCommand(registry, options.command);
      if (!entry) {
        throw new CommandError(unknownCommandMessage(registry, options.command, prog), {
          bare: true,
        });
      }
      const command = await loadCommand(entry);
      const help = formatHelp(
        command.signature,
        { prog, path: [entry.name], width: terminalWidth },
        {
          description: command.help,
          epilog: command.epilog,
        },
      );
      stdout.write(help, { ending: "" });
      return;
    }
    const width = Math.max(...registry.commands.map((c) => c.name.length)) + 2;
    stdout.write("");
    stdout.write(`Type '${prog} help <subcommand>' for help on a specific subcommand.`);
    stdout.write("");
    stdout.write("Available subcommands:");
    for (const [app, entries] of commandsByApp(registry)) {
      stdout.write("");
      stdout.write(style.NOTICE(`[${app}]`));
      for (const entry of entries) {
        stdout.write(
          `    ${entry.summary ? entry.name.padEnd(width) + entry.summary : entry.name}`,
        );
      }
    }
  },
});
