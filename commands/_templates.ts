/**
 * The source files `startapp` and `makecommand` write: a command in either shape (an object made
 * by `defineCommand`, or a `BaseCommand` class), its test, which goes through `testCase()` (the
 * test database of `manage test`), and an app's first files.
 *
 * @module
 */

/** `send_invoice` → `Send invoice`: a placeholder summary the author is meant to replace. */
export function summaryOf(name: string): string {
  const words = name.replace(/_+/g, " ").trim();
  return words[0].toUpperCase() + words.slice(1);
}

function greeting(name: string): string {
  return `Hello from ${name}, `;
}

export function functionTemplate(name: string): string {
  return [
    'import { defineCommand } from "../../../mod.ts";',
    "",
    "export default defineCommand({",
    `  help: ${JSON.stringify(summaryOf(name))},`,
    "  arguments: {",
    '    name: { help: "who to greet" },',
    "  },",
    "  options: {",
    '    times: { type: "integer", short: "n", default: 1, help: "how many times to greet" },',
    "  },",
    "  handle({ options, stdout }) {",
    "    for (let i = 0; i < options.times; i++) {",
    `      stdout.write(\`${greeting(name)}\${options.name}!\`);`,
    "    }",
    "  },",
    "});",
    "",
  ].join("\n");
}

export function classTemplate(name: string): string {
  return [
    'import { BaseCommand, type CommandParser, type Options } from "../../../mod.ts";',
    "",
    "export default class Command extends BaseCommand {",
    `  override help = ${JSON.stringify(summaryOf(name))};`,
    "",
    "  override addArguments(parser: CommandParser) {",
    '    parser.addArgument("name", { help: "who to greet" });',
    "    parser.addArgument(",
    '      "-n",',
    '      "--times",',
    '      { type: "integer", default: 1, help: "how many times to greet" },',
    "    );",
    "  }",
    "",
    "  handle(options: Options) {",
    "    for (let i = 0; i < Number(options.times); i++) {",
    `      this.stdout.write(\`${greeting(name)}\${options.name}!\`);`,
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * The test of a command: through `testCase()`, so that the command gets the test database of
 * `manage test` when it queries one (and none is needed when it does not).
 */
export function testTemplate(name: string): string {
  const line = `${greeting(name)}World!\\n`;
  return [
    'import assert from "node:assert/strict";',
    'import { testCase } from "../../../mod.ts";',
    `import command from "./${name}.ts";`,
    "",
    "// Run with `deno task manage test`: each test gets the migrated test database, and what it",
    "// writes there is rolled back when it ends. Load fixtures with testCase({ fixtures: [...] }).",
    "",
    `Deno.test("${name} greets the name it is given", async () => {`,
    "  await using t = await testCase();",
    '  const { stdout } = await t.callCommand(command, ["World"]);',
    `  assert.equal(stdout, "${line}");`,
    "});",
    "",
    `Deno.test("${name} --times repeats the greeting", async () => {`,
    "  await using t = await testCase();",
    '  const { stdout } = await t.callCommand(command, ["World", "--times", "2"]);',
    `  assert.equal(stdout, "${line}".repeat(2));`,
    "});",
    "",
  ].join("\n");
}

/** An app's entry module. */
export function appModule(name: string): string {
  return [
    "/**",
    ` * The ${name} app: its models are in \`models.ts\`, its commands are the files in`,
    " * \`commands/\`, one per command, its migrations are in \`migrations/\` and its fixtures in",
    " * \`fixtures/\`.",
    " *",
    " * @module",
    " */",
    "",
  ].join("\n");
}

/** An app's models module, with a commented example: it exports nothing until a model is added. */
export function modelsTemplate(name: string): string {
  const model = name.split("_").map((word) => word[0].toUpperCase() + word.slice(1)).join("");
  return [
    `// The ${name} app's models: export each one, then run \`deno task manage makemigrations ${name}\``,
    "// and `deno task manage migrate`. For example:",
    "//",
    '// import { defineModel, field } from "../../mod.ts";',
    "//",
    `// /** An entry (table \`${name}_${model.toLowerCase()}entry\`). */`,
    `// export const ${model}Entry = defineModel("${name}.${model}Entry", {`,
    "//   title: field.varchar(200),",
    '//   body: field.text({ default: "" }),',
    "//   published: field.timestamptz({ null: true }),",
    "// });",
    "",
  ].join("\n");
}
