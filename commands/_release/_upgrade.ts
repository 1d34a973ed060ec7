/**
 * `manage upgrade`'s work: find a release at the releases' base URL (`<base>/latest/download/`
 * for the newest, `<base>/download/v<version>/` for one, as `install.sh` does), download this
 * platform's archive with `SHA256SUMS`, check its SHA-256, take the executable out, and put it in
 * place of the running one: written beside it and renamed over it, so the old one stays whole
 * until the new one is complete, and stays on any failure.
 *
 * @module
 */

import { ArchiveError, readArchive } from "./_archive.ts";
import { parseChecksums, sha256Hex } from "./_checksums.ts";
import { executableName, parseArchiveName } from "./_targets.ts";

/** What {@linkcode upgradeExecutable} is asked to do. */
export interface UpgradeOptions {
  /** The releases' base URL. */
  base: string;
  /** The version to install; the newest release when undefined. */
  version?: string;
  /** The running program's version. */
  current: string;
  /** The running program's target: which archive to take. */
  target: string;
  /** The executable to replace. */
  executable: string;
  /** Only find out whether there is a newer release; change nothing. */
  check?: boolean;
  /** Writes a line of progress. */
  log: (line: string) => void;
  /** Aborts the downloads. */
  signal?: AbortSignal;
}

/** How it ended: nothing to do, a newer release (with `check`), or upgraded. */
export interface UpgradeResult {
  /** `current`: nothing to do; `available`: there is another release (`check` only). */
  status: "current" | "available" | "upgraded";
  /** The version before. */
  from: string;
  /** The release's version. */
  to: string;
}

/** A failure of the upgrade; the executable was left as it was. */
export class UpgradeError extends Error {
  /** Creates the error; its message says nothing was changed. */
  constructor(message: string) {
    super(`${message}: nothing was changed`);
    this.name = "UpgradeError";
  }
}

async function download(url: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: "follow" });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UpgradeError(`Cannot download ${url}: ${reason}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new UpgradeError(`Cannot download ${url}: ${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Compares two versions (`1.2.10` > `1.2.9`; a pre-release such as `1.0.0-rc.1` comes before
 * `1.0.0`): negative, zero or positive.
 *
 * @example
 * ```ts
 * import { compareVersions } from "./mod.ts";
 *
 * console.assert(compareVersions("0.10.0", "0.9.1") > 0);
 * console.assert(compareVersions("1.0.0-rc.1", "1.0.0") < 0);
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core, pre] = v.replace(/^v/, "").split(/-(.*)/s, 2);
    return { core: core.split(".").map((n) => Number(n) || 0), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.max(x.core.length, y.core.length); i++) {
    const d = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

function dirname(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut <= 0 ? (cut === 0 ? path.slice(0, 1) : ".") : path.slice(0, cut);
}

/**
 * Puts `bytes` in place of the executable `path`, keeping its permission bits: written beside
 * it, then renamed over it. Windows does not rename over a running program, so there the old one
 * is first moved aside to `<path>.old` (and put back if the new one cannot take its place).
 */
export async function replaceExecutable(path: string, bytes: Uint8Array): Promise<void> {
  const mode = (await Deno.stat(path)).mode ?? 0o755;
  const name = path.slice(dirname(path).length + 1);
  const staged = `${dirname(path)}/.${name}.upgrade-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(staged, bytes, { mode: 0o700, createNew: true });
    if (Deno.build.os !== "windows") await Deno.chmod(staged, (mode & 0o777) | 0o500);
    if (Deno.build.os === "windows") {
      const aside = `${path}.old`;
      await Deno.remove(aside).catch(() => {});
      await Deno.rename(path, aside);
      try {
        await Deno.rename(staged, path);
      } catch (error) {
        await Deno.rename(aside, path);
        throw error;
      }
    } else {
      await Deno.rename(staged, path);
    }
  } catch (error) {
    await Deno.remove(staged).catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new UpgradeError(`Cannot replace ${path}: ${reason}`);
  }
}

/** Finds the release, and unless `check` is set, downloads, verifies and installs it. */
export async function upgradeExecutable(options: UpgradeOptions): Promise<UpgradeResult> {
  const base = options.base.replace(/\/+$/, "");
  const from = options.version === undefined
    ? `${base}/latest/download`
    : `${base}/download/v${options.version.replace(/^v/, "")}`;
  const sumsUrl = `${from}/SHA256SUMS`;
  const sums = parseChecksums(new TextDecoder().decode(await download(sumsUrl, options.signal)));
  const archive = [...sums.keys()].find((name) =>
    parseArchiveName(name)?.target === options.target
  );
  if (archive === undefined) {
    throw new UpgradeError(`No manage archive for ${options.target} in ${sumsUrl}`);
  }
  const to = parseArchiveName(archive)!.version;
  const result = (status: UpgradeResult["status"]) => ({ status, from: options.current, to });
  const order = compareVersions(to, options.current);
  if (order === 0 || (order < 0 && options.version === undefined)) {
    options.log(
      order === 0
        ? `manage ${to} is the version installed: nothing to do`
        : `manage ${options.current} is newer than the newest release, ${to}: nothing to do`,
    );
    return result("current");
  }
  if (options.check) return result("available");
  options.log(`Downloading ${from}/${archive}`);
  const bytes = await download(`${from}/${archive}`, options.signal);
  const actual = await sha256Hex(bytes);
  const expected = sums.get(archive)!;
  if (actual !== expected) {
    throw new UpgradeError(
      `The checksum of ${archive} does not match SHA256SUMS (expected ${expected}, got ${actual})`,
    );
  }
  let entries;
  try {
    entries = await readArchive(archive, bytes);
  } catch (error) {
    if (!(error instanceof ArchiveError)) throw error;
    throw new UpgradeError(`${archive} cannot be read: ${error.message}`);
  }
  const executable = entries.find((entry) => entry.name === executableName(options.target));
  if (!executable) {
    throw new UpgradeError(`${archive} holds no ${executableName(options.target)}`);
  }
  await replaceExecutable(options.executable, executable.bytes);
  options.log(`Upgraded manage from ${options.current} to ${to}: ${options.executable}`);
  return result("upgraded");
}
