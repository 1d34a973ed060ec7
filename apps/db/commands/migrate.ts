import { defineCommand } from "../../../core/command.ts";
import { CommandError, UsageError } from "../../../core/errors.ts";
import {
  appliedMigrations,
  assertConsistentHistory,
  assertUnchanged,
  describeOperation,
  firstMigrationHint,
  installedApps,
  loadMigrationGraph,
  migrate,
  type MigrationGraph,
  type MigrationTarget,
  type Operation,
  type PlanStep,
  resolveApplied,
} from "../migrator/mod.ts";
import type { Registry } from "../../../core/registry.ts";

/** Django's `Truncator(text).chars(n)`: at most `n` characters, the last one `…` when cut. */
function truncate(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

/**
 * One line for `--plan`, as Django's `describe_operation`: raw SQL shows its SQL, a schema
 * operation undone is prefixed `Undo `; irreversible undos are errors.
 */
function planLine(operation: Operation, backwards: boolean): [string, boolean] {
  if (operation.kind !== "sql") {
    return [(backwards ? "Undo " : "") + describeOperation(operation), false];
  }
  const sql = backwards ? operation.reverse : operation.sql;
  const action = sql === undefined ? "IRREVERSIBLE" : sql.replaceAll("\n", "");
  return [
    describeOperation(operation) + truncate(action ? ` -> ${action}` : "", 40),
    sql === undefined,
  ];
}

/** An app label that names no installed app is an error, found before any database is reached. */
function checkInstalled(graph: MigrationGraph, apps: readonly string[], app: string): void {
  if (!apps.includes(app) && graph.appNodes(app).length === 0) {
    throw new CommandError(
      `No installed app with label '${app}' (installed: ${apps.join(", ") || "none"})`,
    );
  }
}

function resolveTarget(
  registry: Registry,
  graph: MigrationGraph,
  apps: readonly string[],
  app: string | undefined,
  name: string | undefined,
): MigrationTarget {
  if (app === undefined) return { kind: "all" };
  checkInstalled(graph, apps, app);
  if (graph.appNodes(app).length === 0) {
    throw new CommandError(
      `App '${app}' does not have migrations: create one with '${
        firstMigrationHint(registry, app)
      }'`,
    );
  }
  if (name === undefined) return { kind: "app", app };
  if (name === "zero") return { kind: "zero", app };
  return { kind: "migration", app, name: graph.find(app, name).name };
}

export default defineCommand({
  help: "Updates the database schema: applies (or unapplies) migrations\n\n" +
    "With no arguments, applies every app's migrations. With an app, applies that app's " +
    "migrations; with an app and a migration, brings the database to that migration, " +
    "unapplying the app's later ones; 'zero' unapplies all of the app's migrations. Runs under " +
    "a database-wide lock, so concurrent runs apply each migration once.",
  // It changes the schema, and backwards drops tables: a deploy step, run by whoever deploys.
  runFrom: ["cli"],
  requiresDatabase: true,
  arguments: {
    appLabel: { nargs: "?", metavar: "app_label", help: "App label of an application to migrate" },
    migrationName: {
      nargs: "?",
      metavar: "migration_name",
      help: "Migrate the database to this migration (a unique prefix works); 'zero' unapplies all",
    },
  },
  options: {
    noinput: {
      type: "boolean",
      aliases: ["--no-input"],
      help: "Tells manage to NOT prompt the user for input of any kind",
    },
    fake: {
      type: "boolean",
      help: "Mark migrations as run without actually running them",
    },
    plan: {
      type: "boolean",
      help: "Shows a list of the migration actions that will be performed",
    },
    check: {
      type: "boolean",
      help: "Exits with a non-zero status if unapplied migrations exist and does not actually " +
        "apply migrations",
    },
    lockTimeout: {
      type: "number",
      default: 60,
      metavar: "SECONDS",
      help: "How long to wait for another migrate on the same database to finish",
    },
  },
  async handle({ options, stdout, stderr, style, db, registry, verbosity, signal }) {
    const { appLabel, migrationName } = options;
    if (!(options.lockTimeout >= 0)) {
      throw new UsageError(
        `argument --lock-timeout: must be 0 or more seconds, not ${options.lockTimeout}`,
        "migrate",
      );
    }
    const declared = await loadMigrationGraph(registry.migrations);
    if (appLabel !== undefined) checkInstalled(declared, installedApps(registry), appLabel);
    // The graph as this database sees it: squashed migrations in, or their originals.
    const recorded = resolveApplied(declared, await appliedMigrations(db));
    const graph = recorded.graph;
    const target = resolveTarget(
      registry,
      graph,
      installedApps(registry),
      appLabel,
      migrationName,
    );
    const say = (text: string, ending?: string) => {
      if (verbosity >= 1) stdout.write(text, { ending });
    };

    if (options.plan || options.check) {
      const applied = recorded.applied;
      assertUnchanged(graph, applied);
      const plan = graph.plan(target, applied.keys());
      if (options.plan) {
        stdout.write("Planned operations:", { style: style.MIGRATE_LABEL });
        if (plan.length === 0) stdout.write("  No planned migration operations.");
        for (const { node, backwards } of plan) {
          stdout.write(node.key, { style: style.MIGRATE_HEADING });
          for (const operation of node.migration.operations) {
            const [line, isError] = planLine(operation, backwards);
            stdout.write(`    ${line}`, { style: isError ? style.ERROR : style.WARNING });
          }
        }
      }
      if (options.check && plan.length > 0) {
        const names = plan.map((step) => step.node.key);
        const shown = names.length > 3 ? [...names.slice(0, 3), "…"] : names;
        throw new CommandError(
          `${names.length} unapplied migration${names.length === 1 ? "" : "s"} ` +
            `(${shown.join(", ")}): run 'manage migrate'`,
        );
      }
      return;
    }

    // Refuse an edited migration before printing anything; checked again under the lock.
    const before = recorded.applied;
    assertUnchanged(graph, before);
    if (!options.fake) assertConsistentHistory(graph, before);

    say(style.MIGRATE_HEADING("Operations to perform:"));
    if (target.kind === "all" || target.kind === "app") {
      const apps = target.kind === "all" ? graph.apps() : [target.app];
      say(style.MIGRATE_LABEL("  Apply all migrations: ") + (apps.join(", ") || "(none)"));
    } else if (target.kind === "zero") {
      say(style.MIGRATE_LABEL("  Unapply all migrations: ") + target.app);
    } else {
      say(
        style.MIGRATE_LABEL("  Target specific migration: ") + `${target.name}, from ${target.app}`,
      );
    }

    let open = false;
    const outcome = options.fake ? " FAKED" : " OK";
    try {
      await migrate(db, graph, target, {
        fake: options.fake,
        lockTimeout: options.lockTimeout,
        signal,
        onWait: () => {
          if (verbosity >= 1) {
            stderr.write(
              "Waiting for the migration lock: another migrate is running on this database",
              { style: (text) => text },
            );
          }
        },
        onPlan: (plan: readonly PlanStep[]) => {
          say(style.MIGRATE_HEADING("Running migrations:"));
          if (plan.length === 0) say("  No migrations to apply.");
        },
        progress: (event) => {
          const verb = event.step.backwards ? "Unapplying" : "Applying";
          if (event.action === "start") {
            say(`  ${verb} ${event.step.node.key}...`, "");
            open = true;
          } else if (event.action === "success") {
            const time = verbosity >= 2 ? ` (${(event.elapsed / 1000).toFixed(3)}s)` : "";
            say(style.SUCCESS(outcome) + time);
            open = false;
          } else {
            say(style.ERROR(" FAILED"));
            open = false;
          }
        },
      });
    } finally {
      // An interruption mid-step still ends the line it started.
      if (open) say("");
    }
  },
});
