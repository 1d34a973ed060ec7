import { defineCommand } from "../core/command.ts";
import { VERSION } from "../core/version.ts";

export default defineCommand({
  help: "Prints the version of manage",
  handle: ({ stdout }) => stdout.write(VERSION),
});
