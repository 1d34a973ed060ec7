import { defineCommand } from "../core/command.ts";
import { CommandError } from "../core/errors.ts";
import { BUILTIN_APP, findCommand } from "../core/registry.ts";
import { exists, NAME, projectRoot, rebuildRegistry, writeNewFile } from "../core/scaffold.ts";
import { appModule, functionTemplate, modelsTemplate, testTemplate } from "./_templates.ts";

export default defineCommand({
  help: "Creates an app with models, migrations, fixtures and a first command\n\n" +
    "It writes mod.ts, models.ts (a commented example), migrations/, fixtures/, and " +
    "commands/hello_<name>.ts with its test, which passes under 'manage test'. " +
    "Run it from the project root (the folder of deno.json); it rebuilds the registry after.",
  // It writes source files into the project: code the next start runs.
  runFrom: ["cli"],
  epilog: "Add commands to the new app with 'manage makecommand <name> <command>'.",
  arguments: {
    name: { help: "the app's name, in snake_case" },
  },
  async handle({ options, stdout, style, verbosity, signal, cwd, registry }) {
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
    const command = `hello_${name}`;
    const existing = findCommand(registry, command);
    if (existing) {
      throw new CommandError(
        `The first command, '${command}', conflicts with the existing command in ` +
          `${existing.module}: choose another app name`,
      );
    }
    for (const folder of ["commands", "migrations", "fixtures"]) {
      await Deno.mkdir(`${root}/${app}/${folder}`, { recursive: true });
    }
    // Empty folders are not kept by git.
    for (const folder of ["migrations", "fixtures"]) {
      await writeNewFile(root, `${app}/${folder}/.gitkeep`, "");
    }
    await writeNewFile(root, `${app}/mod.ts`, appModule(name));
    await writeNewFile(root, `${app}/models.ts`, modelsTemplate(name));
    await writeNewFile(root, `${app}/commands/${command}.ts`, functionTemplate(command));
    await writeNewFile(root, `${app}/commands/${command}_test.ts`, testTemplate(command));
    const report = await rebuildRegistry(root, { created: app, signal });
    if (verbosity >= 2 && report) stdout.write(report);
    if (verbosity >= 1) stdout.write(style.SUCCESS(`Created app '${name}' in ${app}`));
  },
});
