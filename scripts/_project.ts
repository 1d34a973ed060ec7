// What a copy of the project needs to run its commands: the entry points, the configuration and
// lock, the launcher, and the source folders. The tests' copies, the benchmarks' and the breaks'
// (which add the tests) all start from this one list.

/** The entries, relative to the project root: files, and folders copied whole. */
export const PROJECT_ENTRIES: readonly string[] = [
  "cli.ts",
  "manage",
  "mod.ts",
  "deno.json",
  "deno.lock",
  "core",
  "commands",
  "apps",
  "scripts",
];
