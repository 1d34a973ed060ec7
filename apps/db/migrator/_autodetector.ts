// The autodetector behind `makemigrations`, as Django's: it compares the models with the state the
// migrations leave, app by app, and returns the schema operations that turn one into the other,
// in an order that is safe to apply: renames, removed indexes, created models (those that others
// point at first), added, altered and removed fields, added indexes, deleted models (those that
// point at others first). A removed and an added field (or model) of the same definition are a
// rename only when the user says so (`--rename`) or confirms it when asked.

import { CommandError } from "../../../core/errors.ts";
import {
  addField,
  addIndex,
  alterField,
  createModel,
  deleteModel,
  operationFields,
  removeField,
  removeIndex,
  renameField,
  renameModel,
  same,
  type SchemaOperation,
} from "./operations/mod.ts";

export { same };
import type { FieldState, IndexState, ModelState } from "../orm/mod.ts";
import { applyOperation, type ProjectState, splitLabel } from "./_project_state.ts";

/** Renames the user named: `app.Model.old:new` (a field) or `app.Old:New` (a model). */
export interface Renames {
  /** Model renames: old label → new label. */
  readonly models: ReadonlyMap<string, string>;
  /** Field renames, by model label (as the models name it): old field → new field. */
  readonly fields: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/** Options of {@linkcode detectChanges}. */
export interface DetectOptions {
  /** Only these apps' changes (all apps when left out). */
  readonly apps?: readonly string[];
  /** Renames the user named. */
  readonly renames?: Renames;
  /** Asks a yes/no question (`Was … renamed to …? [y/N]`); without it, nothing is a rename. */
  readonly ask?: (question: string) => Promise<boolean>;
}

/** Parses `--rename` values: `app.Model.old:new` and `app.Old:New`. */
export function parseRenames(values: readonly string[]): Renames {
  const models = new Map<string, string>();
  const fields = new Map<string, Map<string, string>>();
  for (const value of values) {
    const match =
      /^([a-z][a-z0-9_]*)\.([A-Za-z][A-Za-z0-9]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?:([A-Za-z_][A-Za-z0-9_]*)$/
        .exec(value);
    if (!match) {
      throw new CommandError(
        `--rename ${value}: write app.Model.old:new for a field or app.Old:New for a model`,
      );
    }
    const [, app, model, field, to] = match;
    if (field === undefined) {
      models.set(`${app}.${model}`, `${app}.${to}`);
    } else {
      const label = `${app}.${model}`;
      const renames = fields.get(label) ?? new Map<string, string>();
      renames.set(field, to);
      fields.set(label, renames);
    }
  }
  return { models, fields };
}

/** A field's definition apart from its column, which follows its name. */
function definition(field: FieldState): unknown {
  return { ...field, column: undefined };
}

const DJANGO_FIELD: Record<string, string> = {
  bigserial: "BigAutoField",
  text: "TextField",
  varchar: "CharField",
  integer: "IntegerField",
  bigint: "BigIntegerField",
  numeric: "DecimalField",
  boolean: "BooleanField",
  timestamptz: "DateTimeField",
  date: "DateField",
  uuid: "UUIDField",
  jsonb: "JSONField",
};

/** The Django class a field would be, for questions: `CharField`, `ForeignKey`… */
export function fieldClass(field: FieldState): string {
  return field.references ? "ForeignKey" : DJANGO_FIELD[field.type] ?? field.type;
}

function appOf(label: string): string {
  return splitLabel(label)[0];
}

function labelOf(model: ModelState): string {
  return `${model.app}.${model.name}`;
}

function byApp(state: ProjectState, app: string): ModelState[] {
  return [...state.values()].filter((model) => model.app === app);
}

function columnsOf(model: ModelState, index: IndexState): string[] {
  return index.fields.map((name) => model.fields[name].column);
}

function primaryKeys(model: ModelState): string[] {
  return Object.entries(model.fields).filter(([, f]) => f.primaryKey).map(([name]) => name);
}

/**
 * Checks the models before they are compared: each foreign key names a model that exists, with
 * that model's table. Throws {@linkcode CommandError} naming the field.
 */
function checkModels(models: ProjectState): void {
  for (const model of models.values()) {
    for (const [name, field] of Object.entries(model.fields)) {
      const ref = field.references;
      if (!ref) continue;
      const target = models.get(ref.model);
      if (!target) {
        throw new CommandError(
          `Field ${labelOf(model)}.${name} is a foreign key to ${ref.model}, which is not a ` +
            `model: export a model ${ref.model} from apps/${
              appOf(ref.model)
            }/models.ts or fix the reference`,
        );
      }
      if (target.table !== ref.table) {
        throw new CommandError(
          `Field ${labelOf(model)}.${name} points at table ${ref.table}, but ${ref.model}'s ` +
            `table is ${target.table}: pass the model itself to field.foreignKey instead of its label`,
        );
      }
    }
  }
}

/** A working copy of a state, to apply the renames to. */
function copyState(state: ProjectState): ProjectState {
  return new Map(state);
}

/** The models in an order where each comes after the models of `among` it points at. */
function creationOrder(
  models: readonly ModelState[],
): { order: ModelState[]; deferred: Map<string, string[]> } {
  const labels = new Set(models.map(labelOf));
  const created = new Set<string>();
  const order: ModelState[] = [];
  const deferred = new Map<string, string[]>();
  const pending = [...models];
  const targets = (model: ModelState) =>
    Object.entries(model.fields).filter(([, f]) =>
      f.references && f.references.model !== labelOf(model) && labels.has(f.references.model) &&
      !created.has(f.references.model)
    ).map(([name]) => name);
  while (pending.length > 0) {
    let index = pending.findIndex((model) => targets(model).length === 0);
    if (index < 0) {
      // Models that point at each other: create the first without its foreign keys to those not
      // created yet, and add those fields once every model exists.
      index = 0;
      deferred.set(labelOf(pending[0]), targets(pending[0]));
    }
    const [model] = pending.splice(index, 1);
    created.add(labelOf(model));
    order.push(model);
  }
  return { order, deferred };
}

/** The models in an order where each comes before the models of `among` it points at. */
function deletionOrder(models: readonly ModelState[]): ModelState[] {
  const reversed = creationOrder(models).order;
  return reversed.reverse();
}

function notNullWithoutDefault(field: FieldState): boolean {
  return !field.null && field.default === undefined && field.type !== "bigserial";
}

/**
 * The operations that bring `from` (the migrations' state) to `to` (the models), by app. Apps
 * without changes are left out. Throws {@linkcode CommandError} for what cannot be done safely: a
 * required field without a default added to an existing model, a changed primary key, a
 * `--rename` that matches no removed and added pair.
 */
export async function detectChanges(
  from: ProjectState,
  to: ProjectState,
  options: DetectOptions = {},
): Promise<Map<string, SchemaOperation[]>> {
  checkModels(to);
  const allApps = new Set([...from.values(), ...to.values()].map((m) => m.app));
  const apps = [...(options.apps ?? allApps)].sort();
  const renames = options.renames ?? { models: new Map(), fields: new Map() };
  const ask = options.ask;
  const state = copyState(from);
  const changes = new Map<string, SchemaOperation[]>();

  for (const [old, renamed] of renames.models) {
    if (!apps.includes(appOf(old))) continue;
    if (!state.has(old) || to.has(old)) {
      throw new CommandError(
        `--rename ${old}:${splitLabel(renamed)[1]}: no model ${old} was removed from the models`,
      );
    }
    if (!to.has(renamed) || state.has(renamed)) {
      throw new CommandError(
        `--rename ${old}:${splitLabel(renamed)[1]}: no model ${renamed} was added to the models`,
      );
    }
  }
  for (const [label, fields] of renames.fields) {
    if (!apps.includes(appOf(label))) continue;
    const target = to.get(label);
    for (const [old, renamed] of fields) {
      const what = `--rename ${label}.${old}:${renamed}`;
      if (!target) throw new CommandError(`${what}: there is no model ${label}`);
      if (old in target.fields) {
        throw new CommandError(`${what}: ${label} still has a field ${old}`);
      }
      if (!(renamed in target.fields)) {
        throw new CommandError(`${what}: ${label} has no field ${renamed}`);
      }
    }
  }

  for (const app of apps) {
    const ops: SchemaOperation[] = [];
    const apply = (op: SchemaOperation) => {
      applyOperation(state, op);
      ops.push(op);
    };

    // 1. Renamed models.
    const removedModels = () => byApp(state, app).filter((m) => !to.has(labelOf(m)));
    const addedModels = () => byApp(to, app).filter((m) => !state.has(labelOf(m)));
    for (const [old, renamed] of renames.models) {
      if (appOf(old) !== app) continue;
      const model = state.get(old)!;
      apply(renameModel(old, renamed, model.table, to.get(renamed)!.table, model.fields));
    }
    if (ask) {
      for (const added of addedModels()) {
        for (const removed of removedModels()) {
          if (!same(removed.fields, added.fields)) continue;
          const question = `Was the model ${labelOf(removed)} renamed to ${added.name}? [y/N]`;
          if (await ask(question)) {
            apply(
              renameModel(
                labelOf(removed),
                labelOf(added),
                removed.table,
                added.table,
                removed.fields,
              ),
            );
            break;
          }
        }
      }
    }

    // 2. Renamed fields.
    for (const target of byApp(to, app)) {
      const label = labelOf(target);
      const current = state.get(label);
      if (!current) continue;
      const fieldOps = (old: string, renamed: string) => {
        const model = state.get(label)!;
        const field = target.fields[renamed];
        const before = model.fields[old];
        return renameField(label, old, renamed, {
          table: model.table,
          fromColumn: before.column,
          toColumn: field.column,
          field: { ...before, column: field.column },
        });
      };
      for (const [old, renamed] of renames.fields.get(label) ?? []) {
        if (!(old in state.get(label)!.fields)) {
          throw new CommandError(
            `--rename ${label}.${old}:${renamed}: ${label} has no field ${old} in its migrations`,
          );
        }
        if (renamed in state.get(label)!.fields) {
          throw new CommandError(
            `--rename ${label}.${old}:${renamed}: ${label} has a field ${renamed} in its migrations already`,
          );
        }
        apply(fieldOps(old, renamed));
      }
      if (!ask) continue;
      for (const [name, field] of Object.entries(target.fields)) {
        const model = state.get(label)!;
        if (name in model.fields) continue;
        for (const [oldName, old] of Object.entries(model.fields)) {
          if (oldName in target.fields || !same(definition(old), definition(field))) continue;
          const lower = target.name.toLowerCase();
          const question = `Was ${lower}.${oldName} renamed to ${lower}.${name} (a ${
            fieldClass(field)
          })? [y/N]`;
          if (await ask(question)) {
            apply(fieldOps(oldName, name));
            break;
          }
        }
      }
    }

    // 3. Removed (and changed) indexes of the models that stay.
    for (const target of byApp(to, app)) {
      const label = labelOf(target);
      const model = state.get(label);
      if (!model) continue;
      for (const index of model.indexes) {
        const now = target.indexes.find((i) => i.name === index.name);
        if (now && same(now, index)) continue;
        apply(removeIndex(label, index, { table: model.table, columns: columnsOf(model, index) }));
      }
    }

    // 4. Created models, those pointed at first.
    const { order, deferred } = creationOrder(addedModels());
    const later: SchemaOperation[] = [];
    for (const model of order) {
      const label = labelOf(model);
      const postponed = deferred.get(label) ?? [];
      const fields = Object.fromEntries(
        Object.entries(model.fields).filter(([name]) => !postponed.includes(name)),
      );
      apply(createModel({ ...model, fields }));
      for (const name of postponed) {
        later.push(addField(label, name, model.fields[name], { table: model.table }));
      }
    }
    for (const op of later) apply(op);

    // 5–7. Added, altered and removed fields of the models that stay.
    const added: SchemaOperation[] = [];
    const altered: SchemaOperation[] = [];
    const removed: SchemaOperation[] = [];
    for (const target of byApp(to, app)) {
      const label = labelOf(target);
      const model = state.get(label);
      if (!model || order.includes(target)) continue;
      const lower = target.name.toLowerCase();
      const pkBefore = primaryKeys(model);
      const pkAfter = primaryKeys(target);
      if (!same(pkBefore, pkAfter)) {
        throw new CommandError(
          `Changing the primary key of ${label} (${pkBefore.join(", ") || "none"} to ${
            pkAfter.join(", ") || "none"
          }) is not supported: create a new model and copy the rows with runSQL`,
        );
      }
      const table = { table: model.table };
      for (const [name, field] of Object.entries(target.fields)) {
        const before = model.fields[name];
        if (!before) {
          if (notNullWithoutDefault(field)) {
            throw new CommandError(
              `It is impossible to add a non-nullable field '${name}' to ${lower} without ` +
                `specifying a default (the existing rows need a value): give it a default or ` +
                `null: true in apps/${app}/models.ts`,
            );
          }
          added.push(addField(label, name, field, table));
        } else if (!same(before, field)) {
          altered.push(alterField(label, name, before, field, table));
        }
      }
      for (const [name, field] of Object.entries(model.fields)) {
        if (!(name in target.fields)) removed.push(removeField(label, name, field, table));
      }
    }
    [...added, ...altered, ...removed].forEach(apply);

    // 8. Added (and changed) indexes of the models that stay.
    for (const target of byApp(to, app)) {
      const label = labelOf(target);
      const model = state.get(label)!;
      if (order.includes(target)) continue;
      for (const index of target.indexes) {
        if (model.indexes.some((i) => i.name === index.name)) continue;
        apply(addIndex(label, index, { table: model.table, columns: columnsOf(target, index) }));
      }
    }

    // 9. Deleted models, those that point at others first.
    for (const model of deletionOrder(removedModels())) apply(deleteModel(model));

    if (ops.length > 0) changes.set(app, ops);
  }
  return changes;
}

/** The models (`app.Model`) of other apps that an app's new operations point at. */
export function referencedModels(app: string, operations: readonly SchemaOperation[]): string[] {
  const models = new Set<string>();
  const add = (field: FieldState | undefined) => {
    const target = field?.references?.model;
    if (target && appOf(target) !== app) models.add(target);
  };
  for (const op of operations) {
    operationFields(op).forEach(add);
  }
  return [...models].sort();
}
