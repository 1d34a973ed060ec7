import { defineCommand } from "../core/command.ts";
import { redactUrl } from "../core/database.ts";
import { DEFAULT_SETTINGS, loadSettings, type Settings } from "../core/settings.ts";

/** The settings as `key = value` pairs: dotted paths, values as JSON, passwords hidden. */
function flatten(settings: Settings): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [group, value] of Object.entries(settings)) {
    if (Array.isArray(value) || typeof value !== "object" || value === null) {
      flat.set(group, JSON.stringify(value));
      continue;
    }
    for (const [key, inner] of Object.entries(value)) {
      flat.set(`${group}.${key}`, redactUrl(JSON.stringify(inner)));
    }
  }
  return flat;
}

export default defineCommand({
  help: "Displays differences between the current settings and the default settings",
  // It reads and prints (passwords hidden); a job would only store the configuration.
  runFrom: ["cli", "console"],
  epilog: "The current settings are those of --settings (or MANAGE_SETTINGS, or settings.ts), " +
    "with the environment's overrides. In hash output, settings that are not in the defaults " +
    "(a database alias) are followed by '###'.",
  options: {
    all: {
      type: "boolean",
      help: 'Display all settings, regardless of their value. In "hash" mode, default values ' +
        'are prefixed by "###".',
    },
    default: {
      metavar: "MODULE",
      help: "The settings module to compare the current settings against. Leave empty to " +
        "compare against the default settings.",
    },
    output: {
      choices: ["hash", "unified"],
      default: "hash",
      help: 'Selects the output format. "hash" mode displays each changed setting, with the ' +
        'settings that don\'t appear in the defaults followed by ###. "unified" mode prefixes ' +
        "the default setting with a minus sign, followed by the changed setting prefixed with a " +
        "plus sign.",
    },
  },
  async handle({ options, settings, registry, stdout, style }) {
    const defaults = options.default === undefined
      ? flatten(structuredClone(DEFAULT_SETTINGS) as Settings)
      : flatten((await loadSettings(registry.settings, options.default, {})).settings);
    const user = flatten(settings);
    const output: string[] = [];
    for (const key of [...user.keys()].sort()) {
      const value = user.get(key)!;
      const base = defaults.get(key);
      if (options.output === "unified") {
        if (base === undefined) output.push(style.SUCCESS(`+ ${key} = ${value}`));
        else if (base !== value) {
          output.push(style.ERROR(`- ${key} = ${base}`));
          output.push(style.SUCCESS(`+ ${key} = ${value}`));
        } else if (options.all) output.push(`  ${key} = ${value}`);
      } else if (base === undefined) output.push(`${key} = ${value}  ###`);
      else if (base !== value) output.push(`${key} = ${value}`);
      else if (options.all) output.push(`### ${key} = ${value}`);
    }
    if (output.length > 0) stdout.write(output.join("\n"));
  },
});
