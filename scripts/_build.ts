// What `deno task compile` and `deno task release` share: the build stamp a binary carries, and
// running `deno compile` with it. The stamp goes in through an import map that puts a module
// generated under dist/.build/ in the place of commands/_release/_stamp.ts, so the sources are never
// edited and a source run has no stamp.

import type { BuildStamp, Target } from "../commands/_release/mod.ts";

const decoder = new TextDecoder();

/** Runs git in `root`: its output without the final newline, or undefined when it fails. */
export async function git(root: string, ...args: string[]): Promise<string | undefined> {
  try {
    const output = await new Deno.Command("git", {
      args,
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return output.success ? decoder.decode(output.stdout).trimEnd() : undefined;
  } catch {
    return undefined;
  }
}

/** The files git sees changed or untracked in `root` (not those it ignores), or undefined. */
export async function uncommitted(root: string): Promise<string[] | undefined> {
  const status = await git(root, "status", "--porcelain", "--untracked-files=all");
  if (status === undefined) return undefined;
  return status.split("\n").filter((line) => line !== "").map((line) => line.slice(3));
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The base URL of the project's releases: `MANAGE_DOWNLOAD_URL`, else the repository GitHub
 * Actions builds (`GITHUB_SERVER_URL`/`GITHUB_REPOSITORY`), else the `origin` remote when it is
 * on GitHub; null when none says.
 */
export function releasesUrl(
  env: Readonly<Record<string, string | undefined>>,
  origin: string | undefined,
): string | null {
  if (env.MANAGE_DOWNLOAD_URL) return env.MANAGE_DOWNLOAD_URL.replace(/\/+$/, "");
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY) {
    return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/releases`;
  }
  const github = /github\.com[:/]([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/.exec(origin ?? "");
  return github ? `https://github.com/${github[1]}/${github[2]}/releases` : null;
}

/**
 * The stamp of a build of `root` for `target`: the version in deno.json; the commit (`-dirty`
 * when the tree has uncommitted changes, `unknown` outside git); the date from
 * SOURCE_DATE_EPOCH, else the commit's for a clean tree (so that a commit always builds the same
 * bytes), else now; the Deno version compiling it; the releases' URL.
 */
export async function makeStamp(
  root: string,
  target: Target,
  env: Readonly<Record<string, string | undefined>>,
): Promise<BuildStamp> {
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const head = await git(root, "rev-parse", "HEAD");
  const dirty = ((await uncommitted(root)) ?? []).length > 0;
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  const committed = head && !dirty ? Number(await git(root, "log", "-1", "--format=%ct")) : NaN;
  const seconds = Number.isFinite(epoch) && env.SOURCE_DATE_EPOCH
    ? epoch
    : Number.isFinite(committed)
    ? committed
    : Math.floor(Date.now() / 1000);
  return {
    version: String(config.version ?? "0.0.0"),
    commit: head ? `${head}${dirty ? "-dirty" : ""}` : "unknown",
    date: isoSeconds(seconds),
    target,
    deno: Deno.version.deno,
    releases: releasesUrl(env, await git(root, "remote", "get-url", "origin")),
  };
}

/** What {@linkcode compileBinary} builds. */
export interface CompileOptions {
  /** The project root, a path. */
  root: string;
  /** The target; its stamp says it too. */
  target: Target;
  /** The binary to write (with `.exe` for Windows). */
  output: string;
  /** The permission flags (those of the manage task). */
  flags: readonly string[];
  /** The stamp to bake in. */
  stamp: BuildStamp;
  /** A local Deno runtime to build with instead of downloading one (`DENORT_BIN`). */
  denort?: string;
}

/** How `deno compile` ended. */
export interface CompileResult {
  /** The binary was written. */
  ok: boolean;
  /** It failed for want of the target's runtime (`denort`), which could not be downloaded. */
  runtimeMissing: boolean;
  /** What `deno compile` printed. */
  log: string;
}

/**
 * deno.json's imports as an import map file needs them: deno.json lets `pkg/sub` follow a bare
 * `"pkg": "npm:pkg@1.0.0"`, an import map only with its own `"pkg/": "npm:/pkg@1.0.0/"`.
 */
export function withSubpaths(imports: Record<string, string>): Record<string, string> {
  const all = { ...imports };
  for (const [key, value] of Object.entries(imports)) {
    if (key.endsWith("/") || !value.startsWith("npm:") || `${key}/` in imports) continue;
    all[`${key}/`] = `npm:/${value.slice("npm:".length)}/`;
  }
  return all;
}

/** Runs `deno compile` for one target with the stamp baked in. */
export async function compileBinary(options: CompileOptions): Promise<CompileResult> {
  const { root, stamp } = options;
  const build = `${root}/dist/.build/${options.target}`;
  await Deno.mkdir(build, { recursive: true });
  await Deno.writeTextFile(
    `${build}/stamp.ts`,
    "// Generated by scripts/compile.ts for one build: the facts `manage version` prints.\n" +
      'import type { BuildStamp } from "../../../commands/_release/mod.ts";\n\n' +
      `export const STAMP: BuildStamp | undefined = ${JSON.stringify(stamp)};\n`,
  );
  // The binary keeps each embedded file's modification time: the stamp's is the build's date, so
  // that building the same commit again gives the same bytes.
  const date = new Date(stamp.date);
  await Deno.utime(`${build}/stamp.ts`, date, date);
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  await Deno.writeTextFile(
    `${build}/import_map.json`,
    JSON.stringify(
      {
        imports: {
          ...withSubpaths(config.imports ?? {}),
          "../../../commands/_release/_stamp.ts": "./stamp.ts",
        },
      },
      null,
      2,
    ) + "\n",
  );
  // A DENORT_BIN of this process is one platform's runtime: only the target it serves gets it.
  const env = Deno.env.toObject();
  delete env.DENORT_BIN;
  if (options.denort) env.DENORT_BIN = options.denort;
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      ...options.flags,
      "--import-map",
      `${build}/import_map.json`,
      "--output",
      options.output,
      "--target",
      options.target,
      `${root}/cli.ts`,
    ],
    cwd: root,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = decoder.decode(stdout) + decoder.decode(stderr);
  // deno compile downloads the target's runtime (denort) when it has not got it.
  const runtimeMissing = !success && /Setting up base binary|denort/i.test(log);
  return { ok: success, runtimeMissing, log };
}
