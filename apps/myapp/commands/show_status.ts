import { BaseCommand, type CommandParser, type Options } from "../../../mod.ts";

export default class Command extends BaseCommand {
  override help = "Shows status message";

  override addArguments(parser: CommandParser) {
    parser.addArgument("--verbose", {
      action: "store_true",
      help: "Increase output verbosity",
    });
  }

  handle(options: Options) {
    if (options.verbose) {
      this.stdout.write("Verbose mode activated.");
    } else {
      this.stdout.write("Regular mode.");
    }
  }
}
