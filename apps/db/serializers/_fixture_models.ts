/**
 * The project's models as fixtures see them: every export of an `apps/<app>/models.ts` that
 * has a `state` and `objects` (what `defineModel` returns), named `app.modelname` in lower case
 * as Django's fixtures name them, with their fields under the snake_case of their keys (the
 * name a Django model would give them; a foreign key `author` holds the referenced row's pk).
 *
 * @module
 */

import { CommandError } from "../../../core/errors.ts";
import { type ModelState, primaryKeyOf, projectModels, snakeCase } from "../orm/mod.ts";
import { BUILTIN_APP, type Registry } from "../../../core/registry.ts";
import { closeMatches } from "../../../core/suggest.ts";

/**
 * A model's name in fixtures: `shop.Book` → `shop.book`.
 *
 * @example
 * ```ts
 * import { fixtureLabel } from "./_fixture_models.ts";
 *
 * console.assert(fixtureLabel({ app: "shop", name: "BookAuthor" }) === "shop.bookauthor");
 * ```
 */
export function fixtureLabel(model: Pick<ModelState, "app" | "name">): string {
  return `${model.app}.${model.name.toLowerCase()}`;
}

/**
 * A field's name in fixtures: the snake_case of its key.
 *
 * @example
 * ```ts
 * import { fixtureFieldName } from "./_fixture_models.ts";
 *
 * console.assert(fixtureFieldName("createdAt") === "created_at");
 * ```
 */
export function fixtureFieldName(key: string): string {
  return snakeCase(key);
}

/**
 * Every model of the project: the apps' models modules in registry order (by app), each
 * module's models in export order. A model re-exported by another app counts once, and must be
 * exported by its own app's module (as `makemigrations` requires).
 */
export async function loadModels(registry: Registry): Promise<ModelState[]> {
  return [...(await projectModels(registry.models ?? [])).values()];
}

/** The apps a registry knows: those with commands, checks, migrations or models. */
export function knownApps(registry: Registry): Set<string> {
  const apps = new Set<string>();
  for (const entry of [...registry.commands, ...registry.checks]) apps.add(entry.app);
  for (const entry of [...(registry.migrations ?? []), ...(registry.models ?? [])]) {
    apps.add(entry.app);
  }
  apps.delete(BUILTIN_APP);
  return apps;
}

/** Finds the model a foreign key names (`app.Model`, any case), or undefined. */
export function referencedModel(
  models: readonly ModelState[],
  reference: { readonly model: string; readonly table: string },
): ModelState | undefined {
  const label = reference.model.toLowerCase();
  return models.find((m) => fixtureLabel(m) === label) ??
    models.find((m) => m.table === reference.table);
}

/**
 * The models in an order where each comes after the models its foreign keys point at (as far
 * as cycles allow), otherwise in the order given.
 */
export function dependencyOrder(models: readonly ModelState[]): ModelState[] {
  const dependencies = new Map<ModelState, Set<ModelState>>();
  for (const model of models) {
    const targets = new Set<ModelState>();
    for (const field of Object.values(model.fields)) {
      if (!field.references) continue;
      const target = referencedModel(models, field.references);
      if (target && target !== model) targets.add(target);
    }
    dependencies.set(model, targets);
  }
  const ordered: ModelState[] = [];
  const done = new Set<ModelState>();
  const remaining = [...models];
  while (remaining.length > 0) {
    let index = remaining.findIndex((m) => [...dependencies.get(m)!].every((d) => done.has(d)));
    // A cycle: take the first model left, its other models come after it.
    if (index < 0) index = 0;
    const [next] = remaining.splice(index, 1);
    ordered.push(next);
    done.add(next);
  }
  return ordered;
}

/**
 * The models `labels` name (`app` for all of an app's models, `app.Model` for one, any case),
 * in dependency order; all models when `labels` is empty. Unknown names are a `CommandError`
 * with Django's messages.
 */
export function selectModels(
  models: readonly ModelState[],
  labels: readonly string[],
  apps: ReadonlySet<string>,
): ModelState[] {
  if (labels.length === 0) return dependencyOrder(models);
  const chosen = new Set<ModelState>();
  for (const label of labels) {
    const [app, name, ...rest] = label.split(".");
    if (rest.length > 0 || app === "") {
      throw new CommandError(`'${label}' is neither an app nor app.Model: name an app or a model`);
    }
    const appModels = models.filter((m) => m.app === app);
    if (appModels.length === 0 && !apps.has(app)) {
      throw new CommandError(`No installed app with label '${app}'.`);
    }
    if (name === undefined) {
      for (const model of appModels) chosen.add(model);
      continue;
    }
    const model = appModels.find((m) => m.name.toLowerCase() === name.toLowerCase());
    if (!model) throw new CommandError(`Unknown model: ${app}.${name}`);
    chosen.add(model);
  }
  return dependencyOrder(models.filter((m) => chosen.has(m)));
}

/** How a model's fields appear in fixtures. */
export interface FixtureModel {
  /** The model's state. */
  readonly state: ModelState;
  /** `app.modelname`. */
  readonly label: string;
  /** The primary key field's key. */
  readonly pk: string;
  /** Fixture field name (and the field's own key, when it differs) → field key; no pk. */
  readonly fields: ReadonlyMap<string, string>;
}

/** A model's fixture names. */
export function fixtureModel(state: ModelState): FixtureModel {
  const pk = primaryKeyOf(state);
  const fields = new Map<string, string>();
  for (const key of Object.keys(state.fields)) {
    if (key === pk) continue;
    fields.set(fixtureFieldName(key), key);
  }
  // The declared key is accepted too (`createdAt` as well as `created_at`).
  for (const key of Object.keys(state.fields)) {
    if (key !== pk && !fields.has(key)) fields.set(key, key);
  }
  return { state, label: fixtureLabel(state), pk, fields };
}

/**
 * A suggestion for a mistyped name, or nothing.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./_fixture_models.ts";
 *
 * console.assert(didYouMean("nmae", ["name", "born"]) === " (did you mean 'name'?)");
 * ```
 */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const [best] = closeMatches(word, candidates);
  return best === undefined ? "" : ` (did you mean '${best}'?)`;
}
