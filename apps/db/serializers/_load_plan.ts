// What the loader knows of each model while it loads: its fields' columns and encoders, and the
// sinks where the COPY text of its rows gathers, one per set of fields the records give, with
// what decides where each batch goes (straight into the table, or through a temporary one).

import type { ModelState } from "../orm/mod.ts";
import { type Encode, encoderOf } from "./_copy_values.ts";
import { type FixtureModel, fixtureModel } from "./_fixture_models.ts";

/** One field's column and encoder. */
export interface FieldPlan {
  readonly key: string;
  readonly index: number;
  readonly column: string;
  readonly null: boolean;
  readonly encode: Encode;
}

/** Rows of one model with one set of columns, on their way to the database. */
export interface Sink {
  readonly plan: ModelPlan;
  /** The fixture's field names, in the order records give them. */
  readonly keys: readonly string[];
  /** Their fields. */
  readonly fields: readonly FieldPlan[];
  /** `"col", "col"`. */
  readonly columns: string;
  readonly names: readonly string[];
  readonly hasPk: boolean;
  text: string;
  rows: number;
  /** The pks of the rows waiting in `text` go up (so none repeats). */
  batchIncreasing: boolean;
  batchFirst: number | string | undefined;
  batchLast: number | string | undefined;
  /** The temporary table, once rows have gone there. */
  stage?: string;
  stageIncreasing: boolean;
  stageLast: number | string | undefined;
}

/** Rows taken from a sink, on their way to the database. */
export interface Batch {
  readonly sink: Sink;
  readonly text: string;
  readonly increasing: boolean;
  readonly first: number | string | undefined;
  readonly last: number | string | undefined;
}

/** A model's fields as the loader reads them. */
export interface ModelPlan {
  readonly model: FixtureModel;
  readonly pk: FieldPlan;
  readonly intPk: boolean;
  readonly fields: ReadonlyMap<string, FieldPlan>;
  /** Fields a row cannot do without (not null, no default). */
  readonly required: readonly FieldPlan[];
  readonly sinks: Map<string, Sink>;
  /** Many-to-many relations the model does not store (field name → related model). */
  readonly manyToMany: ReadonlyMap<string, string>;
  /** The sink of the last record: the next one most likely has the same fields. */
  lastSink?: Sink;
  /** The table was empty when the load first wrote to it. */
  empty?: boolean;
  /** Its foreign keys are all checked at the commit (DEFERRABLE, and deferred by the load). */
  deferred?: boolean;
  /** The largest pk that went straight into the table. */
  lastDirect?: number | string;
  /** Rows go to temporary tables from now on. */
  staged: boolean;
  /** Rows have gone to the database. */
  loaded: boolean;
}

export function planOf(state: ModelState): ModelPlan {
  const model = fixtureModel(state);
  const plans = new Map<string, FieldPlan>();
  const byKey = new Map<string, FieldPlan>();
  let index = 0;
  for (const [key, field] of Object.entries(state.fields)) {
    byKey.set(key, {
      key,
      index: index++,
      column: field.column,
      null: field.null,
      encode: encoderOf(field),
    });
  }
  for (const [name, key] of model.fields) plans.set(name, byKey.get(key)!);
  const pkField = state.fields[model.pk];
  const required = [...byKey.values()].filter((plan) => {
    const field = state.fields[plan.key];
    return plan.key !== model.pk && !field.null && field.default === undefined &&
      field.type !== "bigserial";
  });
  return {
    model,
    pk: byKey.get(model.pk)!,
    intPk: pkField.type === "bigserial" || pkField.type === "bigint" ||
      pkField.type === "integer",
    fields: plans,
    manyToMany: new Map(Object.entries(state.manyToMany ?? {})),
    required,
    sinks: new Map(),
    staged: false,
    loaded: false,
  };
}
