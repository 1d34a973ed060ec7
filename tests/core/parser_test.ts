// Behaviour of the command-line parser (parseArgs over signatureOf), checked against what
// argparse users expect: the same values and argparse's exact messages.

import assert from "node:assert/strict";
import type { ArgumentDecl, ArgumentsDecl, OptionDecl } from "../../core/arguments.ts";
import { signatureOf } from "../../core/signature.ts";
import { CommandParser } from "../../core/command_class.ts";
import { DefinitionError, UsageError } from "../../core/errors.ts";
import { parseArgs, type ParseOptions, type ParseResult } from "../../core/parser.ts";
import { sharedOptions } from "../../core/shared_options.ts";
import { closeMatches, similarity } from "../../core/suggest.ts";
import { formatUsage } from "../../core/help.ts";

function run(
  decl: ArgumentsDecl,
  argv: readonly string[],
  options: ParseOptions = {},
): ParseResult {
  return parseArgs(signatureOf(decl), argv, options);
}

function values(
  decl: ArgumentsDecl,
  argv: readonly string[],
  options: ParseOptions = {},
): Record<string, unknown> {
  return run(decl, argv, options).values;
}

/** Parses and expects a UsageError with exactly `message` (and exit code 2). */
function fails(
  decl: ArgumentsDecl,
  argv: readonly string[],
  message: string,
  options: ParseOptions = {},
): UsageError {
  const signature = signatureOf(decl);
  let result: ParseResult;
  try {
    result = parseArgs(signature, argv, options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    assert.equal(error.message, message);
    assert.equal(error.returncode, 2);
    return error;
  }
  assert.fail(
    `expected ${JSON.stringify(argv)} to fail with "${message}", got ${
      JSON.stringify(result.values)
    }`,
  );
}

/** Expects signatureOf to reject the declaration with exactly `message`. */
function badDefinition(decl: ArgumentsDecl, message: string): void {
  assert.throws(() => signatureOf(decl), (error: unknown) => {
    assert.ok(error instanceof DefinitionError, `expected a DefinitionError, got ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

// ---- Positional arguments ----

Deno.test("a positional argument takes one word", () => {
  assert.deepEqual(values({ arguments: { name: {} } }, ["John"]), { name: "John" });
});

Deno.test("a missing positional argument is required", () => {
  fails({ arguments: { name: {} } }, [], "the following arguments are required: name");
});

Deno.test("every missing positional is named, in order, by its metavar when it has one", () => {
  fails(
    { arguments: { source: {}, target: { metavar: "DEST" } } },
    [],
    "the following arguments are required: source, DEST",
  );
});

Deno.test("a word no positional takes is unrecognized", () => {
  fails({ arguments: { name: {} } }, ["John", "Paul"], "unrecognized arguments: Paul");
  fails({}, ["extra", "words"], "unrecognized arguments: extra words");
});

Deno.test("nargs '?' takes a word when there is one, else the default or undefined", async (t) => {
  const decl = { arguments: { name: { nargs: "?" }, greeting: { nargs: "?", default: "hi" } } };
  await t.step("absent", () => {
    assert.deepEqual(values(decl as ArgumentsDecl, []), { name: undefined, greeting: "hi" });
  });
  await t.step("one word goes to the first", () => {
    assert.deepEqual(values(decl as ArgumentsDecl, ["ann"]), { name: "ann", greeting: "hi" });
  });
  await t.step("two words", () => {
    assert.deepEqual(values(decl as ArgumentsDecl, ["ann", "yo"]), { name: "ann", greeting: "yo" });
  });
});

Deno.test("nargs '*' takes any number of words, an empty list (or its default) for none", () => {
  const decl: ArgumentsDecl = { arguments: { files: { nargs: "*" } } };
  assert.deepEqual(values(decl, []), { files: [] });
  assert.deepEqual(values(decl, ["a", "b", "c"]), { files: ["a", "b", "c"] });
  const withDefault: ArgumentDecl = { nargs: "*", default: ["x.txt"] };
  assert.deepEqual(values({ arguments: { files: withDefault } }, []), { files: ["x.txt"] });
});

Deno.test("nargs '+' needs at least one word", () => {
  const decl: ArgumentsDecl = { arguments: { files: { nargs: "+" } } };
  assert.deepEqual(values(decl, ["a"]), { files: ["a"] });
  assert.deepEqual(values(decl, ["a", "b"]), { files: ["a", "b"] });
  fails(decl, [], "the following arguments are required: files");
});

Deno.test("nargs N takes exactly N words", () => {
  const decl: ArgumentsDecl = { arguments: { point: { nargs: 2, type: "integer" } } };
  assert.deepEqual(values(decl, ["3", "4"]), { point: [3, 4] });
  fails(decl, ["3"], "the following arguments are required: point");
  fails(decl, ["3", "4", "5"], "unrecognized arguments: 5");
});

Deno.test("positionals share the words as argparse allocates them", async (t) => {
  const decl: ArgumentsDecl = {
    arguments: { first: { nargs: "?" }, middle: { nargs: "+" }, last: {} },
  };
  await t.step("the optional one is filled first when there are enough words", () => {
    assert.deepEqual(values(decl, ["x", "y", "z"]), { first: "x", middle: ["y"], last: "z" });
    assert.deepEqual(values(decl, ["a", "b", "c", "d"]), {
      first: "a",
      middle: ["b", "c"],
      last: "d",
    });
  });
  await t.step("the optional one gives way to the required ones", () => {
    assert.deepEqual(values(decl, ["x", "y"]), { first: undefined, middle: ["x"], last: "y" });
  });
  await t.step("a variadic one leaves the later ones their words", () => {
    const copy: ArgumentsDecl = { arguments: { sources: { nargs: "*" }, target: {} } };
    assert.deepEqual(values(copy, ["a", "b", "c"]), { sources: ["a", "b"], target: "c" });
    assert.deepEqual(values(copy, ["c"]), { sources: [], target: "c" });
  });
  await t.step("when the words run out, the first positional that goes without is named", () => {
    const pair: ArgumentsDecl = { arguments: { name: {}, point: { nargs: 2 } } };
    fails(pair, ["x", "y"], "the following arguments are required: point");
    const many: ArgumentsDecl = { arguments: { names: { nargs: "+" }, point: { nargs: 2 } } };
    fails(many, ["x", "y"], "the following arguments are required: point");
  });
});

Deno.test("positionals and options may be interleaved", () => {
  const decl: ArgumentsDecl = {
    arguments: { source: {}, target: {} },
    options: { force: { type: "boolean" } },
  };
  assert.deepEqual(values(decl, ["a", "--force", "b"]), { source: "a", target: "b", force: true });
});

// ---- Typed values ----

Deno.test("integer values are converted, and bad ones rejected as argparse does", () => {
  const decl: ArgumentsDecl = { options: { count: { type: "integer" } } };
  assert.deepEqual(values(decl, ["--count", "3"]), { count: 3 });
  assert.deepEqual(values(decl, ["--count=-2"]), { count: -2 });
  assert.deepEqual(values(decl, ["--count", "+7"]), { count: 7 });
  fails(decl, ["--count", "abc"], "argument --count: invalid int value: 'abc'");
  fails(decl, ["--count", "1.5"], "argument --count: invalid int value: '1.5'");
  fails(decl, ["--count="], "argument --count: invalid int value: ''");
});

Deno.test("number values take decimal notation only", () => {
  const decl: ArgumentsDecl = { options: { ratio: { type: "number" } } };
  assert.deepEqual(values(decl, ["--ratio", "0.5"]), { ratio: 0.5 });
  assert.deepEqual(values(decl, ["--ratio", "1e3"]), { ratio: 1000 });
  assert.deepEqual(values(decl, ["--ratio", "-.25"]), { ratio: -0.25 });
  assert.deepEqual(values(decl, ["--ratio", "7"]), { ratio: 7 });
  fails(decl, ["--ratio", "abc"], "argument --ratio: invalid float value: 'abc'");
  fails(decl, ["--ratio", "0x10"], "argument --ratio: invalid float value: '0x10'");
  fails(decl, ["--ratio", "Infinity"], "argument --ratio: invalid float value: 'Infinity'");
  fails(decl, ["--ratio", ""], "argument --ratio: invalid float value: ''");
});

Deno.test("path values are strings and must not be empty", () => {
  const decl: ArgumentsDecl = { arguments: { file: { type: "path" } } };
  assert.deepEqual(values(decl, ["./notes.txt"]), { file: "./notes.txt" });
  fails(decl, [""], "argument file: invalid path value: '' (give a file or folder path)");
});

Deno.test("url values become URL objects", () => {
  const decl: ArgumentsDecl = { options: { endpoint: { type: "url" } } };
  const { endpoint } = values(decl, ["--endpoint", "https://example.com/api?x=1"]);
  assert.ok(endpoint instanceof URL);
  assert.equal(endpoint.href, "https://example.com/api?x=1");
  fails(decl, ["--endpoint", "not a url"], "argument --endpoint: invalid URL value: 'not a url'");
});

Deno.test("duration values become milliseconds", async (t) => {
  const decl: ArgumentsDecl = { options: { timeout: { type: "duration" } } };
  const cases: [string, number][] = [
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["90", 90_000],
    ["1.5s", 1_500],
    ["2d", 172_800_000],
    ["0", 0],
  ];
  for (const [text, ms] of cases) {
    await t.step(text, () => {
      assert.deepEqual(values(decl, ["--timeout", text]), { timeout: ms });
    });
  }
  await t.step("bad durations", () => {
    for (const text of ["10 minutes", "m", "", "-5m", "10x"]) {
      fails(
        decl,
        [`--timeout=${text}`],
        `argument --timeout: invalid duration value: '${text}' (use a number with ms, s, m, h or d, such as 10m)`,
      );
    }
  });
});

Deno.test("choices reject other values, listing the choices as argparse does", () => {
  const decl: ArgumentsDecl = { options: { color: { choices: ["red", "blue"] } } };
  assert.deepEqual(values(decl, ["--color", "blue"]), { color: "blue" });
  fails(
    decl,
    ["--color", "green"],
    "argument --color: invalid choice: 'green' (choose from 'red', 'blue')",
  );
});

Deno.test("integer choices are compared as numbers and shown unquoted", () => {
  const signature = signatureOf({}, sharedOptions());
  assert.equal(parseArgs(signature, ["-v", "2"]).values.verbosity, 2);
  assert.equal(parseArgs(signature, ["--verbosity=0"]).values.verbosity, 0);
  assert.throws(
    () => parseArgs(signature, ["-v", "7"]),
    new UsageError("argument -v/--verbosity: invalid choice: 7 (choose from 0, 1, 2, 3)"),
  );
  assert.throws(
    () => parseArgs(signature, ["-v", "x"]),
    new UsageError("argument -v/--verbosity: invalid int value: 'x'"),
  );
});

Deno.test("positional values are typed and checked against choices too", () => {
  const decl: ArgumentsDecl = {
    arguments: { action: { choices: ["start", "stop"] }, ports: { type: "integer", nargs: "+" } },
  };
  assert.deepEqual(values(decl, ["start", "80", "443"]), { action: "start", ports: [80, 443] });
  fails(
    decl,
    ["restart", "80"],
    "argument action: invalid choice: 'restart' (choose from 'start', 'stop')",
  );
  fails(decl, ["stop", "80", "http"], "argument ports: invalid int value: 'http'");
});

Deno.test("values in messages are quoted and escaped as Python's repr() does", () => {
  const decl: ArgumentsDecl = { options: { count: { type: "integer" } } };
  fails(decl, ["--count", "it's"], `argument --count: invalid int value: "it's"`);
  fails(decl, ["--count", `it's "x"`], `argument --count: invalid int value: 'it\\'s "x"'`);
  fails(decl, ["--count", "a\\b"], "argument --count: invalid int value: 'a\\\\b'");
  fails(decl, ["--count", "a\nb\tc"], "argument --count: invalid int value: 'a\\nb\\tc'");
  fails(decl, ["--count", "\x00é"], "argument --count: invalid int value: '\\x00é'");
});

// ---- Defaults and required options ----

Deno.test("options not given take their defaults", () => {
  const decl: ArgumentsDecl = {
    options: {
      name: {},
      greeting: { default: "hello" },
      times: { type: "integer", default: 1 },
      loud: { type: "boolean" },
      verbose: { type: "count" },
      tags: { multiple: true },
      labels: { multiple: true, default: ["a", "b"] },
    },
  };
  assert.deepEqual(values(decl, []), {
    name: undefined,
    greeting: "hello",
    times: 1,
    loud: false,
    verbose: 0,
    tags: [],
    labels: ["a", "b"],
  });
});

Deno.test("a default list is copied, never shared between parses", () => {
  const signature = signatureOf({ options: { tags: { multiple: true, default: ["a"] } } });
  (parseArgs(signature, []).values.tags as string[]).push("changed");
  assert.deepEqual(parseArgs(signature, []).values.tags, ["a"]);
});

Deno.test("a string default of another type is converted as argparse converts it", () => {
  const decl: ArgumentsDecl = {
    arguments: { level: { type: "integer", nargs: "?", default: "2" } },
    options: {
      count: { type: "integer", default: "3" },
      timeout: { type: "duration", default: "10m" },
      ports: { type: "integer", multiple: true, default: ["80", "443"] },
      size: { type: "integer", choices: [1, 2], default: "2" },
      debug: { type: "boolean", action: "store", default: "yes" },
      name: { default: "7" },
    },
  };
  assert.deepEqual(values(decl, []), {
    level: 2,
    count: 3,
    timeout: 600_000,
    ports: [80, 443],
    size: 2,
    debug: true,
    name: "7",
  });
});

Deno.test("a URL default is a new URL for every parse", () => {
  const signature = signatureOf({ options: { endpoint: { type: "url", default: "http://a/" } } });
  const first = parseArgs(signature, []).values.endpoint as URL;
  assert.equal(first.href, "http://a/");
  first.pathname = "/changed";
  assert.equal((parseArgs(signature, []).values.endpoint as URL).href, "http://a/");
});

Deno.test("a required option must be given, and is named with all its flags", () => {
  const decl: ArgumentsDecl = { options: { name: { short: "n", required: true } } };
  assert.deepEqual(values(decl, ["-n", "x"]), { name: "x" });
  fails(decl, [], "the following arguments are required: -n/--name");
  fails(
    { arguments: { target: {} }, options: { token: { required: true } } },
    [],
    "the following arguments are required: target, --token",
  );
});

// ---- Flags: long, short, values ----

Deno.test("an option's value comes with = or as the next word, long or short", async (t) => {
  const decl: ArgumentsDecl = { options: { name: { short: "n" } } };
  const forms: [string[], string][] = [
    [["--name=John"], "John"],
    [["--name", "John"], "John"],
    [["-nJohn"], "John"],
    [["-n", "John"], "John"],
    [["-n=John"], "John"],
    [["--name=a=b"], "a=b"],
    [["--name="], ""],
    [["-n="], ""],
    [["--name", ""], ""],
    [["-n", "-"], "-"],
  ];
  for (const [argv, name] of forms) {
    await t.step(JSON.stringify(argv), () => {
      assert.deepEqual(values(decl, argv), { name });
    });
  }
});

Deno.test("an option given twice keeps the last value", () => {
  assert.deepEqual(values({ options: { name: {} } }, ["--name", "a", "--name", "b"]), {
    name: "b",
  });
});

Deno.test("each value of an option given twice is checked, as argparse checks it when seen", () => {
  const decl: ArgumentsDecl = {
    options: { mode: { choices: ["a", "b"], short: "m" }, count: { type: "integer" } },
  };
  fails(
    decl,
    ["-m", "John", "--mode", "b"],
    "argument -m/--mode: invalid choice: 'John' (choose from 'a', 'b')",
  );
  fails(decl, ["--count=x", "--count", "3"], "argument --count: invalid int value: 'x'");
  assert.deepEqual(values(decl, ["--count=2", "--count", "3"]), { mode: undefined, count: 3 });
});

Deno.test("an option's bad value is reported before a mistake later in the words", () => {
  const decl: ArgumentsDecl = {
    options: {
      count: { type: "integer" },
      name: {},
      json: { type: "boolean" },
      csv: { type: "boolean" },
    },
    exclusive: [{ options: ["json", "csv"] }],
  };
  fails(decl, ["--count", "x", "--name"], "argument --count: invalid int value: 'x'");
  fails(decl, ["--count=x", "--json", "--csv"], "argument --count: invalid int value: 'x'");
  fails(decl, ["--json", "--csv", "--count=x"], "argument --csv: not allowed with argument --json");
});

Deno.test("an option's value is read before its exclusive group is checked", () => {
  const decl: ArgumentsDecl = {
    options: {
      json: { type: "boolean", short: "j" },
      csv: { type: "boolean", short: "c" },
      user: { short: "u" },
      group: { short: "g" },
    },
    exclusive: [{ options: ["json", "csv"] }, { options: ["user", "group"] }],
  };
  fails(decl, ["--user", "x", "--group"], "argument -g/--group: expected one argument");
  fails(decl, ["--json", "--csv=1"], "argument -c/--csv: ignored explicit argument '1'");
  // A bundle is read whole before any of its flags is applied.
  fails(decl, ["-cju"], "argument -u/--user: expected one argument");
  fails(decl, ["-cj"], "argument -j/--json: not allowed with argument -c/--csv");
});

Deno.test("an ambiguous prefix is reported before any other mistake", () => {
  const decl: ArgumentsDecl = {
    arguments: { word: { nargs: "?" } },
    options: { ver: { type: "integer" }, value: {}, valid: { type: "boolean" } },
  };
  fails(decl, ["--ver=x", "--va"], "ambiguous option: --va could match --value, --valid");
  fails(decl, ["a", "b", "--va=1"], "ambiguous option: --va could match --value, --valid");
  // After --, it is a word.
  fails(decl, ["--", "a", "--va"], "unrecognized arguments: --va (did you mean --valid?)");
});

Deno.test("an option with no word after it expects one argument", () => {
  const decl: ArgumentsDecl = { options: { name: { short: "n" }, force: { type: "boolean" } } };
  fails(decl, ["--name"], "argument -n/--name: expected one argument");
  fails(decl, ["-n"], "argument -n/--name: expected one argument");
  fails(decl, ["--name", "--force"], "argument -n/--name: expected one argument");
  fails(decl, ["--name", "--"], "argument -n/--name: expected one argument");
  fails({ options: { name: {} } }, ["--name"], "argument --name: expected one argument");
});

Deno.test("short flags bundle: -abc sets each, -vvv counts, a value may end the bundle", () => {
  const decl: ArgumentsDecl = {
    options: {
      all: { type: "boolean", short: "a" },
      brief: { type: "boolean", short: "b" },
      color: { type: "boolean", short: "c" },
      verbose: { type: "count", short: "v" },
      name: { short: "n" },
    },
  };
  const none = { all: false, brief: false, color: false, verbose: 0, name: undefined };
  assert.deepEqual(values(decl, ["-abc"]), { ...none, all: true, brief: true, color: true });
  assert.deepEqual(values(decl, ["-vvv"]), { ...none, verbose: 3 });
  assert.deepEqual(values(decl, ["-v", "-v", "--verbose"]), { ...none, verbose: 3 });
  assert.deepEqual(values(decl, ["-anJohn"]), { ...none, all: true, name: "John" });
  assert.deepEqual(values(decl, ["-vn", "John"]), { ...none, verbose: 1, name: "John" });
});

Deno.test("a letter a flag cannot take is an ignored explicit argument", () => {
  const decl: ArgumentsDecl = {
    options: { verbose: { type: "count", short: "v" }, quiet: { type: "boolean", short: "q" } },
  };
  fails(decl, ["-vx"], "argument -v/--verbose: ignored explicit argument 'x'");
  fails(decl, ["-vqxy"], "argument -q/--quiet: ignored explicit argument 'xy'");
  fails(decl, ["-v=x"], "argument -v/--verbose: ignored explicit argument 'x'");
  fails(decl, ["-xv"], "unrecognized arguments: -xv");
});

Deno.test("a flag given a value with = is an ignored explicit argument", () => {
  const decl: ArgumentsDecl = { options: { verbose: { type: "boolean" } } };
  fails(decl, ["--verbose=x"], "argument --verbose: ignored explicit argument 'x'");
  fails(decl, ["--verbose="], "argument --verbose: ignored explicit argument ''");
});

Deno.test("an unknown short flag is unrecognized", () => {
  fails({ options: { name: { short: "n" } } }, ["-x"], "unrecognized arguments: -x");
});

Deno.test("after -- every word is positional, even one that starts with a dash", () => {
  const decl: ArgumentsDecl = {
    arguments: { words: { nargs: "*" } },
    options: { name: { short: "n" }, force: { type: "boolean" } },
  };
  assert.deepEqual(values(decl, ["--", "-n", "--force", "-", "--"]), {
    words: ["-n", "--force", "-", "--"],
    name: undefined,
    force: false,
  });
  assert.deepEqual(values(decl, ["a", "--force", "--", "--name=x"]), {
    words: ["a", "--name=x"],
    name: undefined,
    force: true,
  });
  assert.deepEqual(values(decl, ["--"]), { words: [], name: undefined, force: false });
});

Deno.test("negative numbers are values, for options and positionals", () => {
  const decl: ArgumentsDecl = {
    arguments: { delta: { type: "integer", nargs: "?" } },
    options: { offset: { type: "integer" }, ratio: { type: "number" } },
  };
  assert.deepEqual(values(decl, ["--offset", "-5"]), {
    delta: undefined,
    offset: -5,
    ratio: undefined,
  });
  assert.deepEqual(values(decl, ["-5", "--ratio", "-.5"]), {
    delta: -5,
    offset: undefined,
    ratio: -0.5,
  });
});

Deno.test("negative numbers are options when an option looks like one", () => {
  const decl: ArgumentsDecl = {
    arguments: { delta: { nargs: "?" } },
    options: { one: { type: "boolean", short: "1" } },
  };
  assert.deepEqual(values(decl, ["-1"]), { delta: undefined, one: true });
  fails(decl, ["-5"], "unrecognized arguments: -5");
});

Deno.test("a dash alone, an empty word and a word with a space are values", () => {
  const decl: ArgumentsDecl = {
    arguments: { input: {}, rest: { nargs: "*" } },
    options: { name: {} },
  };
  assert.deepEqual(values(decl, ["-", "", "-x y"]), {
    input: "-",
    rest: ["", "-x y"],
    name: undefined,
  });
  assert.deepEqual(values(decl, ["in", "--name", "-x y"]), {
    input: "in",
    rest: [],
    name: "-x y",
  });
});

// ---- Booleans ----

Deno.test("store_true and store_false flags", () => {
  const decl: ArgumentsDecl = {
    options: {
      dryRun: { type: "boolean" },
      interactive: { type: "boolean", action: "store_false", flag: "--no-input" },
    },
  };
  assert.deepEqual(values(decl, []), { dryRun: false, interactive: true });
  assert.deepEqual(values(decl, ["--dry-run", "--no-input"]), { dryRun: true, interactive: false });
});

Deno.test("a negatable flag takes --no-x, and the last one given wins", () => {
  const decl: ArgumentsDecl = {
    options: { color: { type: "boolean", negatable: true, default: true } },
  };
  assert.deepEqual(values(decl, []), { color: true });
  assert.deepEqual(values(decl, ["--no-color"]), { color: false });
  assert.deepEqual(values(decl, ["--no-color", "--color"]), { color: true });
  assert.deepEqual(values(decl, ["--color", "--no-col"]), { color: false });
  fails(decl, ["--color=x"], "argument --color/--no-color: ignored explicit argument 'x'");
});

// ---- Repeatable options ----

Deno.test("a multiple option collects every value in an array", () => {
  const decl: ArgumentsDecl = {
    options: {
      tag: { short: "t", multiple: true },
      port: { type: "integer", multiple: true },
    },
  };
  assert.deepEqual(values(decl, ["-t", "a", "--tag=b", "-tc", "--port", "80", "--port", "443"]), {
    tag: ["a", "b", "c"],
    port: [80, 443],
  });
  assert.deepEqual(values(decl, []), { tag: [], port: [] });
  fails(decl, ["--port", "80", "--port", "x"], "argument --port: invalid int value: 'x'");
});

// ---- Abbreviations and unknown options ----

Deno.test("a unique prefix of a long flag stands for it", () => {
  const decl: ArgumentsDecl = {
    options: { verbose: { type: "boolean" }, name: {}, nameFormat: {} },
  };
  assert.deepEqual(values(decl, ["--verb", "--name-f=x"]), {
    verbose: true,
    name: undefined,
    nameFormat: "x",
  });
  // An exact flag wins over the longer flags it is a prefix of.
  assert.deepEqual(values(decl, ["--name", "a"]), {
    verbose: false,
    name: "a",
    nameFormat: undefined,
  });
});

Deno.test("an ambiguous prefix names the flags it could match", () => {
  const decl: ArgumentsDecl = {
    options: { verbose: { type: "boolean" }, version: { type: "boolean" } },
  };
  fails(decl, ["--ver"], "ambiguous option: --ver could match --verbose, --version");
  fails(decl, ["--ver=1"], "ambiguous option: --ver could match --verbose, --version");
});

Deno.test("an unknown option is unrecognized, with the closest flag suggested", () => {
  const decl: ArgumentsDecl = {
    arguments: { name: { nargs: "?" } },
    options: { verbose: { type: "boolean" } },
  };
  fails(decl, ["--verbse"], "unrecognized arguments: --verbse (did you mean --verbose?)");
  fails(decl, ["--verbse=1"], "unrecognized arguments: --verbse=1 (did you mean --verbose?)");
  fails(decl, ["--zzz"], "unrecognized arguments: --zzz");
  // A flag given where no option is read (after --) is not its own suggestion, and a
  // suggestion is made once.
  fails(decl, ["a", "--", "--verbose"], "unrecognized arguments: --verbose");
  fails(
    decl,
    ["--verbse", "--verbse=1"],
    "unrecognized arguments: --verbse --verbse=1 (did you mean --verbose?)",
  );
  // Words are listed as they came.
  fails(decl, ["--zzz", "a", "b"], "unrecognized arguments: --zzz b");
});

Deno.test("suggestions are the closest candidates above a similarity cutoff", () => {
  assert.deepEqual(closeMatches("--verbse", ["--version", "--verbose", "--help"]), [
    "--verbose",
    "--version",
  ]);
  assert.deepEqual(closeMatches("--verbse", ["--version", "--verbose"], { n: 1 }), ["--verbose"]);
  assert.deepEqual(closeMatches("zzz", ["list", "add"]), []);
  assert.equal(similarity("abc", "abc"), 1);
  assert.equal(similarity("", ""), 1);
  assert.equal(similarity("ab", "cd"), 0);
  assert.equal(similarity("lst", "list"), 6 / 7);
});

Deno.test("only what was given is reported as given", () => {
  const decl: ArgumentsDecl = {
    arguments: { name: { nargs: "?" }, rest: { nargs: "*" } },
    options: { count: { type: "integer", default: 1 }, force: { type: "boolean" } },
  };
  assert.deepEqual(run(decl, []).given, new Set());
  assert.deepEqual(run(decl, ["a", "--force"]).given, new Set(["name", "force"]));
  assert.deepEqual(
    run(decl, ["a", "b"], { named: { count: 2 } }).given,
    new Set(["name", "rest", "count"]),
  );
});

Deno.test("words in messages stay on one line", () => {
  fails({}, ["a\nb"], "unrecognized arguments: a\\nb");
  fails({ options: { name: {} } }, ["--x\ny"], "unrecognized arguments: --x\\ny");
});

// ---- Mutually exclusive groups ----

Deno.test("options of an exclusive group may not be given together", () => {
  const decl: ArgumentsDecl = {
    options: { json: { type: "boolean" }, yaml: { type: "boolean" }, output: { short: "o" } },
    exclusive: [{ options: ["json", "yaml"] }, { options: ["json", "output"] }],
  };
  assert.deepEqual(values(decl, []), { json: false, yaml: false, output: undefined });
  assert.deepEqual(values(decl, ["--yaml", "--yaml"]), {
    json: false,
    yaml: true,
    output: undefined,
  });
  assert.deepEqual(values(decl, ["--yaml", "-o", "x"]), { json: false, yaml: true, output: "x" });
  fails(decl, ["--json", "--yaml"], "argument --yaml: not allowed with argument --json");
  fails(decl, ["--yaml", "--json"], "argument --json: not allowed with argument --yaml");
  fails(decl, ["-ox", "--json"], "argument --json: not allowed with argument -o/--output");
});

Deno.test("a required exclusive group needs one of its options", () => {
  const decl: ArgumentsDecl = {
    options: { json: { type: "boolean" }, yaml: { type: "boolean" } },
    exclusive: [{ options: ["json", "yaml"], required: true }],
  };
  assert.deepEqual(values(decl, ["--json"]), { json: true, yaml: false });
  fails(decl, [], "one of the arguments --json --yaml is required");
  const withShort: ArgumentsDecl = {
    options: { json: { type: "boolean", short: "j" }, yaml: { type: "boolean" } },
    exclusive: [{ options: ["json", "yaml"], required: true }],
  };
  fails(withShort, [], "one of the arguments -j/--json --yaml is required");
});

// ---- Environment variables ----

Deno.test("an option falls back to its environment variable", async (t) => {
  const decl: ArgumentsDecl = {
    options: {
      count: { type: "integer", env: "APP_COUNT", default: 1 },
      token: { env: "APP_TOKEN", required: true },
      debug: { type: "boolean", env: "APP_DEBUG" },
      cache: { type: "boolean", action: "store_false", flag: "--no-cache", env: "APP_NO_CACHE" },
      verbose: { type: "count", short: "v", env: "APP_VERBOSE" },
      tag: { multiple: true, env: "APP_TAG" },
    },
  };
  const base = { token: "t" };
  await t.step("not set: defaults", () => {
    assert.deepEqual(values(decl, [], { env: { APP_TOKEN: "t" } }), {
      count: 1,
      token: "t",
      debug: false,
      cache: true,
      verbose: 0,
      tag: [],
    });
  });
  await t.step("set: converted values", () => {
    const env = {
      APP_TOKEN: "secret",
      APP_COUNT: "5",
      APP_DEBUG: "yes",
      APP_NO_CACHE: "1",
      APP_VERBOSE: "2",
      APP_TAG: "x",
    };
    assert.deepEqual(values(decl, [], { env }), {
      count: 5,
      token: "secret",
      debug: true,
      cache: false,
      verbose: 2,
      tag: ["x"],
    });
    assert.deepEqual(run(decl, [], { env }).given, new Set(Object.keys(values(decl, [], { env }))));
  });
  await t.step("false-like values of a flag", () => {
    for (const text of ["0", "false", "no", "off", ""]) {
      assert.equal(values(decl, [], { env: { APP_TOKEN: "t", APP_DEBUG: text } }).debug, false);
    }
  });
  await t.step("the command line wins over the environment", () => {
    const env = { APP_TOKEN: "secret", APP_COUNT: "5" };
    assert.deepEqual(values(decl, ["--count", "2", "--token=mine"], { env }), {
      count: 2,
      token: "mine",
      debug: false,
      cache: true,
      verbose: 0,
      tag: [],
    });
  });
  await t.step("an environment variable satisfies a required option", () => {
    fails(decl, [], "the following arguments are required: --token", { env: {} });
    fails(decl, [], "the following arguments are required: --token", {
      env: { APP_TOKEN: undefined },
    });
  });
  await t.step("a bad value names the variable", () => {
    fails(
      decl,
      [],
      "environment variable APP_COUNT (for --count): invalid int value: 'many'",
      { env: { ...base, APP_TOKEN: "t", APP_COUNT: "many" } },
    );
    fails(
      decl,
      [],
      "environment variable APP_DEBUG (for --debug): invalid boolean value: 'maybe' (use true or false)",
      { env: { APP_TOKEN: "t", APP_DEBUG: "maybe" } },
    );
    fails(
      decl,
      [],
      "environment variable APP_VERBOSE (for -v/--verbose): invalid int value: 'lots'",
      { env: { APP_TOKEN: "t", APP_VERBOSE: "lots" } },
    );
  });
});

Deno.test("an option given explicitly overrides the environment of another in its group", () => {
  const decl: ArgumentsDecl = {
    options: {
      json: { type: "boolean", env: "OUT_JSON" },
      yaml: { type: "boolean", env: "OUT_YAML" },
    },
    exclusive: [{ options: ["json", "yaml"], required: true }],
  };
  assert.deepEqual(values(decl, [], { env: { OUT_JSON: "1" } }), { json: true, yaml: false });
  assert.deepEqual(values(decl, ["--yaml"], { env: { OUT_JSON: "1" } }), {
    json: false,
    yaml: true,
  });
  fails(
    decl,
    [],
    "environment variable OUT_YAML (for --yaml): not allowed with argument --json",
    { env: { OUT_JSON: "1", OUT_YAML: "1" } },
  );
});

// ---- Values given by name (callCommand) ----

Deno.test("values given by name are converted from strings and checked", async (t) => {
  const decl: ArgumentsDecl = {
    arguments: { name: {}, files: { nargs: "*" }, point: { nargs: 2, type: "integer" } },
    options: {
      count: { type: "integer", default: 1 },
      ratio: { type: "number" },
      dryRun: { type: "boolean" },
      endpoint: { type: "url" },
      timeout: { type: "duration" },
      color: { choices: ["red", "blue"] },
      verbose: { type: "count" },
      tag: { multiple: true },
    },
  };
  const argv = ["ann", "1", "2"];
  const parse = (named: Record<string, unknown>) => values(decl, argv, { named });
  await t.step("strings are converted as on the command line", () => {
    const got = parse({
      count: "3",
      ratio: "0.5",
      dryRun: "yes",
      endpoint: "https://example.com/",
      timeout: "1m",
      verbose: "2",
      tag: "a",
    });
    assert.equal(got.count, 3);
    assert.equal(got.ratio, 0.5);
    assert.equal(got.dryRun, true);
    assert.equal((got.endpoint as URL).href, "https://example.com/");
    assert.equal(got.timeout, 60_000);
    assert.equal(got.verbose, 2);
    assert.deepEqual(got.tag, ["a"]);
  });
  await t.step("typed values are taken as they are", () => {
    const endpoint = new URL("https://example.com/x");
    const got = parse({ count: 3, dryRun: true, endpoint, verbose: 3, tag: ["a", "b"] });
    assert.equal(got.count, 3);
    assert.equal(got.dryRun, true);
    assert.equal(got.endpoint, endpoint);
    assert.equal(got.verbose, 3);
    assert.deepEqual(got.tag, ["a", "b"]);
  });
  await t.step("positionals by name take no words", () => {
    assert.deepEqual(
      values(decl, [], { named: { name: "bob", files: "f.txt", point: [1, "2"] } }),
      {
        name: "bob",
        files: ["f.txt"],
        point: [1, 2],
        count: 1,
        ratio: undefined,
        dryRun: false,
        endpoint: undefined,
        timeout: undefined,
        color: undefined,
        verbose: 0,
        tag: [],
      },
    );
  });
  await t.step("undefined is not given", () => {
    assert.equal(parse({ count: undefined }).count, 1);
  });
  await t.step("wrong types are rejected", () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ count: "x" }, "argument --count: invalid int value: 'x'"],
      [{ count: 1.5 }, "argument --count: invalid integer value: '1.5'"],
      [{ count: true }, "argument --count: invalid integer value: 'true'"],
      [{ ratio: Number.NaN }, "argument --ratio: invalid number value: 'NaN'"],
      [{ dryRun: 1 }, "argument --dry-run: invalid boolean value: '1'"],
      [{ endpoint: { href: "x" } }, `argument --endpoint: invalid url value: '{"href":"x"}'`],
      [{ color: "green" }, "argument --color: invalid choice: 'green' (choose from 'red', 'blue')"],
      [{ tag: [1] }, "argument --tag: invalid string value: '1'"],
      [{ name: 5 }, "argument name: invalid string value: '5'"],
      [{ name: null }, "argument name: invalid string value: 'null'"],
      [{ point: [1] }, "argument point: expected 2 arguments"],
    ];
    for (const [named, message] of bad) fails(decl, argv, message, { named });
  });
  await t.step("an object that cannot be shown as JSON is still rejected", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    fails(decl, argv, "argument --color: invalid string value: '[object Object]'", {
      named: { color: circular },
    });
  });
});

Deno.test("a value given by name wins over the command line", () => {
  const decl: ArgumentsDecl = {
    options: { count: { type: "integer" }, verbose: { type: "boolean" } },
  };
  assert.deepEqual(values(decl, ["--count", "1", "--verbose"], { named: { count: 5 } }), {
    count: 5,
    verbose: true,
  });
  assert.deepEqual(values(decl, ["--count", "1", "--verbose"], { named: { verbose: false } }), {
    count: 1,
    verbose: false,
  });
});

Deno.test("values by name satisfy required options and groups, and respect exclusion", () => {
  const decl: ArgumentsDecl = {
    options: {
      token: { required: true },
      json: { type: "boolean" },
      yaml: { type: "boolean" },
    },
    exclusive: [{ options: ["json", "yaml"], required: true }],
  };
  assert.deepEqual(values(decl, [], { named: { token: "t", json: true } }), {
    token: "t",
    json: true,
    yaml: false,
  });
  fails(decl, ["--json"], "argument --yaml: not allowed with argument --json", {
    named: { token: "t", yaml: true },
  });
});

Deno.test("keys inherited by plain objects are not values given by name", () => {
  const decl: ArgumentsDecl = {
    arguments: Object.fromEntries([["constructor", { nargs: "?" } as ArgumentDecl]]),
    options: Object.fromEntries<OptionDecl>([
      ["valueOf", { type: "integer", default: 1 }],
      ["toString", { env: "hasOwnProperty" }],
    ]),
  };
  assert.deepEqual(values(decl, [], { named: {}, env: {} }), {
    constructor: undefined,
    valueOf: 1,
    toString: undefined,
  });
});

// ---- Subcommands ----

const JOBS: ArgumentsDecl = {
  arguments: { queue: {} },
  options: { dryRun: { type: "boolean" } },
  subcommands: {
    list: {
      help: "list the jobs",
      options: { format: { choices: ["text", "json"], default: "text" }, all: { type: "boolean" } },
    },
    add: {
      help: "add a job",
      arguments: { command: {} },
      options: { priority: { type: "integer", default: 0, short: "p" } },
    },
  },
};

function jobs(argv: readonly string[], options: ParseOptions = {}): ParseResult {
  return parseArgs(signatureOf(JOBS, sharedOptions()), argv, options);
}

function jobsFails(argv: readonly string[], message: string): UsageError {
  try {
    jobs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    assert.equal(error.message, message);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(argv)} to fail with "${message}"`);
}

Deno.test("a subcommand's name chooses it, and its options join the values", () => {
  const result = jobs(["main", "list", "--format", "json"]);
  assert.deepEqual(result.subcommands, ["list"]);
  const { values } = result;
  assert.equal(values.subcommand, "list");
  assert.equal(values.queue, "main");
  assert.equal(values.format, "json");
  assert.equal(values.all, false);
  assert.equal(values.dryRun, false);
  assert.equal(values.verbosity, 1);
  assert.ok(!("priority" in values));
  const add = jobs(["main", "add", "-p", "3", "backup"]).values;
  assert.equal(add.subcommand, "add");
  assert.equal(add.command, "backup");
  assert.equal(add.priority, 3);
  assert.ok(!("format" in add));
});

Deno.test("shared options count before or after the subcommand, the later one winning", () => {
  assert.equal(jobs(["-v", "2", "main", "list"]).values.verbosity, 2);
  assert.equal(jobs(["main", "list", "-v", "3"]).values.verbosity, 3);
  assert.equal(jobs(["-v", "2", "main", "list", "-v", "0"]).values.verbosity, 0);
  assert.equal(jobs(["--traceback", "main", "list"]).values.traceback, true);
});

Deno.test("the command's own options go before the subcommand", () => {
  assert.equal(jobs(["--dry-run", "main", "list"]).values.dryRun, true);
  jobsFails(
    ["main", "list", "--dry-run"],
    "unrecognized arguments: --dry-run",
  );
});

Deno.test("words neither the command nor its subcommand takes are all listed, in order", () => {
  jobsFails(
    ["--format=json", "main", "list", "extra", "--dry-run"],
    "unrecognized arguments: --format=json extra --dry-run",
  );
  jobsFails(["--all", "main", "--", "list", "x"], "unrecognized arguments: --all x");
});

Deno.test("an unknown subcommand is an invalid choice, with the closest one suggested", () => {
  jobsFails(
    ["main", "lst"],
    "argument subcommand: invalid choice: 'lst' (choose from 'list', 'add') (did you mean list?)",
  );
  jobsFails(
    ["main", "zzz"],
    "argument subcommand: invalid choice: 'zzz' (choose from 'list', 'add')",
  );
});

Deno.test("a missing subcommand is required", () => {
  jobsFails(["main"], "the following arguments are required: subcommand");
  jobsFails([], "the following arguments are required: queue, subcommand");
});

Deno.test("errors inside a subcommand name its path", () => {
  const error = jobsFails(["main", "add"], "the following arguments are required: command");
  assert.deepEqual(error.subcommands, ["add"]);
  jobsFails(
    ["main", "list", "--format", "xml"],
    "argument --format: invalid choice: 'xml' (choose from 'text', 'json')",
  );
});

Deno.test("-- before or after the subcommand's name keeps later words positional", () => {
  assert.deepEqual(jobs(["--", "main", "add", "-x"]).values.command, "-x");
  assert.deepEqual(jobs(["main", "--", "add", "-x"]).values.command, "-x");
  assert.deepEqual(jobs(["main", "add", "--", "-x"]).values.command, "-x");
  jobsFails(["--", "main", "add", "x", "-p"], "unrecognized arguments: -p");
});

// ---- Stopping on help ----

Deno.test("a command's own option replaces the shared one of its name, and does not stop", () => {
  const signature = signatureOf(
    { options: { version: { metavar: "V" }, check: { type: "boolean" } } },
    sharedOptions(),
  );
  assert.equal(signature.options.filter((spec) => spec.key === "version").length, 1);
  const parsed = parseArgs(signature, ["--version", "0.2.0", "--check"], {
    stopOn: ["help", "version"],
  });
  assert.equal(parsed.stopped, undefined);
  assert.equal(parsed.values.version, "0.2.0");
  assert.equal(parsed.values.check, true);
  assert.equal(parseArgs(signature, ["-h"], { stopOn: ["help", "version"] }).stopped, "help");
});

Deno.test("a stopOn option ends the parse at once and is reported", () => {
  const signature = signatureOf({ arguments: { name: {} } }, sharedOptions());
  const stopOn = ["help", "version"];
  assert.equal(parseArgs(signature, ["-h"], { stopOn }).stopped, "help");
  assert.equal(parseArgs(signature, ["--he"], { stopOn }).stopped, "help");
  assert.equal(parseArgs(signature, ["x", "--version", "--bogus"], { stopOn }).stopped, "version");
  assert.equal(parseArgs(signature, ["--traceback", "-h", "-v", "9"], { stopOn }).stopped, "help");
  // Without stopOn, help is a flag like any other.
  const plain = parseArgs(signature, ["x", "-h"]);
  assert.equal(plain.stopped, undefined);
  assert.equal(plain.values.help, true);
  // Values and unknown words before it are not checked (help is shown rather than an error)…
  assert.equal(parseArgs(signature, ["--bogus=1", "-v", "9", "-h"], { stopOn }).stopped, "help");
  // …but a word that cannot be read at all is an error at once.
  assert.throws(
    () => parseArgs(signature, ["--ver", "-h"], { stopOn }),
    new UsageError("ambiguous option: --ver could match --version, --verbosity"),
  );
  assert.throws(
    () => parseArgs(signature, ["--traceback=1", "-h"], { stopOn }),
    new UsageError("argument --traceback: ignored explicit argument '1'"),
  );
});

Deno.test("help inside a subcommand stops with the subcommand's path", () => {
  const result = jobs(["main", "add", "-h"], { stopOn: ["help"] });
  assert.equal(result.stopped, "help");
  assert.deepEqual(result.subcommands, ["add"]);
  assert.deepEqual(jobs(["-h", "main", "nope"], { stopOn: ["help"] }).subcommands, []);
});

Deno.test("the usage error carries the command's name", () => {
  const error = fails({}, ["x"], "unrecognized arguments: x", { command: "greet_user" });
  assert.equal(error.command, "greet_user");
  assert.deepEqual(error.subcommands, []);
});

// ---- Declarations ----

Deno.test("signatureOf normalizes declarations", () => {
  const signature = signatureOf({
    arguments: { name: {}, rest: { nargs: "*" } },
    options: {
      dryRun: { type: "boolean" },
      out_dir: { short: "o", aliases: ["--output"] },
      verbose: { type: "count" },
      color: { type: "boolean", negatable: true },
    },
  });
  assert.deepEqual(
    signature.positionals.map((p) => [p.key, p.required]),
    [["name", true], ["rest", false]],
  );
  assert.deepEqual(signature.options.map((o) => [o.key, o.flags, o.action]), [
    ["dryRun", ["--dry-run"], "store_true"],
    ["out_dir", ["-o", "--out-dir", "--output"], "store"],
    ["verbose", ["--verbose"], "count"],
    ["color", ["--color"], "store_true"],
  ]);
  assert.equal(signature.options[3].negativeFlag, "--no-color");
  assert.deepEqual(values({ options: { out_dir: { aliases: ["--output"] } } }, ["--output=x"]), {
    out_dir: "x",
  });
});

Deno.test("signatureOf rejects unsound declarations", async (t) => {
  await t.step("two options with one flag", () => {
    badDefinition(
      { options: { name: { short: "n" }, number: { short: "n" } } },
      "Flag -n is used by both 'name' and 'number'",
    );
    badDefinition(
      { options: { name: {}, other: { flag: "--name" } } },
      "Flag --name is used by both 'name' and 'other'",
    );
  });
  await t.step("a default outside the choices", () => {
    badDefinition(
      { options: { color: { choices: ["red", "blue"], default: "green" } } },
      `Argument --color has default "green", which is not one of its choices`,
    );
  });
  await t.step("a default that is not of the declared type", () => {
    badDefinition(
      { options: { count: { type: "integer", default: "abc" } } },
      `Argument --count has default "abc", which is not a valid integer`,
    );
    badDefinition(
      { options: { name: { default: 5 } } },
      "Argument --name has default 5, which is not a valid string",
    );
    badDefinition(
      { arguments: { ratios: { type: "number", nargs: "*", default: [1, "x"] } } },
      `Argument ratios has default "x", which is not a valid number`,
    );
  });
  await t.step("two variadic positionals", () => {
    badDefinition(
      { arguments: { files: { nargs: "*" }, more: { nargs: "+" } } },
      "Arguments files and more both take any number of values: keep one",
    );
  });
  await t.step("bad nargs", () => {
    badDefinition(
      { arguments: { name: { nargs: 0 } } },
      "Argument name has nargs 0: use a whole number of at least 1",
    );
    badDefinition(
      { arguments: { name: { nargs: 1.5 } } },
      "Argument name has nargs 1.5: use a whole number of at least 1",
    );
    badDefinition(
      { arguments: { name: { nargs: "many" as "*" } } },
      `Argument name has nargs "many": use "?", "*", "+", "..." or a whole number`,
    );
    badDefinition(
      { arguments: { rest: { nargs: "..." }, name: {} } },
      `Argument rest takes the remaining words ("..."): make it the last positional, after fixed ones`,
    );
  });
  await t.step("an exclusive group naming an unknown option", () => {
    badDefinition(
      { options: { json: { type: "boolean" } }, exclusive: [{ options: ["json", "xml"] }] },
      "Exclusive group names 'xml', which is not an option",
    );
  });
  await t.step("a required option in an exclusive group", () => {
    badDefinition(
      {
        options: { json: { type: "boolean" }, yaml: { required: true } },
        exclusive: [{ options: ["json", "yaml"] }],
      },
      "Option --yaml is required, so it cannot be in an exclusive group",
    );
  });
  await t.step("invalid flags and names", () => {
    badDefinition(
      { options: { name: { short: "nm" } } },
      "Option 'name' has an invalid flag '-nm' (use -x or --name)",
    );
    badDefinition(
      { options: { "my name": {} } },
      "Argument name 'my name' is not a valid identifier",
    );
  });
  await t.step("a required option with a default", () => {
    badDefinition(
      { options: { name: { required: true, default: "x" } } },
      "Option --name is required and has a default: drop one of them",
    );
  });
  await t.step("problems in a subcommand say where", () => {
    badDefinition(
      { subcommands: { add: { arguments: { a: { nargs: "*" }, b: { nargs: "*" } } } } },
      "Arguments a and b in subcommand add both take any number of values: keep one",
    );
    badDefinition(
      { arguments: { name: { nargs: "?" } }, subcommands: { add: {} } },
      "A command with subcommands cannot have optional or variadic positionals",
    );
  });
});

// ---- The class form ----

Deno.test("the class-form CommandParser declares the same arguments as the data form", async (t) => {
  const parser = new CommandParser();
  parser.addArgument("name", { help: "who" });
  parser.addArgument("files", { nargs: "*" });
  parser.addArgument("-n", "--count", { type: "integer", default: 1 });
  parser.addArgument("--dry-run", { action: "store_true" });
  parser.addArgument("--no-input", { action: "store_false", dest: "interactive" });
  parser.addArgument("-v", "--verbose", { action: "count" });
  parser.addArgument("-t", "--tag", { action: "append" });
  parser.addArgument("--color", { choices: ["red", "blue"] });
  const group = parser.addMutuallyExclusiveGroup({ required: true });
  group.addArgument("--json", { action: "store_true" });
  group.addArgument("--yaml", { action: "store_true" });
  const classForm = signatureOf(parser.toDeclaration());
  const dataForm = signatureOf({
    arguments: { name: { help: "who" }, files: { nargs: "*" } },
    options: {
      count: { type: "integer", short: "n", default: 1 },
      dryRun: { type: "boolean" },
      interactive: { type: "boolean", action: "store_false", flag: "--no-input" },
      verbose: { type: "count", short: "v" },
      tag: { short: "t", multiple: true },
      color: { choices: ["red", "blue"] },
      json: { type: "boolean" },
      yaml: { type: "boolean" },
    },
    exclusive: [{ options: ["json", "yaml"], required: true }],
  });
  const cases = [
    ["ann", "--json"],
    ["ann", "a", "b", "-n", "3", "--dry-run", "--no-input", "-vv", "-t", "x", "-ty", "--yaml"],
    ["-nJohn", "ann", "--json"],
    ["ann"],
    ["ann", "--json", "--yaml"],
    ["ann", "--json", "--color", "green"],
    ["ann", "--json", "--verbose=1"],
  ];
  for (const argv of cases) {
    await t.step(JSON.stringify(argv), () => {
      const outcome = (signature: typeof classForm) => {
        try {
          return parseArgs(signature, argv).values;
        } catch (error) {
          return error instanceof UsageError ? error.message : error;
        }
      };
      assert.deepEqual(outcome(classForm), outcome(dataForm));
    });
  }
  await t.step("values and messages", () => {
    assert.deepEqual(parseArgs(classForm, ["ann", "-vv", "-t", "x", "--json"]).values, {
      name: "ann",
      files: [],
      count: 1,
      dryRun: false,
      interactive: true,
      verbose: 2,
      tag: ["x"],
      color: undefined,
      json: true,
      yaml: false,
    });
    assert.throws(
      () => parseArgs(classForm, ["ann"]),
      new UsageError("one of the arguments --json --yaml is required"),
    );
    assert.throws(
      () => parseArgs(classForm, ["ann", "--yaml", "-n", "x"]),
      new UsageError("argument -n/--count: invalid int value: 'x'"),
    );
  });
});

Deno.test("the class-form CommandParser rejects what argparse rejects", () => {
  const parser = new CommandParser();
  assert.throws(() => parser.addArgument(), DefinitionError);
  assert.throws(() => parser.addArgument("name", "other"), DefinitionError);
  assert.throws(() => parser.addArgument("name", { action: "store_true" }), DefinitionError);
  assert.throws(() => parser.addArgument("--name", { nargs: 2 }), DefinitionError);
});

Deno.test("one-letter long flags (--a) are valid, as in argparse", () => {
  const { values } = parseArgs(signatureOf({ options: { a: { type: "integer" } } }), ["--a", "3"]);
  assert.equal(values.a, 3);
});

Deno.test("class form: append with a single default starts a list; a boolean positional is refused", () => {
  const parser = new CommandParser();
  parser.addArgument("--tag", { action: "append", default: "base" });
  const signature = signatureOf(parser.toDeclaration());
  assert.deepEqual(parseArgs(signature, []).values.tag, ["base"]);
  assert.throws(
    () => new CommandParser().addArgument("flag", { type: "boolean" }),
    (e: unknown) => e instanceof DefinitionError && /cannot be a boolean/.test(e.message),
  );
});

Deno.test("nargs '...' takes every word after it, options included, as argparse's REMAINDER", () => {
  const signature = signatureOf({
    arguments: { command: {}, args: { nargs: "...", metavar: "args" } },
    options: { queue: {} },
  });
  const parse = (argv: string[]) => parseArgs(signature, argv).values;
  assert.deepEqual(parse(["--queue", "q", "greet", "John", "--shout", "--queue", "x", "--"]), {
    command: "greet",
    args: ["John", "--shout", "--queue", "x", "--"],
    queue: "q",
  });
  assert.deepEqual(parse(["greet"]), { command: "greet", args: [], queue: undefined });
  assert.throws(() => parse(["--queue", "q"]), /the following arguments are required: command/);
  assert.equal(
    formatUsage(signature, { prog: "manage", path: ["enqueue"] }).includes("command ..."),
    true,
  );
});
