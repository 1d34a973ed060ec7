// The release archives: their bytes depend on their contents alone, and the system's tar and
// Python's zipfile read them as written.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  archiveName,
  crc32,
  formatChecksums,
  parseArchiveName,
  parseChecksums,
  readArchive,
  sha256Hex,
  TARGETS,
  writeTarGz,
  writeZip,
} from "../../../commands/_release/mod.ts";
import { runProgram as run } from "../../_helpers.ts";

const MTIME = Date.UTC(2026, 0, 2, 3, 4, 6) / 1000;
const ENTRIES = [
  { name: "manage", mode: 0o755, bytes: new Uint8Array(70_000).map((_, i) => (i * 7) % 251) },
  { name: "docs/README.txt", mode: 0o644, bytes: new TextEncoder().encode("read me\n") },
];

Deno.test("the same files make the same archive bytes, and they read back as written", async () => {
  for (const write of [writeTarGz, writeZip]) {
    const one = await write(ENTRIES, { mtime: MTIME });
    const two = await write(ENTRIES.map((e) => ({ ...e, bytes: e.bytes.slice() })), {
      mtime: MTIME,
    });
    assert.deepEqual(one, two);
    assert.notDeepEqual(await write(ENTRIES, { mtime: MTIME + 2 }), one);
    const name = write === writeZip ? "a.zip" : "a.tar.gz";
    assert.deepEqual(await readArchive(name, one), ENTRIES);
  }
  // gzip's header: no modification time, no file name.
  const tgz = await writeTarGz(ENTRIES, { mtime: MTIME });
  assert.deepEqual([...tgz.subarray(0, 4)], [0x1f, 0x8b, 8, 0]);
  assert.deepEqual([...tgz.subarray(4, 8)], [0, 0, 0, 0]);
});

Deno.test("tar lists the tar.gz with root's owner, the mtime and the modes given", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(dir, "a.tar.gz"), await writeTarGz(ENTRIES, { mtime: MTIME }));
    const listed = await run("tar", ["--utc", "-tvzf", "a.tar.gz"], { cwd: dir });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trimEnd().split("\n").map((l) => l.split(/\s+/)), [
      ["-rwxr-xr-x", "root/root", "70000", "2026-01-02", "03:04", "manage"],
      ["-rw-r--r--", "root/root", "8", "2026-01-02", "03:04", "docs/README.txt"],
    ]);
    assert.equal((await run("tar", ["-xzf", "a.tar.gz"], { cwd: dir })).code, 0);
    assert.deepEqual(await Deno.readFile(join(dir, "manage")), ENTRIES[0].bytes);
    assert.equal((await Deno.stat(join(dir, "manage"))).mode! & 0o777, 0o755);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Python's zipfile reads the zip: names, modes, contents and CRCs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(dir, "a.zip"), await writeZip(ENTRIES, { mtime: MTIME }));
    const script = "import zipfile, hashlib\n" +
      "z = zipfile.ZipFile('a.zip')\n" +
      "assert z.testzip() is None\n" +
      "for i in z.infolist():\n" +
      "    print(i.filename, oct(i.external_attr >> 16), i.date_time, hashlib.sha256(z.read(i)).hexdigest())\n";
    const result = await run("python3", ["-c", script], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      `manage 0o100755 (2026, 1, 2, 3, 4, 6) ${await sha256Hex(ENTRIES[0].bytes)}\n` +
        `docs/README.txt 0o100644 (2026, 1, 2, 3, 4, 6) ${await sha256Hex(ENTRIES[1].bytes)}\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged archive is an error, not a wrong file", async () => {
  const zip = await writeZip(ENTRIES, { mtime: MTIME });
  zip[60] ^= 0xff;
  await assert.rejects(() => readArchive("a.zip", zip), /damaged/);
  await assert.rejects(
    () => readArchive("a.tar.gz", new Uint8Array([1, 2, 3])),
    /not a gzipped tar/,
  );
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("SHA256SUMS is written sorted, as sha256sum reads it, and read back", async () => {
  const hex = await sha256Hex(new TextEncoder().encode("abc"));
  assert.equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const text = formatChecksums({ "b.zip": hex, "a.tar.gz": "0".repeat(64) });
  assert.equal(text, `${"0".repeat(64)}  a.tar.gz\n${hex}  b.zip\n`);
  assert.deepEqual([...parseChecksums(`${text}garbage\n${"F".repeat(64)} *c.bin\r\n`)], [
    ["a.tar.gz", "0".repeat(64)],
    ["b.zip", hex],
    ["c.bin", "f".repeat(64)],
  ]);
});

Deno.test("archive names carry the version and the target, and read back", () => {
  for (const target of TARGETS) {
    for (const version of ["0.1.0", "1.0.0-rc.1"]) {
      const name = archiveName(version, target);
      assert.match(name, target.includes("windows") ? /\.zip$/ : /\.tar\.gz$/);
      assert.deepEqual(parseArchiveName(name), { version, target });
    }
  }
  assert.equal(parseArchiveName("SHA256SUMS"), undefined);
  assert.equal(parseArchiveName("manage-0.1.0-x86_64-unknown-linux-gnu.zip"), undefined);
});
