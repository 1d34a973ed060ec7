import { BaseCommand, type CommandParser, type Options } from "../../../mod.ts";

export default class Command extends BaseCommand {
  override help = "Greets a user by name";

  override addArguments(parser: CommandParser) {
    parser.addArgument("name", { type: "string" });
  }

  handle(options: Options) {
    const name = options.name;
    this.stdout.write(`Hello, ${name}!`);
  }
}
