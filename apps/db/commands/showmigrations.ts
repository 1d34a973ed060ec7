import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import {
  appliedMigrations,
  installedApps,
  loadMigrationGraph,
  type MigrationNode,
  resolveApplied,
} from "../migrator/mod.ts";

/** `2024-05-01 12:30:00`, as Django's `strftime("%Y-%m-%d %H:%M:%S")` (UTC). */
function timestamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace("T", " ");
}

export default defineCommand({
  help: "Shows all available migrations for the current project\n\n" +
    "Lists each app's migrations with [X] for applied ones, or with --plan every migration in " +
    "the order migrate applies them; --format json prints them as a JSON array.",
  requiresDatabase: true,
  arguments: {
    appLabels: {
      nargs: "*",
      metavar: "app_label",
      help: "App labels of applications to limit the output to",
    },
  },
  options: {
    plan: {
      type: "boolean",
      short: "p",
      help: "Shows all migrations in the order they will be applied",
    },
    format: {
      choices: ["text", "json"],
      default: "text",
      help: "Output format",
    },
  },
  async handle({ options, stdout, style, db, registry, verbosity }) {
    const loaded = await loadMigrationGraph(registry.migrations);
    const installed = installedApps(registry);
    const unknown = options.appLabels.filter((app) =>
      !installed.includes(app) && loaded.appNodes(app).length === 0
    );
    if (unknown.length > 0) {
      throw new CommandError(
        `No installed app with label '${unknown[0]}' (installed: ${installed.join(", ")})`,
        { returncode: 2 },
      );
    }
    // As Django's: a squashed migration stands in for its originals, or they for it.
    const { graph, applied } = resolveApplied(loaded, await appliedMigrations(db));
    const labels = options.appLabels.length > 0 ? options.appLabels : graph.apps();

    let nodes: MigrationNode[];
    if (options.plan) {
      // Every migration the targets need, in the order migrate applies them.
      const seen = new Set<string>();
      nodes = [];
      for (const app of labels) {
        const leaf = graph.leaf(app);
        if (!leaf) continue;
        for (const node of graph.forwardsPlan(leaf.key)) {
          if (!seen.has(node.key)) nodes.push(node);
          seen.add(node.key);
        }
      }
    } else {
      nodes = labels.flatMap((app) => [...graph.appNodes(app)]);
    }

    if (options.format === "json") {
      const rows = nodes.map((node) => {
        const row = applied.get(node.key);
        return {
          app: node.app,
          name: node.name,
          applied: row !== undefined,
          applied_at: row ? row.appliedAt.toISOString() : null,
        };
      });
      stdout.write(JSON.stringify(rows, null, 2));
      return;
    }

    const mark = (node: MigrationNode) => applied.has(node.key) ? "[X]" : "[ ]";
    if (options.plan) {
      for (const node of nodes) {
        const deps = verbosity >= 2 && node.dependencies.length > 0
          ? ` ... (${node.dependencies.join(", ")})`
          : "";
        stdout.write(`${mark(node)}  ${node.key}${deps}`);
      }
      if (nodes.length === 0) stdout.write("(no migrations)", { style: style.ERROR });
      return;
    }
    for (const app of labels) {
      stdout.write(app, { style: style.MIGRATE_LABEL });
      const list = graph.appNodes(app);
      for (const node of list) {
        const row = applied.get(node.key);
        let title = node.name;
        if (node.replaces.length > 0) title += ` (${node.replaces.length} squashed migrations)`;
        if (row?.recorded === false) {
          // Django's words: the squashed migration is applied, not yet recorded.
          stdout.write(` [-] ${title} Run 'manage migrate' to finish recording.`);
          continue;
        }
        const at = row && verbosity >= 2 ? ` (applied at ${timestamp(row.appliedAt)})` : "";
        stdout.write(` ${mark(node)} ${title}${at}`);
      }
      if (list.length === 0) stdout.write(" (no migrations)", { style: style.ERROR });
    }
  },
});
