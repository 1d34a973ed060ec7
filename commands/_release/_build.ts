/**
 * How the running program was built. A compiled `manage` carries a build stamp, written by
 * `scripts/compile.ts` into the binary; a source run (`deno run cli.ts`, `deno task manage`)
 * has none. `manage version` prints it and `manage upgrade` reads its target and release URL.
 *
 * @module
 */

import { STAMP } from "./_stamp.ts";

/** What `scripts/compile.ts` bakes into a binary. */
export interface BuildStamp {
  /** The project's version (`version` in deno.json). */
  readonly version: string;
  /** The commit built, `-dirty` added when the tree had uncommitted changes. */
  readonly commit: string;
  /** When it was built (SOURCE_DATE_EPOCH, else the commit's date), ISO 8601 in UTC. */
  readonly date: string;
  /** The target it was compiled for, such as `x86_64-unknown-linux-gnu`. */
  readonly target: string;
  /** The Deno version that compiled it. */
  readonly deno: string;
  /** The base URL of the releases it came from (see `install.sh`), or null when unknown. */
  readonly releases: string | null;
}

/**
 * The running program's build stamp; undefined in a source run.
 *
 * @example
 * ```ts
 * import { buildStamp } from "./mod.ts";
 *
 * const stamp = buildStamp();
 * console.log(stamp ? `compiled for ${stamp.target}` : "a source run");
 * ```
 */
export function buildStamp(): BuildStamp | undefined {
  return STAMP as BuildStamp | undefined;
}

/**
 * What `manage version` prints: the version and the stamp as aligned lines, or as JSON.
 *
 * @example
 * ```ts
 * import { formatVersion } from "./mod.ts";
 *
 * console.assert(formatVersion("0.1.0", undefined, "text").startsWith("manage 0.1.0 (source run"));
 * ```
 */
export function formatVersion(
  version: string,
  stamp: BuildStamp | undefined,
  format: "text" | "json",
): string {
  if (format === "json") {
    return JSON.stringify({
      version,
      source: stamp === undefined,
      commit: stamp?.commit ?? null,
      date: stamp?.date ?? null,
      target: stamp?.target ?? null,
      deno: stamp?.deno ?? null,
    });
  }
  if (stamp === undefined) return `manage ${version} (source run: deno run cli.ts, no build stamp)`;
  return [
    `manage ${version}`,
    `commit  ${stamp.commit}`,
    `built   ${stamp.date}`,
    `target  ${stamp.target}`,
    `deno    ${stamp.deno}`,
  ].join("\n");
}
