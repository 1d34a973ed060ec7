import { defineCommand } from "../core/command.ts";
import { CommandError } from "../core/errors.ts";
import { findCommand } from "../core/registry.ts";
import { classTemplate, functionTemplate, testTemplate } from "./_templates.ts";
import {
  exists,
  isDirectory,
  NAME,
  projectRoot,
  rebuildRegistry,
  writeNewFile,
} from "../core/scaffold.ts";

export default defineCommand({
  help: "Creates a command in an app: apps/<app>/commands/<name>.ts and its test\n\n" +
    "Run it from the project root (the folder of deno.json); it rebuilds the registry after.",
  // It writes source files into the project: code the next start runs.
  runFrom: ["cli"],
  arguments: {
    app: { help: "the app to add the command to (see startapp)" },
    name: { help: "the command's name, in snake_case" },
  },
  options: {
    class: { type: "boolean", help: "write the BaseCommand class form instead of defineCommand" },
  },
  async handle({ options, stdout, style, registry, verbosity, signal, cwd }) {
    const { app, name } = options;
    if (!NAME.test(name)) {
      throw new CommandError(
        `'${name}' is not a valid command name: use snake_case (a-z, 0-9, _) starting with a letter`,
      );
    }
    if (name.endsWith("_test")) {
      throw new CommandError(
        `'${name}' is not a valid command name: files ending in _test.ts are tests, so drop '_test'`,
      );
    }
    if (!NAME.test(app)) {
      throw new CommandError(
        `'${app}' is not a valid app name: use snake_case (a-z, 0-9, _) starting with a letter`,
      );
    }
    const root = await projectRoot("makecommand", cwd);
    const appDir = `apps/${app}`;
    if (!(await isDirectory(`${root}/${appDir}`))) {
      throw new CommandError(`No app '${app}' in apps/: create it with 'manage startapp ${app}'`);
    }
    const module = `${appDir}/commands/${name}.ts`;
    const test = `${appDir}/commands/${name}_test.ts`;
    for (const path of [module, test]) {
      if (await exists(`${root}/${path}`)) {
        throw new CommandError(`${path} already exists: choose another name or edit that file`);
      }
    }
    const existing = findCommand(registry, name);
    if (existing) {
      throw new CommandError(
        `'${name}' conflicts with the existing command in ${existing.module}: choose another name`,
      );
    }
    await Deno.mkdir(`${root}/${appDir}/commands`, { recursive: true });
    const source = options.class ? classTemplate(name) : functionTemplate(name);
    await writeNewFile(root, module, source);
    await writeNewFile(root, test, testTemplate(name));
    const report = await rebuildRegistry(root, { created: module, signal });
    if (verbosity >= 2 && report) stdout.write(report);
    if (verbosity >= 1) {
      stdout.write(style.SUCCESS(`Created command '${name}' in ${module}`));
      stdout.write(style.SUCCESS(`Created its test in ${test}`));
    }
  },
});
