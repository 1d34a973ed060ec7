// Files replaced whole or not at all: the old file stays until the new one is complete, keeps its
// mode, and no temporary file outlives its writer (a killed one's is removed by the next write).

import assert from "node:assert/strict";
import { AtomicFile, writeFileAtomic } from "../../core/atomic_file.ts";

/** The names in `dir`, sorted. */
async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir), (entry) => entry.name)).sort();
}

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "manage_atomic_" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o7777;

Deno.test("writeFileAtomic replaces a file whole and keeps its mode", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/backup.json`;
  await Deno.writeTextFile(path, "old");
  await Deno.chmod(path, 0o640);
  await writeFileAtomic(path, "new and longer");
  assert.equal(await Deno.readTextFile(path), "new and longer");
  assert.equal(await mode(path), 0o640);
  assert.deepEqual(await names(dir.path), ["backup.json"]);

  // A new file: the mode asked for, or what the umask leaves of 0o666, as a plain write gets.
  await writeFileAtomic(`${dir.path}/private`, "x", { mode: 0o600 });
  assert.equal(await mode(`${dir.path}/private`), 0o600);
  await Deno.writeTextFile(`${dir.path}/plain`, "x");
  await writeFileAtomic(`${dir.path}/atomic`, "x");
  assert.equal(await mode(`${dir.path}/atomic`), await mode(`${dir.path}/plain`));
});

Deno.test("a write that fails or is abandoned leaves the old file and nothing else", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/backup.json`;
  await Deno.writeTextFile(path, "old");
  await assert.rejects(async () => {
    await using file = await AtomicFile.open(path);
    await file.write(new TextEncoder().encode("half of"));
    assert.deepEqual((await names(dir.path)).length, 2);
    throw new Error("The database went away");
  }, /The database went away/);
  assert.equal(await Deno.readTextFile(path), "old");
  assert.deepEqual(await names(dir.path), ["backup.json"]);

  const file = await AtomicFile.open(path);
  file.writeSync(new TextEncoder().encode("half of"));
  await file.abort();
  await file.abort();
  assert.throws(() => file.writeSync(new Uint8Array(1)), /was already aborted/);
  assert.equal(await Deno.readTextFile(path), "old");
  assert.deepEqual(await names(dir.path), ["backup.json"]);

  // A folder that is not there: the error names the file asked for.
  await assert.rejects(
    () => writeFileAtomic(`${dir.path}/missing/backup.json`, "x"),
    (error: Error) =>
      error instanceof Deno.errors.NotFound && error.message.includes("missing/backup.json") &&
      !error.message.includes(".tmp"),
  );
});

Deno.test("createNew: an existing file is refused, and of two writers the second fails", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/0002_add.ts`;
  const first = await AtomicFile.open(path, { createNew: true });
  const second = await AtomicFile.open(path, { createNew: true });
  await first.write(new TextEncoder().encode("first"));
  await second.write(new TextEncoder().encode("second"));
  await first.commit();
  await assert.rejects(() => second.commit(), Deno.errors.AlreadyExists);
  assert.equal(await Deno.readTextFile(path), "first");
  await assert.rejects(
    () => writeFileAtomic(path, "third", { createNew: true }),
    Deno.errors.AlreadyExists,
  );
  assert.equal(await Deno.readTextFile(path), "first");
  assert.deepEqual(await names(dir.path), ["0002_add.ts"]);
});

Deno.test("a symbolic link is followed: the file it points at is replaced", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/backups`);
  await Deno.writeTextFile(`${dir.path}/backups/today.json`, "old");
  await Deno.symlink("backups/today.json", `${dir.path}/latest.json`);
  await writeFileAtomic(`${dir.path}/latest.json`, "new");
  assert.ok((await Deno.lstat(`${dir.path}/latest.json`)).isSymlink);
  assert.equal(await Deno.readTextFile(`${dir.path}/backups/today.json`), "new");
  assert.deepEqual(await names(`${dir.path}/backups`), ["today.json"]);
});

Deno.test("a device is written as it is, and a folder is refused", async () => {
  await writeFileAtomic("/dev/null", "nothing");
  assert.ok((await Deno.stat("/dev/null")).isCharDevice);
  await using dir = await tempDir();
  await assert.rejects(() => writeFileAtomic(dir.path, "x"), Deno.errors.IsADirectory);
  assert.deepEqual(await names(dir.path), []);
});

// A writer in a process of its own, which stops halfway (it says so, then waits to be killed).
const WRITER = `
import { AtomicFile } from ${
  JSON.stringify(new URL("../../core/atomic_file.ts", import.meta.url).href)
};
const file = await AtomicFile.open(Deno.args[0]);
await file.write(new TextEncoder().encode("half of a backup"));
console.log("ready");
await new Promise(() => setInterval(() => {}, 1000));
`;

/** Starts a writer of `path` in a process of its own, once it has written half its data. */
async function startWriter(script: string, path: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", script, path],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.equal((await lines.read()).value, "ready\n");
  await lines.cancel();
  return child;
}

Deno.test("killed writers' temporary files are removed by the next write; live ones' stay", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/backup.json`;
  await Deno.writeTextFile(path, "old");
  const script = `${dir.path}/writer.ts`;
  await Deno.writeTextFile(script, WRITER);
  const writers = [await startWriter(script, path), await startWriter(script, path)];
  const temps = [".backup.json.tmp", ".backup.json.tmp-2"];
  assert.deepEqual(await names(dir.path), [...temps, "backup.json", "writer.ts"]);

  // While they live, another writer leaves their files alone.
  await writeFileAtomic(path, "another");
  assert.equal(await Deno.readTextFile(path), "another");
  assert.deepEqual(await names(dir.path), [...temps, "backup.json", "writer.ts"]);

  for (const writer of writers) {
    writer.kill("SIGKILL");
    assert.equal((await writer.status).signal, "SIGKILL");
  }
  assert.equal(await Deno.readTextFile(path), "another");
  await writeFileAtomic(path, "the next");
  assert.deepEqual(await names(dir.path), ["backup.json", "writer.ts"]);
  assert.equal(await Deno.readTextFile(path), "the next");
});
