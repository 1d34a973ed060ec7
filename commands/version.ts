import { defineCommand } from "../core/command.ts";
import { buildStamp, formatVersion } from "./_release/mod.ts";
import { VERSION } from "../core/version.ts";

export default defineCommand({
  help: "Prints the version of manage\n\nA compiled manage adds the commit, the build date, the " +
    "target and the Deno version it was built with; a source run says so.",
  options: {
    format: { choices: ["text", "json"], default: "text", help: "the output format" },
  },
  handle: ({ options, stdout }) =>
    stdout.write(formatVersion(VERSION, buildStamp(), options.format)),
});
