/**
 * How a command declares its arguments, as data: positional {@linkcode ArgumentDecl}s and
 * {@linkcode OptionDecl}s keyed by name, and the types of the values the parser gives back
 * ({@linkcode Values}), inferred from the declaration.
 *
 * Declarations are normalized into a {@linkcode Signature} — one list of {@linkcode ArgSpec}s —
 * which the parser, the help formatter, the checks and the registry builder share.
 *
 * @module
 */

import { convert, hasType } from "./_values.ts";
import { DefinitionError } from "./errors.ts";

/** The value types an argument can have. `count` is an option that counts its occurrences. */
export type ValueType =
  | "string"
  | "integer"
  | "number"
  | "boolean"
  | "path"
  | "url"
  | "duration"
  | "count";

/** How many values a positional argument takes, as argparse's `nargs`. */
export type Nargs = "?" | "*" | "+" | number;

/** A value an argument may take as a default or a choice. */
export type Primitive = string | number | boolean;

/** What positional arguments and options have in common. */
export interface CommonDecl {
  /** Help text shown by `manage help <command>`. */
  help?: string;
  /** The name shown for the value in help (`NAME` for `--name NAME`). */
  metavar?: string;
  /** The only values accepted; help lists them and the parser rejects others. */
  choices?: readonly Primitive[];
}

/** A positional argument, in declaration order. */
export interface ArgumentDecl extends CommonDecl {
  /** The value type; `"string"` when left out. */
  type?: Exclude<ValueType, "boolean" | "count">;
  /** How many values: one when left out, or `"?"`, `"*"`, `"+"`, or an exact number. */
  nargs?: Nargs;
  /** The value when an optional (`"?"`, `"*"`) positional is not given. */
  default?: Primitive | readonly Primitive[];
}

/** An option, given as `--name value` (or `--name` for booleans and counters). */
export interface OptionDecl extends CommonDecl {
  /** The value type; `"string"` when left out. `boolean` takes no value, `count` counts. */
  type?: ValueType;
  /** A one-letter short flag, without the dash: `short: "n"` for `-n`. */
  short?: string;
  /** The long flag, when it is not the kebab-case of the key (`dryRun` → `--dry-run`). */
  flag?: string;
  /** Extra long flags that mean the same (`["--noinput"]`). */
  aliases?: readonly string[];
  /** The value when the option is not given. */
  default?: Primitive | readonly Primitive[];
  /** The option must be given (on the command line, by name, or through `env`). */
  required?: boolean;
  /** The option may be repeated; its value is then an array of every value given. */
  multiple?: boolean;
  /** For booleans: also accept `--no-<flag>`, which sets the value to false. */
  negatable?: boolean;
  /** An environment variable whose value is used when the option is not given. */
  env?: string;
  /**
   * What giving the option does, as argparse's `action`, when its type does not say it:
   * `"store_false"` makes a boolean flag that sets the value to false (default true).
   */
  action?: Action;
}

/** A group of options of which at most one (with `required`, exactly one) may be given. */
export interface ExclusiveGroupDecl<K extends string = string> {
  /** The keys of the options in the group. */
  options: readonly K[];
  /** One of them must be given. */
  required?: boolean;
}

/** A subcommand: its own help, arguments and options (`manage jobs list --format json`). */
export interface SubcommandDecl {
  /** Help text for the subcommand. */
  help?: string;
  /** Its positional arguments, in order. */
  arguments?: Readonly<Record<string, ArgumentDecl>>;
  /** Its options. */
  options?: Readonly<Record<string, OptionDecl>>;
  /** Its mutually exclusive option groups. */
  exclusive?: readonly ExclusiveGroupDecl[];
}

/** Everything a command (or a subcommand) declares about its arguments. */
export interface ArgumentsDecl {
  /** Positional arguments, in order. */
  arguments?: Readonly<Record<string, ArgumentDecl>>;
  /** Options. */
  options?: Readonly<Record<string, OptionDecl>>;
  /** Mutually exclusive option groups. */
  exclusive?: readonly ExclusiveGroupDecl[];
  /** Subcommands, chosen by the first positional word after the command's own positionals. */
  subcommands?: Readonly<Record<string, SubcommandDecl>>;
}

// ---- Types of the parsed values, inferred from a declaration ----

/** The type of one value of an argument declared as `D`: its choices, or what its type says. */
export type ScalarOf<D> = D extends { choices: readonly (infer C)[] } ? C
  : D extends { type: "integer" | "number" | "duration" | "count" } ? number
  : D extends { type: "boolean" } ? boolean
  : D extends { type: "url" } ? URL
  : string;

/** The type of one positional argument's value. */
export type ArgumentValue<D> = D extends { nargs: "*" | "+" | number } ? ScalarOf<D>[]
  : D extends { nargs: "?" }
    ? D extends { default: unknown } ? ScalarOf<D> : ScalarOf<D> | undefined
  : ScalarOf<D>;

/** The type of one option's value. */
export type OptionValue<D> = D extends { multiple: true } ? ScalarOf<D>[]
  : D extends { type: "boolean" | "count" } ? ScalarOf<D>
  : D extends { required: true } ? ScalarOf<D>
  : D extends { default: unknown } ? ScalarOf<D>
  : ScalarOf<D> | undefined;

/** Flattens an intersection into one object type, for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] } & unknown;

/** The parsed values of positional arguments `A` and options `O`. */
export type Values<A, O> = Simplify<
  & { -readonly [K in keyof A]: ArgumentValue<A[K]> }
  & { -readonly [K in keyof O]: OptionValue<O[K]> }
>;

/** The values of each subcommand of `S`, as a union discriminated by `subcommand`. */
export type SubValues<S> = {
  [K in keyof S]: Simplify<
    & { subcommand: K }
    & (S[K] extends { arguments: infer A } ? { -readonly [P in keyof A]: ArgumentValue<A[P]> }
      : unknown)
    & (S[K] extends { options: infer O } ? { -readonly [P in keyof O]: OptionValue<O[P]> }
      : unknown)
  >;
}[keyof S];

/** The parsed values for a whole declaration, subcommands included (a union by `subcommand`). */
export type ValuesOf<D> =
  & Values<
    D extends { arguments: infer A } ? A : Record<never, never>,
    D extends { options: infer O } ? O : Record<never, never>
  >
  & (D extends { subcommands: infer S } ? [keyof S] extends [never] ? unknown : SubValues<S>
    : unknown);

// ---- The normalized form ----

/** What an option does when it is given, as argparse's `action`. */
export type Action = "store" | "store_true" | "store_false" | "count" | "append";

/** One argument or option, normalized. */
export interface ArgSpec {
  /** `positional` or `option`. */
  readonly kind: "positional" | "option";
  /** The key of its value in the parsed values. */
  readonly key: string;
  /** For options: every flag that names it, short ones first (`-n`, `--name`). */
  readonly flags: readonly string[];
  /** For negatable booleans: the flag that sets it to false (`--no-color`). */
  readonly negativeFlag?: string;
  /** The value type. */
  readonly type: ValueType;
  /** What giving it does. */
  readonly action: Action;
  /** For positionals: how many values. */
  readonly nargs?: Nargs;
  /** The accepted values. */
  readonly choices?: readonly Primitive[];
  /** The value when it is not given. */
  readonly default?: unknown;
  /** It must be given. */
  readonly required: boolean;
  /** Help text. */
  readonly help?: string;
  /** Display name for its value. */
  readonly metavar?: string;
  /** Environment fallback. */
  readonly env?: string;
  /** One of the options every command shares (listed after the command's own). */
  readonly shared?: boolean;
}

/** A mutually exclusive group, normalized. */
export interface ExclusiveGroup {
  /** The keys of the options in the group. */
  readonly keys: readonly string[];
  /** One of them must be given. */
  readonly required: boolean;
}

/** A subcommand, normalized. */
export interface SubcommandSpec {
  /** Its name. */
  readonly name: string;
  /** Its help. */
  readonly help?: string;
  /** Its arguments. */
  readonly signature: Signature;
}

/** The normalized arguments of a command: what the parser, help and checks work from. */
export interface Signature {
  /** Positional arguments, in order. */
  readonly positionals: readonly ArgSpec[];
  /** Options, in declaration order. */
  readonly options: readonly ArgSpec[];
  /** Mutually exclusive groups. */
  readonly groups: readonly ExclusiveGroup[];
  /** Subcommands, by name, when the command has any. */
  readonly subcommands?: ReadonlyMap<string, SubcommandSpec>;
}

/** Turns `dryRun` or `dry_run` into `dry-run`. */
export function kebabCase(key: string): string {
  return key.replace(/_/g, "-").replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

const VALUE_TYPES: readonly ValueType[] = [
  "string",
  "integer",
  "number",
  "boolean",
  "path",
  "url",
  "duration",
  "count",
];

function actionOf(decl: OptionDecl): Action {
  if (decl.action) return decl.action;
  if (decl.type === "count") return "count";
  if (decl.type === "boolean") return "store_true";
  return decl.multiple ? "append" : "store";
}

/** As argparse: a string default of another type is converted as if given on the command line. */
function typedDefault(type: ValueType, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => typedDefault(type, item));
  if (typeof value !== "string" || type === "string" || type === "path") return value;
  const spec: ArgSpec = {
    kind: "option",
    key: "",
    flags: [],
    type,
    action: "store",
    required: false,
  };
  const result = convert(spec, value);
  // A default that does not convert stays as it is, for signatureProblems to report.
  return "error" in result ? value : result.value;
}

function optionSpec(key: string, decl: OptionDecl, shared: boolean): ArgSpec {
  const type = decl.type ?? "string";
  const long = decl.flag ?? `--${kebabCase(key)}`;
  const flags = [
    ...(decl.short === undefined ? [] : [`-${decl.short}`]),
    long,
    ...(decl.aliases ?? []),
  ];
  const action = actionOf(decl);
  let dflt: unknown = typedDefault(type, decl.default);
  if (dflt === undefined) {
    if (action === "store_true") dflt = false;
    else if (action === "store_false") dflt = true;
    else if (action === "count") dflt = 0;
    else if (action === "append") dflt = [];
  }
  return {
    kind: "option",
    key,
    flags,
    negativeFlag: decl.negatable ? `--no-${long.replace(/^--/, "")}` : undefined,
    type,
    action,
    choices: decl.choices,
    default: dflt,
    required: decl.required ?? false,
    help: decl.help,
    metavar: decl.metavar,
    env: decl.env,
    shared,
  };
}

function positionalSpec(key: string, decl: ArgumentDecl): ArgSpec {
  const nargs = decl.nargs;
  return {
    kind: "positional",
    key,
    flags: [],
    type: decl.type ?? "string",
    action: "store",
    nargs,
    choices: decl.choices,
    default: typedDefault(decl.type ?? "string", decl.default) ?? (nargs === "*" ? [] : undefined),
    required: nargs !== "?" && nargs !== "*",
    help: decl.help,
    metavar: decl.metavar,
  };
}

/**
 * Normalizes a declaration into a {@linkcode Signature}, checking it: throws
 * {@linkcode DefinitionError} naming the first problem found.
 *
 * @example
 * ```ts
 * import { signatureOf } from "./arguments.ts";
 *
 * const signature = signatureOf({
 *   arguments: { name: {} },
 *   options: { dryRun: { type: "boolean" } },
 * });
 * console.assert(signature.options[0].flags[0] === "--dry-run");
 * ```
 */
export function signatureOf(
  decl: ArgumentsDecl,
  shared: Readonly<Record<string, OptionDecl>> = {},
): Signature {
  const signature = buildSignature(decl, shared);
  const problems = signatureProblems(signature);
  if (problems.length > 0) throw new DefinitionError(problems[0]);
  return signature;
}

/** Builds a signature from declarations without checking it (see {@linkcode signatureProblems}). */
export function buildSignature(
  decl: ArgumentsDecl,
  shared: Readonly<Record<string, OptionDecl>> = {},
): Signature {
  const positionals = Object.entries(decl.arguments ?? {}).map(([key, d]) =>
    positionalSpec(key, d)
  );
  const options = [
    ...Object.entries(decl.options ?? {}).map(([key, d]) => optionSpec(key, d, false)),
    ...Object.entries(shared).map(([key, d]) => optionSpec(key, d, true)),
  ];
  const groups = (decl.exclusive ?? []).map((g) => ({
    keys: [...g.options],
    required: g.required ?? false,
  }));
  let subcommands: Map<string, SubcommandSpec> | undefined;
  if (decl.subcommands) {
    subcommands = new Map();
    for (const [name, sub] of Object.entries(decl.subcommands)) {
      subcommands.set(name, { name, help: sub.help, signature: buildSignature(sub, shared) });
    }
  }
  return { positionals, options, groups, subcommands };
}

const FLAG = /^--?[A-Za-z0-9][A-Za-z0-9_-]*$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every problem in a signature, one sentence each (empty when it is sound). */
export function signatureProblems(signature: Signature, where = ""): string[] {
  const problems: string[] = [];
  const at = where ? ` in subcommand ${where}` : "";
  const keys = new Set<string>();
  const flags = new Map<string, string>();
  for (const spec of [...signature.positionals, ...signature.options]) {
    const name = spec.kind === "option" ? spec.flags.at(-1)! : spec.key;
    if (!KEY.test(spec.key)) {
      problems.push(`Argument name '${spec.key}'${at} is not a valid identifier`);
    }
    if (keys.has(spec.key)) problems.push(`Argument '${spec.key}'${at} is declared twice`);
    keys.add(spec.key);
    if (!VALUE_TYPES.includes(spec.type)) {
      problems.push(
        `Argument '${spec.key}'${at} has unknown type '${spec.type}' (use one of ${
          VALUE_TYPES.join(", ")
        })`,
      );
    }
    for (const flag of [...spec.flags, ...(spec.negativeFlag ? [spec.negativeFlag] : [])]) {
      if (!FLAG.test(flag) || (flag.startsWith("--") ? flag.length < 3 : flag.length !== 2)) {
        problems.push(`Option '${spec.key}'${at} has an invalid flag '${flag}' (use -x or --name)`);
      }
      const owner = flags.get(flag);
      if (owner !== undefined) {
        problems.push(`Flag ${flag}${at} is used by both '${owner}' and '${spec.key}'`);
      }
      flags.set(flag, spec.key);
    }
    const defaults = Array.isArray(spec.default)
      ? spec.default
      : spec.default === undefined
      ? []
      : [spec.default];
    for (const d of defaults) {
      if (VALUE_TYPES.includes(spec.type) && !hasType(spec.type, d)) {
        problems.push(
          `Argument ${name}${at} has default ${
            JSON.stringify(d)
          }, which is not a valid ${spec.type}`,
        );
      }
    }
    if (spec.choices !== undefined) {
      if (spec.choices.length === 0) {
        problems.push(`Argument ${name}${at} has an empty list of choices`);
      }
      for (const d of defaults) {
        if (!spec.choices.includes(d as Primitive)) {
          problems.push(
            `Argument ${name}${at} has default ${
              JSON.stringify(d)
            }, which is not one of its choices`,
          );
        }
      }
    }
    if (
      spec.kind === "option" && spec.required && spec.default !== undefined &&
      spec.action === "store"
    ) {
      problems.push(`Option ${name}${at} is required and has a default: drop one of them`);
    }
    if (spec.action === "store_true" && spec.default === true && !spec.negativeFlag) {
      problems.push(
        `Option ${name}${at} is a flag that defaults to true, so giving it changes nothing: make it negatable`,
      );
    }
    if (
      (spec.action === "store_true" || spec.action === "store_false") && spec.type !== "boolean"
    ) {
      problems.push(`Option ${name}${at} is a flag, so its type must be boolean`);
    }
    if (spec.negativeFlag && spec.type !== "boolean") {
      problems.push(`Option ${name}${at} is negatable but not a boolean`);
    }
    if (typeof spec.nargs === "number" && (!Number.isInteger(spec.nargs) || spec.nargs < 1)) {
      problems.push(
        `Argument ${name}${at} has nargs ${spec.nargs}: use a whole number of at least 1`,
      );
    } else if (
      spec.nargs !== undefined && typeof spec.nargs !== "number" &&
      !["?", "*", "+"].includes(spec.nargs)
    ) {
      problems.push(
        `Argument ${name}${at} has nargs ${
          JSON.stringify(spec.nargs)
        }: use "?", "*", "+" or a whole number`,
      );
    }
  }
  const variadic = signature.positionals.filter((p) => p.nargs === "*" || p.nargs === "+");
  if (variadic.length > 1) {
    problems.push(
      `Arguments ${
        variadic.map((p) => p.key).join(" and ")
      }${at} both take any number of values: keep one`,
    );
  }
  if (
    signature.subcommands &&
    signature.positionals.some((p) => p.nargs !== undefined && typeof p.nargs !== "number")
  ) {
    problems.push(`A command with subcommands${at} cannot have optional or variadic positionals`);
  }
  for (const group of signature.groups) {
    for (const key of group.keys) {
      const spec = signature.options.find((o) => o.key === key);
      if (!spec) problems.push(`Exclusive group${at} names '${key}', which is not an option`);
      else if (spec.required) {
        problems.push(
          `Option ${spec.flags.at(-1)}${at} is required, so it cannot be in an exclusive group`,
        );
      }
    }
  }
  for (const sub of signature.subcommands?.values() ?? []) {
    problems.push(...signatureProblems(sub.signature, where ? `${where} ${sub.name}` : sub.name));
  }
  return problems;
}
