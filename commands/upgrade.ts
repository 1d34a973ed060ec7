import { defineCommand } from "../core/command.ts";
import { CommandError } from "../core/errors.ts";
import { buildStamp, UpgradeError, upgradeExecutable } from "./_release/mod.ts";
import { VERSION } from "../core/version.ts";

export default defineCommand({
  help: "Replaces this manage with the newest release, or the one given\n\n" +
    "It downloads the archive for this platform from the releases this manage came from " +
    "(MANAGE_DOWNLOAD_URL overrides them), checks it against SHA256SUMS and puts the new " +
    "executable in place of this one; on any failure the old one stays.",
  // It replaces the program itself: for whoever runs it, at the machine.
  runFrom: ["cli"],
  epilog: "A source checkout (deno task manage) upgrades with git instead.",
  options: {
    version: {
      metavar: "VERSION",
      help: "installs this version (such as 0.2.0), older or newer, instead of the newest",
    },
    check: {
      type: "boolean",
      help: "only says whether there is another release: exit code 1 when there is",
    },
  },
  async handle({ options, stdout, env, executable, signal }) {
    const stamp = buildStamp();
    if (stamp === undefined || executable === undefined) {
      throw new CommandError(
        "This is a source run (deno run cli.ts): a source checkout upgrades with git " +
          "(git pull), and manage upgrade replaces a compiled manage",
      );
    }
    const base = env.MANAGE_DOWNLOAD_URL || stamp.releases;
    if (!base) {
      throw new CommandError(
        "This manage does not know where its releases are: set MANAGE_DOWNLOAD_URL to their " +
          "base URL (such as https://github.com/OWNER/REPO/releases)",
      );
    }
    try {
      const result = await upgradeExecutable({
        base,
        version: options.version,
        current: VERSION,
        target: stamp.target,
        executable,
        check: options.check,
        log: (line) => stdout.write(line),
        signal,
      });
      if (result.status === "available") {
        throw new CommandError(
          `manage ${result.to} is available (this is ${result.from}): run manage upgrade` +
            (options.version === undefined ? "" : ` --version ${result.to}`),
        );
      }
    } catch (error) {
      if (error instanceof UpgradeError) throw new CommandError(error.message, { cause: error });
      throw error;
    }
  },
});
