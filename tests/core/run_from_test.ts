// A command's doors (`runFrom`) and secret output, in the command model and in main(): both
// forms declare them, a wrong declaration is a DefinitionError, main() refuses a command that
// came through a door it does not declare, and outside the command line a secret output goes
// only where the caller shows it once.

import assert from "node:assert/strict";
import { type Command, defineCommand } from "../../core/command.ts";
import { BaseCommand, commandFromClass, type Options } from "../../core/command_class.ts";
import { checkCommands } from "../../core/checks.ts";
import { DefinitionError } from "../../core/errors.ts";
import { main } from "../../core/main.ts";
import { captureOutput } from "../../core/output.ts";
import type { Registry } from "../../core/registry.ts";
import { RUN_FROM } from "../../core/run_from.ts";

function registryOf(commands: Record<string, Command>): Registry {
  return {
    commands: Object.entries(commands).map(([name, command]) => ({
      name,
      app: "test",
      summary: command.help,
      module: `tests/${name}.ts`,
      flags: [],
      load: () => Promise.resolve({ default: command }),
    })),
    checks: [],
  };
}

Deno.test("both command forms declare their doors; every door when they do not", () => {
  const open = defineCommand({ help: "Open", handle() {} });
  assert.deepEqual(open.runFrom, ["cli", "console", "background"]);
  assert.equal(open.secretOutput, false);
  const narrow = defineCommand({
    help: "Narrow",
    runFrom: ["console", "cli"],
    secretOutput: true,
    handle() {},
  });
  assert.deepEqual(narrow.runFrom, ["cli", "console"], "in a fixed order");
  assert.equal(narrow.secretOutput, true);
  class Local extends BaseCommand {
    override help = "Local";
    override runFrom = ["cli"] as const;
    override secretOutput = true;
    handle(_options: Options) {}
  }
  const local = commandFromClass(Local);
  assert.deepEqual(local.runFrom, ["cli"]);
  assert.equal(local.secretOutput, true);
});

Deno.test("a command with no door, or a door that does not exist, is a DefinitionError", () => {
  assert.throws(
    () => defineCommand({ help: "x", runFrom: [], handle() {} }),
    (e: Error) =>
      e instanceof DefinitionError &&
      e.message === "runFrom names no door: give one or more of 'cli', 'console', 'background'",
  );
  assert.throws(
    () => defineCommand({ help: "x", runFrom: ["web" as "cli"], handle() {} }),
    (e: Error) =>
      e instanceof DefinitionError &&
      e.message === "runFrom: 'web' is no door: use 'cli', 'console' or 'background'",
  );
});

Deno.test("main() refuses a command that came through a door it does not declare", async () => {
  let ran = 0;
  const registry = registryOf({
    local: defineCommand({ help: "Local", runFrom: ["cli"], handle: () => void ran++ }),
    queued: defineCommand({ help: "Queued", runFrom: ["background"], handle: () => void ran++ }),
  });
  const run = async (argv: string[], from?: "cli" | "console" | "background") => {
    const stderr = captureOutput();
    const code = await main(argv, { registry, stdout: captureOutput(), stderr, env: {}, from });
    return { code, stderr: stderr.text };
  };
  assert.deepEqual(await run(["local"], "background"), {
    code: 2,
    stderr: "CommandError: The local command may not run in the background: it runs only from " +
      "the command line\n",
  });
  assert.deepEqual(await run(["local"], "console"), {
    code: 2,
    stderr: "CommandError: The local command may not run from the web console: it runs only " +
      "from the command line\n",
  });
  assert.deepEqual(await run(["queued"]), {
    code: 2,
    stderr: "CommandError: The queued command may not run from the command line: it runs only " +
      "in the background\n",
  });
  assert.equal(ran, 0);
  assert.deepEqual(await run(["local"]), { code: 0, stderr: "" });
  assert.deepEqual(await run(["queued"], "background"), { code: 0, stderr: "" });
  assert.equal(ran, 2);
});

Deno.test("a secret output is printed on the command line, and elsewhere only where the caller shows it", async () => {
  const registry = registryOf({
    mint: defineCommand({
      help: "Prints a secret",
      runFrom: ["cli", "console", "background"],
      secretOutput: true,
      handle({ stdout, stderr }) {
        stdout.write("tok_123");
        stderr.write("a note", { style: (t) => t });
      },
    }),
  });
  const cli = captureOutput();
  assert.equal(
    await main(["mint"], { registry, stdout: cli, stderr: captureOutput(), env: {} }),
    0,
  );
  assert.equal(cli.text, "tok_123\n");
  for (const from of ["console", "background"] as const) {
    const stdout = captureOutput();
    const stderr = captureOutput();
    const secretStdout = captureOutput();
    const code = await main(["mint"], {
      registry,
      stdout,
      stderr,
      env: {},
      from,
      ...(from === "console" ? { secretStdout } : {}),
    });
    assert.equal(code, 0);
    assert.equal(stdout.text, "(the output of mint is secret: it is not kept)\n", from);
    assert.equal(stderr.text, "a note\n");
    assert.equal(secretStdout.text, from === "console" ? "tok_123\n" : "");
  }
});

Deno.test("manage check warns when the registry's doors are stale", async () => {
  const registry = registryOf({
    local: defineCommand({ help: "Local", runFrom: ["cli"], handle() {} }),
  });
  const stale = { ...registry, commands: [{ ...registry.commands[0], runFrom: RUN_FROM }] };
  const fresh = { ...registry, commands: [{ ...registry.commands[0], runFrom: ["cli" as const] }] };
  assert.deepEqual((await checkCommands({ registry: stale })).map((m) => [m.id, m.msg]), [[
    "commands.W002",
    "The registry is out of date with the command's runFrom or secretOutput.",
  ]]);
  assert.deepEqual(await checkCommands({ registry: fresh }), []);
});
