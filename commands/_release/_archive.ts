/**
 * The release archives, written and read here so that their bytes depend on their contents
 * alone: a gzipped ustar `.tar.gz` for Linux and macOS, a `.zip` for Windows. Every entry has
 * the same owner (root, 0:0), the mtime given, and the order given; gzip's header carries no
 * time or name. `tar`, `unzip` and Python's `zipfile` read them.
 *
 * @module
 */

/** A file in an archive. */
export interface ArchiveEntry {
  /** Its path in the archive, with `/` between folders. */
  readonly name: string;
  /** Its permission bits, such as `0o755`. */
  readonly mode: number;
  /** Its contents. */
  readonly bytes: Uint8Array;
}

/** How archives are written. */
export interface WriteOptions {
  /** The modification time of every entry, in seconds since 1970 (a release's commit time). */
  readonly mtime: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function transform(bytes: Uint8Array, stream: TransformStream): Promise<Uint8Array> {
  const piped = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function tarHeader(entry: ArchiveEntry, mtime: number): Uint8Array {
  const header = new Uint8Array(512);
  const put = (text: string, offset: number, length: number) => {
    const bytes = encoder.encode(text);
    if (bytes.length > length) throw new Error(`The name ${entry.name} is too long for a tar`);
    header.set(bytes, offset);
  };
  put(entry.name, 0, 100);
  put(octal(entry.mode, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(entry.bytes.length, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  put("        ", 148, 8); // the checksum counts itself as spaces
  put("0", 156, 1); // a regular file
  put("ustar\0" + "00", 257, 8);
  put("root", 265, 32);
  put("root", 297, 32);
  const sum = header.reduce((total, byte) => total + byte, 0);
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return header;
}

/**
 * A gzipped tar of `entries`, in their order.
 *
 * @example
 * ```ts
 * import { readArchive, writeTarGz } from "./mod.ts";
 *
 * const bytes = new TextEncoder().encode("#!/bin/sh\n");
 * const tgz = await writeTarGz([{ name: "manage", mode: 0o755, bytes }], { mtime: 0 });
 * const [entry] = await readArchive("x.tar.gz", tgz);
 * console.assert(entry.name === "manage" && entry.mode === 0o755);
 * ```
 */
export async function writeTarGz(
  entries: readonly ArchiveEntry[],
  options: WriteOptions,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    parts.push(tarHeader(entry, options.mtime), entry.bytes);
    parts.push(new Uint8Array((512 - (entry.bytes.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024)); // two empty blocks end the archive
  return await transform(concat(parts), new CompressionStream("gzip"));
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 a zip records of each file. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** MS-DOS time and date, as zip keeps them (local time, from 1980, to two seconds). */
function dosTime(mtime: number): { time: number; date: number } {
  const d = new Date(Math.max(mtime, 315532800) * 1000); // not before 1980-01-01
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/**
 * A zip of `entries`, deflated, in their order.
 *
 * @example
 * ```ts
 * import { readArchive, writeZip } from "./mod.ts";
 *
 * const bytes = new TextEncoder().encode("MZ");
 * const zip = await writeZip([{ name: "manage.exe", mode: 0o755, bytes }], { mtime: 0 });
 * const [entry] = await readArchive("x.zip", zip);
 * console.assert(entry.name === "manage.exe" && entry.bytes.length === 2);
 * ```
 */
export async function writeZip(
  entries: readonly ArchiveEntry[],
  options: WriteOptions,
): Promise<Uint8Array> {
  const { time, date } = dosTime(options.mtime);
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const data = await transform(entry.bytes, new CompressionStream("deflate-raw"));
    const crc = crc32(entry.bytes);
    const local = new Uint8Array(30 + name.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true); // version needed: 2.0 (deflate)
    l.setUint16(6, 0x0800, true); // the name is UTF-8
    l.setUint16(8, 8, true); // deflated
    l.setUint16(10, time, true);
    l.setUint16(12, date, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, data.length, true);
    l.setUint32(22, entry.bytes.length, true);
    l.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const c = new DataView(central.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, (3 << 8) | 20, true); // made by Unix, so the mode below is read
    c.setUint16(6, 20, true);
    c.setUint16(8, 0x0800, true);
    c.setUint16(10, 8, true);
    c.setUint16(12, time, true);
    c.setUint16(14, date, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, data.length, true);
    c.setUint32(24, entry.bytes.length, true);
    c.setUint16(28, name.length, true);
    c.setUint32(38, ((0o100000 | entry.mode) << 16) >>> 0, true); // a regular file, its mode
    c.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, data);
    centrals.push(central);
    offset += local.length + data.length;
  }
  const directory = concat(centrals);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, entries.length, true);
  e.setUint16(10, entries.length, true);
  e.setUint32(12, directory.length, true);
  e.setUint32(16, offset, true);
  return concat([...locals, directory, end]);
}

/** Thrown for bytes that are not an archive this module can read. */
export class ArchiveError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ArchiveError";
  }
}

function field(block: Uint8Array, offset: number, length: number): string {
  const bytes = block.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function readTar(tar: Uint8Array): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [];
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    const mode = parseInt(field(header, 100, 8).trim() || "0", 8);
    const prefix = field(header, 345, 155);
    const name = (prefix ? `${prefix}/` : "") + field(header, 0, 100);
    const type = String.fromCharCode(header[156]);
    if (Number.isNaN(size) || at + 512 + size > tar.length) {
      throw new ArchiveError("The archive is truncated or is not a tar");
    }
    if (type === "0" || type === "\0") {
      entries.push({ name, mode: mode & 0o7777, bytes: tar.slice(at + 512, at + 512 + size) });
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

async function readZip(zip: Uint8Array): Promise<ArchiveEntry[]> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ArchiveError("The archive is not a zip");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries: ArchiveEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || view.getUint32(at, true) !== 0x02014b50) {
      throw new ArchiveError("The zip's directory is damaged");
    }
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const mode = (view.getUint32(at + 38, true) >>> 16) & 0o7777;
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(zip.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
    if (name.endsWith("/")) continue;
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = zip.subarray(start, start + compressed);
    let bytes: Uint8Array;
    if (method === 0) bytes = raw.slice();
    else if (method === 8) {
      try {
        bytes = await transform(raw, new DecompressionStream("deflate-raw"));
      } catch {
        throw new ArchiveError(`${name} in the zip is damaged`);
      }
    } else throw new ArchiveError(`${name} in the zip is compressed in a way this cannot read`);
    if (crc32(bytes) !== crc) throw new ArchiveError(`${name} in the zip is damaged`);
    entries.push({ name, mode: mode || 0o755, bytes });
  }
  return entries;
}

/**
 * The files in an archive: a `.zip` by its name, otherwise a gzipped tar. Throws
 * {@linkcode ArchiveError} when the bytes are not one.
 */
export async function readArchive(name: string, bytes: Uint8Array): Promise<ArchiveEntry[]> {
  if (name.endsWith(".zip")) return await readZip(bytes);
  let tar: Uint8Array;
  try {
    tar = await transform(bytes, new DecompressionStream("gzip"));
  } catch {
    throw new ArchiveError(`${name} is not a gzipped tar`);
  }
  return readTar(tar);
}
