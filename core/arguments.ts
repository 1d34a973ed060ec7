/**
 * How a command declares its arguments, as data: positional {@linkcode ArgumentDecl}s and
 * {@linkcode OptionDecl}s keyed by name, and the types of the values the parser gives back
 * ({@linkcode Values}), inferred from the declaration.
 *
 * Declarations are normalized (by `signature.ts`) into a {@linkcode Signature} — one list of
 * {@linkcode ArgSpec}s — which the parser, the help formatter, the checks and the registry
 * builder share.
 *
 * @module
 */

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

/**
 * How many values a positional argument takes, as argparse's `nargs`; `"..."` (argparse's
 * `REMAINDER`) takes every word after it, options included, for a command that passes them on.
 */
export type Nargs = "?" | "*" | "+" | "..." | number;

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
  /** Leave the option out of help, usage and completion (for options meant for scripts). */
  hidden?: boolean;
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
export type ArgumentValue<D> = D extends { nargs: "*" | "+" | "..." | number } ? ScalarOf<D>[]
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
  /** Left out of help, usage and completion. */
  readonly hidden?: boolean;
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
