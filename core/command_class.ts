/**
 * The class form of a command, in the shape Django users know: a class extending
 * {@linkcode BaseCommand} with `help`, `addArguments(parser)` declaring arguments on a
 * {@linkcode CommandParser} with argparse's vocabulary, and `handle(options)`. It becomes the same
 * {@linkcode Command} as `defineCommand` makes; {@linkcode toCommand} takes either form.
 *
 * @module
 */

import {
  type Action,
  type ArgumentDecl,
  type ArgumentsDecl,
  type ExclusiveGroupDecl,
  kebabCase,
  type Nargs,
  type OptionDecl,
  type Primitive,
  type ValueType,
} from "./arguments.ts";
import { COMMAND, type Command, type CommandContext, isCommand } from "./command.ts";
import { DefinitionError } from "./errors.ts";
import type { OutputWrapper } from "./output.ts";
import type { RetryPolicy } from "./retry.ts";
import { declaredRunFrom, type RunFrom } from "./run_from.ts";
import { sharedOptions, type SharedValues } from "./shared_options.ts";
import { signatureOf } from "./signature.ts";
import type { Style } from "./style.ts";

/** Options of {@linkcode CommandParser.addArgument}, in argparse's words. */
export interface AddArgumentOptions {
  /** What giving the option does. */
  action?: Action;
  /** The value type (`"string"` when left out). */
  type?: Exclude<ValueType, "count">;
  /** How many values a positional argument takes. */
  nargs?: Nargs;
  /** The value when it is not given. */
  default?: Primitive | readonly Primitive[];
  /** The only values accepted. */
  choices?: readonly Primitive[];
  /** The option must be given. */
  required?: boolean;
  /** Help text. */
  help?: string;
  /** Display name for the value. */
  metavar?: string;
  /** The key of the value in `options` (camelCase of the long flag when left out). */
  dest?: string;
  /** Environment variable used when the option is not given. */
  env?: string;
}

function camelCase(name: string): string {
  return name.replace(/^-+/, "").replace(/[-_]([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The parser a class-form command's `addArguments(parser)` declares its arguments on, with
 * argparse's vocabulary: `parser.addArgument("--verbose", { action: "store_true" })`.
 */
export class CommandParser {
  readonly #arguments: Record<string, ArgumentDecl> = {};
  readonly #options: Record<string, OptionDecl> = {};
  readonly #exclusive: ExclusiveGroupDecl[] = [];

  /**
   * Declares a positional argument (`"name"`) or an option (`"-n", "--name"`), with its options
   * last. Returns the key its value will have.
   */
  addArgument(...namesAndOptions: (string | AddArgumentOptions)[]): string {
    const names = namesAndOptions.filter((n): n is string => typeof n === "string");
    const spec = namesAndOptions.find((n): n is AddArgumentOptions => typeof n === "object") ?? {};
    if (names.length === 0) {
      throw new DefinitionError("addArgument needs a name, such as 'name' or '--name'");
    }
    if (!names[0].startsWith("-")) {
      if (names.length > 1) {
        throw new DefinitionError(`Positional argument '${names[0]}' can have only one name`);
      }
      const key = spec.dest ?? camelCase(names[0]);
      if (spec.action && spec.action !== "store") {
        throw new DefinitionError(
          `Positional argument '${names[0]}' cannot have action '${spec.action}'`,
        );
      }
      if (spec.type === "boolean") {
        throw new DefinitionError(
          `Positional argument '${
            names[0]
          }' cannot be a boolean: use an option with action 'store_true'`,
        );
      }
      this.#arguments[key] = {
        type: spec.type,
        nargs: spec.nargs,
        default: spec.default,
        choices: spec.choices,
        help: spec.help,
        metavar: spec.metavar,
      };
      return key;
    }
    const shorts = names.filter((n) => /^-[^-]/.test(n));
    const longs = names.filter((n) => n.startsWith("--"));
    const key = spec.dest ?? camelCase(longs[0] ?? shorts[0]);
    if (spec.nargs !== undefined) {
      throw new DefinitionError(
        `Option ${names.join("/")} has nargs: repeat the option with action 'append' instead`,
      );
    }
    const action = spec.action ?? "store";
    const flagLike = action === "store_true" || action === "store_false";
    this.#options[key] = {
      type: action === "count" ? "count" : flagLike ? "boolean" : spec.type,
      action,
      short: shorts[0]?.slice(1),
      flag: longs[0] ?? `--${kebabCase(key)}`,
      aliases: [...shorts.slice(1), ...longs.slice(1)],
      // argparse's append adds to a list default; a single default value starts that list.
      default: action === "append" && spec.default !== undefined && !Array.isArray(spec.default)
        ? [spec.default as Primitive]
        : spec.default,
      choices: spec.choices,
      required: spec.required,
      multiple: action === "append",
      help: spec.help,
      metavar: spec.metavar,
      env: spec.env,
    };
    return key;
  }

  /** Starts a group of options of which at most one (with `required`, exactly one) may be given. */
  addMutuallyExclusiveGroup(
    options: { required?: boolean } = {},
  ): Pick<CommandParser, "addArgument"> {
    const group = { options: [] as string[], required: options.required };
    this.#exclusive.push(group);
    return {
      addArgument: (...namesAndOptions: (string | AddArgumentOptions)[]) => {
        const key = this.addArgument(...namesAndOptions);
        group.options.push(key);
        return key;
      },
    };
  }

  /** The declaration built so far. */
  toDeclaration(): ArgumentsDecl {
    return { arguments: this.#arguments, options: this.#options, exclusive: this.#exclusive };
  }
}

/** The options a class-form command's `handle` receives. */
export type Options = Record<string, unknown> & SharedValues;

/**
 * The base class of a command in the seed's (Django's) shape. Subclass it, set `help`, declare
 * arguments in `addArguments(parser)` and do the work in `handle(options)`, writing with
 * `this.stdout.write(...)`.
 *
 * @example
 * ```ts
 * import { BaseCommand, type CommandParser, type Options } from "./command_class.ts";
 *
 * export default class Command extends BaseCommand {
 *   override help = "Greets a user by name";
 *
 *   override addArguments(parser: CommandParser) {
 *     parser.addArgument("name", { type: "string" });
 *   }
 *
 *   handle(options: Options) {
 *     this.stdout.write(`Hello, ${options.name}!`);
 *   }
 * }
 * ```
 */
export abstract class BaseCommand {
  /** Help text: the first line is the summary shown in listings. */
  help = "";
  /** Text shown after the options in the command's help. */
  epilog?: string;
  /** Example command lines, shown in the reference `manage docs` writes. */
  examples: readonly string[] = [];
  /** Run the system checks before `handle` (and offer `--skip-checks`). */
  requiresSystemChecks = false;
  /** The command uses the database: offer `--database DATABASE`. */
  requiresDatabase = false;
  /** Warn about unapplied migrations before `handle` runs (implies `requiresDatabase`). */
  requiresMigrationsChecks = false;
  /** Where it may be started from (see {@linkcode CommandDefinition.runFrom}); every door. */
  runFrom?: readonly RunFrom[];
  /** Its standard output is a secret (see {@linkcode CommandDefinition.secretOutput}). */
  secretOutput = false;
  /** Its retry policy (see {@linkcode CommandDefinition.retry}). */
  retry?: RetryPolicy;
  /** Standard output, set before `handle` runs. */
  stdout!: OutputWrapper;
  /** Standard error, set before `handle` runs. */
  stderr!: OutputWrapper;
  /** Style functions by role, set before `handle` runs. */
  style!: Style;
  /** The whole context (signal, registry, `callCommand`, `defer`…), set before `handle` runs. */
  ctx!: CommandContext;

  /** Declares the command's arguments. */
  addArguments(_parser: CommandParser): void {}

  /** Runs the command; a string it returns is written to stdout. */
  abstract handle(options: Options): unknown;
}

/** A class whose instances are {@linkcode BaseCommand}s. */
export type CommandClass = new () => BaseCommand;

/** Whether `value` is a class extending {@linkcode BaseCommand}. */
export function isCommandClass(value: unknown): value is CommandClass {
  return typeof value === "function" && value.prototype instanceof BaseCommand;
}

/** Makes a {@linkcode Command} of a class-form command. */
export function commandFromClass(Class: CommandClass): Command {
  const prototype = new Class();
  const parser = new CommandParser();
  prototype.addArguments(parser);
  const { requiresSystemChecks, requiresMigrationsChecks, secretOutput, retry } = prototype;
  const requiresDatabase = prototype.requiresDatabase || requiresMigrationsChecks;
  return {
    [COMMAND]: true,
    help: prototype.help,
    epilog: prototype.epilog,
    examples: prototype.examples,
    signature: signatureOf(
      parser.toDeclaration(),
      sharedOptions({ requiresSystemChecks, requiresDatabase }),
    ),
    requiresSystemChecks,
    requiresDatabase,
    requiresMigrationsChecks,
    runFrom: declaredRunFrom(prototype.runFrom),
    secretOutput,
    ...(retry === undefined ? {} : { retry }),
    handle(ctx) {
      const instance = new Class();
      instance.stdout = ctx.stdout;
      instance.stderr = ctx.stderr;
      instance.style = ctx.style;
      instance.ctx = ctx;
      return instance.handle(ctx.options);
    },
  };
}

/**
 * Turns a command module's default export into a {@linkcode Command}, or throws
 * {@linkcode DefinitionError} naming `module`.
 */
export function toCommand(value: unknown, module: string): Command {
  if (isCommand(value)) return value;
  if (isCommandClass(value)) return commandFromClass(value);
  throw new DefinitionError(
    `${module} does not default-export a command: end it with 'export default defineCommand({...})' ` +
      `or 'export default class Command extends BaseCommand {...}'`,
  );
}
