// The embedded database's files: owner-only whatever the umask (real modes, read back with
// Deno.stat), a data directory open to others refused as PostgreSQL refuses one, what a killed
// process left cleaned up, and messages that name the operating system's refusals and the fix.
// Read-only folders are tried as a user that modes bind (see _other_user.ts).

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { seedPgliteTemplate } from "../../../../_database.ts";
import { type Project, sampleProject } from "../../../../_helpers.ts";
import { giveToUser, runAsUser } from "../../_other_user.ts";

/** Every folder and file under `root` (itself included) whose mode is not owner-only. */
async function notPrivate(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (path: string) => {
    const info = await Deno.lstat(path);
    const mode = info.mode! & 0o777;
    if (info.isDirectory ? mode !== 0o700 : info.isFile && mode !== 0o600) {
      found.push(`${mode.toString(8)} ${path.slice(root.length)}`);
    }
    if (info.isDirectory) {
      for await (const entry of Deno.readDir(path)) await visit(join(path, entry.name));
    }
  };
  await visit(root);
  return found;
}

/** Runs `fn` with the umask at 022, as most systems set it (the processes it starts inherit it). */
async function withUmask022<R>(fn: () => Promise<R>): Promise<R> {
  const before = Deno.umask(0o022);
  try {
    return await fn();
  } finally {
    Deno.umask(before);
  }
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line:\n${stderr}`);
  assert.doesNotMatch(lines[0], /traceback|deno\.json|PGlite failed/);
  return lines[0];
}

async function withProject(fn: (project: Project, root: string) => Promise<void>): Promise<void> {
  const project = await sampleProject();
  try {
    await fn(project, fileURLToPath(project.root));
  } finally {
    await project.remove();
  }
}

Deno.test("under umask 022, the template, the database and every file PGlite writes are owner-only", async () => {
  await withProject(async (project, root) => {
    await withUmask022(async () => {
      // Made from nothing: the template (initdb) too.
      const migrate = await project.run(["migrate"]);
      assert.equal(migrate.code, 0, migrate.stderr);
      const enqueue = await project.run(["enqueue", "greet_user", "Ada"]);
      assert.equal(enqueue.code, 0, enqueue.stderr);
    });
    assert.deepEqual(await notPrivate(join(root, ".manage")), []);
    assert.ok((await Deno.stat(join(root, ".manage", "db", "PG_VERSION"))).isFile);
  });
});

Deno.test("files made before are tightened, and a data directory open to others is refused", async () => {
  await withProject(async (project, root) => {
    await seedPgliteTemplate(root);
    const created = await project.run(["migrate"]);
    assert.equal(created.code, 0, created.stderr);
    // As an earlier version of manage left them.
    const loosen = new Deno.Command("chmod", { args: ["-R", "u=rwX,go=rX", ".manage"], cwd: root });
    assert.equal((await loosen.output()).code, 0);

    const refused = await project.run(["showmigrations"]);
    assert.equal(refused.code, 1);
    assert.equal(
      oneLine(refused.stderr),
      "CommandError: The data directory .manage/db has invalid permissions (0755): group and " +
        "others must have none, as PostgreSQL requires (u=rwx, 0700); run chmod 700 .manage/db",
    );

    await Deno.chmod(join(root, ".manage", "db"), 0o700);
    const shown = await project.run(["showmigrations"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(await notPrivate(join(root, ".manage")), []);
  });
});

Deno.test("a read-only data directory: one line naming what cannot be written, and the fix", async () => {
  await withProject(async (project, root) => {
    await seedPgliteTemplate(root);
    await giveToUser(project);
    const migrate = await runAsUser(project, ["migrate"]);
    assert.equal(migrate.code, 0, migrate.stderr);
    const readOnly = new Deno.Command("chmod", { args: ["-R", "a-w", ".manage/db"], cwd: root });
    assert.equal((await readOnly.output()).code, 0);
    // Even a command that only reads: PostgreSQL writes to its data directory to open it.
    const result = await runAsUser(project, ["showmigrations"]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      oneLine(result.stderr),
      /^CommandError: Cannot open the embedded database \.manage\/db: this user \(uid \d+\) cannot write .*\.manage\/db, and PostgreSQL writes to its data directory even to read; make it writable \(chmod -R u\+rwX \.manage\/db\), or run manage as its owner$/,
    );
  });
});

Deno.test("a read-only .manage: the operating system's refusal and the fix, not Deno's permissions", async () => {
  await withProject(async (project, root) => {
    await seedPgliteTemplate(root);
    await giveToUser(project);
    await Deno.chmod(join(root, ".manage"), 0o500);
    const result = await runAsUser(project, ["migrate"]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      oneLine(result.stderr),
      /^CommandError: Cannot write to \.manage: the operating system refuses this user \(uid \d+\) \(permission denied\); make it writable \(chmod u\+rwx \.manage\), or run manage as its owner$/,
    );
  });
});

Deno.test("pglite: naming a file is one line saying so, exit 1", async () => {
  await withProject(async (project, root) => {
    await Deno.writeTextFile(join(root, "afile"), "not a database\n");
    for (const [url, path] of [["pglite:afile", "afile"], ["pglite:afile/db", "afile"]]) {
      const result = await project.run(["showmigrations"], { env: { DATABASE_URL: url } });
      assert.equal(result.code, 1);
      assert.equal(
        oneLine(result.stderr),
        `CommandError: The database URL ${url} names ${path}, which is a file, not a folder: ` +
          "give pglite: a folder (new, empty, or an embedded database)",
      );
    }
  });
});

Deno.test("a process killed while it makes the first template leaves nothing the next one keeps", async () => {
  await withProject(async (project, root) => {
    const cache = join(root, ".manage", "cache");
    const leftovers = async () => {
      const names: string[] = [];
      for await (const entry of Deno.readDir(cache)) {
        if (entry.name.includes(".tmp-")) names.push(entry.name);
      }
      return names;
    };
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "-A", "cli.ts", "check_database"],
      cwd: root,
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Killed once it has begun the template (initdb takes seconds).
    for (let tries = 0;; tries++) {
      const started = await leftovers().catch(() => []);
      if (started.length > 0) break;
      assert.ok(tries < 600, "the template was never begun");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGKILL");
    await child.status;
    assert.equal((await leftovers()).length, 1, "left by the killed process");
    const next = await project.run(["check_database"]);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(await leftovers(), []);
  });
});
