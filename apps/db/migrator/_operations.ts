// What a migration's operations are and the SQL they run: the `--plan` descriptions and
// `sqlmigrate`'s output, and the refusal to unapply what cannot be undone.

import { CommandError } from "../../../core/errors.ts";
import type { Migration } from "./operations/mod.ts";
import type { MigrationNode, PlanStep } from "./_graph.ts";
import { describeOperation, isReversible, operationSQL } from "./operations/mod.ts";

export { describeOperation, operationSQL };

/** The index of the first operation of `migration` that cannot be undone, or -1. */
function irreversibleOperation(migration: Migration): number {
  return migration.operations.findIndex((op) => !isReversible(op));
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
