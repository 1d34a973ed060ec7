// The models as the migrations leave them: every migration's schema operations replayed in the
// order `migrate` applies them, into a map of `app.Model` → ModelState. Raw SQL is opaque and
// changes nothing here. `makemigrations` compares this state with the models.

import { CommandError } from "../../../core/errors.ts";
import type { Operation } from "./_migration.ts";
import { type FieldState, type ModelState, splitLabel } from "../orm/mod.ts";
import type { MigrationGraph } from "./_graph.ts";
import { describeOperation } from "./_operations.ts";

/** The models of a project by label (`app.Model`), in the order they were created. */
export type ProjectState = Map<string, ModelState>;

export { splitLabel } from "../orm/mod.ts";

/** `fields` with `key` replaced (in its place) by `newKey`: `value`. */
function replaceField(
  fields: Readonly<Record<string, FieldState>>,
  key: string,
  newKey: string,
  value: FieldState,
): Record<string, FieldState> {
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => k === key ? [newKey, value] : [k, v]),
  );
}

/**
 * Applies one operation to `state` (in place). Throws an `Error` saying what does not fit, for
 * the caller to put in context.
 */
export function applyOperation(state: ProjectState, operation: Operation): void {
  const op = operation;
  const model = (label: string): ModelState => {
    const found = state.get(label);
    if (!found) throw new Error(`it names model ${label}, which does not exist at that point`);
    return found;
  };
  const field = (label: string, name: string): FieldState => {
    const found = model(label).fields[name];
    if (!found) throw new Error(`it names field ${name} of ${label}, which it does not have`);
    return found;
  };
  switch (op.kind) {
    case "sql":
      return;
    case "createModel": {
      const label = `${op.model.app}.${op.model.name}`;
      if (state.has(label)) throw new Error(`it creates model ${label}, which exists already`);
      state.set(label, op.model);
      return;
    }
    case "deleteModel": {
      const label = `${op.model.app}.${op.model.name}`;
      model(label);
      state.delete(label);
      return;
    }
    case "addField": {
      const m = model(op.model);
      if (op.name in m.fields) throw new Error(`${op.model} has a field ${op.name} already`);
      state.set(op.model, { ...m, fields: { ...m.fields, [op.name]: op.field } });
      return;
    }
    case "removeField": {
      const m = model(op.model);
      field(op.model, op.name);
      const fields = { ...m.fields };
      delete fields[op.name];
      const indexes = m.indexes.filter((index) => !index.fields.includes(op.name));
      state.set(op.model, { ...m, fields, indexes });
      return;
    }
    case "alterField": {
      const m = model(op.model);
      field(op.model, op.name);
      state.set(op.model, { ...m, fields: replaceField(m.fields, op.name, op.name, op.to) });
      return;
    }
    case "renameField": {
      const m = model(op.model);
      const old = field(op.model, op.from);
      if (op.to in m.fields) throw new Error(`${op.model} has a field ${op.to} already`);
      const renamed = { ...old, column: op.toColumn };
      state.set(op.model, {
        ...m,
        fields: replaceField(m.fields, op.from, op.to, renamed),
        indexes: m.indexes.map((index) => ({
          ...index,
          fields: index.fields.map((f) => f === op.from ? op.to : f),
        })),
      });
      return;
    }
    case "renameModel": {
      const m = model(op.from);
      if (state.has(op.to)) throw new Error(`it renames ${op.from} to ${op.to}, which exists`);
      const [app, name] = splitLabel(op.to);
      const entries = [...state.entries()].map(([label, value]): [string, ModelState] =>
        label === op.from ? [op.to, { ...m, app, name, table: op.toTable }] : [label, value]
      );
      state.clear();
      for (const [label, value] of entries) {
        // Foreign keys to the renamed model follow it.
        const fields = Object.entries(value.fields);
        if (!fields.some(([, f]) => f.references?.model === op.from)) {
          state.set(label, value);
          continue;
        }
        state.set(label, {
          ...value,
          fields: Object.fromEntries(
            fields.map(([k, f]) =>
              f.references?.model === op.from
                ? [k, { ...f, references: { ...f.references, model: op.to, table: op.toTable } }]
                : [k, f]
            ),
          ),
        });
      }
      return;
    }
    case "addIndex": {
      const m = model(op.model);
      if (m.indexes.some((index) => index.name === op.index.name)) {
        throw new Error(`${op.model} has an index ${op.index.name} already`);
      }
      state.set(op.model, { ...m, indexes: [...m.indexes, op.index] });
      return;
    }
    case "removeIndex": {
      const m = model(op.model);
      if (!m.indexes.some((index) => index.name === op.index.name)) {
        throw new Error(`${op.model} has no index ${op.index.name}`);
      }
      state.set(op.model, {
        ...m,
        indexes: m.indexes.filter((index) => index.name !== op.index.name),
      });
      return;
    }
  }
}

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
