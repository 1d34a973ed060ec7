import { BaseCommand } from "../../../mod.ts";
import { MyModel } from "../models.ts";

export default class Command extends BaseCommand {
  override help = "This command does something custom";

  async handle() {
    // Custom logic goes here
    this.stdout.write("Executing my custom command...");

    // Example: Query a model and print results
    const objects = MyModel.objects.all();
    for await (const obj of objects) {
      this.stdout.write(`Object: ${obj.name}`);
    }
  }
}
