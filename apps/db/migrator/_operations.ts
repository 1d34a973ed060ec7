// What a migration's operations are and the SQL they run: the `--plan` descriptions and
// `sqlmigrate`'s output, and the refusal to unapply what cannot be undone.

import { CommandError } from "../../../core/errors.ts";
import type { Migration, Operation } from "./_migration.ts";
import type { MigrationNode, PlanStep } from "./_graph.ts";
import { schemaStatements } from "./_schema_sql.ts";

/** `app.Model` → `model`, as Django names a model in its descriptions. */
function modelName(label: string): string {
  return label.slice(label.indexOf(".") + 1).toLowerCase();
}

/** `app.Model` → `Model`. */
function objectName(label: string): string {
  return label.slice(label.indexOf(".") + 1);
}

/** What a migration's operation is, in a line, as Django's `Operation.describe()`. */
export function describeOperation(operation: Operation): string {
  const op = operation;
  switch (op.kind) {
    case "sql":
      return "Raw SQL operation";
    case "createModel":
      return `Create model ${op.model.name}`;
    case "deleteModel":
      return `Delete model ${op.model.name}`;
    case "addField":
      return `Add field ${op.name} to ${modelName(op.model)}`;
    case "removeField":
      return `Remove field ${op.name} from ${modelName(op.model)}`;
    case "alterField":
      return `Alter field ${op.name} on ${modelName(op.model)}`;
    case "renameField":
      return `Rename field ${op.from} on ${modelName(op.model)} to ${op.to}`;
    case "renameModel":
      return `Rename model ${objectName(op.from)} to ${objectName(op.to)}`;
    case "addIndex":
      return `Create index ${op.index.name} on field(s) ${op.index.fields.join(", ")} of model ${
        modelName(op.model)
      }`;
    case "removeIndex":
      return `Remove index ${op.index.name} from ${modelName(op.model)}`;
  }
}

/**
 * The SQL an operation runs (or with `backwards`, the SQL that undoes it): statements separated
 * by `;` and a new line, `""` for an operation that changes nothing, `undefined` for raw SQL
 * without a reverse.
 */
export function operationSQL(operation: Operation, backwards = false): string | undefined {
  if (operation.kind === "sql") return backwards ? operation.reverse : operation.sql;
  return schemaStatements(operation, backwards).join(";\n");
}

/** The index of the first operation of `migration` that cannot be undone, or -1. */
function irreversibleOperation(migration: Migration): number {
  return migration.operations.findIndex((op) => op.kind === "sql" && op.reverse === undefined);
}

function irreversibleError(node: MigrationNode, index: number): CommandError {
  return new CommandError(
    `Migration ${node.key} is irreversible: its operation ${index + 1} has no reverse SQL ` +
      `(${node.module}); give runSQL a reverse to unapply it`,
  );
}

/** Throws {@linkcode CommandError} when a step of `plan` unapplies an irreversible migration. */
export function assertReversible(plan: readonly PlanStep[]): void {
  for (const step of plan) {
    if (!step.backwards) continue;
    const index = irreversibleOperation(step.node.migration);
    if (index >= 0) throw irreversibleError(step.node, index);
  }
}

/**
 * The SQL that applies (or with `backwards`, unapplies) a migration, as Django's `sqlmigrate`
 * prints it: each operation under a `-- Raw SQL operation` header, statements ending in `;`, and
 * `BEGIN;`/`COMMIT;` around an atomic migration. Empty for a migration without operations.
 * Throws {@linkcode CommandError} for `backwards` of an irreversible migration.
 */
export function migrationSQL(node: MigrationNode, backwards = false): string {
  const { migration } = node;
  if (backwards) {
    const index = irreversibleOperation(migration);
    if (index >= 0) throw irreversibleError(node, index);
  }
  const operations = backwards ? [...migration.operations].reverse() : migration.operations;
  const lines: string[] = [];
  for (const operation of operations) {
    lines.push("--", `-- ${describeOperation(operation)}`, "--");
    const sql = (operationSQL(operation, backwards) ?? "").trim();
    lines.push(sql === "" ? "-- (no-op)" : sql.endsWith(";") ? sql : `${sql};`);
  }
  if (lines.length === 0) return "";
  return (migration.atomic ? ["BEGIN;", ...lines, "COMMIT;"] : lines).join("\n");
}
