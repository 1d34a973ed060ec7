// Compile-time checks of the option types defineCommand infers from a declaration. `deno test`
// type-checks this file: each assignment must compile, and each `@ts-expect-error` line must
// be an error (or the directive itself is reported as unused).

import assert from "node:assert/strict";
import { defineCommand } from "../../core/command.ts";
import { parseArgs } from "../../core/parser.ts";

/** True when X and Y are the same type (not merely assignable to each other). */
type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true
  : false;

/** Compiles only when given `true`: `check<Equal<A, B>>(true)`. */
function check<T extends true>(_proof: T): void {}

const everything = defineCommand({
  help: "Every kind of argument and option",
  arguments: {
    name: { help: "a string positional" },
    files: { nargs: "*" },
    level: { nargs: "?", type: "integer" },
    pair: { nargs: 2, type: "number" },
  },
  options: {
    dryRun: { type: "boolean" },
    times: { type: "integer", default: 1 },
    limit: { type: "integer" },
    ratio: { type: "number" },
    color: { choices: ["red", "blue"] },
    size: { type: "integer", choices: [1, 2, 3] },
    tag: { multiple: true },
    port: { type: "integer", multiple: true },
    endpoint: { type: "url" },
    token: { required: true },
    timeout: { type: "duration", default: "10m" },
    verbose: { type: "count" },
    output: { type: "path" },
  },
  handle({ options }) {
    // Positionals.
    check<Equal<typeof options.name, string>>(true);
    check<Equal<typeof options.files, string[]>>(true);
    check<Equal<typeof options.level, number | undefined>>(true);
    check<Equal<typeof options.pair, number[]>>(true);
    const _name: string = options.name;
    const _files: string[] = options.files;
    const _level: number | undefined = options.level;
    // @ts-expect-error an optional positional may be undefined
    const _levelDefined: number = options.level;
    // @ts-expect-error nargs "*" is a list, not a string
    const _filesAsString: string = options.files;

    // Options.
    check<Equal<typeof options.dryRun, boolean>>(true);
    check<Equal<typeof options.times, number>>(true);
    check<Equal<typeof options.limit, number | undefined>>(true);
    check<Equal<typeof options.ratio, number | undefined>>(true);
    check<Equal<typeof options.color, "red" | "blue" | undefined>>(true);
    check<Equal<typeof options.size, 1 | 2 | 3 | undefined>>(true);
    check<Equal<typeof options.tag, string[]>>(true);
    check<Equal<typeof options.port, number[]>>(true);
    check<Equal<typeof options.endpoint, URL | undefined>>(true);
    check<Equal<typeof options.token, string>>(true);
    check<Equal<typeof options.timeout, number>>(true);
    check<Equal<typeof options.verbose, number>>(true);
    check<Equal<typeof options.output, string | undefined>>(true);
    const _dryRun: boolean = options.dryRun;
    const _times: number = options.times;
    const _token: string = options.token;
    const _tags: string[] = options.tag;
    const _host: string | undefined = options.endpoint?.host;
    // @ts-expect-error a choice outside the declared ones
    const _green: typeof options.color = "green";
    // @ts-expect-error an option without a default may be undefined
    const _limit: number = options.limit;
    // @ts-expect-error an integer is not a string
    const _timesAsString: string = options.times;
    // @ts-expect-error a URL is not a string
    const _endpointAsString: string | undefined = options.endpoint;
    // @ts-expect-error a repeatable option is a list
    const _tagAsString: string = options.tag;
    // @ts-expect-error no such option
    options.nope;

    // Shared options.
    check<Equal<typeof options.verbosity, 0 | 1 | 2 | 3>>(true);
    check<Equal<typeof options.traceback, boolean>>(true);
    const _verbosity: 0 | 1 | 2 | 3 = options.verbosity;
    // @ts-expect-error verbosity is 0 to 3
    const _four: typeof options.verbosity = 4;
  },
});

const jobs = defineCommand({
  help: "Subcommands",
  arguments: { queue: {} },
  subcommands: {
    list: { options: { format: { choices: ["text", "json"], default: "text" } } },
    add: { arguments: { command: {} }, options: { priority: { type: "integer" } } },
    clear: {},
  },
  handle({ options }) {
    check<Equal<typeof options.subcommand, "list" | "add" | "clear">>(true);
    const _queue: string = options.queue;
    if (options.subcommand === "list") {
      check<Equal<typeof options.format, "text" | "json">>(true);
      // @ts-expect-error add's argument is not there when list was chosen
      options.command;
    } else if (options.subcommand === "add") {
      check<Equal<typeof options.command, string>>(true);
      check<Equal<typeof options.priority, number | undefined>>(true);
      // @ts-expect-error list's option is not there when add was chosen
      options.format;
    } else {
      check<Equal<typeof options.subcommand, "clear">>(true);
    }
  },
});

defineCommand({
  help: "An exclusive group of known options",
  options: { json: { type: "boolean" }, yaml: { type: "boolean" } },
  exclusive: [{ options: ["json", "yaml"], required: true }],
  handle({ options }) {
    check<Equal<typeof options.json, boolean>>(true);
  },
});

const declareUnknownGroupMember = () =>
  defineCommand({
    help: "An exclusive group naming an unknown option",
    options: { json: { type: "boolean" } },
    // @ts-expect-error 'xml' is not one of the options
    exclusive: [{ options: ["json", "xml"] }],
    handle() {},
  });

defineCommand({
  help: "No arguments at all",
  handle({ options }) {
    check<Equal<typeof options.verbosity, 0 | 1 | 2 | 3>>(true);
    // @ts-expect-error no such option
    options.name;
  },
});

Deno.test("inferred option types match the values the parser gives", () => {
  const { values } = parseArgs(everything.signature, [
    "ann",
    "a.txt",
    "b.txt",
    "0.5",
    "2",
    "--endpoint=https://example.com",
    "--token",
    "t",
    "--tag",
    "x",
  ]);
  assert.equal(values.name, "ann");
  // The variadic positional takes the words the optional one could have had, as in argparse.
  assert.deepEqual(values.files, ["a.txt", "b.txt"]);
  assert.equal(values.level, undefined);
  assert.deepEqual(values.pair, [0.5, 2]);
  assert.equal(values.times, 1);
  assert.equal(values.timeout, 600_000);
  assert.deepEqual(values.tag, ["x"]);
  assert.ok(values.endpoint instanceof URL);
  assert.equal(values.verbosity, 1);
  assert.equal(parseArgs(jobs.signature, ["q", "list"]).values.format, "text");
  // The declaration the type checker rejects is rejected when the command is defined, too.
  assert.throws(declareUnknownGroupMember, /Exclusive group names 'xml', which is not an option/);
});
