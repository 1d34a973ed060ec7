// The binary users download, end to end on this machine: `deno task release` in a committed copy
// of the project (the host target, its runtime from DENORT_BIN; the other targets' runtimes
// cannot be downloaded here), then `install.sh` and `manage upgrade`'s download, verify and
// replace against a local HTTP server serving that release folder, as a release page serves it.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { registry } from "./fixtures/registry.ts";
import { readArchive, sha256Hex, upgradeExecutable } from "../commands/_release/mod.ts";
import { embeddedFiles, missingModules, TARGETS } from "../scripts/compile.ts";
import { ROOT, runCli, runProgram, type RunResult, sampleProject } from "./_helpers.ts";

const HOST = Deno.build.target;
const VERSION: string = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).version;
const ARCHIVE = `manage-${VERSION}-${HOST}.tar.gz`;
const SHELLS = ["sh", "dash", "bash"].filter((shell) =>
  ["/bin", "/usr/bin"].some((dir) => {
    try {
      return Deno.statSync(`${dir}/${shell}`).isFile;
    } catch {
      return false;
    }
  })
);

const decoder = new TextDecoder();
const run = runProgram;

const GIT_ENV = {
  GIT_AUTHOR_NAME: "Release Test",
  GIT_AUTHOR_EMAIL: "release@test.invalid",
  GIT_COMMITTER_NAME: "Release Test",
  GIT_COMMITTER_EMAIL: "release@test.invalid",
  GIT_AUTHOR_DATE: "2026-01-02T03:04:05Z",
  GIT_COMMITTER_DATE: "2026-01-02T03:04:05Z",
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await run("git", args, { cwd, env: GIT_ENV });
  assert.equal(result.code, 0, `git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * `deno task release` in `cwd`, with DENORT_BIN serving the host target, and downloads sent to a
 * proxy that refuses them: the other targets' runtimes are unavailable here as on any machine
 * that has not downloaded them before.
 */
function release(cwd: string, ...args: string[]): Promise<RunResult> {
  const refused = "http://127.0.0.1:9";
  return run(Deno.execPath(), ["task", "--quiet", "release", ...args], {
    cwd,
    env: {
      DENORT_BIN: Deno.execPath(),
      HTTPS_PROXY: refused,
      HTTP_PROXY: refused,
      NO_PROXY: "",
      NO_COLOR: "1",
      MANAGE_DOWNLOAD_URL: "",
    },
  });
}

/**
 * Serves `dist` as a release page does: `/download/v<version>/<file>` and, for the newest
 * version, `/latest/download/<file>`. `tamper` flips a byte of every archive served.
 */
function serveReleases(dist: string) {
  const state = { tamper: false, requests: [] as string[] };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    state.requests.push(path);
    const match = /^\/(?:download\/v([^/]+)|latest\/download)\/([^/]+)$/.exec(path);
    if (!match) return new Response("Not Found", { status: 404 });
    const version = match[1] ?? VERSION;
    try {
      const bytes = await Deno.readFile(join(dist, version, match[2]));
      if (state.tamper && /\.(tar\.gz|zip)$/.test(match[2])) bytes[bytes.length >> 1] ^= 0xff;
      return new Response(bytes);
    } catch {
      return new Response("Not Found", { status: 404 });
    }
  });
  const address = server.addr as Deno.NetAddr;
  return { url: `http://127.0.0.1:${address.port}`, state, server };
}

/** A folder whose `uname` says `system` and `machine`, to put first on PATH. */
async function fakeUname(dir: string, system: string, machine: string): Promise<string> {
  const bin = join(dir, `uname-${system}-${machine}`);
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(
    join(bin, "uname"),
    `#!/bin/sh\ncase "$1" in -s) echo ${system} ;; -m) echo ${machine} ;; *) echo ${system} ;; esac\n`,
    { mode: 0o755 },
  );
  return bin;
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** The SHA-256 of a file: binaries are compared by it, not byte by byte in an assertion. */
async function fileHash(path: string): Promise<string> {
  return await sha256Hex(await Deno.readFile(path));
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

Deno.test("manage upgrade under deno run says a source checkout upgrades with git", async () => {
  const result = await runCli(["upgrade", "--version", "9.9.9"]);
  assert.deepEqual(result, {
    code: 1,
    stdout: "",
    stderr: "CommandError: This is a source run (deno run cli.ts): a source checkout upgrades " +
      "with git (git pull), and manage upgrade replaces a compiled manage\n",
  });
});

Deno.test("deno task release, install.sh and manage upgrade, on this machine", async (t) => {
  // Without myapp, with the fixture app sample: the commands of tests/fixtures/registry.ts.
  await using project = await sampleProject({
    ".gitignore": await Deno.readTextFile(new URL(".gitignore", ROOT)),
    "install.sh": await Deno.readTextFile(new URL("install.sh", ROOT)),
  });
  const root = fileURLToPath(project.root).replace(/\/$/, "");
  const dist = join(root, "dist");
  const folder = join(dist, VERSION);
  const work = await Deno.makeTempDir({ prefix: "manage_release_" });
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "-m", "Release test");
  const commit = await git(root, "rev-parse", "HEAD");
  let served: ReturnType<typeof serveReleases> | undefined;
  try {
    await t.step("deno task release refuses a tree with uncommitted changes", async () => {
      const edited = join(root, "apps/sample/commands/greet_user.ts");
      const source = await Deno.readTextFile(edited);
      await Deno.writeTextFile(edited, `${source}// an edit\n`);
      await Deno.writeTextFile(join(root, "apps/sample/notes.txt"), "draft");
      const result = await release(root);
      await Deno.writeTextFile(edited, source);
      await Deno.remove(join(root, "apps/sample/notes.txt"));
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        "error: The tree has uncommitted changes (apps/sample/commands/greet_user.ts, " +
          "apps/sample/notes.txt): commit or stash them, a release is built from a commit\n",
      );
      assert.deepEqual(await listing(dist), []);
    });

    await t.step("deno task release refuses a stale registry", async () => {
      await Deno.writeTextFile(
        join(root, "apps/sample/commands/unlisted.ts"),
        'import { defineCommand } from "../../../mod.ts";\n\n' +
          'export default defineCommand({ help: "Not in the registry", handle() {} });\n',
      );
      await git(root, "add", "-A");
      await git(root, "commit", "-q", "-m", "A command the registry does not list");
      const result = await release(root);
      await git(root, "reset", "-q", "--hard", commit);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /registry is stale.*deno task registry/);
      assert.deepEqual(await listing(dist), []);
    });

    let sums = "";
    await t.step("deno task release builds the host target and says which it cannot", async () => {
      const result = await release(root);
      assert.equal(result.code, 0, result.stderr);
      for (const target of TARGETS.filter((target) => target !== HOST)) {
        assert.match(
          result.stderr,
          new RegExp(`Skipped ${target}: its Deno runtime is not available here`),
        );
      }
      assert.deepEqual(await listing(folder), ["SHA256SUMS", "install.sh", ARCHIVE]);
      sums = await Deno.readTextFile(join(folder, "SHA256SUMS"));
      assert.deepEqual(lines(sums).map((line) => line.replace(/^[0-9a-f]{64} {2}/, "")), [
        "install.sh",
        ARCHIVE,
      ]);
      const check = await run("sha256sum", ["-c", "SHA256SUMS"], { cwd: folder });
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.equal(check.stdout, `install.sh: OK\n${ARCHIVE}: OK\n`);
    });

    let executable = ""; // the SHA-256 of the archive's executable
    await t.step("the archive holds one executable with every registered module", async () => {
      const listed = await run("tar", ["--utc", "-tvzf", join(folder, ARCHIVE)]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(lines(listed.stdout).length, 1);
      assert.match(listed.stdout, /^-rwxr-xr-x root\/root +\d+ 2026-01-02 03:04 manage\n$/);
      const entries = await readArchive(ARCHIVE, await Deno.readFile(join(folder, ARCHIVE)));
      assert.deepEqual(entries.map((e) => [e.name, e.mode]), [["manage", 0o755]]);
      executable = await sha256Hex(entries[0].bytes);
      const modules = [
        ...registry.commands,
        ...registry.checks,
        ...(registry.migrations ?? []),
        ...(registry.models ?? []),
      ].map((entry) => entry.module);
      assert.ok(modules.length > 30);
      assert.deepEqual(missingModules(entries[0].bytes, modules), []);
      // The build stamp the binary's `manage version` prints.
      const files = embeddedFiles(entries[0].bytes) ?? [];
      assert.ok(files.some((file) => /^dist\/\.build\/.*\/stamp\.ts$/.test(file)), files.join());
      const text = decoder.decode(entries[0].bytes);
      assert.ok(text.includes(`"commit":"${commit}"`), "the commit is baked in");
      assert.ok(text.includes(`"target":"${HOST}"`), "the target is baked in");
      assert.ok(text.includes(`"date":"2026-01-02T03:04:05Z"`), "the commit's date is baked in");
    });

    await t.step("a second release of the same commit is byte for byte the same", async () => {
      const again = await release(root);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await Deno.readTextFile(join(folder, "SHA256SUMS")), sums);
    });

    served = serveReleases(dist);
    const { url, state } = served;
    const env = (extra: Record<string, string> = {}) => ({
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: join(work, "home"),
      MANAGE_DOWNLOAD_URL: url,
      ...extra,
    });
    const install = (shell: string, args: string[], extra: Record<string, string> = {}) =>
      run(shell, [join(root, "install.sh"), ...args], { env: env(extra), clearEnv: true });

    for (const shell of SHELLS) {
      await t.step(
        `install.sh (${shell}) installs the host's archive into a folder given`,
        async () => {
          const bin = join(work, `bin-${shell}`);
          const result = await install(shell, [bin]);
          assert.equal(result.stderr, "");
          assert.equal(result.code, 0);
          assert.equal(
            result.stdout,
            `Installed manage ${VERSION} (${HOST}) in ${bin}/manage, checksum verified\n` +
              `${bin} is not on your PATH: add it, or run ${bin}/manage\n`,
          );
          assert.deepEqual(await listing(bin), ["manage"]);
          assert.equal((await Deno.stat(join(bin, "manage"))).mode! & 0o777, 0o755);
          assert.deepEqual(await fileHash(join(bin, "manage")), executable);
        },
      );
    }

    await t.step("install.sh installs into ~/.local/bin by default", async () => {
      const result = await install("sh", [], {
        PATH: `${join(work, "home/.local/bin")}:/usr/bin:/bin`,
      });
      assert.equal(result.code, 0, result.stderr);
      const path = join(work, "home/.local/bin/manage");
      assert.equal(
        result.stdout,
        `Installed manage ${VERSION} (${HOST}) in ${path}, checksum verified\n`,
      );
      assert.equal(await fileHash(path), executable);
    });

    await t.step("install.sh refuses a tampered archive: nothing installed, one line", async () => {
      state.tamper = true;
      const bin = join(work, "tampered");
      const result = await install("sh", [bin]);
      state.tamper = false;
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.equal(lines(result.stderr).length, 1);
      assert.match(
        result.stderr,
        new RegExp(`^install\\.sh: the checksum of ${ARCHIVE} does not match SHA256SUMS`),
      );
      assert.deepEqual(await listing(bin), []);
    });

    await t.step("install.sh on a platform the release has no archive for", async () => {
      const path = `${await fakeUname(work, "Darwin", "arm64")}:/usr/bin:/bin`;
      const bin = join(work, "darwin");
      const result = await install("sh", [bin], { PATH: path });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `install.sh: no manage archive for aarch64-apple-darwin in ${url}/latest/download/SHA256SUMS\n`,
      );
      assert.deepEqual(await listing(bin), []);
    });

    await t.step("install.sh on an unsupported platform", async () => {
      const path = `${await fakeUname(work, "SunOS", "sparc64")}:/usr/bin:/bin`;
      const bin = join(work, "sunos");
      const result = await install("sh", [bin], { PATH: path });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        "install.sh: unsupported platform SunOS sparc64: manage is built for Linux and macOS " +
          "(x86_64, arm64); on Windows, download the .zip\n",
      );
      assert.deepEqual(await listing(bin), []);
    });

    await t.step("install.sh after a failed download: nothing installed, one line", async () => {
      const bin = join(work, "missing");
      const result = await install("sh", ["--version", "9.9.9", bin]);
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `install.sh: could not download ${url}/download/v9.9.9/SHA256SUMS\n`,
      );
      assert.deepEqual(await listing(bin), []);
    });

    const old = new TextEncoder().encode("#!/bin/sh\necho old manage\n");
    const placed = async (name: string) => {
      const dir = join(work, name);
      await Deno.mkdir(dir);
      const path = join(dir, "manage");
      await Deno.writeFile(path, old, { mode: 0o755 });
      return { dir, path };
    };
    const lines_: string[] = [];
    const options = (path: string) => ({
      base: url,
      current: "0.0.1",
      target: HOST,
      executable: path,
      log: (line: string) => void lines_.push(line),
    });

    await t.step("upgrade --check reports the newest release and changes nothing", async () => {
      const { dir, path } = await placed("check");
      const result = await upgradeExecutable({ ...options(path), check: true });
      assert.deepEqual(result, { status: "available", from: "0.0.1", to: VERSION });
      assert.deepEqual(await Deno.readFile(path), old);
      assert.deepEqual(await listing(dir), ["manage"]);
    });

    await t.step("upgrade replaces the executable with the newest release's", async () => {
      const { dir, path } = await placed("upgrade");
      lines_.length = 0;
      const result = await upgradeExecutable(options(path));
      assert.deepEqual(result, { status: "upgraded", from: "0.0.1", to: VERSION });
      assert.equal(await fileHash(path), executable);
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o755);
      assert.deepEqual(await listing(dir), ["manage"]);
      assert.equal(lines_.at(-1), `Upgraded manage from 0.0.1 to ${VERSION}: ${path}`);
    });

    await t.step("upgrade has nothing to do on the newest release", async () => {
      const { path } = await placed("newest");
      const result = await upgradeExecutable({ ...options(path), current: VERSION });
      assert.deepEqual(result, { status: "current", from: VERSION, to: VERSION });
      assert.deepEqual(await Deno.readFile(path), old);
    });

    await t.step("upgrade refuses a tampered archive and keeps the old executable", async () => {
      const { dir, path } = await placed("tampered-upgrade");
      state.tamper = true;
      const error = await upgradeExecutable(options(path)).catch((e) => e);
      state.tamper = false;
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        new RegExp(
          `^The checksum of ${ARCHIVE} does not match SHA256SUMS .*: nothing was changed$`,
        ),
      );
      assert.deepEqual(await Deno.readFile(path), old);
      assert.deepEqual(await listing(dir), ["manage"]);
    });

    await t.step("upgrade on a platform the release has no archive for", async () => {
      const { path } = await placed("no-platform");
      const error = await upgradeExecutable({ ...options(path), target: "aarch64-apple-darwin" })
        .catch((e) => e);
      assert.ok(error instanceof Error);
      assert.equal(
        error.message,
        `No manage archive for aarch64-apple-darwin in ${url}/latest/download/SHA256SUMS: ` +
          "nothing was changed",
      );
      assert.deepEqual(await Deno.readFile(path), old);
    });

    await t.step("upgrade --version to a release that is not there", async () => {
      const { path } = await placed("no-version");
      const error = await upgradeExecutable({ ...options(path), version: "9.9.9" })
        .catch((e) => e);
      assert.ok(error instanceof Error);
      assert.equal(
        error.message,
        `Cannot download ${url}/download/v9.9.9/SHA256SUMS: 404 Not Found: nothing was changed`,
      );
      assert.deepEqual(await Deno.readFile(path), old);
    });
    assert.ok(state.requests.includes(`/latest/download/${ARCHIVE}`));
  } finally {
    await served?.server.shutdown();
    await Deno.remove(work, { recursive: true });
  }
});
