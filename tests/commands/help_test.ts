import assert from "node:assert/strict";
import { callCommand } from "../../core/call_command.ts";
import { defineCommand } from "../../core/command.ts";
import { captureOutput } from "../../core/output.ts";
import type { Registry, RegistryEntry } from "../../core/registry.ts";
import help from "../../commands/help.ts";

function entry(
  name: string,
  app: string,
  summary: string,
  load?: RegistryEntry["load"],
): RegistryEntry {
  return {
    name,
    app,
    summary,
    module: `apps/${app}/commands/${name}.ts`,
    flags: ["-h", "--help"],
    load: load ?? (() => Promise.reject(new Error(`${name} must not be loaded to list it`))),
  };
}

Deno.test("help lists commands by app from the registry's data, loading no module", async () => {
  const registry: Registry = {
    commands: [
      entry("zeta", "billing", "Closes the month"),
      entry("alpha", "billing", "Opens the month"),
      entry("help", "manage", "Lists the available commands"),
      entry("sync", "accounts", ""),
    ],
    checks: [],
  };
  const stdout = captureOutput();
  await callCommand(help, [], { stdout, registry });
  assert.equal(
    stdout.text,
    [
      "",
      "Type 'manage help <subcommand>' for help on a specific subcommand.",
      "",
      "Available subcommands:",
      "",
      "[accounts]",
      "    sync",
      "",
      "[billing]",
      "    alpha  Opens the month",
      "    zeta   Closes the month",
      "",
      "[manage]",
      "    help   Lists the available commands",
      "",
    ].join("\n"),
  );
  const names = captureOutput();
  await callCommand(help, ["--commands"], { stdout: names, registry });
  assert.equal(names.text, "alpha\nhelp\nsync\nzeta\n");
});

Deno.test("help <command> loads only that command and wraps to the terminal width", async () => {
  const wordy = defineCommand({
    help: "Does a thing with a long description that has to be wrapped at the terminal's width " +
      "because it is longer than one line",
    options: {
      target: { help: "where the thing goes, explained at some length to force wrapping" },
    },
    handle() {},
  });
  const registry: Registry = {
    commands: [
      entry("wordy", "app", "Does a thing", () => Promise.resolve({ default: wordy })),
      entry("other", "app", "x"),
    ],
    checks: [],
  };
  const stdout = captureOutput();
  await callCommand(help, ["wordy"], { stdout, registry });
  const lines = stdout.text.split("\n");
  assert.ok(lines.every((line) => line.length <= 78), stdout.text);
  assert.match(stdout.text, /^usage: manage wordy \[-h\] \[--target TARGET\]/);
  assert.match(
    stdout.text,
    /\n {2}--target TARGET {7}where the thing goes, explained at some length to\n {24}force wrapping\n/,
  );
});
