// The models as the migrations leave them: every migration's schema operations replayed in the
// order `migrate` applies them, into a map of `app.Model` → ModelState. Raw SQL is opaque and
// changes nothing here. `makemigrations` compares this state with the models.

import { CommandError } from "../../../core/errors.ts";
import type { MigrationGraph } from "./_graph.ts";
import {
  applyOperation,
  describeOperation,
  type ProjectState,
  splitLabel,
} from "./operations/mod.ts";

export { applyOperation, type ProjectState, splitLabel };

/**
 * The project state after every migration of `graph`, applied in the order `migrate` applies
 * them. Throws {@linkcode CommandError} naming the migration file when an operation does not fit
 * the state before it (a field added twice, a model that does not exist).
 */
export function projectState(graph: MigrationGraph): ProjectState {
  const state: ProjectState = new Map();
  for (const step of graph.plan({ kind: "all" }, [])) {
    const { node } = step;
    node.migration.operations.forEach((operation, index) => {
      try {
        applyOperation(state, operation);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new CommandError(
          `${node.module}: operation ${index + 1} (${
            describeOperation(operation)
          }) does not fit the models of the migrations before it: ${reason}; fix or remove it`,
        );
      }
    });
  }
  return state;
}
