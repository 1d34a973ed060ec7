/**
 * Builds the `manage` binary with `deno compile`.
 *
 * ```sh
 * deno task compile                                   # dist/manage
 * deno task compile --target aarch64-apple-darwin     # dist/manage-aarch64-apple-darwin
 * deno task compile --output /tmp/manage --verify     # and check every command is embedded
 * ```
 *
 * The binary's permissions are the ones of the `manage` task in `deno.json`: they are declared
 * there and nowhere else. A relative path in them (a project that narrows them to
 * `--allow-read=.`) means the current directory of the binary when it runs.
 *
 * The binary carries a build stamp (the version, the commit, the date, the target and the Deno
 * version) that `manage version` prints; see `scripts/_build.ts`.
 *
 * `deno compile` reads `DENORT_BIN` to use a local runtime instead of downloading one; this script
 * passes it on for the host's target and fails early when `DENORT_BIN` names no file.
 *
 * `--verify` reads the binary's embedded file tree and checks that every module of the registry
 * (`commands/_registry.ts`), and every data module (JSON) the program imports, is in it. Searching the binary for the modules' paths as plain text
 * would prove nothing: the registry's own embedded source contains every one of them.
 *
 * @module
 */

import { isTarget, type Target, TARGETS } from "../commands/_release/mod.ts";
import { compileBinary, makeStamp } from "./_build.ts";
import { scriptArgs } from "./_args.ts";

export { type Target, TARGETS };

const SHORT_PERMISSION = /^-[ARWINES](=.*)?$/;
const LONG_PERMISSION = /^--(allow|deny|ignore)-[a-z]+(=.*)?$/;
const PERMISSION_SET = /^(-P|--permission-set)(=.*)?$/;
const ENTRY_POINT = /^(https?|file|jsr|npm):|\.[cm]?[jt]sx?$/;
const SHELL_OPERATORS = new Set(["&&", "||", ";", "|", "&"]);

/**
 * Splits a task command into words as a shell would, quotes removed.
 *
 * @example
 * ```ts
 * import { shellWords } from "./compile.ts";
 *
 * console.assert(shellWords(`deno run '--allow-read=a b' cli.ts`)[2] === "--allow-read=a b");
 * ```
 */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const char of command) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= "";
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * The permission flags of a `deno run` task command: every `--allow-*`, `--deny-*` and
 * `--ignore-*` word, their short forms (`-A`, `-R`, `-W`, `-I`, `-N`, `-E`, `-S`), `-P` /
 * `--permission-set` and `--no-prompt`, in order. Words after the entry point are the program's
 * arguments and are not looked at.
 *
 * @example
 * ```ts
 * import { permissionFlags } from "./compile.ts";
 *
 * const flags = permissionFlags("deno run --allow-read=. --allow-env --check cli.ts --allow-x");
 * console.assert(flags.join(" ") === "--allow-read=. --allow-env");
 * ```
 */
export function permissionFlags(taskCommand: string): string[] {
  const flags: string[] = [];
  const words = shellWords(taskCommand);
  const run = words.indexOf("run");
  for (const word of words.slice(run + 1)) {
    if (SHELL_OPERATORS.has(word)) break;
    if (!word.startsWith("-")) {
      if (run >= 0 && ENTRY_POINT.test(word)) break;
      continue;
    }
    if (
      SHORT_PERMISSION.test(word) || LONG_PERMISSION.test(word) || PERMISSION_SET.test(word) ||
      word === "--no-prompt"
    ) {
      flags.push(word);
    }
  }
  return flags;
}

/** Finds `needle` in `haystack` from `from` on (Boyer–Moore–Horspool); -1 when absent. */
function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const n = needle.length;
  if (n === 0) return Math.min(from, haystack.length);
  const skip = new Int32Array(256).fill(n);
  for (let i = 0; i < n - 1; i++) skip[needle[i]] = n - 1 - i;
  const last = needle[n - 1];
  for (let i = Math.max(from, 0); i <= haystack.length - n; i += skip[haystack[i + n - 1]]) {
    if (haystack[i + n - 1] !== last) continue;
    let j = n - 2;
    while (j >= 0 && haystack[i + j] === needle[j]) j--;
    if (j < 0) return i;
  }
  return -1;
}

/** The end (exclusive) of the JSON array or object starting at `start`, or -1. */
function jsonEnd(bytes: Uint8Array, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      depth++;
    } else if (byte === 0x5d || byte === 0x7d) {
      if (--depth === 0) return i + 1;
    } else if (byte === 0) {
      return -1; // JSON text holds no NUL byte: this was no JSON
    }
  }
  return -1;
}

type TreeEntry = Record<string, { n?: unknown; e?: unknown }>;

function walkTree(entries: unknown, prefix: string, files: string[]): void {
  if (!Array.isArray(entries)) return;
  for (const entry of entries as TreeEntry[]) {
    if (typeof entry !== "object" || entry === null) continue;
    for (const [kind, body] of Object.entries(entry)) {
      if (typeof body?.n !== "string") continue;
      const path = prefix ? `${prefix}/${body.n}` : body.n;
      if (kind === "Dir") walkTree(body.e, path, files);
      else files.push(path);
    }
  }
}

const TREE_STARTS = ['[{"Dir":{"n":"', '[{"File":{"n":"'].map((s) => new TextEncoder().encode(s));

/**
 * The paths of the files embedded in a binary made by `deno compile` (Deno 2's file tree:
 * `[{"Dir":{"n":"core","e":[{"File":{"n":"main.ts",…}}]}}]`), relative to the tree's root, or
 * `undefined` when the binary holds no such tree.
 *
 * @example
 * ```ts
 * import { embeddedFiles } from "./compile.ts";
 *
 * const tree = '[{"Dir":{"n":"core","e":[{"File":{"n":"main.ts","o":[0,1]}}]}}]';
 * const files = embeddedFiles(new TextEncoder().encode(`\0${tree}\0`));
 * console.assert(files?.join() === "core/main.ts");
 * ```
 */
export function embeddedFiles(binary: Uint8Array): string[] | undefined {
  const starts: number[] = [];
  for (const needle of TREE_STARTS) {
    for (let i = indexOfBytes(binary, needle); i >= 0; i = indexOfBytes(binary, needle, i + 1)) {
      starts.push(i);
    }
  }
  // A folder's entries look like the root's: skip the lists nested in a tree already read, and
  // take the tree with the most files.
  let best: string[] | undefined;
  let readUpTo = -1;
  for (const start of starts.sort((a, b) => a - b)) {
    if (start < readUpTo) continue;
    const end = jsonEnd(binary, start);
    if (end < 0) continue;
    let tree: unknown;
    try {
      tree = JSON.parse(new TextDecoder().decode(binary.subarray(start, end)));
    } catch {
      continue;
    }
    readUpTo = end;
    const files: string[] = [];
    walkTree(tree, "", files);
    if (files.length > (best?.length ?? 0)) best = files;
  }
  return best;
}

/**
 * The modules (paths relative to the project root, such as `commands/help.ts`) that are not in
 * the binary's embedded file tree, in the order given; all of them when the binary has no tree.
 *
 * @example
 * ```ts
 * import { missingModules } from "./compile.ts";
 *
 * const tree = '[{"Dir":{"n":"commands","e":[{"File":{"n":"help.ts"}}]}}]';
 * const binary = new TextEncoder().encode(tree);
 * const missing = missingModules(binary, ["commands/help.ts", "commands/version.ts"]);
 * console.assert(missing.join() === "commands/version.ts");
 * ```
 */
export function missingModules(binary: Uint8Array, modules: string[]): string[] {
  const files = embeddedFiles(binary) ?? [];
  const embedded = new Set(files);
  return modules.filter((module) => {
    const path = module.replaceAll("\\", "/").replace(/^\.\//, "");
    // The tree's root is the common folder of every embedded file, which is above the project
    // when a module outside it is embedded too.
    return !embedded.has(path) && !files.some((file) => file.endsWith(`/${path}`));
  });
}

/** The default output, relative to the project root, for a target (the host when none). */
export function defaultOutput(target: Target | undefined, os: string = Deno.build.os): string {
  const windows = target ? target.includes("windows") : os === "windows";
  return `dist/manage${target ? `-${target}` : ""}${windows ? ".exe" : ""}`;
}

/** The command line: `--target`, `--output`, `--verify` (and `-h/--help`). */
function commandLine(args: readonly string[]) {
  return scriptArgs({
    prog: "deno task compile",
    help: "Builds the manage binary with deno compile",
    arguments: {
      options: {
        target: {
          choices: TARGETS,
          help: "the platform to build for (default: this machine's)",
        },
        output: { short: "o", metavar: "PATH", help: "where to write the binary" },
        verify: { type: "boolean", help: "check that every command is embedded in the binary" },
      },
    },
  }, args);
}

function toPath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows" ? path.slice(1).replaceAll("/", "\\") : path;
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\\\") || /^[A-Za-z]:[\\/]/.test(path);
}

function resolve(base: string, path: string): string {
  if (isAbsolute(path)) return path;
  const sep = Deno.build.os === "windows" ? "\\" : "/";
  return `${base.replace(/[\\/]+$/, "")}${sep}${path.replace(/^\.[\\/]/, "")}`;
}

function fail(message: string, code = 1): never {
  console.error(`error: ${message}`);
  Deno.exit(code);
}

async function readManageTask(root: URL): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const task: unknown = config?.tasks?.manage;
  const command = typeof task === "object" && task !== null
    ? (task as { command?: unknown }).command
    : task;
  if (typeof command !== "string") {
    fail("deno.json has no 'manage' task: the binary's permissions are taken from it");
  }
  return command;
}

/**
 * Every module a binary must embed, relative to the project root: each module the registry lists,
 * then the data (JSON modules, such as the common-password list) that the program's module graph
 * imports, dynamic imports included, as `deno info` reads it from `cli.ts`.
 */
export async function requiredModules(): Promise<string[]> {
  const { registry } = await import("../commands/_registry.ts");
  const registered = [
    ...registry.commands,
    ...registry.checks,
    ...(registry.migrations ?? []),
    ...(registry.models ?? []),
    ...(registry.schedules ?? []),
    ...(registry.database ? [registry.database] : []),
    ...(registry.settings ?? []),
  ].map((entry) => entry.module);
  return [...registered, ...await dataModules(new URL("../", import.meta.url))];
}

/** The JSON modules on the module graph of `cli.ts` in the project at `root`, sorted. */
async function dataModules(root: URL): Promise<string[]> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "cli.ts"],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!success) fail(`deno info cli.ts failed: ${decoder.decode(stderr).trim()}`);
  const graph = JSON.parse(decoder.decode(stdout)) as {
    modules: { specifier: string; mediaType?: string }[];
  };
  return graph.modules
    .filter((module) => module.mediaType === "Json" && module.specifier.startsWith(root.href))
    .map((module) => decodeURIComponent(module.specifier.slice(root.href.length)))
    .sort();
}

/** The target of the Deno running this script. */
function hostTarget(): Target {
  const host = Deno.build.target;
  if (!isTarget(host)) fail(`This machine (${host}) is not one of deno compile's targets`);
  return host;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function main(args: readonly string[]): Promise<number> {
  const started = performance.now();
  const parsed = commandLine(args);

  const rootUrl = new URL("../", import.meta.url);
  const root = toPath(rootUrl);
  const output = parsed.output === undefined
    ? resolve(root, defaultOutput(parsed.target))
    : resolve(Deno.cwd(), parsed.output);
  // deno compile adds `.exe` for Windows; add it here so that --verify reads the right file.
  const windows = parsed.target ? parsed.target.includes("windows") : Deno.build.os === "windows";
  const binary = windows && !output.toLowerCase().endsWith(".exe") ? `${output}.exe` : output;
  const shown = binary.startsWith(root) ? binary.slice(root.length) : binary;

  const flags = permissionFlags(await readManageTask(rootUrl));
  console.log(`permissions (the manage task in deno.json): ${flags.join(" ") || "(none)"}`);

  const target = parsed.target ?? hostTarget();
  const denortGiven = Deno.env.get("DENORT_BIN");
  let denort: string | undefined;
  if (denortGiven) {
    denort = resolve(Deno.cwd(), denortGiven);
    const info = await Deno.stat(denort).catch(() => undefined);
    if (!info?.isFile) fail(`DENORT_BIN is set to '${denortGiven}', which is not a file`);
    if (target === Deno.build.target) console.log(`runtime: ${denort} (DENORT_BIN)`);
  }

  const stamp = await makeStamp(root.replace(/[\\/]+$/, ""), target, Deno.env.toObject());
  console.log(`stamp: ${stamp.version}, commit ${stamp.commit}, ${stamp.date}`);
  const result = await compileBinary({
    root: root.replace(/[\\/]+$/, ""),
    target,
    output: binary,
    flags,
    stamp,
    denort: target === Deno.build.target ? denort : undefined,
  });
  console.log(result.log.trimEnd());
  if (!result.ok) {
    const hint = result.runtimeMissing
      ? ` (the Deno runtime for ${target} could not be downloaded` +
        (target === Deno.build.target ? ": set DENORT_BIN to a local one)" : ")")
      : "";
    fail(`deno compile failed${hint}`);
  }

  const size = (await Deno.stat(binary)).size;
  let verified = "";
  if (parsed.verify) {
    const modules = await requiredModules();
    const bytes = await Deno.readFile(binary);
    const missing = missingModules(bytes, modules);
    console.log(`embedded: ${modules.length - missing.length}/${modules.length} modules`);
    if (missing.length > 0) {
      if (embeddedFiles(bytes) === undefined) {
        console.error(`error: ${shown} holds no embedded file tree that this script can read`);
      }
      for (const module of missing) console.error(`error: ${module} is not embedded in ${shown}`);
      return 1;
    }
    verified = `, ${modules.length} modules verified`;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Built ${shown} for ${target} (${megabytes(size)}) in ${seconds} s${verified}`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
