// The source of a migration file that `makemigrations` writes: the builders imported from the
// project's mod.ts, each operation as the shortest builder call that makes it again (options only
// where they differ from the defaults), the states as object literals, laid out as `deno fmt`
// lays them out so that a formatting check passes on generated files.

import type { MigrationRef } from "./_migration.ts";
import {
  addField,
  addIndex,
  alterField,
  removeField,
  removeIndex,
  renameField,
  renameModel,
  type SchemaOperation,
} from "./_schema_operations.ts";
import type { FieldState, ModelState } from "../orm/mod.ts";
import { same } from "./_autodetector.ts";

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

/** The builders and the arguments that make `op` again, the options left out where defaults fit. */
function builderCall(op: SchemaOperation): [string, unknown[]] {
  /** The first of the candidate argument lists that rebuilds `op`. */
  const shortest = <A extends unknown[]>(
    build: (...args: A) => SchemaOperation,
    candidates: A[],
  ): unknown[] => {
    for (const args of candidates) if (same(build(...args), op)) return args;
    throw new Error(`No builder call makes ${JSON.stringify(op)}`);
  };
  /** Every subset of `options`'s keys, smallest first (the empty one left out as an argument). */
  const subsets = (options: Record<string, unknown>): Record<string, unknown>[] => {
    const keys = Object.keys(options).filter((k) => options[k] !== undefined);
    const all: Record<string, unknown>[] = [];
    for (let mask = 0; mask < 1 << keys.length; mask++) {
      all.push(
        Object.fromEntries(keys.filter((_, i) => mask & (1 << i)).map((k) => [k, options[k]])),
      );
    }
    return all.sort((a, b) => Object.keys(a).length - Object.keys(b).length);
  };
  const trim = (args: unknown[]) => {
    const last = args.at(-1);
    return isPlainObject(last) && Object.keys(last).length === 0 ? args.slice(0, -1) : args;
  };
  switch (op.kind) {
    case "createModel":
      return ["createModel", [op.model]];
    case "deleteModel":
      return ["deleteModel", [op.model]];
    case "addField":
      return [
        "addField",
        trim(
          shortest(
            addField,
            subsets({ table: op.table }).map((o) => [op.model, op.name, op.field, o]),
          ),
        ),
      ];
    case "removeField":
      return [
        "removeField",
        trim(
          shortest(
            removeField,
            subsets({ table: op.table }).map((o) => [op.model, op.name, op.field, o]),
          ),
        ),
      ];
    case "alterField":
      return [
        "alterField",
        trim(
          shortest(
            alterField,
            subsets({ table: op.table }).map((o) => [op.model, op.name, op.from, op.to, o]),
          ),
        ),
      ];
    case "renameField": {
      const options = {
        table: op.table,
        fromColumn: op.fromColumn,
        toColumn: op.toColumn,
        field: op.field,
      };
      return [
        "renameField",
        trim(shortest(renameField, subsets(options).map((o) => [op.model, op.from, op.to, o]))),
      ];
    }
    case "renameModel": {
      const candidates: Parameters<typeof renameModel>[] = [
        [op.from, op.to],
        [op.from, op.to, op.fromTable, op.toTable],
        [op.from, op.to, op.fromTable, op.toTable, op.fields],
      ];
      return ["renameModel", shortest(renameModel, candidates)];
    }
    case "addIndex":
      return [
        "addIndex",
        trim(
          shortest(
            addIndex,
            subsets({ table: op.table, columns: op.columns }).map((o) => [op.model, op.index, o]),
          ),
        ),
      ];
    case "removeIndex":
      return [
        "removeIndex",
        trim(
          shortest(
            removeIndex,
            subsets({ table: op.table, columns: op.columns }).map((o) => [op.model, op.index, o]),
          ),
        ),
      ];
  }
}

const FIELD_KEYS = [
  "type",
  "column",
  "maxLength",
  "precision",
  "scale",
  "null",
  "default",
  "unique",
  "primaryKey",
  "references",
];

/** A field with its properties in a fixed, readable order (type and column first). */
function orderField(field: FieldState): FieldState {
  const known = FIELD_KEYS.filter((k) => k in field).map((k) => [k, field[k as keyof FieldState]]);
  const rest = Object.entries(field).filter(([k]) => !FIELD_KEYS.includes(k));
  return Object.fromEntries([...known, ...rest]) as unknown as FieldState;
}

function orderFields(
  fields: Readonly<Record<string, FieldState>>,
): Readonly<Record<string, FieldState>> {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, orderField(f)]));
}

function orderModel(model: ModelState): ModelState {
  return {
    app: model.app,
    name: model.name,
    table: model.table,
    fields: orderFields(model.fields),
    indexes: model.indexes,
  };
}

/** The operation with its states' properties in a readable order. */
function ordered(op: SchemaOperation): SchemaOperation {
  switch (op.kind) {
    case "createModel":
    case "deleteModel":
      return { ...op, model: orderModel(op.model) };
    case "addField":
    case "removeField":
      return { ...op, field: orderField(op.field) };
    case "alterField":
      return { ...op, from: orderField(op.from), to: orderField(op.to) };
    case "renameField":
      return op.field ? { ...op, field: orderField(op.field) } : op;
    case "renameModel":
      return op.fields ? { ...op, fields: orderFields(op.fields) } : op;
    default:
      return op;
  }
}

/** What a generated migration holds. */
export interface GeneratedMigration {
  /** Migrations of other apps it depends on (the previous one of its app is implied). */
  readonly dependencies: readonly MigrationRef[];
  /** Its operations. */
  readonly operations: readonly SchemaOperation[];
}

/** The TypeScript source of a migration file in `apps/<app>/migrations/`. */
export function migrationSource(migration: GeneratedMigration): string {
  const calls = migration.operations.map((op) => builderCall(ordered(op)));
  const names = [...new Set(["defineMigration", ...calls.map(([name]) => name)])].sort();
  const from = ' } from "../../../mod.ts";';
  const importLine = `import { ${names.join(", ")}${from}`;
  const lines = [
    importLine.length <= WIDTH
      ? importLine
      : `import {\n${names.map((n) => `  ${n},\n`).join("")}}${from.slice(2)}`,
    "",
    "export default defineMigration({",
    `  dependencies: ${print(migration.dependencies, 2, 16, 1)},`,
    calls.length === 0 ? "  operations: []," : "  operations: [",
    ...calls.map(([name, args]) => `    ${call(name, args, 4)},`),
    ...(calls.length === 0 ? [] : ["  ],"]),
    "});",
    "",
  ];
  return lines.join("\n");
}
