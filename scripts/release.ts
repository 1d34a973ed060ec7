/**
 * Builds a release: the `manage` binary for each of deno compile's five targets, as the archives
 * users download, into `dist/<version>/`:
 *
 * ```plaintext
 * dist/0.1.0/manage-0.1.0-x86_64-unknown-linux-gnu.tar.gz    manage
 * dist/0.1.0/manage-0.1.0-aarch64-unknown-linux-gnu.tar.gz   manage
 * dist/0.1.0/manage-0.1.0-x86_64-apple-darwin.tar.gz         manage
 * dist/0.1.0/manage-0.1.0-aarch64-apple-darwin.tar.gz        manage
 * dist/0.1.0/manage-0.1.0-x86_64-pc-windows-msvc.zip         manage.exe
 * dist/0.1.0/install.sh                                      the installer, its URL filled in
 * dist/0.1.0/SHA256SUMS                                      sha256sum -c SHA256SUMS
 * ```
 *
 * ```sh
 * deno task release                      # every target whose runtime is here or downloadable
 * deno task release --target x86_64-unknown-linux-gnu --require-all
 * ```
 *
 * A release is built from a commit: it refuses a tree with uncommitted changes, and a registry
 * that is stale. The same commit builds the same bytes (where Deno's compile does): each binary's
 * stamp takes the commit's date (or SOURCE_DATE_EPOCH), the archives give every file that date,
 * the owner root and a fixed order, and gzip's header no time or name. Where a target's Deno
 * runtime cannot be had (deno compile downloads it; DENORT_BIN serves the host's target) it says
 * so and builds the others; `--require-all` makes that a failure.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { scriptArgs } from "./_args.ts";
import {
  type ArchiveEntry,
  archiveName,
  type BuildStamp,
  executableName,
  formatChecksums,
  sha256Hex,
  type Target,
  TARGETS,
  writeTarGz,
  writeZip,
} from "../commands/_release/mod.ts";
import { compileBinary, makeStamp, uncommitted } from "./_build.ts";
import { missingModules, permissionFlags, requiredModules } from "./compile.ts";

/** The line of install.sh that the published copy fills in. */
const INSTALL_URL_LINE = 'releases_url=""';

class Failure extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

/** The command line: `--target` (repeatable), `--require-all` (and `-h/--help`). */
function commandLine(args: readonly string[]): { targets: Target[]; requireAll: boolean } {
  const { target, requireAll } = scriptArgs({
    prog: "deno task release",
    help: "Builds the manage binary for each target and writes the release's files",
    arguments: {
      options: {
        target: {
          choices: TARGETS,
          multiple: true,
          help: "a platform to build for (repeatable; default: all of them)",
        },
        requireAll: { type: "boolean", help: "fail when a target could not be built" },
      },
    },
  }, args);
  return { targets: target && target.length > 0 ? [...target] : [...TARGETS], requireAll };
}

/** Refuses what a release may not be built from: uncommitted changes, a stale registry. */
async function checkTree(root: string): Promise<void> {
  const changed = await uncommitted(root);
  if (changed === undefined) {
    throw new Failure(`${root} is not a git repository: a release is built from a commit`);
  }
  if (changed.length > 0) {
    const shown = changed.slice(0, 5).join(", ") + (changed.length > 5 ? ", …" : "");
    throw new Failure(
      `The tree has uncommitted changes (${shown}): commit or stash them, a release is built ` +
        "from a commit",
    );
  }
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read=.", "--allow-env", "scripts/build_registry.ts", "--check"],
    cwd: root,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  if (!success) {
    throw new Failure(
      "The registry is stale: run deno task registry, commit commands/_registry.ts and release again",
    );
  }
}

async function archive(
  target: Target,
  binary: string,
  stamp: BuildStamp,
): Promise<Uint8Array> {
  const entries: ArchiveEntry[] = [
    { name: executableName(target), mode: 0o755, bytes: await Deno.readFile(binary) },
  ];
  const mtime = Date.parse(stamp.date) / 1000;
  return target.includes("windows")
    ? await writeZip(entries, { mtime })
    : await writeTarGz(entries, { mtime });
}

async function installer(root: string, releases: string | null): Promise<string> {
  const script = await Deno.readTextFile(`${root}/install.sh`);
  if (!script.includes(INSTALL_URL_LINE)) {
    throw new Failure(`install.sh has no line ${INSTALL_URL_LINE} to write the releases' URL in`);
  }
  return releases === null
    ? script
    : script.replace(INSTALL_URL_LINE, `releases_url="${releases}"`);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function release(args: readonly string[]): Promise<void> {
  const { targets, requireAll } = commandLine(args);
  const root = fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "");
  await checkTree(root);
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const version = String(config.version);
  const flags = permissionFlags(config.tasks.manage);
  const modules = await requiredModules();
  const denort = Deno.env.get("DENORT_BIN") || undefined;
  const folder = `${root}/dist/${version}`;
  await Deno.remove(folder, { recursive: true }).catch(() => {});
  await Deno.mkdir(folder, { recursive: true });

  const sums: Record<string, string> = {};
  const skipped: Target[] = [];
  let releases: string | null = null;
  let commit = "";
  for (const target of targets) {
    const stamp = await makeStamp(root, target, Deno.env.toObject());
    releases = stamp.releases;
    commit = stamp.commit;
    const binary = `${root}/dist/.build/${target}/${executableName(target)}`;
    const started = performance.now();
    const built = await compileBinary({
      root,
      target,
      output: binary,
      flags,
      stamp,
      denort: target === Deno.build.target ? denort : undefined,
    });
    if (built.runtimeMissing) {
      skipped.push(target);
      console.error(
        `Skipped ${target}: its Deno runtime is not available here (deno compile could not ` +
          "download it); build this target where it can" +
          (target === Deno.build.target ? ", or set DENORT_BIN to a local runtime" : ""),
      );
      continue;
    }
    if (!built.ok) throw new Failure(`deno compile failed for ${target}:\n${built.log.trimEnd()}`);
    const missing = missingModules(await Deno.readFile(binary), modules);
    if (missing.length > 0) {
      throw new Failure(`${target}: ${missing.join(", ")} not embedded in the binary`);
    }
    const name = archiveName(version, target);
    const bytes = await archive(target, binary, stamp);
    await Deno.writeFile(`${folder}/${name}`, bytes);
    sums[name] = await sha256Hex(bytes);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`Built ${name} (${megabytes(bytes.length)}) in ${seconds} s`);
  }
  if (Object.keys(sums).length === 0) {
    throw new Failure("No target could be built: nothing was released");
  }
  if (requireAll && skipped.length > 0) {
    throw new Failure(`--require-all: ${skipped.join(", ")} could not be built`);
  }
  const script = new TextEncoder().encode(await installer(root, releases));
  await Deno.writeFile(`${folder}/install.sh`, script, { mode: 0o755 });
  sums["install.sh"] = await sha256Hex(script);
  await Deno.writeTextFile(`${folder}/SHA256SUMS`, formatChecksums(sums));
  const built = targets.length - skipped.length;
  console.log(
    `Released manage ${version} (commit ${commit.slice(0, 12)}) in dist/${version}/: ${built} of ` +
      `${targets.length} targets, SHA256SUMS` + (releases ? `, for ${releases}` : ""),
  );
}

if (import.meta.main) {
  try {
    await release(Deno.args);
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    console.error(`error: ${error.message}`);
    Deno.exit(error.code);
  }
}
