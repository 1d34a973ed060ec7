/**
 * Releasing the `manage` binary: the build stamp a compiled binary carries (`manage version`
 * prints it), the release archives and their `SHA256SUMS`, the targets and their archive names,
 * and `manage upgrade`'s download, check and replacement of the running executable.
 *
 * It lives beside the built-in commands because it is theirs: `version` and `upgrade` are the
 * only modules of the program that use it, and the command framework (`core/`) never does, so it
 * is no part of it; nor is it an app, since every project has those two built-ins.
 * `scripts/compile.ts` and `scripts/release.ts` write what it reads (the stamp, the archives), so
 * they import it too. `_stamp.ts` is the stamp of a source run (none): a compiled binary's import
 * map puts the build's own in its place.
 *
 * @example Name a release's archive and check it
 * ```ts
 * import { archiveName, formatChecksums, sha256Hex } from "./mod.ts";
 *
 * const name = archiveName("0.2.0", "x86_64-unknown-linux-gnu");
 * console.assert(name === "manage-0.2.0-x86_64-unknown-linux-gnu.tar.gz");
 * const sums = formatChecksums({ [name]: await sha256Hex(new Uint8Array()) });
 * console.assert(sums.endsWith(`  ${name}\n`));
 * ```
 *
 * @module
 */

export * from "./_archive.ts";
export * from "./_build.ts";
export * from "./_checksums.ts";
export * from "./_targets.ts";
export * from "./_upgrade.ts";
