// Property test of the parser: random argv vectors, drawn from a pool of valid, almost valid and
// odd words, must either parse or fail with a one-line UsageError (exit code 2), and parse the
// same way twice. Set FUZZ_SEED to reproduce a run; the seed is in the test's name.

import assert from "node:assert/strict";
import type { ArgumentsDecl, Signature, ValueType } from "../../core/arguments.ts";
import { signatureOf } from "../../core/signature.ts";
import { UsageError } from "../../core/errors.ts";
import { parseArgs, type ParseOptions, type ParseResult } from "../../core/parser.ts";
import { sharedOptions } from "../../core/shared_options.ts";

const VECTORS = 12_000;

function seedFromEnv(): number {
  try {
    const text = Deno.env.get("FUZZ_SEED");
    if (text && /^\d+$/.test(text)) return Number(text) >>> 0;
  } catch {
    // No permission to read the environment: use the fixed seed.
  }
  return 0x5eed_2024;
}

const SEED = seedFromEnv();

/** A small, seeded PRNG (mulberry32): the same seed gives the same words. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RICH: ArgumentsDecl = {
  arguments: { target: { help: "what to work on" } },
  options: {
    name: { short: "n", help: "a name" },
    count: { type: "integer", short: "c", default: 1, env: "FZ_COUNT" },
    ratio: { type: "number", choices: [0.5, 1, 2] },
    dryRun: { type: "boolean", short: "d" },
    interactive: { type: "boolean", action: "store_false", flag: "--no-input" },
    bright: { type: "boolean", negatable: true, env: "FZ_BRIGHT" },
    quiet: { type: "count", short: "q", env: "FZ_QUIET" },
    tag: { short: "t", multiple: true, env: "FZ_TAG" },
    port: { type: "integer", multiple: true },
    output: { type: "path", short: "o", aliases: ["--out"] },
    endpoint: { type: "url", env: "FZ_ENDPOINT" },
    timeout: { type: "duration", env: "FZ_TIMEOUT" },
    level: { choices: ["low", "mid", "high"], default: "mid" },
    json: { type: "boolean", short: "j", env: "FZ_JSON" },
    yaml: { type: "boolean" },
    csv: { type: "boolean" },
    token: { env: "FZ_TOKEN" },
    secret: { env: "FZ_SECRET" },
  },
  exclusive: [
    { options: ["json", "yaml", "csv"] },
    { options: ["token", "secret"], required: true },
  ],
  subcommands: {
    run: {
      help: "run it",
      arguments: {
        script: { nargs: "?", default: "main" },
        args: { nargs: "*", type: "integer" },
      },
      options: {
        watch: { type: "boolean", short: "w" },
        retries: { type: "integer", choices: [0, 1, 2, 3], default: 0 },
        fast: { type: "boolean" },
        slow: { type: "boolean" },
      },
      exclusive: [{ options: ["fast", "slow"], required: true }],
    },
    copy: {
      help: "copy things",
      arguments: { sources: { nargs: "+" }, dest: { type: "path" } },
      options: { force: { type: "boolean", short: "f" }, mode: { choices: ["a", "b"] } },
    },
    move: {
      arguments: { pair: { nargs: 2 }, note: { nargs: "?" } },
      options: { after: { type: "duration", required: true } },
    },
  },
};

function flagsOf(signature: Signature): { long: string[]; short: string[] } {
  const long = new Set<string>();
  const short = new Set<string>();
  const visit = (sig: Signature) => {
    for (const spec of sig.options) {
      for (const flag of spec.flags) (flag.startsWith("--") ? long : short).add(flag);
      if (spec.negativeFlag) long.add(spec.negativeFlag);
    }
    for (const sub of sig.subcommands?.values() ?? []) visit(sub.signature);
  };
  visit(signature);
  return { long: [...long], short: [...short] };
}

const VALUES = [
  "0",
  "1",
  "3",
  "42",
  "-1",
  "-5",
  "-0.5",
  "-.5",
  "0.5",
  "2",
  "1e3",
  "0x10",
  "Infinity",
  "NaN",
  "+7",
  "1.5",
  "99999999999999999999999",
  "10m",
  "1h30m",
  "500ms",
  "90",
  "1.5s",
  "10 minutes",
  "low",
  "mid",
  "high",
  "a",
  "b",
  "yes",
  "no",
  "true",
  "https://example.com/x?y=1",
  "http://[::1]:8080",
  "not a url",
  "./file.txt",
  "/",
  "main",
  "run",
  "copy",
  "move",
  "rn",
  "cpy",
  "mov",
  "help",
  "",
  " ",
  "-",
  "--",
  "-x y",
  "--x y",
  "é",
  "日本語",
  "😀",
  "\ud800",
  "\u200f\u202e",
  "\u2028",
  "a\nb",
  "tab\there",
  "\r\n",
  "\x00",
  "it's",
  `"quoted"`,
  "back\\slash",
  "=",
  "==",
  "a=b",
  "x".repeat(5000),
  "-".repeat(300),
];

function makeWord(random: () => number, long: string[], short: string[]): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const letter = () => pick(short).slice(1);
  const value = () => pick(VALUES);
  switch (Math.floor(random() * 12)) {
    case 0:
    case 1:
      return pick(long);
    case 2:
      return pick(short);
    case 3: {
      // A prefix of a long flag.
      const flag = pick(long);
      return flag.slice(0, 2 + Math.floor(random() * (flag.length - 1)));
    }
    case 4: {
      // A misspelling: a letter dropped, doubled, swapped or changed.
      const flag = pick(long);
      const at = 2 + Math.floor(random() * (flag.length - 2));
      switch (Math.floor(random() * 4)) {
        case 0:
          return flag.slice(0, at) + flag.slice(at + 1);
        case 1:
          return flag.slice(0, at) + flag[at] + flag.slice(at);
        case 2:
          return flag.slice(0, at) + (flag[at + 1] ?? "") + flag[at] + flag.slice(at + 2);
        default:
          return flag.slice(0, at) + pick(["x", "_", "-", "=", "é"]) + flag.slice(at + 1);
      }
    }
    case 5:
      return `${pick(long)}=${value()}`;
    case 6: {
      // A bundle of short flags, sometimes with a value or = attached.
      let bundle = "-";
      const size = 1 + Math.floor(random() * 4);
      for (let i = 0; i < size; i++) bundle += letter();
      if (random() < 0.3) bundle += (random() < 0.5 ? "=" : "") + value();
      if (random() < 0.1) bundle += pick(["x", "Z", "é", "1"]);
      return bundle;
    }
    case 7:
      return pick(["--", "-", "--=", "---", "-=", "--=x"]);
    case 8:
      return String(Math.floor(random() * 2000) - 1000) + (random() < 0.3 ? ".25" : "");
    default:
      return value();
  }
}

function makeOptions(random: () => number): ParseOptions {
  const options: ParseOptions = {};
  if (random() < 0.5) options.stopOn = ["help", "version"];
  if (random() < 0.4) {
    const env: Record<string, string | undefined> = {};
    for (const name of ["FZ_COUNT", "FZ_BRIGHT", "FZ_QUIET", "FZ_TAG", "FZ_TIMEOUT", "FZ_JSON"]) {
      if (random() < 0.3) env[name] = VALUES[Math.floor(random() * 30)];
    }
    if (random() < 0.7) env.FZ_TOKEN = "t";
    if (random() < 0.2) env.FZ_SECRET = "s";
    if (random() < 0.2) env.FZ_ENDPOINT = random() < 0.5 ? "https://example.com" : "bad";
    options.env = env;
  }
  return options;
}

/** A parse result as plain data (URLs by their text), for comparing two parses. */
function snapshot(result: ParseResult): unknown {
  const plain = (value: unknown): unknown => {
    if (value instanceof URL) return { url: value.href };
    if (Array.isArray(value)) return value.map(plain);
    return value;
  };
  return {
    values: Object.fromEntries(Object.entries(result.values).map(([k, v]) => [k, plain(v)])),
    subcommands: result.subcommands,
    given: [...result.given].sort(),
    stopped: result.stopped,
  };
}

/** Whether a parsed value has the type its argument declares. */
function hasType(type: ValueType, value: unknown): boolean {
  switch (type) {
    case "integer":
    case "count":
      return Number.isInteger(value);
    case "number":
    case "duration":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "url":
      return value instanceof URL;
    default:
      return typeof value === "string";
  }
}

type Outcome = { ok: unknown } | { error: string };

function attempt(signature: Signature, argv: string[], options: ParseOptions, where: string) {
  let result: ParseResult;
  try {
    result = parseArgs(signature, argv, options);
  } catch (error) {
    if (!(error instanceof UsageError)) {
      assert.fail(`${where}: ${JSON.stringify(argv)} threw ${(error as Error)?.stack ?? error}`);
    }
    assert.equal(error.returncode, 2, `${where}: ${JSON.stringify(argv)}`);
    assert.ok(
      error.message.length > 0 && !/[\n\r\u2028\u2029\u0085]/.test(error.message),
      `${where}: ${JSON.stringify(argv)} gave a message that is not one line: ${
        JSON.stringify(error.message)
      }`,
    );
    return { error: error.message } satisfies Outcome;
  }
  // A complete parse has a value for every argument of the chosen (sub)command.
  if (result.stopped === undefined) {
    const chosen = result.values.subcommand;
    const specs = [...signature.positionals, ...signature.options];
    if (signature.subcommands) {
      assert.ok(typeof chosen === "string", `${where}: ${JSON.stringify(argv)} has no subcommand`);
      const sub = signature.subcommands.get(chosen);
      assert.ok(sub, `${where}: ${JSON.stringify(argv)} chose an unknown subcommand`);
      specs.push(...sub.signature.positionals, ...sub.signature.options);
      assert.deepEqual(result.subcommands, [chosen]);
    }
    for (const spec of specs) {
      assert.ok(spec.key in result.values, `${where}: ${JSON.stringify(argv)} lacks ${spec.key}`);
      const value = result.values[spec.key];
      const many = spec.action === "append" || spec.nargs === "*" || spec.nargs === "+" ||
        typeof spec.nargs === "number";
      const items = many ? value : [value];
      assert.ok(Array.isArray(items), `${where}: ${JSON.stringify(argv)}: ${spec.key} is a list`);
      for (const item of items) {
        if (item === undefined && !many && spec.default === undefined) continue;
        assert.ok(
          hasType(spec.type, item) && (!spec.choices || spec.choices.includes(item)),
          `${where}: ${JSON.stringify(argv)}: ${spec.key} has ${String(item)}, not a ${spec.type}`,
        );
      }
    }
  }
  return { ok: snapshot(result) } satisfies Outcome;
}

Deno.test(`parseArgs accepts or cleanly rejects ${VECTORS} random argv vectors (seed ${SEED})`, () => {
  const random = mulberry32(SEED);
  const signatures: [string, Signature][] = [
    ["rich", signatureOf(RICH, sharedOptions({ requiresSystemChecks: true }))],
    ["empty", signatureOf({})],
  ];
  const { long, short } = flagsOf(signatures[0][1]);
  const outcomes = { ok: 0, error: 0 };
  for (let n = 0; n < VECTORS; n++) {
    const [label, signature] = signatures[n % 5 === 4 ? 1 : 0];
    const length = Math.floor(random() * 9);
    const argv = Array.from({ length }, () => makeWord(random, long, short));
    if (random() < 0.4) {
      // Start most of the way to a valid command line, so that parses get deep.
      const sub = ["run", "copy", "move"][Math.floor(random() * 3)];
      const needs = { run: ["--fast"], copy: ["a", "b"], move: ["x", "y", "--after=1m"] }[sub]!;
      argv.unshift("target", "--token=t", sub, ...needs);
      argv.splice(Math.floor(random() * argv.length), random() < 0.5 ? 1 : 0);
    }
    const options = makeOptions(random);
    const where = `seed ${SEED}, vector ${n} (${label}, ${JSON.stringify(options)})`;
    const first = attempt(signature, argv, options, where);
    const second = attempt(signature, [...argv], options, where);
    assert.deepEqual(second, first, `${where}: ${JSON.stringify(argv)} parsed differently twice`);
    outcomes["ok" in first ? "ok" : "error"]++;
  }
  // The pool must exercise both sides of the property.
  console.log(`seed ${SEED}: ${outcomes.ok} parsed, ${outcomes.error} rejected`);
  assert.ok(outcomes.ok > VECTORS / 50, `too few successful parses: ${outcomes.ok}`);
  assert.ok(outcomes.error > VECTORS / 50, `too few failed parses: ${outcomes.error}`);
});

Deno.test("the fuzz pool's PRNG is deterministic", () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const first = Array.from({ length: 5 }, a);
  assert.deepEqual(Array.from({ length: 5 }, b), first);
  assert.ok(first.every((x) => x >= 0 && x < 1));
  assert.equal(new Set(first).size, 5);
});
