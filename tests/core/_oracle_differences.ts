// The deliberate differences between the parser and Python's argparse (README, "Where the parser
// differs from argparse"), each recognized by what it is rather than by the vectors it hits:
// argparse's outcome is read several ways (intermixed, with stand-ins for `--` words, without the
// unknown options), each way one deliberate difference, and messages are compared without what
// ours adds on purpose.

import assert from "node:assert/strict";
import type { Signature } from "../../core/arguments.ts";

/** How a parse ended, in terms both parsers share. */
export interface Outcome {
  code: number;
  values?: Record<string, unknown>;
  error?: string;
}

/** How argparse's parse_args and (where it has one) parse_intermixed_args ended. */
export interface Readings {
  plain: Outcome;
  intermixed?: Outcome;
}

/** argparse's readings of a vector and of its variants. */
export interface PythonOutcome extends Readings {
  variants: Partial<Record<Variant, Readings>>;
}

/** The variants of a vector argparse also parses. */
export type Variant = "standIn" | "withoutUnknown" | "withoutUnknownStandIn";

/** README's names of the deliberate differences. */
export const DIFFERENCES = {
  intermixed: "positionals between options",
  dashWord: "a -- that is a word",
  loneDashes: "a -- nothing follows",
  subcommandDashes: "-- before a subcommand",
  remainderDashes: "-- in the remainder",
  appendDefault: "repeatable defaults",
  numbers: "numbers",
  unknownBetween: "unknown options between positionals",
  hints: "did you mean",
  remainderRequired: "the remainder is not required",
  ambiguousValue: "ambiguous prefix with a value",
} as const;

/** Stands in for a `--` that is a word (a value, or after the first `--`) in a variant. */
const STAND_IN = "\u2014\u2014";
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;
/** Numbers Python's int() or float() read and ours do not: 1_000, other scripts' digits, inf. */
const PYTHON_ONLY_NUMBER =
  /^\s*[+-]?(inf(inity)?|nan|[\p{Nd}_.]*(_|[^\p{ASCII}])[\p{Nd}_.]*(e[+-]?\d+)?)\s*$/iu;

/**
 * The words with every `--` that is a word of its own replaced by a stand-in: the ones after the
 * first `--`, and those given as an option's value (`--name=--`, `-n--`), which Python 3.11 drops
 * or stores as an empty list. Undefined when there is none.
 */
function standIn(argv: readonly string[]): string[] | undefined {
  const separator = argv.indexOf("--");
  let changed = false;
  const variant = argv.map((word, i) => {
    if (word === "--" && i > separator) {
      changed = true;
      return STAND_IN;
    }
    if (word.length > 2 && word.startsWith("-") && word.endsWith("--")) {
      changed = true;
      return word.slice(0, -2) + STAND_IN;
    }
    return word;
  });
  return changed ? variant : undefined;
}

/** The flags of a signature. */
function flagsOf(signature: Signature): string[] {
  return signature.options.flatMap((
    o,
  ) => [...o.flags, ...(o.negativeFlag ? [o.negativeFlag] : [])]);
}

/**
 * The indexes of the words before `--` that look like options and name none: unknown options.
 * After a subcommand's name, the subcommand's flags are the known ones.
 */
function unknownOptions(argv: readonly string[], signature: Signature): number[] {
  let flags = flagsOf(signature);
  let chosen = false;
  const unknown: number[] = [];
  for (const [i, word] of argv.entries()) {
    if (word === "--") break;
    const sub = signature.subcommands?.get(word);
    if (sub && !chosen) {
      chosen = true;
      flags = flagsOf(sub.signature);
    }
    const negativeFlags = flags.some((flag) => NEGATIVE_NUMBER.test(flag));
    if (!word.startsWith("-") || word === "-" || word.includes(" ")) continue;
    if (NEGATIVE_NUMBER.test(word) && !negativeFlags) continue;
    const known = word.startsWith("--")
      ? flags.some((flag) => flag.startsWith(word.split("=")[0]))
      : flags.includes(word.slice(0, 2));
    if (!known) unknown.push(i);
  }
  return unknown;
}

/** The variants of `argv` argparse should parse too. */
export function variantsOf(
  argv: readonly string[],
  signature: Signature,
): Partial<Record<Variant, string[]>> {
  const variants: Partial<Record<Variant, string[]>> = {};
  const dashes = standIn(argv);
  if (dashes) variants.standIn = dashes;
  const unknown = unknownOptions(argv, signature);
  if (unknown.length) {
    const without = argv.filter((_, i) => !unknown.includes(i));
    variants.withoutUnknown = without;
    const withoutDashes = standIn(without);
    if (withoutDashes) variants.withoutUnknownStandIn = withoutDashes;
  }
  return variants;
}

/** An outcome of the stand-in variant, with the stand-ins turned back into `--`. */
function restored(outcome: Outcome | undefined): Outcome | undefined {
  if (outcome === undefined) return undefined;
  const back = (value: unknown): unknown =>
    typeof value === "string"
      ? value.replaceAll(STAND_IN, "--")
      : Array.isArray(value)
      ? value.map(back)
      : value;
  return {
    code: outcome.code,
    ...(outcome.values && {
      values: Object.fromEntries(Object.entries(outcome.values).map(([k, v]) => [k, back(v)])),
    }),
    ...(outcome.error !== undefined && { error: outcome.error.replaceAll(STAND_IN, "--") }),
  };
}

/** What differs between two outcomes ("exit code", "values", "message"), if anything. */
export function disagreement(ours: Outcome, theirs: Outcome | undefined): string | undefined {
  if (theirs === undefined) return "no outcome";
  if (ours.code !== theirs.code) return "exit code";
  if (ours.code === 0) {
    try {
      assert.deepEqual(ours.values, theirs.values);
    } catch {
      return "values";
    }
    return undefined;
  }
  return ours.error === theirs.error ? undefined : "message";
}

/** The words of an "unrecognized arguments" message, or undefined for another outcome. */
function unrecognized(outcome: Outcome): string[] | undefined {
  const prefix = "unrecognized arguments: ";
  if (outcome.code !== 2 || !outcome.error?.startsWith(prefix)) return undefined;
  return outcome.error.slice(prefix.length).split(" ");
}

/**
 * Whether two outcomes agree once the messages are put side by side without what ours adds or
 * leaves out on purpose; the labels of what had to be set aside, or undefined when they differ.
 */
function agreeing(
  ours: Outcome,
  theirs: Outcome | undefined,
  signature: Signature,
): string[] | undefined {
  if (theirs === undefined) return undefined;
  if (disagreement(ours, theirs) === undefined) return [];
  if (ours.code !== 2 || theirs.code !== 2) return undefined;
  const labels: string[] = [];
  let mine = ours.error!;
  let their = theirs.error!;
  const hint = / \(did you mean .*\?\)$/;
  if (hint.test(mine)) {
    mine = mine.replace(hint, "");
    labels.push(DIFFERENCES.hints);
  }
  const rest = signature.positionals.find((spec) => spec.nargs === "...");
  if (rest && their.startsWith("the following arguments are required:")) {
    their = their.replace(`, ${rest.key}`, "");
    labels.push(DIFFERENCES.remainderRequired);
  }
  const ambiguous = /^(ambiguous option: --[^= ]*)=.*( could match )/;
  if (ambiguous.test(their)) {
    their = their.replace(ambiguous, "$1$2");
    labels.push(DIFFERENCES.ambiguousValue);
  }
  return mine === their ? labels : undefined;
}

/** argparse's values with the defaults it appends to taken off the lists given. */
function withoutAppendedDefaults(
  outcome: Outcome,
  ours: Outcome,
  signature: Signature,
): Outcome | undefined {
  if (outcome.code !== 0 || ours.code !== 0) return undefined;
  const values = { ...outcome.values };
  let changed = false;
  for (const spec of signature.options) {
    const base = spec.default as unknown[];
    if (spec.action !== "append" || !base?.length) continue;
    if ((ours.values![spec.key] as unknown[]).length === 0) continue;
    values[spec.key] = (values[spec.key] as unknown[]).slice(base.length);
    changed = true;
  }
  return changed ? { code: 0, values } : undefined;
}

/** The ways of reading argparse's outcomes of a vector, each with the differences it sets aside. */
function readingsOf(python: PythonOutcome): [string[], Outcome | undefined][] {
  const dashes = python.variants.standIn;
  return [
    [[], python.plain],
    [[DIFFERENCES.intermixed], python.intermixed],
    [[DIFFERENCES.dashWord], restored(dashes?.plain)],
    [[DIFFERENCES.dashWord, DIFFERENCES.intermixed], restored(dashes?.intermixed)],
  ];
}

/** The first reading of argparse's outcomes ours agrees with, as the labels it needed. */
function matchingReading(
  ours: Outcome,
  python: PythonOutcome,
  signature: Signature,
): string[] | undefined {
  const mine: [string[], Outcome][] = [[[], ours]];
  const passedOn = withoutRemainderDashes(ours, signature);
  if (passedOn) mine.push([[DIFFERENCES.remainderDashes], passedOn]);
  for (const [labels, outcome] of readingsOf(python)) {
    if (outcome === undefined) continue;
    for (const [ourLabels, our] of mine) {
      const agreed = agreeing(our, outcome, signature);
      if (agreed) return [...labels, ...ourLabels, ...agreed];
      const trimmed = withoutAppendedDefaults(outcome, our, signature);
      if (trimmed && disagreement(our, trimmed) === undefined) {
        return [...labels, ...ourLabels, DIFFERENCES.appendDefault];
      }
    }
  }
  return undefined;
}

/** Our values with the first `--` among the remainder's words dropped, as argparse drops it. */
function withoutRemainderDashes(ours: Outcome, signature: Signature): Outcome | undefined {
  const rest = signature.positionals.find((spec) => spec.nargs === "...");
  if (!rest || ours.code !== 0) return undefined;
  const words = [...ours.values![rest.key] as string[]];
  const at = words.indexOf("--");
  if (at < 0) return undefined;
  words.splice(at, 1);
  return { code: 0, values: { ...ours.values, [rest.key]: words } };
}

/**
 * The deliberate differences that explain why ours ended as it did where argparse did not, or
 * undefined when none does. `oursWithoutUnknown` is how ours ends on the words without the
 * unknown options, when there were some.
 */
export function explanation(
  ours: Outcome,
  python: PythonOutcome,
  signature: Signature,
  oursWithoutUnknown?: Outcome,
): string[] | undefined {
  const reading = matchingReading(ours, python, signature);
  if (reading) return reading;
  // Python's int() and float() also take 1_000, digits of other scripts, inf and nan.
  const number = /invalid (int|float) value: '(.*)'$/.exec(ours.error ?? "")?.[2];
  if (number !== undefined && PYTHON_ONLY_NUMBER.test(number)) return [DIFFERENCES.numbers];
  // argparse lets an unknown option between positionals split them (so that a later one is
  // "required", or left over); ours sets it aside and reports it alone.
  const without = python.variants.withoutUnknown;
  if (oursWithoutUnknown && without) {
    const variants = { standIn: python.variants.withoutUnknownStandIn };
    const agreed = matchingReading(oursWithoutUnknown, { ...without, variants }, signature);
    const sameEnd = oursWithoutUnknown.code === 0
      ? unrecognized(ours) !== undefined
      : disagreement(ours, oursWithoutUnknown) === undefined;
    if (agreed && sameEnd) return [DIFFERENCES.unknownBetween, ...agreed];
  }
  // Python 3.11 keeps a `--` that no positional takes as an unrecognized word.
  const theirs = unrecognized(python.plain);
  if (theirs?.includes("--")) {
    const mine = ours.code === 0 ? [] : unrecognized({
      ...ours,
      error: ours.error?.replace(/ \(did you mean .*\?\)$/, ""),
    });
    const bare = (words: string[]) => words.filter((word) => word !== "--").join(" ");
    if (mine && bare(mine) === bare(theirs)) return [DIFFERENCES.loneDashes];
  }
  // Python 3.11 takes a `--` before the subcommand's name for the name.
  if (python.plain.error?.startsWith("argument subcommand: invalid choice: '--'")) {
    return [DIFFERENCES.subcommandDashes];
  }
  return undefined;
}
