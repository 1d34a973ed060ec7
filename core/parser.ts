/**
 * The command-line parser: argv against a {@linkcode Signature}, with argparse's behaviour and
 * wording where they overlap. Every failure is a {@linkcode UsageError} (exit code 2).
 *
 * It is over 500 lines because a parse is one pass over argv with one state (what was given,
 * which positionals are left, which options of a group were seen), as argparse's own
 * `parse_known_args` is; converting values (`values.ts`), suggesting names (`suggest.ts`) and
 * building the signature (`signature.ts`) are modules of their own.
 *
 * @module
 */

import type { ArgSpec, Nargs, Signature } from "./arguments.ts";
import { acceptNamed, convert, printable, quote } from "./values.ts";
import { UsageError } from "./errors.ts";
import { closeMatches } from "./suggest.ts";

/** Options for {@linkcode parseArgs}. */
export interface ParseOptions {
  /** Environment for options' `env` fallbacks. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Values given by key (from `callCommand`), validated like command-line values. */
  named?: Readonly<Record<string, unknown>>;
  /** The command's name, for error messages. */
  command?: string;
  /** Option keys that end parsing as soon as they are seen (`help`, `version`). */
  stopOn?: readonly string[];
}

/** What {@linkcode parseArgs} found. */
export interface ParseResult {
  /** Every argument's value by key (defaults filled in); `subcommand` names the chosen one. */
  values: Record<string, unknown>;
  /** The subcommand path chosen (empty when the command has none). */
  subcommands: string[];
  /** The keys that were given: on the command line, by name, or through the environment. */
  given: Set<string>;
  /** The keys given on the command line or by name: `given` without the environment's. */
  explicit: Set<string>;
  /** The `stopOn` key that was seen, when one was: the other values are then incomplete. */
  stopped?: string;
}

const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

/**
 * The name an argument has in messages: `-n/--name` for options (`--color/--no-color` for a
 * negatable flag, as argparse's `BooleanOptionalAction`), the metavar for positionals.
 */
export function displayName(spec: ArgSpec): string {
  if (spec.kind === "option") {
    return [...spec.flags, ...(spec.negativeFlag ? [spec.negativeFlag] : [])].join("/");
  }
  if (spec.metavar) return spec.metavar;
  return spec.key;
}

/** A default as a value of its own, so that changing one parse's value changes no other. */
function fresh(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fresh);
  if (value instanceof URL) return new URL(value.href);
  return value;
}

function range(nargs: Nargs | undefined): [number, number] {
  if (nargs === undefined) return [1, 1];
  if (nargs === "?") return [0, 1];
  if (nargs === "*" || nargs === "...") return [0, Infinity];
  if (nargs === "+") return [1, Infinity];
  return [nargs, nargs];
}

class Parse {
  readonly values: Record<string, unknown> = {};
  readonly given = new Set<string>();
  /** Options' values from argv, converted when seen (as argparse does), in order. */
  readonly fromArgv = new Map<string, unknown[]>();
  /** Positional words with their index in argv, in order. */
  readonly positionalTokens: [number, string][] = [];
  /** Words nothing took, with their index in argv (messages list them in argv's order). */
  readonly unrecognized: [number, string][] = [];
  readonly longFlags: [string, ArgSpec, boolean][] = [];
  readonly negativeNumberFlags: boolean;

  constructor(
    readonly signature: Signature,
    readonly options: ParseOptions,
    readonly path: string[],
  ) {
    for (const spec of signature.options) {
      for (const flag of spec.flags) {
        if (flag.startsWith("--")) this.longFlags.push([flag, spec, false]);
      }
      if (spec.negativeFlag) this.longFlags.push([spec.negativeFlag, spec, true]);
    }
    this.negativeNumberFlags = signature.options.some((o) =>
      o.flags.some((f) => NEGATIVE_NUMBER.test(f))
    );
  }

  /** Whether a word is an option (or an attempt at one) rather than a value, as argparse decides. */
  looksLikeOption(token: string): boolean {
    if (!token.startsWith("-") || token === "-") return false;
    if (token.startsWith("--")) {
      const flag = token.split("=", 1)[0];
      if (this.longFlags.some(([f]) => f.startsWith(flag))) return true;
    } else if (this.findShort(token[1])) return true;
    // As argparse: a negative number is a value unless an option itself looks like one, and a
    // word with a space in it that names no option is a value ("-x y").
    if (NEGATIVE_NUMBER.test(token)) return this.negativeNumberFlags;
    return !token.includes(" ");
  }

  /**
   * A bad option value met in the words, kept until the parse ends or fails: then it is the
   * error reported, being the first mistake, as argparse reports it, unless an option such as
   * --help stops the parse first.
   */
  pending?: UsageError;

  usageError(message: string): UsageError {
    return new UsageError(message, this.options.command ?? "", this.path);
  }

  fail(message: string): never {
    throw this.pending ?? this.usageError(message);
  }

  argumentError(spec: ArgSpec, message: string): never {
    this.fail(`argument ${displayName(spec)}: ${message}`);
  }

  findLong(flag: string): [ArgSpec, boolean] | undefined {
    const exact = this.longFlags.find(([f]) => f === flag);
    if (exact) return [exact[1], exact[2]];
    const prefixed = this.longFlags.filter(([f]) => f.startsWith(flag));
    if (prefixed.length === 1) return [prefixed[0][1], prefixed[0][2]];
    if (prefixed.length > 1) {
      const names = prefixed.map(([f]) => f).join(", ");
      this.fail(`ambiguous option: ${printable(flag)} could match ${names}`);
    }
    return undefined;
  }

  findShort(letter: string): ArgSpec | undefined {
    return this.signature.options.find((o) => o.flags.includes(`-${letter}`));
  }

  markGiven(spec: ArgSpec): void {
    for (const group of this.signature.groups) {
      if (!group.keys.includes(spec.key)) continue;
      for (const other of group.keys) {
        if (other !== spec.key && this.given.has(other)) {
          const otherSpec = this.signature.options.find((o) => o.key === other)!;
          this.argumentError(spec, `not allowed with argument ${displayName(otherSpec)}`);
        }
      }
    }
    this.given.add(spec.key);
  }

  /**
   * The value an option takes: its explicit `=value` or the next word; undefined for a flag, which
   * takes none. Read before the option is applied, as argparse reads it.
   */
  readValue(
    spec: ArgSpec,
    explicit: string | undefined,
    next: () => string | undefined,
  ): string | undefined {
    if (spec.action !== "store" && spec.action !== "append") {
      if (explicit !== undefined) {
        this.argumentError(spec, `ignored explicit argument ${quote(explicit)}`);
      }
      return undefined;
    }
    const value = explicit ?? next();
    if (value === undefined) this.argumentError(spec, "expected one argument");
    return value;
  }

  /** Applies an option with the value read for it; returns true when it stops the parse. */
  applyFlag(spec: ArgSpec, negative: boolean, value: string | undefined): boolean {
    this.markGiven(spec);
    if (spec.shared && this.options.stopOn?.includes(spec.key)) return true;
    if (value === undefined) {
      if (spec.action === "count") {
        this.values[spec.key] = ((this.values[spec.key] as number) ?? 0) + 1;
      } else this.values[spec.key] = negative ? false : spec.action === "store_true";
      return false;
    }
    // Converted now, so that the first mistake in the words is the one reported, and a bad value
    // is rejected even when the option is given again later, as argparse does.
    const converted = convert(spec, value);
    if ("error" in converted) {
      this.pending ??= this.usageError(`argument ${displayName(spec)}: ${converted.error}`);
    } else {
      this.fromArgv.set(spec.key, [...(this.fromArgv.get(spec.key) ?? []), converted.value]);
    }
    return false;
  }

  /**
   * As argparse, which reads every word before acting on any, an ambiguous prefix is reported
   * before any other mistake. Not where words may belong to a subcommand or to the remainder,
   * whose flags are not this parse's.
   */
  checkPrefixes(argv: readonly string[]): void {
    if (this.signature.subcommands) return;
    if (this.signature.positionals.some((p) => p.nargs === "...")) return;
    for (const token of argv) {
      if (token === "--") return;
      if (token.startsWith("--")) this.findLong(token.split("=", 1)[0]);
    }
  }

  run(argv: readonly string[]): ParseResult {
    this.checkPrefixes(argv);
    const fixedPositionals = this.signature.subcommands
      ? this.signature.positionals.length
      : Infinity;
    let i = 0;
    const next = (): string | undefined => {
      const token = argv[i + 1];
      if (token === undefined || token === "--" || this.looksLikeOption(token)) return undefined;
      i++;
      return token;
    };
    // The words from the remainder positional on (nargs "...") are its own, options or not.
    const rest = this.signature.positionals.findIndex((p) => p.nargs === "...");
    const restAt = rest < 0
      ? Infinity
      : this.signature.positionals.slice(0, rest).reduce((n, p) => n + range(p.nargs)[0], 0);
    for (; i < argv.length; i++) {
      const token = argv[i];
      if (
        this.positionalTokens.length >= restAt &&
        (restAt > 0 || (token !== "--" && !this.looksLikeOption(token)))
      ) {
        for (let j = i; j < argv.length; j++) this.positionalTokens.push([j, argv[j]]);
        break;
      }
      if (token === "--") {
        // Every word after `--` is positional, even one that starts with a dash.
        for (let j = i + 1; j < argv.length; j++) {
          if (this.positionalTokens.length >= fixedPositionals) {
            return this.subcommand(argv, j, argv[j], true);
          }
          this.positionalTokens.push([j, argv[j]]);
        }
        break;
      }
      if (!this.looksLikeOption(token)) {
        if (this.positionalTokens.length >= fixedPositionals) {
          return this.subcommand(argv, i, token, false);
        }
        this.positionalTokens.push([i, token]);
        continue;
      }
      if (token.startsWith("--")) {
        const eq = token.indexOf("=");
        const flag = eq < 0 ? token : token.slice(0, eq);
        const explicit = eq < 0 ? undefined : token.slice(eq + 1);
        const found = this.findLong(flag);
        if (!found) {
          this.unrecognized.push([i, token]);
          continue;
        }
        const value = this.readValue(found[0], explicit, next);
        if (this.applyFlag(found[0], found[1], value)) return this.stop(found[0]);
        continue;
      }
      // Short options, possibly bundled: -vvv, -abc, -nJohn, -n John, -n=John. As argparse, the
      // whole bundle is read before any of its flags is applied.
      const taken: [ArgSpec, string | undefined][] = [];
      let rest = token.slice(1);
      while (rest.length > 0) {
        const spec = this.findShort(rest[0]);
        const previous = taken.at(-1)?.[0];
        if (!spec) {
          // As argparse: an unknown letter after a flag is an argument the flag cannot take.
          if (!previous) this.unrecognized.push([i, token]);
          else this.argumentError(previous, `ignored explicit argument ${quote(rest)}`);
          break;
        }
        if (spec.action === "store" || spec.action === "append") {
          // `-n=` gives the empty value, as `--name=` does; `-n` alone takes the next word.
          const attached = rest.startsWith("=", 1) ? rest.slice(2) : rest.slice(1);
          const explicit = attached === "" && rest.length === 1 ? undefined : attached;
          taken.push([spec, this.readValue(spec, explicit, next)]);
          break;
        }
        taken.push([spec, undefined]);
        rest = rest.slice(1);
        if (rest.startsWith("=")) {
          this.argumentError(spec, `ignored explicit argument ${quote(rest.slice(1))}`);
        }
      }
      for (const [spec, value] of taken) {
        if (this.applyFlag(spec, false, value)) return this.stop(spec);
      }
    }
    return this.finish();
  }

  stop(spec: ArgSpec): ParseResult {
    return {
      values: this.values,
      subcommands: this.path.slice(),
      given: this.given,
      explicit: new Set(this.given),
      stopped: spec.key,
    };
  }

  subcommand(argv: readonly string[], at: number, name: string, afterDashes: boolean): ParseResult {
    const sub = this.signature.subcommands!.get(name);
    if (!sub) {
      const choices = [...this.signature.subcommands!.keys()].map(quote).join(", ");
      const hint = closeMatches(name, this.signature.subcommands!.keys())[0];
      this.fail(
        `argument subcommand: invalid choice: ${quote(name)} (choose from ${choices})` +
          (hint ? ` (did you mean ${hint}?)` : ""),
      );
    }
    const rest = argv.slice(at + 1);
    const parse = new Parse(sub.signature, this.options, [...this.path, name]);
    // Words before the name that this parse did not take are listed with the subcommand's own,
    // in argv's order (their indexes, relative to the subcommand's words, are negative).
    const offset = afterDashes ? at : at + 1;
    parse.unrecognized.push(
      ...this.unrecognized.map(([i, t]): [number, string] => [i - offset, t]),
    );
    this.unrecognized.length = 0;
    parse.pending = this.pending;
    const inner = parse.run(afterDashes ? ["--", ...rest] : rest);
    if (inner.stopped) return inner;
    const mine = this.finish(true);
    // A shared option given before the subcommand's name counts unless given again after it.
    const values = { ...mine.values };
    for (const [key, value] of Object.entries(inner.values)) {
      if (inner.given.has(key) || !mine.given.has(key)) values[key] = value;
    }
    values.subcommand = name;
    return {
      values,
      subcommands: inner.subcommands,
      given: new Set([...mine.given, ...inner.given]),
      explicit: new Set([...mine.explicit, ...inner.explicit]),
    };
  }

  finish(subcommandChosen = false): ParseResult {
    if (this.pending) throw this.pending;
    const missing: string[] = [];
    this.allocatePositionals(missing);
    const named = this.options.named ?? {};
    // First what was given explicitly: by name (which wins, as Django's call_command) or on the
    // command line.
    for (const spec of this.signature.options) {
      const given = this.fromArgv.get(spec.key);
      if (Object.hasOwn(named, spec.key) && named[spec.key] !== undefined) {
        this.markGiven(spec);
        const accepted = acceptNamed(spec, named[spec.key]);
        if ("error" in accepted) this.argumentError(spec, accepted.error);
        this.values[spec.key] = accepted.value;
      } else if (given !== undefined) {
        this.values[spec.key] = spec.action === "append" ? given : given.at(-1);
      }
    }
    // Then the environment, for what was not given, and defaults.
    const explicit = new Set(this.given);
    const env = this.options.env ?? {};
    for (const spec of this.signature.options) {
      if (this.given.has(spec.key)) continue;
      const fromEnv = spec.env !== undefined && Object.hasOwn(env, spec.env)
        ? env[spec.env]
        : undefined;
      // An option given explicitly overrides an environment fallback of another in its group.
      const mates = this.signature.groups.filter((g) => g.keys.includes(spec.key))
        .flatMap((g) => g.keys).filter((key) => key !== spec.key);
      if (fromEnv !== undefined && !mates.some((key) => explicit.has(key))) {
        const clash = mates.find((key) => this.given.has(key));
        if (clash !== undefined) {
          const other = this.signature.options.find((o) => o.key === clash)!;
          this.fail(
            `environment variable ${spec.env} (for ${displayName(spec)}): ` +
              `not allowed with argument ${displayName(other)}`,
          );
        }
        this.given.add(spec.key);
        const converted = this.convertEnv(spec, fromEnv);
        this.values[spec.key] = spec.action === "append" ? [converted] : converted;
      } else if (spec.required) {
        missing.push(displayName(spec));
      } else {
        this.values[spec.key] = fresh(spec.default);
      }
    }
    if (this.signature.subcommands && !subcommandChosen) {
      missing.push("subcommand");
    }
    if (missing.length > 0) {
      this.fail(`the following arguments are required: ${missing.join(", ")}`);
    }
    for (const group of this.signature.groups) {
      if (group.required && !group.keys.some((key) => this.given.has(key))) {
        const names = group.keys.map((key) =>
          displayName(this.signature.options.find((o) => o.key === key)!)
        );
        this.fail(`one of the arguments ${names.join(" ")} is required`);
      }
    }
    if (this.unrecognized.length > 0) {
      const words = this.unrecognized.sort((a, b) => a[0] - b[0]).map(([, token]) => token);
      const flags = this.longFlags.map(([flag]) => flag);
      // A flag itself (given after --) is not a misspelling of one.
      const hints = [
        ...new Set(
          words
            .filter((token) => token.startsWith("--"))
            .map((token) => token.split("=")[0])
            .filter((flag) => !flags.includes(flag))
            .map((flag) => closeMatches(flag, flags, { n: 1 })[0])
            .filter((hint) => hint !== undefined),
        ),
      ];
      const hint = hints.length > 0 ? ` (did you mean ${hints.join(", ")}?)` : "";
      this.fail(`unrecognized arguments: ${printable(words.join(" "))}${hint}`);
    }
    return { values: this.values, subcommands: this.path.slice(), given: this.given, explicit };
  }

  convert(spec: ArgSpec, text: string): unknown {
    const result = convert(spec, text);
    if ("error" in result) this.argumentError(spec, result.error);
    return result.value;
  }

  convertEnv(spec: ArgSpec, text: string): unknown {
    const result = convert(
      spec.action === "store_true" || spec.action === "store_false"
        ? { ...spec, choices: undefined }
        : spec,
      text,
    );
    if ("error" in result) {
      this.fail(`environment variable ${spec.env} (for ${displayName(spec)}): ${result.error}`);
    }
    if (spec.action === "store_false") return !result.value;
    return result.value;
  }

  allocatePositionals(missing: string[]): void {
    const specs = this.signature.positionals;
    const tokens = this.positionalTokens;
    const named = this.options.named ?? {};
    const byName = (spec: ArgSpec) =>
      Object.hasOwn(named, spec.key) && named[spec.key] !== undefined;
    // Positionals given by name take no tokens.
    const fromTokens = specs.filter((spec) => !byName(spec));
    const mins = fromTokens.map((spec) => range(spec.nargs)[0]);
    // As argparse: the longest run of positionals, from the first, that the words can satisfy
    // takes them, each as many as it can while leaving the later ones their minimum.
    let satisfiable = fromTokens.length;
    while (mins.slice(0, satisfiable).reduce((a, b) => a + b, 0) > tokens.length) satisfiable--;
    let at = 0;
    fromTokens.forEach((spec, index) => {
      const [min, max] = range(spec.nargs);
      if (index >= satisfiable && min > 0) {
        missing.push(displayName(spec));
        return;
      }
      const reserved = mins.slice(index + 1, satisfiable).reduce((a, b) => a + b, 0);
      const take = index >= satisfiable
        ? 0
        : Math.max(0, Math.min(max, tokens.length - at - reserved));
      const taken = tokens.slice(at, at + take).map(([, token]) => token);
      at += take;
      const single = spec.nargs === undefined || spec.nargs === "?";
      if (taken.length === 0) {
        this.values[spec.key] = fresh(spec.default);
      } else {
        const converted = taken.map((text) => this.convert(spec, text));
        this.values[spec.key] = single ? converted[0] : converted;
        this.given.add(spec.key);
      }
    });
    for (const spec of specs) {
      if (!byName(spec)) continue;
      const accepted = acceptNamed(spec, named[spec.key]);
      if ("error" in accepted) this.argumentError(spec, accepted.error);
      this.values[spec.key] = accepted.value;
      this.given.add(spec.key);
    }
    this.unrecognized.push(...tokens.slice(at));
  }
}

/**
 * Parses `argv` for `signature`. Throws {@linkcode UsageError} with argparse's message on bad
 * input; returns every value by key, defaults filled in.
 *
 * @example
 * ```ts
 * import { signatureOf } from "./signature.ts";
 * import { parseArgs } from "./parser.ts";
 *
 * const signature = signatureOf({ arguments: { name: {} }, options: { count: { type: "integer", default: 1 } } });
 * const { values } = parseArgs(signature, ["John", "--count=3"]);
 * console.assert(values.name === "John" && values.count === 3);
 * ```
 */
export function parseArgs(
  signature: Signature,
  argv: readonly string[],
  options: ParseOptions = {},
): ParseResult {
  return new Parse(signature, options, []).run(argv);
}
