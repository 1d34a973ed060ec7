// The migration graph: every migration is a node, its dependencies are edges. Within an app each
// migration depends on the one numbered before it; declared dependencies add edges across apps.
// Plans are walks of this graph, as Django's MigrationGraph and MigrationExecutor make them.

import { CommandError } from "../../../core/errors.ts";
import type { Migration } from "./operations/mod.ts";

/** A migration's key in the graph: `app.name` (`shop.0001_initial`). */
export function migrationKey(app: string, name: string): string {
  return `${app}.${name}`;
}

/** A migration as the graph is given it. */
export interface GraphInput {
  /** The app. */
  readonly app: string;
  /** The migration's name (`0001_initial`). */
  readonly name: string;
  /** The module, relative to the project root (for messages). */
  readonly module: string;
  /** The migration itself. */
  readonly migration: Migration;
  /** The SHA-256 of its operations (see `migrationChecksum`). */
  readonly checksum: string;
}

/** A migration in the graph. */
export interface MigrationNode extends GraphInput {
  /** `app.name`. */
  readonly key: string;
  /** The keys of the migrations it depends on: the previous one of its app, then the declared. */
  readonly dependencies: readonly string[];
  /** The keys of the migrations it squashes (none for an ordinary migration). */
  readonly replaces: readonly string[];
}

/** One step of a plan: a migration to apply, or to unapply (`backwards`). */
export interface PlanStep {
  /** The migration. */
  readonly node: MigrationNode;
  /** Unapply it instead of applying it. */
  readonly backwards: boolean;
}

/** What to migrate to: everything, an app's latest, one migration, or none of an app's. */
export type MigrationTarget =
  | { readonly kind: "all" }
  | { readonly kind: "app"; readonly app: string }
  | { readonly kind: "migration"; readonly app: string; readonly name: string }
  | { readonly kind: "zero"; readonly app: string };

const byKey = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;

/** The migrations of a project and their dependencies, checked to have no cycle. */
export class MigrationGraph {
  /** Every migration by key, in app and name order. */
  readonly nodes: ReadonlyMap<string, MigrationNode>;
  readonly #children = new Map<string, string[]>();
  readonly #apps = new Map<string, MigrationNode[]>();
  /** What the graph was built from, every migration included (squashed or squashing). */
  readonly inputs: readonly GraphInput[];

  /** Builds the graph; use {@linkcode buildGraph}, which validates the input first. */
  constructor(nodes: readonly MigrationNode[], inputs: readonly GraphInput[] = nodes) {
    this.inputs = inputs;
    const sorted = [...nodes].sort((a, b) => byKey(a.app, b.app) || byKey(a.name, b.name));
    this.nodes = new Map(sorted.map((node) => [node.key, node]));
    for (const node of sorted) {
      const list = this.#apps.get(node.app) ?? [];
      list.push(node);
      this.#apps.set(node.app, list);
      for (const dependency of node.dependencies) {
        const children = this.#children.get(dependency) ?? [];
        children.push(node.key);
        this.#children.set(dependency, children);
      }
    }
    for (const children of this.#children.values()) children.sort(byKey);
  }

  /** The apps that have migrations, sorted. */
  apps(): string[] {
    return [...this.#apps.keys()];
  }

  /** An app's migrations in number order (none for an app without migrations). */
  appNodes(app: string): readonly MigrationNode[] {
    return this.#apps.get(app) ?? [];
  }

  /**
   * The graph for a database that applied `appliedKeys`, as Django's loader builds it: a squashed
   * migration stands in for those it replaces when all of them or none are applied; when only
   * some are, they stay and it is left out.
   */
  forApplied(appliedKeys: Iterable<string>): MigrationGraph {
    return buildGraph(this.inputs, appliedKeys);
  }

  /**
   * The graph with the squashed migrations left out wherever the migrations they replace are all
   * there, as `squashmigrations` looks for the migrations to squash.
   */
  withOriginals(): MigrationGraph {
    return buildGraph(this.inputs, [], { originals: true });
  }

  /** An app's latest migration. */
  leaf(app: string): MigrationNode | undefined {
    return this.appNodes(app).at(-1);
  }

  /** The node with this key; throws when there is none (a bug: keys come from the graph). */
  node(key: string): MigrationNode {
    const node = this.nodes.get(key);
    if (!node) throw new Error(`No migration ${key} in the graph`);
    return node;
  }

  /** The migrations that depend directly on `key`, sorted. */
  children(key: string): readonly string[] {
    return this.#children.get(key) ?? [];
  }

  /** `key` and everything it depends on, dependencies first. */
  forwardsPlan(key: string): MigrationNode[] {
    return this.#walk(key, (k) => this.node(k).dependencies).map((k) => this.node(k));
  }

  /** `key` and everything that depends on it, dependents first. */
  backwardsPlan(key: string): MigrationNode[] {
    return this.#walk(key, (k) => this.children(k)).map((k) => this.node(k));
  }

  /**
   * Post-order depth-first walk from `start` along `next` (the graph has no cycle), taking the
   * neighbours in reverse key order as Django's `iterative_dfs` does, so plans match Django's.
   */
  #walk(start: string, next: (key: string) => readonly string[]): string[] {
    const seen = new Set<string>();
    const order: string[] = [];
    const visit = (key: string) => {
      if (seen.has(key)) return;
      seen.add(key);
      for (const other of [...next(key)].sort(byKey).reverse()) visit(other);
      order.push(key);
    };
    visit(start);
    return order;
  }

  /**
   * The app's migration whose name is `prefix` or starts with it, as Django's
   * `get_migration_by_prefix`. Throws {@linkcode CommandError} when none or several match.
   */
  find(app: string, prefix: string): MigrationNode {
    const nodes = this.appNodes(app);
    const exact = nodes.find((node) => node.name === prefix);
    if (exact) return exact;
    const matches = nodes.filter((node) => node.name.startsWith(prefix));
    if (matches.length > 1) {
      throw new CommandError(
        `More than one migration matches '${prefix}' in app '${app}' (${
          matches.map((n) => n.name).join(", ")
        }): give more of the name`,
      );
    }
    if (matches.length === 0) {
      throw new CommandError(
        `Cannot find a migration matching '${prefix}' from app '${app}': ` +
          `'manage showmigrations ${app}' lists them`,
      );
    }
    return matches[0];
  }

  /**
   * The steps that bring the applied set to `target`, as Django's `migration_plan`: applying a
   * target applies it and everything it depends on; targeting an applied migration unapplies the
   * later migrations of its app and everything that depends on them, dependents first; `zero`
   * unapplies all of an app's migrations and their dependents.
   */
  plan(target: MigrationTarget, appliedKeys: Iterable<string>): PlanStep[] {
    const applied = new Set(appliedKeys);
    const steps: PlanStep[] = [];
    const backwardsFrom = (key: string) => {
      for (const node of this.backwardsPlan(key)) {
        if (!applied.has(node.key)) continue;
        steps.push({ node, backwards: true });
        applied.delete(node.key);
      }
    };
    const to = (key: string) => {
      if (applied.has(key)) {
        const app = this.node(key).app;
        for (const child of this.children(key)) {
          if (this.node(child).app === app) backwardsFrom(child);
        }
        return;
      }
      for (const node of this.forwardsPlan(key)) {
        if (applied.has(node.key)) continue;
        steps.push({ node, backwards: false });
        applied.add(node.key);
      }
    };
    switch (target.kind) {
      case "all":
        for (const app of this.apps()) to(this.leaf(app)!.key);
        break;
      case "app": {
        const leaf = this.leaf(target.app);
        if (leaf) to(leaf.key);
        break;
      }
      case "migration":
        to(migrationKey(target.app, target.name));
        break;
      case "zero": {
        const first = this.appNodes(target.app)[0];
        if (first) backwardsFrom(first.key);
        break;
      }
    }
    return steps;
  }
}

function isRef(value: unknown): value is readonly [string, string] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === "string" &&
    typeof value[1] === "string";
}

/**
 * Builds the graph of `inputs` for a database that applied `appliedKeys` (none by default), with
 * each squashed migration standing in for those it replaces, or left out, as
 * {@linkcode MigrationGraph.forApplied} says. Throws {@linkcode CommandError} naming the file for a
 * malformed or unknown dependency, two migrations of an app with one number, or a dependency
 * cycle. With `originals`, a squashed migration is left out whenever all it replaces are there.
 */
export function buildGraph(
  inputs: readonly GraphInput[],
  appliedKeys: Iterable<string> = [],
  options: { originals?: boolean } = {},
): MigrationGraph {
  const applied = new Set(appliedKeys);
  const known = new Map(inputs.map((input) => [migrationKey(input.app, input.name), input]));
  // Which of a squashed migration and those it replaces stay; the others' keys lead to them.
  const redirect = new Map<string, string>();
  for (const input of inputs) {
    const key = migrationKey(input.app, input.name);
    const replaces = (input.migration.replaces ?? []) as readonly unknown[];
    if (replaces.length === 0) continue;
    const keys = replaces.map((ref) => {
      if (!isRef(ref)) {
        throw new CommandError(
          `${input.module} replaces ${JSON.stringify(ref)}, which is not a migration: ` +
            `write it as ["app", "0001_name"]`,
        );
      }
      return migrationKey(ref[0], ref[1]);
    });
    const count = keys.filter((k) => applied.has(k)).length;
    const gone = keys.filter((k) => !known.has(k));
    if ((count === 0 || count === keys.length) && !(options.originals && gone.length === 0)) {
      for (const replaced of keys) if (known.has(replaced)) redirect.set(replaced, key);
      continue;
    }
    if (gone.length > 0) {
      throw new CommandError(
        `${input.module} squashes migrations of which this database applied only some, and ` +
          `${gone.join(", ")} ${gone.length === 1 ? "is" : "are"} no longer there: restore ` +
          "the squashed migrations until every database applied all of them",
      );
    }
    redirect.set(key, keys.at(-1)!);
  }
  const resolve = (key: string) => {
    let target = key;
    for (let i = 0; redirect.has(target) && i < 100; i++) target = redirect.get(target)!;
    return target;
  };
  const byApp = new Map<string, GraphInput[]>();
  for (const input of inputs) {
    if (redirect.has(migrationKey(input.app, input.name))) continue;
    const list = byApp.get(input.app) ?? [];
    list.push(input);
    byApp.set(input.app, list);
  }
  const nodes: MigrationNode[] = [];
  for (const list of byApp.values()) {
    list.sort((a, b) => byKey(a.name, b.name));
    list.forEach((input, index) => {
      const key = migrationKey(input.app, input.name);
      const previous = list[index - 1];
      if (previous && previous.name.slice(0, 4) === input.name.slice(0, 4)) {
        throw new CommandError(
          `${previous.module} and ${input.module} have the same number: ` +
            "renumber the one that is not applied anywhere yet",
        );
      }
      const dependencies = previous ? [migrationKey(previous.app, previous.name)] : [];
      for (const ref of input.migration.dependencies as readonly unknown[]) {
        if (!isRef(ref)) {
          throw new CommandError(
            `${input.module} has a malformed dependency ${JSON.stringify(ref)}: ` +
              `write it as ["app", "0001_name"]`,
          );
        }
        const declared = migrationKey(ref[0], ref[1]);
        if (!known.has(declared)) {
          throw new CommandError(
            `${input.module} depends on ${declared}, which does not exist: ` +
              `fix the dependency or add apps/${ref[0]}/migrations/${ref[1]}.ts`,
          );
        }
        const dependency = resolve(declared);
        if (dependency !== key && !dependencies.includes(dependency)) {
          dependencies.push(dependency);
        }
      }
      const replaces = ((input.migration.replaces ?? []) as readonly (readonly [string, string])[])
        .map(([app, name]) => migrationKey(app, name));
      nodes.push({ ...input, key, dependencies, replaces });
    });
  }
  const graph = new MigrationGraph(nodes, inputs);
  assertAcyclic(graph);
  return graph;
}

function assertAcyclic(graph: MigrationGraph): void {
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (key: string) => {
    if (done.has(key)) return;
    if (onPath.has(key)) {
      const cycle = [...path.slice(path.indexOf(key)), key];
      throw new CommandError(
        `Migrations depend on each other in a circle: ${cycle.join(" -> ")} ` +
          `(each depends on the next): remove one of these dependencies, such as the one in ${
            graph.node(path.at(-1)!).module
          }`,
      );
    }
    onPath.add(key);
    path.push(key);
    for (const dependency of graph.node(key).dependencies) visit(dependency);
    path.pop();
    onPath.delete(key);
    done.add(key);
  };
  for (const key of graph.nodes.keys()) visit(key);
}
