// callCommand: the same parsing, validation and lifecycle as the command line, in-process.

import assert from "node:assert/strict";
import {
  BaseCommand,
  callCommand,
  captureOutput,
  CommandError,
  type CommandParser,
  defineCommand,
  type Options,
  UsageError,
} from "../mod.ts";
import { registry } from "../commands/_registry.ts";

Deno.test("callCommand runs the seed's commands by name with captured output", async () => {
  const stdout = captureOutput();
  await callCommand("greet_user", ["John"], { registry, stdout });
  assert.equal(stdout.text, "Hello, John!\n");

  const status = captureOutput();
  await callCommand("show_status", [], { registry, stdout: status });
  await callCommand("show_status", ["--verbose"], { registry, stdout: status });
  await callCommand("show_status", [], { registry, stdout: status, verbose: true });
  assert.equal(status.text, "Regular mode.\nVerbose mode activated.\nVerbose mode activated.\n");
});

Deno.test("callCommand takes positional arguments by name too", async () => {
  const stdout = captureOutput();
  await callCommand("greet_user", [], { registry, stdout, name: "Ann" });
  assert.equal(stdout.text, "Hello, Ann!\n");
});

Deno.test("callCommand rejects unknown options, listing the valid ones", async () => {
  await assert.rejects(
    () => callCommand("greet_user", ["John"], { registry, stdout: captureOutput(), x: 1 }),
    (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(
        error.message,
        "Unknown option(s) for greet_user command: x. Valid options are: forceColor, name, noColor, settings, traceback, verbosity.",
      );
      return true;
    },
  );
});

Deno.test("callCommand throws UsageError (returncode 2) instead of exiting", async () => {
  await assert.rejects(
    () => callCommand("greet_user", [], { registry, stdout: captureOutput() }),
    (e: unknown) =>
      e instanceof UsageError && e.returncode === 2 &&
      e.message === "the following arguments are required: name",
  );
  await assert.rejects(
    () =>
      callCommand("greet_user", [], { registry, stdout: captureOutput(), verbosity: 9, name: "x" }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "argument -v/--verbosity: invalid choice: 9 (choose from 0, 1, 2, 3)",
  );
  await assert.rejects(
    () => callCommand("greet_usr", [], { registry }),
    (e: unknown) => e instanceof CommandError && e.message === "Unknown command: 'greet_usr'",
  );
});

Deno.test("callCommand returns what handle returns, typed", async () => {
  const sum = defineCommand({
    help: "Adds numbers",
    arguments: { numbers: { type: "number", nargs: "+" } },
    handle: ({ options }) => options.numbers.reduce((a, b) => a + b, 0),
  });
  const total: number = await callCommand(sum, ["1", "2.5", "-3"], { stdout: captureOutput() });
  assert.equal(total, 0.5);
  assert.equal(await callCommand(sum, [], { stdout: captureOutput(), numbers: [4, 5] }), 9);
});

Deno.test("a string returned by handle is written to stdout and returned", async () => {
  const hello = defineCommand({ help: "Says hi", handle: () => "hi" });
  const stdout = captureOutput();
  assert.equal(await callCommand(hello, [], { stdout }), "hi");
  assert.equal(stdout.text, "hi\n");
});

Deno.test("CommandError from handle propagates with its returncode; clean-ups still run", async () => {
  const log: string[] = [];
  const failing = defineCommand({
    help: "Fails",
    handle({ defer }) {
      defer(() => log.push("first registered"));
      defer(() => log.push("second registered"));
      throw new CommandError("Broken", { returncode: 4 });
    },
  });
  await assert.rejects(
    () => callCommand(failing, [], { stdout: captureOutput() }),
    (e: unknown) => e instanceof CommandError && e.returncode === 4 && e.message === "Broken",
  );
  assert.deepEqual(log, ["second registered", "first registered"]);
});

Deno.test("the caller's signal reaches ctx.signal", async () => {
  const controller = new AbortController();
  const waits = defineCommand({
    help: "Waits for abort",
    handle: ({ signal }) =>
      new Promise<string>((resolve) => {
        if (signal.aborted) resolve(`already ${signal.reason}`);
        signal.addEventListener("abort", () => resolve(String(signal.reason)));
      }),
  });
  const running = callCommand(waits, [], { stdout: captureOutput(), signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 10));
  controller.abort("stop");
  assert.equal(await running, "stop");
  assert.equal(
    await callCommand(waits, [], { stdout: captureOutput(), signal: controller.signal }),
    "already stop",
  );
});

Deno.test("stderr gets its own sink; no colour for captured output", async () => {
  const warns = defineCommand({
    help: "Warns",
    handle({ stdout, stderr, style }) {
      stdout.write(style.WARNING("careful"));
      stderr.write("problem");
    },
  });
  const stdout = captureOutput();
  const stderr = captureOutput();
  await callCommand(warns, [], { stdout, stderr });
  assert.equal(stdout.text, "careful\n");
  assert.equal(stderr.text, "problem\n");
  const forced = captureOutput();
  await callCommand(warns, [], { stdout: forced, stderr: captureOutput(), forceColor: true });
  assert.equal(forced.text, "\x1b[33;1mcareful\x1b[0m\n");
});

Deno.test("the class form gets options, stdout and style, a fresh instance per run", async () => {
  class Counter extends BaseCommand {
    override help = "Counts calls on this instance";
    calls = 0;
    override addArguments(parser: CommandParser) {
      parser.addArgument("-t", "--times", { type: "integer", default: 1 });
      parser.addArgument("--loud", { action: "store_true" });
    }
    handle(options: Options) {
      this.calls++;
      const text = `${this.calls}:${options.times}:${options.loud}:${options.verbosity}`;
      this.stdout.write(options.loud ? this.style.NOTICE(text) : text);
    }
  }
  const stdout = captureOutput();
  await callCommand(Counter, ["-t", "3", "--loud"], { stdout });
  await callCommand(Counter, ["-v", "2"], { stdout });
  assert.equal(stdout.text, "1:3:true:1\n1:1:false:2\n");
});

Deno.test("ctx.callCommand runs another registered command with the same streams", async () => {
  const outer = defineCommand({
    help: "Calls greet_user",
    async handle({ callCommand, stdout }) {
      stdout.write("before");
      await callCommand("greet_user", ["Zoe"]);
      stdout.write("after");
    },
  });
  const stdout = captureOutput();
  await callCommand(outer, [], { stdout, registry });
  assert.equal(stdout.text, "before\nHello, Zoe!\nafter\n");
});

Deno.test("--help through callCommand prints the help to stdout and runs nothing", async () => {
  const stdout = captureOutput();
  await callCommand("greet_user", ["--help"], { registry, stdout });
  assert.match(stdout.text, /^usage: manage greet_user \[-h\]/);
  assert.match(stdout.text, /Greets a user by name/);
});

Deno.test("a name without a registry is a clear error: the library keeps no global registry", async () => {
  await assert.rejects(
    () => callCommand("greet_user", ["John"], { stdout: captureOutput() }),
    (e: unknown) =>
      e instanceof CommandError &&
      e.message ===
        "No registry to find 'greet_user' in: pass { registry } (import it from commands/_registry.ts), " +
          "or use ctx.callCommand inside a command",
  );
});
