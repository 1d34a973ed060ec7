import {
  availableTags,
  formatCheckReport,
  runChecks,
  SystemCheckError,
  unknownTag,
} from "../core/checks.ts";
import { defineCommand } from "../core/command.ts";
import { CommandError } from "../core/errors.ts";

export default defineCommand({
  help: "Checks the whole project for potential problems",
  epilog:
    "With a database (--database, DATABASE_URL or the settings' default), also checks that it " +
    "answers, that no migration is unapplied and that no applied migration was edited. The " +
    "settings' silencedSystemChecks are not reported, and counted as silenced.",
  requiresDatabase: true,
  arguments: {
    apps: { nargs: "*", metavar: "app_label", help: "only check these apps" },
  },
  options: {
    tag: {
      short: "t",
      multiple: true,
      metavar: "TAG",
      help: "run only the checks with this tag (repeatable), such as database",
    },
    listTags: { type: "boolean", help: "List available tags." },
    deploy: { type: "boolean", help: "Check deployment settings." },
    failLevel: {
      choices: ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
      default: "ERROR",
      help: "message level that makes the command exit with a non-zero status",
    },
  },
  async handle({ options, registry, stdout, stderr, style, db, settings, cwd }) {
    const known = new Set(registry.commands.map((c) => c.app));
    for (const app of options.apps) {
      if (!known.has(app)) {
        throw new CommandError(
          `No installed app with label '${app}' (installed: ${[...known].sort().join(", ")})`,
        );
      }
    }
    if (options.listTags) {
      stdout.write((await availableTags({ registry, deploy: options.deploy })).join("\n"));
      return;
    }
    const missing = await unknownTag({ registry, deploy: options.deploy }, options.tag);
    if (missing !== undefined) {
      throw new CommandError(`There is no system check with the "${missing}" tag.`);
    }
    const useDb = options.database !== undefined ||
      (options.deploy && settings.databases.default !== undefined);
    const messages = await runChecks({
      registry,
      apps: options.apps.length > 0 ? options.apps : undefined,
      db: useDb ? db : undefined,
      tags: options.tag.length > 0 ? options.tag : undefined,
      settings,
      deploy: options.deploy,
      cwd,
    });
    const report = formatCheckReport(messages, { failLevel: options.failLevel, style });
    if (report.failed) throw new SystemCheckError(report.text);
    if (messages.some((m) => m.level !== "DEBUG")) {
      stderr.write(report.text, { style: (text) => text });
    } else stdout.write(report.text);
  },
});
