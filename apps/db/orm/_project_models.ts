/**
 * The project's models, read from the registry: every export of an `apps/<app>/models.ts` that
 * is a model (`defineModel`'s result: a `state` and `objects`), by label. `makemigrations`
 * compares them with the migrations; `dumpdata` and `loaddata` read and write their rows.
 *
 * @module
 */

import { CommandError } from "../../../core/errors.ts";
import type { ModelsEntry } from "../../../core/registry.ts";
import { type ModelState, splitLabel } from "./_model_state.ts";

/**
 * Whether `value` is a model: what `defineModel` returns (its `state` and its `objects`).
 *
 * @example
 * ```ts
 * import { defineModel, field } from "./mod.ts";
 * import { isModel } from "./_project_models.ts";
 *
 * console.assert(isModel(defineModel("shop.Book", { title: field.text() })));
 * console.assert(!isModel({ state: {} }));
 * ```
 */
export function isModel(value: unknown): value is { state: ModelState } {
  if (typeof value !== "object" || value === null) return false;
  const { state, objects } = value as { state?: Partial<ModelState>; objects?: unknown };
  return objects !== undefined && typeof state === "object" && state !== null &&
    typeof state.app === "string" && typeof state.name === "string" &&
    typeof state.table === "string" && typeof state.fields === "object" && state.fields !== null;
}

/**
 * The models of the apps' `models.ts` modules, by label (`app.Model`): the modules in the order
 * given (the registry's, by app), each module's models in export order. A module may re-export
 * another app's models; each model counts once, and must be exported by its own app's module.
 * Throws {@linkcode CommandError} when a module defines a label twice or re-exports a model its
 * own app's module does not export.
 *
 * @example
 * ```ts
 * import { defineModel, field } from "./mod.ts";
 * import { projectModels } from "./_project_models.ts";
 *
 * const Book = defineModel("shop.Book", { title: field.text() });
 * const models = await projectModels([
 *   { app: "shop", module: "apps/shop/models.ts", load: () => Promise.resolve({ Book }) },
 * ]);
 * console.assert(models.get("shop.Book") === Book.state);
 * ```
 */
export async function projectModels(
  entries: readonly ModelsEntry[],
): Promise<Map<string, ModelState>> {
  const models = new Map<string, ModelState>();
  const elsewhere = new Map<string, string>();
  for (const entry of entries) {
    const module = await entry.load();
    for (const value of Object.values(module)) {
      if (!isModel(value)) continue;
      const { state } = value;
      const label = `${state.app}.${state.name}`;
      if (state.app !== entry.app) {
        if (!elsewhere.has(label)) elsewhere.set(label, entry.module);
        continue;
      }
      const known = models.get(label);
      if (known && known !== state) {
        throw new CommandError(
          `${entry.module} defines model ${label} twice: keep one defineModel("${label}", …)`,
        );
      }
      models.set(label, state);
    }
  }
  for (const [label, module] of elsewhere) {
    if (models.has(label)) continue;
    const app = splitLabel(label)[0];
    throw new CommandError(
      `${module} exports model ${label}, which apps/${app}/models.ts does not: define and ` +
        `export it in apps/${app}/models.ts, or give it a label of app '${module.split("/")[1]}'`,
    );
  }
  return models;
}
