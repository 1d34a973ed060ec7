// The declarations and the seeded argument vectors the parser oracle runs through both parsers:
// positionals of every count, options of every action, choices, defaults, required options,
// exclusive groups, prefixes, `--`, bundles, attached values and negative numbers.

import type { ArgumentsDecl, Signature } from "../../core/arguments.ts";

/** The declarations, each named for the failure messages. */
export const DECLARATIONS: Record<string, ArgumentsDecl> = {
  empty: {},
  counts: {
    arguments: { first: {}, second: { nargs: "?", default: "dflt" }, rest: { nargs: "*" } },
    options: { flag: { type: "boolean", short: "f" } },
  },
  oneOrMore: {
    arguments: { files: { nargs: "+" }, target: {} },
    options: { name: { short: "n" } },
  },
  exactly: {
    arguments: { pair: { nargs: 2, type: "integer" }, note: { nargs: "?" } },
    options: { ratio: { type: "number" } },
  },
  typedPositionals: {
    arguments: { level: { type: "integer", choices: [1, 2, 3] }, scale: { type: "number" } },
    options: { mode: { choices: ["fast", "slow"], default: "fast" } },
  },
  everyAction: {
    options: {
      name: { short: "n" },
      count: { type: "integer", short: "c", default: 1 },
      ratio: { type: "number", short: "r" },
      verbose: { type: "count", short: "v" },
      tag: { short: "t", multiple: true },
      port: { type: "integer", multiple: true },
      dryRun: { type: "boolean", short: "d" },
      interactive: { type: "boolean", action: "store_false", flag: "--no-input" },
      level: { choices: ["low", "mid", "high"], default: "mid" },
      color: { type: "boolean", negatable: true },
    },
  },
  required: {
    arguments: { target: { nargs: "?" } },
    options: {
      token: { required: true },
      mode: { choices: ["a", "b"], required: true, short: "m" },
      quiet: { type: "boolean", short: "q" },
    },
  },
  exclusive: {
    options: {
      json: { type: "boolean", short: "j" },
      yaml: { type: "boolean" },
      csv: { type: "boolean", short: "c" },
      user: { short: "u" },
      group: { short: "g" },
    },
    exclusive: [{ options: ["json", "yaml", "csv"] }, {
      options: ["user", "group"],
      required: true,
    }],
  },
  prefixes: {
    arguments: { word: { nargs: "?" } },
    options: {
      verbose: { type: "boolean" },
      versionName: {},
      ver: { type: "integer" },
      value: {},
      valid: { type: "boolean" },
    },
  },
  negatives: {
    arguments: { amount: { type: "number" }, more: { nargs: "*", type: "integer" } },
    options: { n: { type: "integer", short: "n" }, offset: { type: "number" } },
  },
  negativeFlag: {
    arguments: { amount: { nargs: "?" } },
    options: { one: { type: "boolean", flag: "-1" }, x: { short: "x" } },
  },
  bundles: {
    arguments: { rest: { nargs: "*" } },
    options: {
      all: { type: "boolean", short: "a" },
      brief: { type: "boolean", short: "b" },
      verbose: { type: "count", short: "v" },
      name: { short: "n" },
      count: { type: "integer", short: "k" },
    },
  },
  appendDefault: {
    options: { tag: { short: "t", multiple: true, default: ["base"] } },
  },
  subcommands: {
    options: { debug: { type: "boolean", short: "D" } },
    subcommands: {
      run: {
        arguments: { script: {} },
        options: {
          watch: { type: "boolean", short: "w" },
          retries: { type: "integer", choices: [0, 1, 2, 3], default: 0 },
        },
      },
      copy: {
        arguments: { sources: { nargs: "+" }, dest: {} },
        options: { force: { type: "boolean", short: "f" } },
      },
    },
  },
  remainder: {
    arguments: { program: {}, args: { nargs: "..." } },
    options: { env: { short: "e", multiple: true } },
  },
};

/** A small, seeded PRNG (mulberry32): the same seed gives the same vectors. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ["John", "a b", "", "x=y", "-", "--", "-x y", "é", "low", "mid", "fast", "a"];
const NUMBERS = ["0", "3", "-3", "2.5", "-2.5", "-.5", "+4", " 7", "1e3", "2", "1", "10"];
const ODD_NUMBERS = ["1_000", "inf", "-inf", "nan", "0x10", "\u0663", "1.", "3 ", "Infinity"];
const UNKNOWN = ["--zzz", "--zzz=1", "-Q", "-Qx", "--"];

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];

function valueFor(random: Random, type: string, choices?: readonly unknown[]): string {
  const roll = random();
  if (choices && roll < 0.6) return String(pick(random, choices));
  if (type === "integer" || type === "number" || type === "count") {
    if (roll < 0.85) return pick(random, NUMBERS);
    return pick(random, ODD_NUMBERS);
  }
  return roll < 0.8 ? pick(random, STRINGS) : pick(random, NUMBERS);
}

/** Every flag of a signature and its subcommands. */
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

/** Words as a user would give them: each option with a fitting value, positionals, in order. */
function plausible(random: Random, signature: Signature): string[] {
  const words: string[] = [];
  const options: string[][] = [];
  for (const spec of signature.options) {
    if (random() < (spec.required ? 0.9 : 0.35)) {
      const takes = spec.action === "store" || spec.action === "append";
      const long = spec.flags.find((f) => f.startsWith("--"));
      const short = spec.flags.find((f) => !f.startsWith("--"));
      let flag = short && random() < 0.5 ? short : long ?? short!;
      if (spec.negativeFlag && random() < 0.4) flag = spec.negativeFlag;
      if (long && flag === long && random() < 0.2) {
        flag = long.slice(0, Math.max(3, long.length - 1 - Math.floor(random() * 3)));
      }
      if (!takes) options.push([flag]);
      else {
        const value = valueFor(random, spec.type, spec.choices);
        const form = random();
        if (form < 0.5) options.push([flag, value]);
        else if (flag.startsWith("--")) options.push([`${flag}=${value}`]);
        else options.push([`${flag}${form < 0.8 ? "" : "="}${value}`]);
      }
      if (spec.action === "append" || spec.action === "count") {
        if (random() < 0.3) options.push(options.at(-1)!);
      }
    }
  }
  const positionals: string[] = [];
  for (const spec of signature.positionals) {
    const nargs = spec.nargs;
    const count = typeof nargs === "number"
      ? nargs
      : nargs === "?"
      ? Math.floor(random() * 2)
      : nargs === "*" || nargs === "..."
      ? Math.floor(random() * 3)
      : nargs === "+"
      ? 1 + Math.floor(random() * 2)
      : 1;
    for (let i = 0; i < count; i++) positionals.push(valueFor(random, spec.type, spec.choices));
  }
  // Options before, after or between the positionals.
  for (const option of options) {
    const at = Math.floor(random() * (positionals.length + 1));
    positionals.splice(at, 0, ...option);
  }
  words.push(...positionals);
  if (signature.subcommands) {
    const names = [...signature.subcommands.keys()];
    const name = random() < 0.9 ? pick(random, names) : "rn";
    words.push(name);
    const sub = signature.subcommands.get(name);
    if (sub) words.push(...plausible(random, sub.signature));
  }
  if (random() < 0.15) words.splice(Math.floor(random() * (words.length + 1)), 0, "--");
  return words;
}

/** A word drawn from the signature's flags, values and odd words. */
function randomWord(random: Random, signature: Signature): string {
  const { long, short } = flagsOf(signature);
  const roll = Math.floor(random() * 10);
  if (roll < 2 && long.length) return pick(random, long);
  if (roll < 3 && short.length) return pick(random, short);
  if (roll < 4 && long.length) {
    const flag = pick(random, long);
    return flag.slice(0, 3 + Math.floor(random() * (flag.length - 2)));
  }
  if (roll < 5 && short.length) {
    // A bundle of short letters, sometimes with a value after the last.
    const letters = Array.from(
      { length: 2 + Math.floor(random() * 2) },
      () => pick(random, short).slice(1),
    ).join("");
    return `-${letters}${random() < 0.3 ? pick(random, NUMBERS).trim() : ""}`;
  }
  if (roll < 6 && long.length) return `${pick(random, long)}=${valueFor(random, "string")}`;
  if (roll < 7) return pick(random, UNKNOWN);
  if (roll < 8 && signature.subcommands) return pick(random, [...signature.subcommands.keys()]);
  return valueFor(random, pick(random, ["string", "number"]));
}

/** `count` vectors for `signature`: half as a user would write them (then perturbed), half random. */
export function vectorsFor(random: Random, signature: Signature, count: number): string[][] {
  const vectors: string[][] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      const words = plausible(random, signature);
      if (random() < 0.3) {
        const at = Math.floor(random() * (words.length + 1));
        if (random() < 0.5) words.splice(at, 1);
        else words.splice(at, 0, randomWord(random, signature));
      }
      vectors.push(words);
    } else {
      const length = Math.floor(random() * 7);
      vectors.push(Array.from({ length }, () => randomWord(random, signature)));
    }
  }
  return vectors;
}
