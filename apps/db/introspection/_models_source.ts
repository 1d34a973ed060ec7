// The `models.ts` that `inspectdb` writes from what the catalog says: one `defineModel` per
// table, fields from columns (types, NULL, defaults it can read, unique, foreign keys with their
// ON DELETE), indexes and multi-column unique constraints. What has no model equivalent is kept
// as close as it can be and marked `// TODO:`.

import { defaultTable, type OnDelete, snakeCase } from "../orm/mod.ts";
import type { ColumnInfo, ConstraintInfo, TableInfo } from "./_catalog.ts";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `shop_book_author` → `ShopBookAuthor`. */
function pascalCase(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w !== "");
  const joined = words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
  return /^[A-Za-z]/.test(joined) ? joined : `T${joined}`;
}

/** `created_at` → `createdAt` (a key whose snake_case is the column, where one exists). */
function camelCase(column: string): string {
  return column.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The model's name for a table: without the app's prefix, in PascalCase. */
function modelName(table: string, app: string): string {
  const bare = table.startsWith(`${app}_`) && table.length > app.length + 1
    ? table.slice(app.length + 1)
    : table;
  return pascalCase(bare);
}

/** An SQL default the model can say, as TypeScript source; undefined when it cannot. */
function defaultSource(sql: string, typname: string): string | undefined {
  const expression = sql.trim();
  if (
    /^(now\(\)|CURRENT_TIMESTAMP|statement_timestamp\(\)|transaction_timestamp\(\))$/i.test(
      expression,
    )
  ) return '"now()"';
  if (/^gen_random_uuid\(\)$/i.test(expression)) return '"gen_random_uuid()"';
  let literal: string | undefined;
  const quoted = /^'((?:[^']|'')*)'(?:::[a-z ]+(?:\(\d+(?:,\s*\d+)?\))?)?$/i.exec(expression);
  if (quoted) literal = quoted[1].replaceAll("''", "'");
  const number = /^\(?(-?\d+(?:\.\d+)?)\)?(?:::[a-z ]+(?:\(\d+(?:,\s*\d+)?\))?)?$/i.exec(
    expression,
  );
  if (number) literal = number[1];
  if (/^(true|false)$/i.test(expression)) literal = expression.toLowerCase();
  if (literal === undefined) return undefined;
  switch (typname) {
    case "int2":
    case "int4":
    case "int8": {
      const value = Number(literal);
      return Number.isSafeInteger(value) ? String(value) : undefined;
    }
    case "numeric":
      return /^-?\d+(\.\d+)?$/.test(literal) ? JSON.stringify(literal) : undefined;
    case "bool":
      return /^(true|t)$/i.test(literal)
        ? "true"
        : /^(false|f)$/i.test(literal)
        ? "false"
        : undefined;
    case "jsonb":
      try {
        return jsonSource(JSON.parse(literal));
      } catch {
        return undefined;
      }
    case "date":
      return /^\d{4}-\d{2}-\d{2}$/.test(literal)
        ? `new Date(${JSON.stringify(`${literal}T00:00:00Z`)})`
        : undefined;
    case "timestamptz": {
      const time = new Date(literal.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
      return Number.isNaN(time.getTime())
        ? undefined
        : `new Date(${JSON.stringify(time.toISOString())})`;
    }
    default:
      return JSON.stringify(literal);
  }
}

/** A JSON value as TypeScript source, spaced as `deno fmt` spaces it. */
function jsonSource(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsonSource).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([k, v]) =>
      `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${jsonSource(v)}`
    );
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  return JSON.stringify(value);
}

const ON_DELETE: Record<string, OnDelete> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
  d: "no action",
};

/** One field's source: its key, the call, and TODO notes for the line before it. */
interface FieldSource {
  key: string;
  call: string;
  todo: string[];
}

/** Options of {@linkcode modelsSource}. */
export interface ModelsSourceOptions {
  /** The app label of the models (`legacy`). */
  app: string;
  /** What the header says the tables came from. */
  source?: string;
}

/**
 * The `models.ts` source for `tables`: one exported `defineModel` per table, tables that others
 * point at first, and `import { defineModel, field } from "../../mod.ts"` as an app's models
 * module has it.
 */
export function modelsSource(tables: readonly TableInfo[], options: ModelsSourceOptions): string {
  const { app } = options;
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const table of tables) {
    let name = modelName(table.name, app);
    for (let n = 2; used.has(name); n++) name = `${modelName(table.name, app)}${n}`;
    used.add(name);
    names.set(table.name, name);
  }
  const ordered = dependencyOrder(tables);
  const declared = new Set<string>();
  const blocks: string[] = [];
  const primaryKeys = new Map<string, string>();
  for (const table of tables) {
    const pk = table.constraints.find((c) => c.type === "p");
    if (pk?.columns.length === 1) primaryKeys.set(table.name, pk.columns[0]);
  }
  for (const table of ordered) {
    blocks.push(modelSource(table, app, names, declared, primaryKeys));
    declared.add(table.name);
  }
  const header = [
    `// Generated by \`manage inspectdb\`${options.source ? ` from ${options.source}` : ""}.`,
    "// Review it before use: the model names, each foreign key's onDelete, and the TODO notes.",
    'import { defineModel, field } from "../../mod.ts";',
  ];
  return `${header.join("\n")}\n${blocks.map((b) => `\n${b}`).join("")}`;
}

/** Tables after the tables their foreign keys point at (as far as cycles allow). */
function dependencyOrder(tables: readonly TableInfo[]): TableInfo[] {
  const remaining = [...tables];
  const done = new Set<string>();
  const ordered: TableInfo[] = [];
  const present = new Set(tables.map((t) => t.name));
  while (remaining.length > 0) {
    let index = remaining.findIndex((t) =>
      t.constraints.every((c) =>
        c.type !== "f" || c.refTable === t.name || !present.has(c.refTable!) ||
        done.has(c.refTable!)
      )
    );
    if (index < 0) index = 0;
    const [next] = remaining.splice(index, 1);
    ordered.push(next);
    done.add(next.name);
  }
  return ordered;
}

function modelSource(
  table: TableInfo,
  app: string,
  names: ReadonlyMap<string, string>,
  declared: ReadonlySet<string>,
  primaryKeys: ReadonlyMap<string, string>,
): string {
  const name = names.get(table.name)!;
  const pk = table.constraints.find((c) => c.type === "p");
  const pkColumn = pk?.columns.length === 1 ? pk.columns[0] : undefined;
  const uniqueColumns = new Set([
    ...table.constraints.filter((c) => c.type === "u" && c.columns.length === 1).map((c) =>
      c.columns[0]
    ),
    ...table.indexes.filter((i) => i.unique && i.columns?.length === 1).map((i) => i.columns![0]),
  ]);
  const modelTodo: string[] = [];
  const foreignKeys = new Map<string, ConstraintInfo>();
  for (const fk of table.constraints.filter((c) => c.type === "f" && c.columns.length === 1)) {
    const targetPk = primaryKeys.get(fk.refTable!);
    const column = table.columns.find((c) => c.name === fk.columns[0])!;
    const target = `${fk.refTable}.${fk.refColumns?.[0]}`;
    if (targetPk !== undefined && fk.refColumns?.[0] !== targetPk) {
      modelTodo.push(
        `${column.name} points at ${target}, which is not its primary key: kept as a plain field`,
      );
    } else if (column.typname !== "int8" && column.typname !== "int4") {
      modelTodo.push(
        `${column.name} points at ${target} (${column.type}); foreign key fields are ` +
          "integers: kept as a plain field",
      );
    } else foreignKeys.set(fk.columns[0], fk);
  }
  if (pk && pk.columns.length > 1) {
    modelTodo.push(
      `primary key (${pk.columns.join(", ")}) has several columns: a model has one`,
    );
  }
  if (!pk) modelTodo.push("the table has no primary key: a model has one");
  for (const fk of table.constraints.filter((c) => c.type === "f" && c.columns.length > 1)) {
    modelTodo.push(`foreign key ${fk.name} has several columns: kept as plain fields`);
  }
  const fields: FieldSource[] = [];
  const keys = new Set<string>();
  const keyOf = new Map<string, string>();
  for (const column of table.columns) {
    const todo: string[] = [];
    const options: string[] = [];
    const fk = foreignKeys.get(column.name);
    const isPk = column.name === pkColumn;
    const serial = column.identity !== "" || /^nextval\(/i.test(column.default ?? "");
    let key = camelCase(fk && column.name.endsWith("_id") ? column.name.slice(0, -3) : column.name);
    if (key === "") key = "field";
    for (let n = 2; keys.has(key); n++) key = `${camelCase(column.name)}${n}`;
    keys.add(key);
    keyOf.set(column.name, key);
    // The automatic pk: `id bigserial` (or identity) needs no field.
    if (isPk && column.name === "id" && column.typname === "int8" && serial && !fk) {
      keys.delete(key);
      keyOf.set(column.name, "id");
      continue;
    }
    let call: string;
    if (isPk && column.typname === "int8" && serial && !fk) {
      call = "field.bigAutoField()";
      if (snakeCase(key) !== column.name) {
        todo.push(`the column is "${column.name}": bigAutoField takes its name from the key`);
      }
      fields.push({ key, call, todo });
      continue;
    }
    const expectedColumn = fk ? `${snakeCase(key)}_id` : snakeCase(key);
    let reference: string | undefined;
    if (fk) {
      reference = referenceSource(fk.refTable!, app, names, declared, table.name);
      if (fk.onDelete === "d") todo.push("ON DELETE SET DEFAULT has no equivalent: no action");
      if (column.typname !== "int8") {
        todo.push(`the column is ${column.type}; a foreign key field is bigint`);
      }
      options.push(`onDelete: ${JSON.stringify(ON_DELETE[fk.onDelete ?? "a"])}`);
    }
    const mapped = fk ? undefined : typeSource(column);
    if (mapped?.todo) todo.push(mapped.todo);
    if (serial && !fk) {
      todo.push(`the column takes its values from a sequence (${column.default ?? "identity"})`);
    }
    if (!column.notNull) options.push("null: true");
    if (column.default !== null && !serial) {
      const source = fk ? undefined : defaultSource(column.default, column.typname);
      if (source !== undefined) options.push(`default: ${source}`);
      else todo.push(`default ${column.default}`);
    }
    if (uniqueColumns.has(column.name) && !isPk) options.push("unique: true");
    if (isPk) options.push("primaryKey: true");
    if (expectedColumn !== column.name) options.push(`column: ${JSON.stringify(column.name)}`);
    if (fk) call = `field.foreignKey(${reference}, { ${options.join(", ")} })`;
    else {
      const args = [...mapped!.call.args];
      if (options.length > 0) args.push(`{ ${options.join(", ")} }`);
      call = `${mapped!.call.name}(${args.join(", ")})`;
    }
    fields.push({ key, call, todo });
  }
  const indexes: string[] = [];
  const indexOf = (columns: readonly string[], unique: boolean, indexName: string) => {
    const fieldKeys = columns.map((c) => JSON.stringify(keyOf.get(c) ?? camelCase(c)));
    indexes.push(
      `{ fields: [${fieldKeys.join(", ")}], ${unique ? "unique: true, " : ""}name: ${
        JSON.stringify(indexName)
      } }`,
    );
  };
  for (const constraint of table.constraints) {
    if (constraint.type === "u" && constraint.columns.length > 1) {
      indexOf(constraint.columns, true, constraint.name);
    }
  }
  for (const index of table.indexes) {
    if (index.columns === undefined) {
      modelTodo.push(`index ${index.name} is on expressions or part of the table: left out`);
    } else if (!(index.unique && index.columns.length === 1)) {
      indexOf(index.columns, index.unique, index.name);
    }
  }
  const lines: string[] = [];
  for (const note of modelTodo) lines.push(`// TODO: ${note}`);
  const body = fields.map((f) =>
    [
      ...f.todo.map((note) => `  // TODO: ${note}`),
      `  ${IDENTIFIER.test(f.key) ? f.key : JSON.stringify(f.key)}: ${f.call},`,
    ].join("\n")
  );
  const modelOptions = [`table: ${JSON.stringify(table.name)}`];
  if (indexes.length > 0) {
    modelOptions.push(`indexes: [\n    ${indexes.join(",\n    ")},\n  ]`);
  }
  const optionsText = indexes.length > 0
    ? `{\n  ${modelOptions.join(",\n  ")},\n}`
    : `{ ${modelOptions.join(", ")} }`;
  const fieldsText = body.length > 0 ? `{\n${body.join("\n")}\n}` : "{}";
  lines.push(
    `export const ${name} = defineModel(${
      JSON.stringify(`${app}.${name}`)
    }, ${fieldsText}, ${optionsText});`,
  );
  return `${lines.join("\n")}\n`;
}

/** How a foreign key names its target: the model declared above, a label, or its state. */
function referenceSource(
  target: string,
  app: string,
  names: ReadonlyMap<string, string>,
  declared: ReadonlySet<string>,
  self: string,
): string {
  const name = names.get(target) ?? pascalCase(target);
  if (declared.has(target) && target !== self) return name;
  const label = `${app}.${name}`;
  if (defaultTable(label) === target) return JSON.stringify(label);
  // Declared below (or itself) under a table that is not the default: name the table too.
  return `{ state: { app: ${JSON.stringify(app)}, name: ${JSON.stringify(name)}, table: ${
    JSON.stringify(target)
  } } }`;
}

/** The field call for a column's type, and a note when the type has no exact field. */
function typeSource(column: ColumnInfo): { call: { name: string; args: string[] }; todo?: string } {
  const call = (name: string, ...args: string[]) => ({ name: `field.${name}`, args });
  switch (column.typname) {
    case "int4":
      return { call: call("integer") };
    case "int8":
      return { call: call("bigint") };
    case "text":
      return { call: call("text") };
    case "varchar":
      return column.typmod > 4
        ? { call: call("varchar", String(column.typmod - 4)) }
        : { call: call("text"), todo: `type ${column.type} (no length): read as text` };
    case "numeric": {
      if (column.typmod < 4) {
        return { call: call("text"), todo: `type ${column.type} (no precision): read as text` };
      }
      const precision = ((column.typmod - 4) >> 16) & 0xffff;
      const scale = (column.typmod - 4) & 0xffff;
      return { call: call("numeric", String(precision), String(scale)) };
    }
    case "bool":
      return { call: call("boolean") };
    case "timestamptz":
      return { call: call("timestamptz") };
    case "date":
      return { call: call("date") };
    case "uuid":
      return { call: call("uuid") };
    case "jsonb":
      return { call: call("jsonb") };
    default:
      return { call: call("text"), todo: `type ${column.type}` };
  }
}
