import { defineCommand } from "../core/command.ts";
import { CommandError } from "../core/errors.ts";
import { BUILTIN_APP } from "../core/registry.ts";
import { exists, NAME, projectRoot, rebuildRegistry, writeNewFile } from "../core/scaffold.ts";

function appModule(name: string): string {
  return [
    "/**",
    ` * The ${name} app: its commands are the files in \`commands/\`, one per command.`,
    " *",
    " * @module",
    " */",
    "",
  ].join("\n");
}

export default defineCommand({
  help: "Creates an app: apps/<name>/ with a commands/ folder\n\n" +
    "Run it from the project root (the folder of deno.json); it rebuilds the registry after.",
  // It writes source files into the project: code the next start runs.
  runFrom: ["cli"],
  epilog: "Add commands to the new app with 'manage makecommand <name> <command>'.",
  arguments: {
    name: { help: "the app's name, in snake_case" },
  },
  async handle({ options, stdout, style, verbosity, signal, cwd }) {
    const { name } = options;
    if (!NAME.test(name)) {
      throw new CommandError(
        `'${name}' is not a valid app name: use snake_case (a-z, 0-9, _) starting with a letter`,
      );
    }
    if (name === BUILTIN_APP) {
      throw new CommandError(
        `'${name}' conflicts with the name of the built-in commands' group: choose another name`,
      );
    }
    const root = await projectRoot("startapp", cwd);
    const app = `apps/${name}`;
    if (await exists(`${root}/${app}`)) {
      throw new CommandError(
        `'${name}' conflicts with the name of an existing app in ${app}: choose another name`,
      );
    }
    await Deno.mkdir(`${root}/${app}/commands`, { recursive: true });
    await writeNewFile(root, `${app}/mod.ts`, appModule(name));
    const report = await rebuildRegistry(root, { created: app, signal });
    if (verbosity >= 2 && report) stdout.write(report);
    if (verbosity >= 1) stdout.write(style.SUCCESS(`Created app '${name}' in ${app}`));
  },
});
