/**
 * Help and usage text, laid out as argparse lays it out (Django's order: a command's own
 * options before the shared ones), wrapped to the terminal width.
 *
 * @module
 */

import type { ArgSpec, Signature } from "./arguments.ts";

/** Where and how wide help is printed. */
export interface HelpLayout {
  /** The program name, `manage`. */
  prog: string;
  /** The command (and subcommand path) after the program name. */
  path: readonly string[];
  /** The terminal width in columns (argparse leaves two columns free). */
  width?: number;
}

function metavarOf(spec: ArgSpec): string {
  if (spec.metavar) return spec.metavar;
  if (spec.choices) return `{${spec.choices.join(",")}}`;
  if (spec.kind === "positional") return spec.key;
  return spec.key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

function takesValue(spec: ArgSpec): boolean {
  return spec.action === "store" || spec.action === "append";
}

function positionalUsage(spec: ArgSpec): string {
  const name = metavarOf(spec);
  switch (spec.nargs) {
    case undefined:
      return name;
    case "?":
      return `[${name}]`;
    case "*":
      return `[${name} ...]`;
    case "+":
      return `${name} [${name} ...]`;
    case "...":
      return `...`;
    default:
      return Array(spec.nargs).fill(name).join(" ");
  }
}

function optionUsage(spec: ArgSpec): string {
  const flag = spec.flags[0];
  // A negatable flag shows both forms, as argparse's BooleanOptionalAction: --color | --no-color.
  if (spec.negativeFlag) return `${flag} | ${spec.negativeFlag}`;
  return takesValue(spec) ? `${flag} ${metavarOf(spec)}` : flag;
}

/** Options in help order: `-h` first, then the command's own, then the other shared ones. */
function orderedOptions(signature: Signature): ArgSpec[] {
  const help = signature.options.filter((o) => o.shared && o.key === "help");
  const own = signature.options.filter((o) => !o.shared && !o.hidden);
  const shared = signature.options.filter((o) => o.shared && o.key !== "help");
  return [...help, ...own, ...shared];
}

function usageParts(signature: Signature): { optionals: string[]; positionals: string[] } {
  const optionals: string[] = [];
  const grouped = new Set<string>();
  for (const spec of orderedOptions(signature)) {
    if (grouped.has(spec.key)) continue;
    const group = signature.groups.find((g) => g.keys.includes(spec.key));
    if (group) {
      const members = group.keys.map((key) => signature.options.find((o) => o.key === key)!);
      members.forEach((m) => grouped.add(m.key));
      const inner = members.map(optionUsage).join(" | ");
      optionals.push(group.required ? `(${inner})` : `[${inner}]`);
      continue;
    }
    optionals.push(spec.required ? optionUsage(spec) : `[${optionUsage(spec)}]`);
  }
  const positionals = signature.positionals.map(positionalUsage);
  if (signature.subcommands) {
    positionals.push(`{${[...signature.subcommands.keys()].join(",")}} ...`);
  }
  return { optionals, positionals };
}

function wrapWords(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Wraps text to `width` columns, keeping blank-line-separated paragraphs apart. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.trim().split(/\n\s*\n/)) {
    if (lines.length > 0) lines.push("");
    lines.push(...wrapWords(paragraph.split(/\s+/).filter(Boolean), Math.max(width, 11)));
  }
  return lines;
}

function textWidth(layout: HelpLayout): number {
  return Math.max((layout.width ?? 80) - 2, 11);
}

/**
 * The usage line: `usage: manage greet_user [-h] [--version] … name`, wrapped as argparse
 * wraps it when it is too long.
 *
 * @example
 * ```ts
 * import { signatureOf } from "./signature.ts";
 * import { formatUsage } from "./help.ts";
 *
 * const usage = formatUsage(signatureOf({ arguments: { name: {} } }), { prog: "manage", path: ["greet_user"] });
 * console.assert(usage === "usage: manage greet_user name");
 * ```
 */
export function formatUsage(signature: Signature, layout: HelpLayout): string {
  const prog = [layout.prog, ...layout.path].join(" ");
  const { optionals, positionals } = usageParts(signature);
  const prefix = "usage: ";
  const oneLine = [prog, ...optionals, ...positionals].join(" ");
  const width = textWidth(layout);
  if (prefix.length + oneLine.length <= width) return prefix + oneLine;
  // argparse's HelpFormatter._format_usage: the parts after the program name, wrapped at the
  // program name's indent, options first and positionals on lines of their own.
  const getLines = (parts: readonly string[], indent: string, first?: string): string[] => {
    const lines: string[] = [];
    let line: string[] = [];
    let lineLength = first === undefined ? indent.length - 1 : first.length - 1;
    for (const part of parts) {
      if (lineLength + 1 + part.length > width && line.length > 0) {
        lines.push(indent + line.join(" "));
        line = [];
        lineLength = indent.length - 1;
      }
      line.push(part);
      lineLength += part.length + 1;
    }
    if (line.length > 0) lines.push(indent + line.join(" "));
    if (first !== undefined) lines[0] = first + lines[0].slice(indent.length);
    return lines;
  };
  let lines: string[];
  if (prefix.length + prog.length <= 0.75 * width) {
    const indent = " ".repeat(prefix.length + prog.length + 1);
    if (optionals.length > 0) {
      lines = [
        ...getLines([prog, ...optionals], indent, prefix),
        ...getLines(positionals, indent),
      ];
    } else {
      lines = getLines([prog, ...positionals], indent, prefix);
    }
  } else {
    // A long program name gets the first line to itself.
    const indent = " ".repeat(prefix.length);
    lines = getLines([...optionals, ...positionals], indent);
    if (lines.length > 1) {
      lines = [...getLines(optionals, indent), ...getLines(positionals, indent)];
    }
    lines = [prefix + prog, ...lines];
  }
  return lines.join("\n");
}

function invocation(spec: ArgSpec): string {
  if (spec.kind === "positional") return metavarOf(spec);
  const flags = [...spec.flags, ...(spec.negativeFlag ? [spec.negativeFlag] : [])].join(", ");
  return takesValue(spec) ? `${flags} ${metavarOf(spec)}` : flags;
}

const DURATION_UNITS: readonly [string, number][] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
];

/** Milliseconds as a duration the parser reads back: 5400000 → `1h30m`, 500 → `500ms`. */
function formatDuration(ms: number): string {
  if (!(ms > 0)) return ms === 0 ? "0s" : String(ms);
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of DURATION_UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join("");
}

function defaultText(spec: ArgSpec, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => defaultText(spec, item)).join(" ");
  // A duration's default is in milliseconds, but a bare number on the command line is seconds.
  if (spec.type === "duration" && typeof value === "number") return formatDuration(value);
  return String(value);
}

/**
 * An argument's default as the command line would write it (`1h30m` for a duration), or
 * undefined when it has none worth showing (none, `false`, an empty list, a counter's 0).
 */
export function formatDefault(spec: ArgSpec): string | undefined {
  const dflt = spec.default;
  const shown = dflt !== undefined && dflt !== false &&
    !(Array.isArray(dflt) && dflt.length === 0) && spec.action !== "count";
  return shown ? defaultText(spec, dflt) : undefined;
}

function helpTextOf(spec: ArgSpec): string {
  const notes: string[] = [];
  const dflt = spec.shared ? undefined : formatDefault(spec);
  if (dflt !== undefined) notes.push(`default: ${dflt}`);
  if (spec.env) notes.push(`env: ${spec.env}`);
  const help = spec.help ?? "";
  if (notes.length === 0) return help;
  return `${help}${help ? " " : ""}(${notes.join("; ")})`;
}

interface Row {
  invocation: string;
  help: string;
  indent: number;
}

function formatRows(rows: readonly Row[], layout: HelpLayout, helpPosition: number): string[] {
  const width = textWidth(layout);
  const lines: string[] = [];
  for (const row of rows) {
    const pad = " ".repeat(row.indent);
    const helpLines = row.help ? wrapText(row.help, Math.max(width - helpPosition, 11)) : [];
    const actionWidth = helpPosition - row.indent - 2;
    if (helpLines.length === 0) {
      lines.push(pad + row.invocation);
    } else if (row.invocation.length <= actionWidth) {
      lines.push(pad + row.invocation.padEnd(actionWidth + 2) + helpLines[0]);
      lines.push(...helpLines.slice(1).map((l) => " ".repeat(helpPosition) + l));
    } else {
      lines.push(pad + row.invocation);
      lines.push(...helpLines.map((l) => " ".repeat(helpPosition) + l));
    }
  }
  return lines;
}

/** What a command's full help shows besides its arguments. */
export interface HelpText {
  /** The description (the command's help text). */
  description?: string;
  /** Text after the options. */
  epilog?: string;
}

/**
 * A command's full help: usage, description, positional arguments, options (the command's own
 * first), epilog.
 *
 * @example
 * ```ts
 * import { signatureOf } from "./signature.ts";
 * import { formatHelp } from "./help.ts";
 *
 * const help = formatHelp(signatureOf({ arguments: { name: { help: "who" } } }), { prog: "manage", path: ["greet_user"] });
 * console.assert(help.includes("positional arguments:\n  name"));
 * ```
 */
export function formatHelp(signature: Signature, layout: HelpLayout, text: HelpText = {}): string {
  const width = textWidth(layout);
  const positionalRows: Row[] = signature.positionals.map((spec) => ({
    invocation: invocation(spec),
    help: helpTextOf(spec),
    indent: 2,
  }));
  if (signature.subcommands) {
    positionalRows.push({
      invocation: `{${[...signature.subcommands.keys()].join(",")}}`,
      help: "",
      indent: 2,
    });
    for (const sub of signature.subcommands.values()) {
      positionalRows.push({ invocation: sub.name, help: sub.help ?? "", indent: 4 });
    }
  }
  const optionRows: Row[] = orderedOptions(signature).map((spec) => ({
    invocation: invocation(spec),
    help: helpTextOf(spec),
    indent: 2,
  }));
  const longest = Math.max(
    0,
    ...[...positionalRows, ...optionRows].map((r) => r.invocation.length + r.indent),
  );
  const maxHelpPosition = Math.min(24, Math.max(width - 20, 4));
  const helpPosition = Math.min(longest + 2, maxHelpPosition);
  const sections = [formatUsage(signature, layout)];
  if (text.description?.trim()) sections.push(wrapText(text.description, width).join("\n"));
  if (positionalRows.length > 0) {
    sections.push(
      ["positional arguments:", ...formatRows(positionalRows, layout, helpPosition)].join("\n"),
    );
  }
  if (optionRows.length > 0) {
    sections.push(["options:", ...formatRows(optionRows, layout, helpPosition)].join("\n"));
  }
  if (text.epilog?.trim()) sections.push(wrapText(text.epilog, width).join("\n"));
  return sections.join("\n\n") + "\n";
}
