/**
 * The command reference as data: what `manage docs` renders as Markdown, man pages or JSON,
 * read from the commands' own declarations (their signatures), never written by hand.
 *
 * @module
 */

import type { ArgSpec, Signature } from "../../core/arguments.ts";
import type { Command } from "../../core/command.ts";
import { formatDefault, formatUsage } from "../../core/help.ts";
import type { RegistryEntry } from "../../core/registry.ts";
import type { RunFrom } from "../../core/run_from.ts";

/** The width the reference's usage lines are wrapped to, whatever the terminal. */
export const DOCS_WIDTH = 80;

/** One positional argument or option. */
export interface ArgumentDoc {
  /** How it is written: `name`, or every flag with its value (`-t, --times TIMES`). */
  readonly invocation: string;
  /** Its flags (none for a positional argument). */
  readonly flags: readonly string[];
  /** The flag that turns a negatable option off (`--no-color`). */
  readonly negativeFlag?: string;
  /** The value type: string, integer, number, boolean, duration, count… */
  readonly type: string;
  /** How many values a positional argument takes (`?`, `*`, `+`, a number). */
  readonly nargs?: string | number;
  /** The value when it is not given, as the command line writes it. */
  readonly default?: string;
  /** The environment variable read when it is not given. */
  readonly env?: string;
  /** The only values accepted. */
  readonly choices?: readonly string[];
  /** It must be given. */
  readonly required: boolean;
  /** It may be given more than once. */
  readonly repeatable: boolean;
  /** Its help text. */
  readonly help: string;
  /** One of the options every command shares. */
  readonly shared: boolean;
}

/** A subcommand: `manage jobs list`. */
export interface SubcommandDoc {
  /** Its name. */
  readonly name: string;
  /** Its help text. */
  readonly help: string;
  /** Its usage line. */
  readonly usage: string;
  /** Its positional arguments. */
  readonly arguments: readonly ArgumentDoc[];
  /** Its own options (the shared ones are the command's). */
  readonly options: readonly ArgumentDoc[];
}

/** One command's reference. */
export interface CommandDoc {
  /** Its name. */
  readonly name: string;
  /** The app that defines it (`manage` for the built-ins). */
  readonly app: string;
  /** Its module, relative to the project root. */
  readonly module: string;
  /** The first line of its help. */
  readonly summary: string;
  /** The rest of its help, after the first line. */
  readonly description: string;
  /** Its usage line, wrapped as help wraps it at 80 columns. */
  readonly usage: string;
  /** Its positional arguments. */
  readonly arguments: readonly ArgumentDoc[];
  /** Its options: its own first, then the shared ones, as help lists them. */
  readonly options: readonly ArgumentDoc[];
  /** Its subcommands. */
  readonly subcommands: readonly SubcommandDoc[];
  /** The text after the options in its help. */
  readonly epilog: string;
  /** Example command lines it declares. */
  readonly examples: readonly string[];
  /** The doors it may be started from. */
  readonly runFrom: readonly RunFrom[];
  /** It uses the database. */
  readonly database: boolean;
}

function metavar(spec: ArgSpec): string {
  if (spec.metavar) return spec.metavar;
  if (spec.choices) return `{${spec.choices.join(",")}}`;
  if (spec.kind === "positional") return spec.key;
  return spec.key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

function argumentDoc(spec: ArgSpec): ArgumentDoc {
  const takesValue = spec.action === "store" || spec.action === "append";
  const flags = [...spec.flags, ...(spec.negativeFlag ? [spec.negativeFlag] : [])].join(", ");
  const invocation = spec.kind === "positional"
    ? metavar(spec)
    : takesValue
    ? `${flags} ${metavar(spec)}`
    : flags;
  return {
    invocation,
    flags: spec.flags,
    ...(spec.negativeFlag ? { negativeFlag: spec.negativeFlag } : {}),
    type: spec.action === "count" ? "count" : spec.type,
    ...(spec.nargs !== undefined ? { nargs: spec.nargs } : {}),
    ...(formatDefault(spec) !== undefined ? { default: formatDefault(spec) } : {}),
    ...(spec.env ? { env: spec.env } : {}),
    ...(spec.choices ? { choices: spec.choices.map(String) } : {}),
    required: spec.required,
    repeatable: spec.action === "append" || spec.action === "count",
    help: (spec.help ?? "").replace(/\s+/g, " ").trim(),
    shared: spec.shared ?? false,
  };
}

/** Options in help's order: `-h`, the command's own, the other shared ones; hidden ones left out. */
function options(signature: Signature): ArgumentDoc[] {
  const visible = signature.options.filter((o) => !o.hidden);
  const help = visible.filter((o) => o.shared && o.key === "help");
  const own = visible.filter((o) => !o.shared);
  const shared = visible.filter((o) => o.shared && o.key !== "help");
  return [...help, ...own, ...shared].map(argumentDoc);
}

function splitHelp(help: string): { summary: string; description: string } {
  const [first, ...rest] = help.trim().split("\n");
  return { summary: (first ?? "").trim(), description: rest.join("\n").trim() };
}

/** The reference of one command, from its registry entry and its loaded declaration. */
export function commandDoc(entry: RegistryEntry, command: Command, prog = "manage"): CommandDoc {
  const { summary, description } = splitHelp(command.help);
  const signature = command.signature;
  const subcommands = [...(signature.subcommands?.values() ?? [])].map((sub) => ({
    name: sub.name,
    help: (sub.help ?? "").trim(),
    usage: formatUsage(sub.signature, { prog, path: [entry.name, sub.name], width: DOCS_WIDTH }),
    arguments: sub.signature.positionals.map(argumentDoc),
    options: options(sub.signature).filter((o) => !o.shared),
  }));
  return {
    name: entry.name,
    app: entry.app,
    module: entry.module,
    summary,
    description,
    usage: formatUsage(signature, { prog, path: [entry.name], width: DOCS_WIDTH }),
    arguments: signature.positionals.map(argumentDoc),
    options: options(signature),
    subcommands,
    epilog: (command.epilog ?? "").trim(),
    examples: command.examples,
    runFrom: command.runFrom,
    database: command.requiresDatabase,
  };
}

/** How a door is named in the reference. */
export const DOOR_NAMES: Readonly<Record<RunFrom, string>> = {
  cli: "the command line",
  console: "the web console and its API",
  background: "background jobs",
};
