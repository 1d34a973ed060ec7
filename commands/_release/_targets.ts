/**
 * The platforms `manage` is released for, and the names of their archives:
 * `manage-<version>-<target>.tar.gz` (`.zip` for Windows), each holding one executable,
 * `manage` (`manage.exe`).
 *
 * @module
 */

/** The targets `deno compile --target` supports. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** A target `deno compile --target` supports. */
export type Target = typeof TARGETS[number];

/** Whether `value` is one of {@linkcode TARGETS}. */
export function isTarget(value: string): value is Target {
  return (TARGETS as readonly string[]).includes(value);
}

/** The executable's name in a target's archive. */
export function executableName(target: string): string {
  return target.includes("windows") ? "manage.exe" : "manage";
}

/**
 * The archive of a version for a target.
 *
 * @example
 * ```ts
 * import { archiveName } from "./mod.ts";
 *
 * console.assert(archiveName("0.1.0", "x86_64-pc-windows-msvc") === "manage-0.1.0-x86_64-pc-windows-msvc.zip");
 * ```
 */
export function archiveName(version: string, target: string): string {
  return `manage-${version}-${target}${target.includes("windows") ? ".zip" : ".tar.gz"}`;
}

/**
 * The version and target an archive's name says, or undefined for another file.
 *
 * @example
 * ```ts
 * import { parseArchiveName } from "./mod.ts";
 *
 * const parsed = parseArchiveName("manage-1.0.0-rc.1-aarch64-apple-darwin.tar.gz");
 * console.assert(parsed?.version === "1.0.0-rc.1" && parsed.target === "aarch64-apple-darwin");
 * ```
 */
export function parseArchiveName(
  name: string,
): { version: string; target: Target } | undefined {
  for (const target of TARGETS) {
    for (const extension of [".tar.gz", ".zip"]) {
      const suffix = `-${target}${extension}`;
      if (name.startsWith("manage-") && name.endsWith(suffix)) {
        const version = name.slice("manage-".length, -suffix.length);
        if (version !== "" && archiveName(version, target) === name) return { version, target };
      }
    }
  }
  return undefined;
}
