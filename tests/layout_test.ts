// The layout README's "Layout" section describes, read from the code: the import graph of every
// source module (core/, commands/, apps/, mod.ts, cli.ts), as Deno resolves it (`deno info`,
// static, dynamic and type-only imports), must keep the rules below. Each failure names the
// module and what it imports.
//
// - core/ is the command framework and imports nothing outside it;
// - no module of the framework, the built-in commands or a bundled app imports mod.ts (user apps,
//   such as the starter app myapp, may: it is their door);
// - a private module (`_name.ts`) is imported only from its own folder and the folders below;
// - imports between folders have no cycle;
// - each subsystem folder has one entry module, `mod.ts`, whose header says what it offers, and
//   its other modules are private (core/ excepted: its public modules are the framework's parts,
//   each re-exported by core/mod.ts);
// - no source file is over 500 lines unless its header says why;
// - mod.ts, the public door, has no npm package on its module graph.

import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { ROOT } from "./_helpers.ts";

const ROOT_PATH = fromFileUrl(ROOT);
/** The apps a user owns and may change or delete; every other app is bundled with manage. */
const USER_APPS = new Set(["myapp"]);
/** The generated registry: `cli.ts` imports it, although its name marks it as private. */
const REGISTRY = "commands/_registry.ts";
/** Folders whose modules the registry names one by one, rather than through an entry module. */
const REGISTRY_FOLDER = /^(commands|apps\/[^/]+(\/(commands|migrations))?)$/;
/** The longest a source file may be without a reason in its header. */
const MAX_LINES = 500;

/** Every source module: the top-level entries and each `.ts` under core/, commands/ and apps/. */
async function sourceFiles(): Promise<string[]> {
  const files = ["cli.ts", "mod.ts"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) files.push(path);
    }
  };
  for (const dir of ["core/", "commands/", "apps/"]) await walk(dir);
  return files.sort();
}

interface Graph {
  /** Module → the modules it imports: project paths, or `npm:`/`node:` specifiers. */
  readonly imports: Map<string, Set<string>>;
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

/** The import graph of `roots` (project paths), as `deno info` resolves it. */
async function importGraph(roots: readonly string[]): Promise<Graph> {
  const dir = await Deno.makeTempDir({ prefix: "manage_layout_" });
  try {
    const root = `${dir}/all.ts`;
    await Deno.writeTextFile(
      root,
      roots.map((file) => `import ${JSON.stringify(new URL(file, ROOT).href)};\n`).join(""),
    );
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", `${ROOT_PATH}deno.json`, root],
      cwd: ROOT_PATH,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(success, new TextDecoder().decode(stderr));
    const info = JSON.parse(new TextDecoder().decode(stdout)) as { modules: InfoModule[] };
    const name = (specifier: string) =>
      specifier.startsWith(ROOT.href) ? relative(ROOT_PATH, fromFileUrl(specifier)) : specifier;
    const imports = new Map<string, Set<string>>();
    for (const module of info.modules) {
      if (!module.specifier.startsWith(ROOT.href)) continue;
      const targets = new Set<string>();
      for (const dependency of module.dependencies ?? []) {
        for (const target of [dependency.code, dependency.type]) {
          if (target) targets.add(name(target.specifier));
        }
      }
      imports.set(name(module.specifier), targets);
    }
    return { imports };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The folder a module belongs to; each top-level module (cli.ts, mod.ts) is a unit of its own. */
function folderOf(file: string): string {
  const slash = file.lastIndexOf("/");
  return slash < 0 ? file : file.slice(0, slash);
}

function isPrivate(file: string): boolean {
  return file.slice(file.lastIndexOf("/") + 1).startsWith("_");
}

/** Whether `folder` is `ancestor` or below it. */
function within(folder: string, ancestor: string): boolean {
  return folder === ancestor || folder.startsWith(`${ancestor}/`);
}

/** The app a module belongs to, or undefined. */
function appOf(file: string): string | undefined {
  return /^apps\/([^/]+)\//.exec(file)?.[1];
}

const files = await sourceFiles();
const graph = await importGraph(files);

/** `file → target` for every import of a source module for which `broken` holds. */
function violations(broken: (file: string, target: string) => boolean): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const target of graph.imports.get(file) ?? []) {
      if (broken(file, target)) found.push(`${file} → ${target}`);
    }
  }
  return found;
}

Deno.test("the graph covers every source module", () => {
  assert.deepEqual(files.filter((file) => !graph.imports.has(file)), []);
  assert.ok(graph.imports.get("cli.ts")?.has(REGISTRY));
});

Deno.test("core/ imports nothing outside core/ but Deno's built-ins and the version", () => {
  assert.deepEqual(
    violations((file, target) =>
      file.startsWith("core/") && !target.startsWith("core/") && !target.startsWith("node:") &&
      target !== "deno.json"
    ),
    [],
  );
});

Deno.test("only user apps import mod.ts: the framework, built-ins and bundled apps do not", () => {
  assert.deepEqual(
    violations((file, target) => {
      const app = appOf(file);
      return target === "mod.ts" && file !== "cli.ts" && !(app && USER_APPS.has(app));
    }),
    [],
  );
});

Deno.test("the built-in commands import core/ and their own folder; only the registry imports apps", () => {
  assert.deepEqual(
    violations((file, target) =>
      file.startsWith("commands/") && file !== REGISTRY && !target.startsWith("node:") &&
      !within(folderOf(target), "core") && !within(folderOf(target), "commands")
    ),
    [],
  );
  assert.deepEqual(
    violations((file, target) =>
      (file.startsWith("core/") || file.startsWith("apps/")) && target.startsWith("commands/")
    ),
    [],
  );
});

Deno.test("a private module is imported only from its own folder and the folders below it", () => {
  assert.deepEqual(
    violations((file, target) =>
      isPrivate(target) && target !== REGISTRY && target.includes("/") &&
      !within(folderOf(file), folderOf(target))
    ),
    [],
  );
});

Deno.test("imports between folders have no cycle", () => {
  const edges = new Map<string, Set<string>>();
  for (const file of files) {
    const from = folderOf(file);
    for (const target of graph.imports.get(file) ?? []) {
      const to = folderOf(target);
      if (to === from || !graph.imports.has(target)) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  // A depth-first walk: meeting a folder still on the path closes a cycle.
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (folder: string) => {
    state.set(folder, "open");
    path.push(folder);
    for (const next of edges.get(folder) ?? []) {
      if (state.get(next) === "open") {
        cycles.push([...path.slice(path.indexOf(next)), next].join(" → "));
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(folder, "done");
  };
  for (const folder of [...edges.keys()].sort()) if (!state.has(folder)) visit(folder);
  assert.deepEqual(cycles, []);
});

Deno.test("each subsystem folder has one entry module, mod.ts, that says what it offers", async () => {
  const folders = new Map<string, string[]>();
  for (const file of files) {
    if (!file.includes("/")) continue;
    const folder = folderOf(file);
    if (!folders.has(folder)) folders.set(folder, []);
    folders.get(folder)!.push(file.slice(folder.length + 1));
  }
  const problems: string[] = [];
  for (const [folder, modules] of folders) {
    // An app's own folder holds what the registry names (models.ts, checks.ts, …) and the app's
    // library; commands/ and migrations/ hold one registered module each.
    if (REGISTRY_FOLDER.test(folder)) continue;
    if (!modules.includes("mod.ts")) {
      problems.push(`${folder}/ has no mod.ts`);
      continue;
    }
    const entry = await Deno.readTextFile(new URL(`${folder}/mod.ts`, ROOT));
    if (!/^\/\*\*[\s\S]*?@module[\s\S]*?\*\//.test(entry)) {
      problems.push(`${folder}/mod.ts has no @module header saying what the folder offers`);
    }
    const open = modules.filter((module) => module !== "mod.ts" && !module.startsWith("_"));
    if (folder === "core") {
      for (const module of open) {
        if (!entry.includes(`"./${module}"`)) problems.push(`core/mod.ts does not list ${module}`);
      }
    } else if (open.length > 0) {
      problems.push(`${folder}/ has modules besides mod.ts that are not private: ${open.join()}`);
    }
  }
  assert.deepEqual(problems, []);
  // The subsystems README's "Layout" names, each with its entry module.
  for (
    const folder of [
      "core",
      "commands/_release",
      "apps/db/backends",
      "apps/db/backends/postgres",
      "apps/db/backends/pglite",
      "apps/db/orm",
      "apps/db/migrator",
      "apps/db/serializers",
      "apps/db/introspection",
      "apps/jobs/queue",
    ]
  ) {
    assert.ok(folders.get(folder)?.includes("mod.ts"), `${folder}/mod.ts`);
  }
});

Deno.test("no source file is over 500 lines unless its header says why", async () => {
  const long: string[] = [];
  for (const file of files) {
    if (file === REGISTRY) continue;
    const text = await Deno.readTextFile(new URL(file, ROOT));
    const lines = text.split("\n").length - 1;
    const header = text.slice(0, text.search(/^(import|export)\b/m));
    if (lines > MAX_LINES && !/over 500 lines/i.test(header)) long.push(`${file}: ${lines} lines`);
  }
  assert.deepEqual(long, []);
});

Deno.test("mod.ts, the public door, has no npm package on its module graph", async () => {
  const door = await importGraph(["mod.ts"]);
  const npm = [...door.imports.values()].flatMap((targets) =>
    [...targets].filter((target) => target.startsWith("npm:"))
  );
  assert.deepEqual(npm, []);
  // And as `deno info mod.ts` prints it, dynamic imports included.
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "mod.ts"],
    cwd: ROOT_PATH,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).output();
  const printed = new TextDecoder().decode(stdout);
  assert.match(printed, /core\/command\.ts/);
  assert.doesNotMatch(printed, /npm:/);
});

/**
 * The modules Deno loads before `roots` run, and their source: the static imports only (a dynamic
 * `import()` is prepared when it runs, with the lazy dynamic imports of the manage task).
 */
async function loadedAtStart(roots: readonly string[]): Promise<Map<string, string>> {
  const dir = await Deno.makeTempDir({ prefix: "manage_layout_" });
  const root = `${dir}/start.ts`;
  await Deno.writeTextFile(
    root,
    roots.map((file) => `import ${JSON.stringify(new URL(file, ROOT).href)};\n`).join(""),
  );
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", `${ROOT_PATH}deno.json`, root],
    cwd: ROOT_PATH,
    stdout: "piped",
    stderr: "null",
  }).output().finally(() => Deno.remove(dir, { recursive: true }));
  assert.ok(success);
  const info = JSON.parse(new TextDecoder().decode(stdout)) as {
    roots: string[];
    modules: (InfoModule & {
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    })[];
  };
  const modules = new Map(info.modules.map((module) => [module.specifier, module]));
  const loaded = new Map<string, string>();
  const visit = async (specifier: string) => {
    if (loaded.has(specifier)) return;
    loaded.set(specifier, "");
    if (specifier.startsWith("file:")) {
      loaded.set(specifier, await Deno.readTextFile(new URL(specifier)));
    }
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      if (!dependency.isDynamic && dependency.code) await visit(dependency.code.specifier);
    }
  };
  for (const file of roots) await visit(new URL(file, ROOT).href);
  return loaded;
}

Deno.test("what loads before a command runs: no node: module, no migration engine, no collation", async () => {
  // cli.ts with help, and a user's command importing the public door (greet_user's imports).
  const loaded = await loadedAtStart(["cli.ts", "commands/help.ts", "mod.ts"]);
  assert.ok(loaded.has(new URL("core/main.ts", ROOT).href));
  // node:async_hooks alone costs a few milliseconds of every command's start-up.
  assert.deepEqual([...loaded.keys()].filter((specifier) => specifier.startsWith("node:")), []);
  // A command declares migrations, models and jobs through mod.ts; the engines that apply and run
  // them (the migrator's executor, autodetector, writer, …) load when a command uses them.
  const engine = [...loaded.keys()].filter((specifier) =>
    /\/apps\/db\/migrator\/[^/]+\.ts$/.test(specifier)
  );
  assert.deepEqual(engine, []);
  // The first localeCompare loads the locale's collation tables: ~6 ms.
  const locale = [...loaded].filter(([, source]) => /\.localeCompare\(|\bIntl\./.test(source))
    .map(([specifier]) => relative(ROOT_PATH, fromFileUrl(specifier)));
  assert.deepEqual(locale, []);
});
