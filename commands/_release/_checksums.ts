/**
 * `SHA256SUMS`: one line per file, `<sha-256 in hex>  <name>`, as `sha256sum` writes and checks
 * it (`sha256sum -c SHA256SUMS`).
 *
 * @module
 */

/**
 * The SHA-256 of `bytes` in lower-case hex.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./mod.ts";
 *
 * const hex = await sha256Hex(new TextEncoder().encode("abc"));
 * console.assert(hex.startsWith("ba7816bf"));
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The text of a `SHA256SUMS` file for `sums` (name → hex), sorted by name.
 *
 * @example
 * ```ts
 * import { formatChecksums } from "./mod.ts";
 *
 * console.assert(formatChecksums({ b: "00", a: "ff" }) === "ff  a\n00  b\n");
 * ```
 */
export function formatChecksums(sums: Readonly<Record<string, string>>): string {
  return Object.keys(sums).sort().map((name) => `${sums[name]}  ${name}\n`).join("");
}

/**
 * Reads a `SHA256SUMS` file: name → hex. Lines that are not `<64 hex digits> <space> <name>`
 * (the space may be followed by `*`, sha256sum's binary mark) are ignored.
 *
 * @example
 * ```ts
 * import { parseChecksums } from "./mod.ts";
 *
 * const sums = parseChecksums(`${"a".repeat(64)}  manage-0.1.0-x86_64-unknown-linux-gnu.tar.gz\n`);
 * console.assert(sums.get("manage-0.1.0-x86_64-unknown-linux-gnu.tar.gz") === "a".repeat(64));
 * ```
 */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (match) sums.set(match[2], match[1].toLowerCase());
  }
  return sums;
}
