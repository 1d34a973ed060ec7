// Usage and help text, laid out as argparse lays it out: exact strings, no colour involved.

import assert from "node:assert/strict";
import type { ArgumentsDecl } from "../../core/arguments.ts";
import { signatureOf } from "../../core/signature.ts";
import { formatHelp, formatUsage, type HelpLayout, wrapText } from "../../core/help.ts";
import { sharedOptions } from "../../core/shared_options.ts";

const lines = (...text: string[]) => text.join("\n");

function usage(decl: ArgumentsDecl, layout: Partial<HelpLayout> = {}): string {
  return formatUsage(signatureOf(decl), { prog: "manage", path: ["cmd"], width: 80, ...layout });
}

const GREET: ArgumentsDecl = {
  arguments: { name: { help: "who to greet" } },
  options: {
    times: { type: "integer", short: "t", default: 1, help: "how many times to greet" },
    greeting: { env: "GREETING", default: "Hello", help: "the word to greet with" },
    outputDirectory: {
      type: "path",
      env: "GREET_OUT",
      help: "write each greeting to a file in this directory instead of printing it",
    },
    shout: { type: "boolean", help: "greet in capitals" },
  },
};

Deno.test("a short usage fits on one line", () => {
  assert.equal(
    usage({ arguments: { name: {} }, options: { force: { type: "boolean", short: "f" } } }),
    "usage: manage cmd [-f] name",
  );
  assert.equal(usage({}), "usage: manage cmd");
});

Deno.test("usage shows each nargs form as argparse does", () => {
  assert.equal(usage({ arguments: { name: {} } }), "usage: manage cmd name");
  assert.equal(usage({ arguments: { name: { nargs: "?" } } }), "usage: manage cmd [name]");
  assert.equal(usage({ arguments: { name: { nargs: "*" } } }), "usage: manage cmd [name ...]");
  assert.equal(
    usage({ arguments: { name: { nargs: "+" } } }),
    "usage: manage cmd name [name ...]",
  );
  assert.equal(
    usage({ arguments: { point: { nargs: 2, metavar: "XY" } } }),
    "usage: manage cmd XY XY",
  );
  assert.equal(
    usage({ arguments: { mode: { choices: ["fast", "slow"] } } }),
    "usage: manage cmd {fast,slow}",
  );
});

Deno.test("usage shows options with their metavars, required ones without brackets", () => {
  assert.equal(
    usage({
      options: {
        dryRun: { type: "boolean" },
        name: { short: "n" },
        outputDir: { metavar: "DIR" },
        level: { choices: [1, 2] },
        token: { required: true },
        tag: { multiple: true },
        verbose: { type: "count", short: "v" },
      },
    }),
    "usage: manage cmd [--dry-run] [-n NAME] [--output-dir DIR] [--level {1,2}]\n" +
      "                  --token TOKEN [--tag TAG] [-v]",
  );
});

Deno.test("usage shows exclusive groups together, required ones in parentheses", () => {
  const options = {
    json: { type: "boolean" },
    format: { short: "f" },
    yaml: { type: "boolean" },
  } as const;
  assert.equal(
    usage({ options, exclusive: [{ options: ["json", "yaml"] }] }),
    "usage: manage cmd [--json | --yaml] [-f FORMAT]",
  );
  assert.equal(
    usage({ options, exclusive: [{ options: ["json", "yaml"], required: true }] }),
    "usage: manage cmd (--json | --yaml) [-f FORMAT]",
  );
  assert.equal(
    usage({ options, exclusive: [{ options: ["format", "json"] }] }),
    "usage: manage cmd [-f FORMAT | --json] [--yaml]",
  );
});

Deno.test("usage lists subcommands as a choice", () => {
  assert.equal(
    usage({ arguments: { queue: {} }, subcommands: { list: {}, add: {} } }),
    "usage: manage cmd queue {list,add} ...",
  );
});

Deno.test("a long usage wraps at the program name's indent, positionals on their own line", () => {
  const signature = signatureOf(GREET, sharedOptions());
  assert.equal(
    formatUsage(signature, { prog: "manage", path: ["greet_user"], width: 80 }),
    lines(
      "usage: manage greet_user [-h] [-t TIMES] [--greeting GREETING]",
      "                         [--output-directory OUTPUT_DIRECTORY] [--shout]",
      "                         [--version] [-v {0,1,2,3}] [--traceback] [--no-color]",
      "                         [--force-color] [--settings NAME]",
      "                         name",
    ),
  );
  assert.equal(
    formatUsage(signature, { prog: "manage", path: ["greet_user"], width: 60 }),
    lines(
      "usage: manage greet_user [-h] [-t TIMES]",
      "                         [--greeting GREETING]",
      "                         [--output-directory OUTPUT_DIRECTORY]",
      "                         [--shout] [--version]",
      "                         [-v {0,1,2,3}] [--traceback]",
      "                         [--no-color] [--force-color]",
      "                         [--settings NAME]",
      "                         name",
    ),
  );
});

Deno.test("usage keeps the indent while the program name fills at most 3/4 of the width", () => {
  const signature = signatureOf(GREET, sharedOptions());
  // "usage: manage " and a 44-letter command: 58 columns, within 3/4 of 78.
  assert.equal(
    formatUsage(signature, { prog: "manage", path: ["c".repeat(44)], width: 80 }),
    lines(
      `usage: manage ${"c".repeat(44)} [-h] [-t TIMES]`,
      `${" ".repeat(59)}[--greeting GREETING]`,
      `${" ".repeat(59)}[--output-directory OUTPUT_DIRECTORY]`,
      `${" ".repeat(59)}[--shout]`,
      `${" ".repeat(59)}[--version]`,
      `${" ".repeat(59)}[-v {0,1,2,3}]`,
      `${" ".repeat(59)}[--traceback]`,
      `${" ".repeat(59)}[--no-color]`,
      `${" ".repeat(59)}[--force-color]`,
      `${" ".repeat(59)}[--settings NAME]`,
      `${" ".repeat(59)}name`,
    ),
  );
});

Deno.test("a long program name gets a line of its own", () => {
  const signature = signatureOf(GREET, sharedOptions());
  const expected = (command: string) =>
    lines(
      `usage: manage ${command}`,
      "       [-h] [-t TIMES] [--greeting GREETING]",
      "       [--output-directory OUTPUT_DIRECTORY] [--shout] [--version]",
      "       [-v {0,1,2,3}] [--traceback] [--no-color] [--force-color]",
      "       [--settings NAME]",
      "       name",
    );
  for (const command of ["c".repeat(45), "c".repeat(70)]) {
    assert.equal(
      formatUsage(signature, { prog: "manage", path: [command], width: 80 }),
      expected(command),
    );
  }
  // When everything fits on one line after the name, it stays one line.
  assert.equal(
    formatUsage(signatureOf({ arguments: { name: {} }, options: { force: { type: "boolean" } } }), {
      prog: "manage",
      path: ["c".repeat(70)],
      width: 80,
    }),
    `usage: manage ${"c".repeat(70)}\n       [--force] name`,
  );
});

Deno.test("the full help of a small command at width 80", () => {
  const help = formatHelp(
    signatureOf(GREET, sharedOptions()),
    { prog: "manage", path: ["greet_user"], width: 80 },
    {
      description: "Greets a user by name.",
      epilog: "Exit status is 0 when everyone was greeted.",
    },
  );
  assert.equal(
    help,
    lines(
      "usage: manage greet_user [-h] [-t TIMES] [--greeting GREETING]",
      "                         [--output-directory OUTPUT_DIRECTORY] [--shout]",
      "                         [--version] [-v {0,1,2,3}] [--traceback] [--no-color]",
      "                         [--force-color] [--settings NAME]",
      "                         name",
      "",
      "Greets a user by name.",
      "",
      "positional arguments:",
      "  name                  who to greet",
      "",
      "options:",
      "  -h, --help            show this help message and exit",
      "  -t, --times TIMES     how many times to greet (default: 1)",
      "  --greeting GREETING   the word to greet with (default: Hello; env: GREETING)",
      "  --output-directory OUTPUT_DIRECTORY",
      "                        write each greeting to a file in this directory",
      "                        instead of printing it (env: GREET_OUT)",
      "  --shout               greet in capitals",
      "  --version             Show program's version number and exit.",
      "  -v, --verbosity {0,1,2,3}",
      "                        Verbosity level; 0=minimal output, 1=normal output,",
      "                        2=verbose output, 3=very verbose output",
      "  --traceback           Display a full stack trace when the command fails.",
      "  --no-color            Don't colorize the command output.",
      "  --force-color         Force colorization of the command output.",
      "  --settings NAME       The settings module: NAME for settings/NAME.ts",
      "                        (default: settings.ts, when the project has one).",
      "                        (env: MANAGE_SETTINGS)",
      "",
      "Exit status is 0 when everyone was greeted.",
      "",
    ),
  );
});

Deno.test("the help column follows the longest invocation when it is short", () => {
  const help = formatHelp(
    signatureOf({
      arguments: { src: { help: "from" } },
      options: { force: { type: "boolean", short: "f", help: "overwrite" } },
    }),
    { prog: "manage", path: ["cp"], width: 80 },
  );
  assert.equal(
    help,
    lines(
      "usage: manage cp [-f] src",
      "",
      "positional arguments:",
      "  src          from",
      "",
      "options:",
      "  -f, --force  overwrite",
      "",
    ),
  );
});

Deno.test("a narrow terminal moves the help column left and wraps the help", () => {
  const help = formatHelp(
    signatureOf({
      options: {
        name: { help: "the name to use for the thing being made" },
        outputDirectory: { help: "where" },
        force: { type: "boolean", help: "overwrite" },
      },
    }),
    { prog: "manage", path: ["make"], width: 40 },
  );
  // At 40 columns the help column is at most 38 - 20 = 18.
  assert.equal(
    help,
    lines(
      "usage: manage make [--name NAME]",
      "                   [--output-directory OUTPUT_DIRECTORY]",
      "                   [--force]",
      "",
      "options:",
      "  --name NAME     the name to use for",
      "                  the thing being made",
      "  --output-directory OUTPUT_DIRECTORY",
      "                  where",
      "  --force         overwrite",
      "",
    ),
  );
});

Deno.test("defaults and environment variables are noted, but not empty or false ones", () => {
  const help = formatHelp(
    signatureOf({
      arguments: { files: { nargs: "*", default: ["a.txt", "b.txt"], help: "inputs" } },
      options: {
        retries: { type: "integer", default: 3, env: "RETRIES" },
        quiet: { type: "boolean", help: "say less" },
        color: { type: "boolean", negatable: true, default: true, help: "use colour" },
        verbose: { type: "count", short: "v", help: "say more" },
        tag: { multiple: true, help: "labels" },
        mode: { choices: ["fast", "slow"], default: "fast", help: "how" },
      },
    }),
    { prog: "manage", path: ["run"], width: 80 },
  );
  assert.equal(
    help,
    lines(
      "usage: manage run [--retries RETRIES] [--quiet] [--color | --no-color] [-v]",
      "                  [--tag TAG] [--mode {fast,slow}]",
      "                  [files ...]",
      "",
      "positional arguments:",
      "  files                inputs (default: a.txt b.txt)",
      "",
      "options:",
      "  --retries RETRIES    (default: 3; env: RETRIES)",
      "  --quiet              say less",
      "  --color, --no-color  use colour (default: true)",
      "  -v, --verbose        say more",
      "  --tag TAG            labels",
      "  --mode {fast,slow}   how (default: fast)",
      "",
    ),
  );
});

Deno.test("a duration's default is shown as a duration, not in milliseconds", () => {
  const help = formatHelp(
    signatureOf({
      options: {
        timeout: { type: "duration", default: "1h30m", help: "give up after" },
        poll: { type: "duration", default: 1500 },
        grace: { type: "duration", default: 0 },
      },
    }),
    { prog: "manage", path: ["wait"], width: 80 },
  );
  assert.equal(
    help,
    lines(
      "usage: manage wait [--timeout TIMEOUT] [--poll POLL] [--grace GRACE]",
      "",
      "options:",
      "  --timeout TIMEOUT  give up after (default: 1h30m)",
      "  --poll POLL        (default: 1s500ms)",
      "  --grace GRACE      (default: 0s)",
      "",
    ),
  );
});

Deno.test("subcommands are listed under their choice, indented, with their help", () => {
  const help = formatHelp(
    signatureOf({
      options: { all: { type: "boolean", short: "a", help: "every queue" } },
      subcommands: {
        list: { help: "list the jobs" },
        add: { help: "add a job" },
        "clear-finished-and-failed": { help: "remove jobs that are done" },
      },
    }, sharedOptions()),
    { prog: "manage", path: ["jobs"], width: 80 },
    { description: "Manages jobs." },
  );
  assert.equal(
    help,
    lines(
      "usage: manage jobs [-h] [-a] [--version] [-v {0,1,2,3}] [--traceback]",
      "                   [--no-color] [--force-color] [--settings NAME]",
      "                   {list,add,clear-finished-and-failed} ...",
      "",
      "Manages jobs.",
      "",
      "positional arguments:",
      "  {list,add,clear-finished-and-failed}",
      "    list                list the jobs",
      "    add                 add a job",
      "    clear-finished-and-failed",
      "                        remove jobs that are done",
      "",
      "options:",
      "  -h, --help            show this help message and exit",
      "  -a, --all             every queue",
      "  --version             Show program's version number and exit.",
      "  -v, --verbosity {0,1,2,3}",
      "                        Verbosity level; 0=minimal output, 1=normal output,",
      "                        2=verbose output, 3=very verbose output",
      "  --traceback           Display a full stack trace when the command fails.",
      "  --no-color            Don't colorize the command output.",
      "  --force-color         Force colorization of the command output.",
      "  --settings NAME       The settings module: NAME for settings/NAME.ts",
      "                        (default: settings.ts, when the project has one).",
      "                        (env: MANAGE_SETTINGS)",
      "",
    ),
  );
});

Deno.test("exclusive groups appear in the help's usage too", () => {
  const help = formatHelp(
    signatureOf({
      options: {
        json: { type: "boolean", help: "as JSON" },
        yaml: { type: "boolean", help: "as YAML" },
      },
      exclusive: [{ options: ["json", "yaml"], required: true }],
    }),
    { prog: "manage", path: ["dump"] },
  );
  assert.equal(
    help,
    lines(
      "usage: manage dump (--json | --yaml)",
      "",
      "options:",
      "  --json  as JSON",
      "  --yaml  as YAML",
      "",
    ),
  );
});

Deno.test("wrapText keeps paragraphs apart and wraps words", () => {
  assert.deepEqual(wrapText("one two three four\n\nfive", 11), [
    "one two",
    "three four",
    "",
    "five",
  ]);
  assert.deepEqual(wrapText("  spaced    out  ", 80), ["spaced out"]);
});

Deno.test("hidden options are parsed but left out of help and usage", async () => {
  const { parseArgs } = await import("../../core/parser.ts");
  const signature = signatureOf({
    options: { words: { hidden: true }, shown: { type: "boolean" } },
  });
  assert.equal(parseArgs(signature, ["--words", "x"]).values.words, "x");
  const help = formatHelp(signature, { prog: "manage", path: ["c"] });
  assert.doesNotMatch(help, /--words/);
  assert.match(help, /--shown/);
});
