// The app a migration command works on, checked as Django's `squashmigrations` and
// `optimizemigration` check it: installed, and with migrations.

import { CommandError } from "../../../core/errors.ts";
import type { Registry } from "../../../core/registry.ts";
import { installedApps, type MigrationGraph } from "../migrator/mod.ts";

/**
 * `app`, when it is installed and has migrations; else a {@linkcode CommandError} in Django's
 * words (`suffix` ends the second, as each command words it).
 */
export function migratedApp(
  registry: Registry,
  graph: MigrationGraph,
  app: string,
  suffix: string,
): string {
  const installed = installedApps(registry);
  if (!installed.includes(app) && graph.appNodes(app).length === 0) {
    throw new CommandError(
      `No installed app with label '${app}' (installed: ${installed.join(", ") || "none"})`,
    );
  }
  if (graph.appNodes(app).length === 0) {
    throw new CommandError(`App '${app}' does not have migrations${suffix}.`);
  }
  return app;
}
