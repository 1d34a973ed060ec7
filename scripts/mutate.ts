/**
 * Breaks as a habit: applies each one-line break of `scripts/breaks.json` to a temporary copy of
 * the project, one at a time, runs the tests that guard it, and fails when a break survives
 * (its tests still pass), when a break no longer applies (its line changed: update it), or when
 * the type checker refuses it (a break must be one the tests judge). A green suite is only worth
 * what it catches.
 *
 * ```sh
 * deno task mutate                       # every break (first the guarding tests, unbroken)
 * deno task mutate --fast                # the breaks marked fast, as CI runs them
 * deno task mutate --only parser-unknown-option --only redaction-main
 * deno task mutate --list
 * ```
 *
 * The tests run as the `test` task runs them (`deno test` with its permissions, `--fail-fast`) in
 * the copy, with this process's environment (TEST_DATABASE_URL, CI). To add a break when adding a promise, see README
 * ("Breaks as a habit").
 *
 * @module
 */

import { scriptArgs } from "./_args.ts";
import { permissionFlags } from "./compile.ts";
import { PROJECT_ENTRIES } from "./_project.ts";

/** One break: a line of a module changed so that a promise README makes is broken. */
export interface Break {
  /** A short name (`parser-unknown-option`). */
  id: string;
  /** The promise it breaks, in README's words. */
  promise: string;
  /** The module, relative to the project root. */
  file: string;
  /** The text to change: it must occur exactly once in the module. */
  find: string;
  /** What it becomes. */
  replace: string;
  /** The test files that guard the promise. */
  tests: string[];
  /** Only the tests whose names match (`deno test --filter`). */
  filter?: string;
  /** Part of the subset CI runs. */
  fast?: boolean;
}

const ROOT = new URL("../", import.meta.url);
const BREAKS = new URL("scripts/breaks.json", ROOT);
/** What the copy holds: what a copy of the project needs, the tests, and the README they read. */
const COPIED = [...PROJECT_ENTRIES, "README.md", "tests"];
const TEXT_FIELDS = ["id", "promise", "file", "find"] as const;

/** The breaks of `text` (the JSON list), checked: throws naming the first wrong entry. */
export function readBreaks(text: string): Break[] {
  const breaks = JSON.parse(text) as Break[];
  const ids = new Set<string>();
  for (const [i, entry] of breaks.entries()) {
    const name = `Break ${i + 1} (${entry.id ?? "no id"})`;
    for (const field of TEXT_FIELDS) {
      if (typeof entry[field] !== "string" || entry[field] === "") {
        throw new Error(`${name} has no '${field}'`);
      }
    }
    if (typeof entry.replace !== "string" || entry.replace === entry.find) {
      throw new Error(`${name} has no 'replace' that differs from its 'find'`);
    }
    if (!Array.isArray(entry.tests) || entry.tests.length === 0) {
      throw new Error(`${name} names no 'tests' that guard it`);
    }
    if (ids.has(entry.id)) throw new Error(`Break '${entry.id}' is listed twice`);
    ids.add(entry.id);
  }
  return breaks;
}

/** `source` with the break applied, or a sentence saying why it does not apply. */
export function applyBreak(source: string, entry: Break): string | { stale: string } {
  const at = source.indexOf(entry.find);
  if (at < 0) return { stale: `${entry.file} no longer has the line to break` };
  if (source.indexOf(entry.find, at + 1) >= 0) {
    return { stale: `${entry.file} has the line to break more than once: make 'find' longer` };
  }
  return source.slice(0, at) + entry.replace + source.slice(at + entry.find.length);
}

function path(url: URL): string {
  return decodeURIComponent(url.pathname);
}

async function run(command: string, args: string[], options: Deno.CommandOptions = {}) {
  const { code } = await new Deno.Command(command, { args, ...options }).output();
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}`);
}

/**
 * A copy of the project to break: its sources and its PGlite template. Its npm packages are
 * installed in it from Deno's cache when it first runs (a link to this project's would lead the
 * `manage` task's `--allow-read=.` outside the copy).
 */
async function copyProject(): Promise<URL> {
  const dir = await Deno.makeTempDir({ prefix: "manage_mutate_" });
  const copy = new URL(`file://${dir}/`);
  await run("cp", ["-R", ...COPIED.map((entry) => path(new URL(entry, ROOT))), dir]);
  const cache = path(new URL(".manage/cache", ROOT));
  if (await Deno.stat(cache).then(() => true, () => false)) {
    await Deno.mkdir(`${dir}/.manage`, { recursive: true });
    await run("cp", ["-R", cache, `${dir}/.manage/`]);
  }
  return copy;
}

/** Runs test files in the copy; gives whether they passed and the names of those that failed. */
async function runTests(
  copy: URL,
  tests: string[],
  filter: string | undefined,
  timeout: number,
): Promise<
  {
    passed: boolean;
    failed: string[];
    why?: string;
    typeError?: string;
    timedOut: boolean;
    output: string;
  }
> {
  // `deno test` itself, with the permissions of the test task, so that a timeout ends it (through
  // `deno task` it would end only the task runner).
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", copy)));
  const args = ["test", ...permissionFlags(config.tasks.test), "--fail-fast"];
  if (filter) args.push("--filter", filter);
  const signal = AbortSignal.timeout(timeout * 1000);
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [...args, ...tests],
      cwd: copy,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
    const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    if (signal.aborted) return { passed: false, failed: [], timedOut: true, output };
    // A break the type checker refuses is caught by no test: it must be one the tests judge.
    const typeError = /^(?:error: )?(TS\d+ \[ERROR\]: .*)$/m.exec(output)?.[1];
    if (typeError) return { passed: false, failed: [], typeError, timedOut: false, output };
    // The tests that failed, by their own names (a step's line is indented under its test's).
    const failed = [...output.matchAll(/^(\S.*) \.\.\. FAILED/gm)].map((m) => m[1]);
    // The first error the runner reports, to show that the break is what failed the tests.
    const why = /^ ERRORS \n[\s\S]*?^error: (.*)$/m.exec(output)?.[1];
    return { passed: code === 0, failed: [...new Set(failed)], why, timedOut: false, output };
  } catch (error) {
    if (!signal.aborted) throw error;
    return { passed: false, failed: [], timedOut: true, output: "" };
  }
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function main(argv: readonly string[]): Promise<number> {
  const options = scriptArgs({
    prog: "deno task mutate",
    help: "Applies each listed one-line break to a copy of the project and fails when the " +
      "tests that guard it still pass",
    arguments: {
      options: {
        only: { multiple: true, metavar: "ID", help: "only this break (repeatable)" },
        fast: { type: "boolean", help: "only the breaks marked fast (what CI runs)" },
        list: { type: "boolean", help: "list the breaks and exit" },
        baseline: {
          type: "boolean",
          negatable: true,
          default: true,
          help: "first run the guarding tests unbroken, which must pass",
        },
        timeout: { type: "duration", default: "10m", help: "the longest a break's tests may run" },
        keep: { type: "boolean", help: "keep the copy (its path is printed)" },
      },
    },
  }, argv);
  let all: Break[];
  try {
    all = readBreaks(await Deno.readTextFile(BREAKS));
  } catch (error) {
    console.error(`error: scripts/breaks.json: ${(error as Error).message}`);
    return 1;
  }
  const unknown = options.only.filter((id) => !all.some((entry) => entry.id === id));
  if (unknown.length) {
    console.error(`error: No break named ${unknown.join(", ")}: see deno task mutate --list`);
    return 2;
  }
  const breaks = all.filter((entry) =>
    (options.only.length === 0 || options.only.includes(entry.id)) && (!options.fast || entry.fast)
  );
  if (options.list) {
    for (const entry of all) {
      console.log(`${entry.id}${entry.fast ? " (fast)" : ""}: ${entry.promise}`);
    }
    return 0;
  }
  const timeout = options.timeout / 1000;
  const started = performance.now();
  const copy = await copyProject();
  try {
    if (options.baseline) {
      const tests = [...new Set(breaks.flatMap((entry) => entry.tests))];
      const since = performance.now();
      const baseline = await runTests(copy, tests, undefined, timeout);
      if (!baseline.passed) {
        console.error(baseline.output.split("\n").slice(-40).join("\n"));
        const how = baseline.timedOut
          ? `they did not end within ${timeout} s`
          : baseline.failed.join("; ") || "see above";
        console.error(
          `error: The guarding tests fail with no break applied (${how}): a break caught by ` +
            "them would prove nothing",
        );
        return 1;
      }
      console.log(`unbroken: ${tests.length} test files pass (${seconds(since)})`);
    }
    const survived: string[] = [];
    const stale: string[] = [];
    for (const entry of breaks) {
      const file = new URL(entry.file, copy);
      const source = await Deno.readTextFile(file);
      const broken = applyBreak(source, entry);
      if (typeof broken !== "string") {
        console.log(`STALE     ${entry.id}: ${broken.stale}`);
        stale.push(entry.id);
        continue;
      }
      const since = performance.now();
      await Deno.writeTextFile(file, broken);
      try {
        const result = await runTests(copy, entry.tests, entry.filter, timeout);
        if (result.typeError) {
          console.log(`INVALID   ${entry.id}: the break does not type-check: ${result.typeError}`);
          stale.push(entry.id);
        } else if (result.passed) {
          console.log(`SURVIVED  ${entry.id}: ${entry.promise} (${seconds(since)})`);
          survived.push(entry.id);
        } else {
          const by = result.timedOut
            ? `the tests did not end within ${timeout} s`
            : result.failed.slice(0, 2).join("; ") || "the tests fail";
          console.log(`caught    ${entry.id} by ${by} (${seconds(since)})`);
          if (result.why) console.log(`          ${result.why.slice(0, 160)}`);
        }
      } finally {
        await Deno.writeTextFile(file, source);
      }
    }
    const problems = survived.length + stale.length;
    console.log(
      `\n${breaks.length} breaks: ${
        breaks.length - problems
      } caught, ${survived.length} survived, ` +
        `${stale.length} stale or invalid (${seconds(started)})`,
    );
    if (survived.length) {
      console.error(`error: No test catches ${survived.join(", ")}: write one that does`);
    }
    if (stale.length) {
      console.error(`error: Update ${stale.join(", ")} in scripts/breaks.json`);
    }
    return problems ? 1 : 0;
  } finally {
    if (options.keep) console.log(`the copy: ${path(copy)}`);
    else await Deno.remove(copy, { recursive: true });
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
