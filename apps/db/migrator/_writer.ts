// The source of a migration file that `makemigrations` writes: the builders imported from the
// project's mod.ts, each operation as the shortest builder call that makes it again (its kind's
// `source`: options only where they differ from the defaults), the states as object literals, laid out as `deno fmt`
// lays them out so that a formatting check passes on generated files.

import type { MigrationRef } from "./operations/mod.ts";
import { builderCall, type Operation } from "./operations/mod.ts";

/** `deno fmt`'s line width in this project. */
const WIDTH = 100;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function key(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

function string(text: string): string {
  // `deno fmt` prefers the quote that needs no escaping.
  if (text.includes('"') && !text.includes("'")) {
    return `'${JSON.stringify(text).slice(1, -1).replaceAll('\\"', '"')}'`;
  }
  return JSON.stringify(text);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function entries(value: Record<string, unknown>): [string, unknown][] {
  return Object.entries(value).filter(([, v]) => v !== undefined);
}

/** A value on one line: `{ type: "text", null: false }`. */
function inline(value: unknown): string {
  if (typeof value === "string") return string(value);
  if (Array.isArray(value)) return `[${value.map(inline).join(", ")}]`;
  if (isPlainObject(value)) {
    const items = entries(value).map(([k, v]) => `${key(k)}: ${inline(v)}`);
    return items.length === 0 ? "{}" : `{ ${items.join(", ")} }`;
  }
  return JSON.stringify(value ?? null);
}

const pad = (n: number) => " ".repeat(n);

/**
 * A value that starts at column `column` of a line indented by `indent`, with `after` characters
 * following it on its last line: on one line when it fits, else one item per line.
 */
function print(value: unknown, indent: number, column: number, after: number): string {
  const flat = inline(value);
  if (column + flat.length + after <= WIDTH) return flat;
  const inner = indent + 2;
  if (Array.isArray(value) && value.length > 0) {
    const items = value.map((item) => `${pad(inner)}${print(item, inner, inner, 1)},\n`);
    return `[\n${items.join("")}${pad(indent)}]`;
  }
  if (isPlainObject(value) && entries(value).length > 0) {
    const items = entries(value).map(([k, v]) => {
      const head = `${pad(inner)}${key(k)}: `;
      return `${head}${print(v, inner, head.length, 1)},\n`;
    });
    return `{\n${items.join("")}${pad(indent)}}`;
  }
  return flat;
}

/**
 * `name(arg, …)` at `indent`, followed by `,`: on one line when it fits; else hugging (the objects
 * open on the line of the call) when that first line fits; else one argument per line.
 */
function call(name: string, args: readonly unknown[], indent: number): string {
  const flat = `${name}(${args.map(inline).join(", ")})`;
  if (indent + flat.length + 1 <= WIDTH) return flat;
  let text = `${name}(`;
  args.forEach((arg, index) => {
    const last = index === args.length - 1;
    if (index > 0) text += ", ";
    const newline = text.lastIndexOf("\n");
    const column = newline < 0 ? indent + text.length : text.length - newline - 1;
    text += print(arg, indent, column, last ? 2 : 1);
  });
  const firstLine = text.split("\n")[0];
  if (indent + firstLine.length <= WIDTH) return `${text})`;
  const inner = indent + 2;
  const lines = args.map((arg) => `${pad(inner)}${print(arg, inner, inner, 1)},\n`);
  return `${name}(\n${lines.join("")}${pad(indent)})`;
}

/** What a generated migration holds. */
export interface GeneratedMigration {
  /** Migrations of other apps it depends on (the previous one of its app is implied). */
  readonly dependencies: readonly MigrationRef[];
  /** Its operations. */
  readonly operations: readonly Operation[];
  /** The migrations it squashes (a squashed migration's). */
  readonly replaces?: readonly MigrationRef[];
  /** False for a migration that must not run in one transaction. */
  readonly atomic?: boolean;
}

/** The TypeScript source of a migration file in `apps/<app>/migrations/`. */
export function migrationSource(migration: GeneratedMigration): string {
  const calls = migration.operations.map(builderCall);
  const names = [...new Set(["defineMigration", ...calls.map(([name]) => name)])].sort();
  const from = ' } from "../../../mod.ts";';
  const importLine = `import { ${names.join(", ")}${from}`;
  const lines = [
    importLine.length <= WIDTH
      ? importLine
      : `import {\n${names.map((n) => `  ${n},\n`).join("")}}${from.slice(2)}`,
    "",
    "export default defineMigration({",
    ...(migration.replaces?.length ? [`  replaces: ${print(migration.replaces, 2, 12, 1)},`] : []),
    `  dependencies: ${print(migration.dependencies, 2, 16, 1)},`,
    ...(migration.atomic === false ? ["  atomic: false,"] : []),
    calls.length === 0 ? "  operations: []," : "  operations: [",
    ...calls.map(([name, args]) => `    ${call(name, args, 4)},`),
    ...(calls.length === 0 ? [] : ["  ],"]),
    "});",
    "",
  ];
  return lines.join("\n");
}
