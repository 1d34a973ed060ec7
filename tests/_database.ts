import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "../core/database.ts";
import openDatabase from "../apps/db/database.ts";
import {
  createFromTemplate,
  ensureTemplate,
  templatePaths,
} from "../apps/db/backends/pglite/_template.ts";
import { needs, SERVER_URL } from "./_requires.ts";

// The tests' processes hold their embedded databases themselves and leave no server running:
// the tests of the background server turn it on (MANAGE_DBSERVER=on in their commands' env).
if (Deno.env.get("MANAGE_DBSERVER") === undefined) Deno.env.set("MANAGE_DBSERVER", "off");

// Shared by the database tests: a fresh database on each driver — PGlite always, and the
// server named by TEST_DATABASE_URL when it is set — each dropped when its test ends. Without a
// server, the server's step is still there, ignored and saying why (failing under CI=true).

/** The project root as a path: where the PGlite template is cached (`.manage/cache/`). */
const ROOT = new URL("../", import.meta.url);
const ROOT_DIR = fileURLToPath(ROOT);

/** A database made for one test. */
export interface TestDatabase {
  /** "pglite" or "postgres" */
  readonly kind: "pglite" | "postgres";
  /** A URL for DATABASE_URL / --database: pglite:<abs temp dir> or postgres://…/manage_test_<random> */
  readonly url: string;
  /** Opens a connection through apps/db/database.ts (the same code the commands use). */
  open(): Promise<Database>;
  /** Drops the database / removes the temp dir. */
  drop(): Promise<void>;
}

/** Where the databases are used. */
export interface TestDatabaseOptions {
  /**
   * The project whose `cli.ts` will open them (a `copyProject` copy): PGlite databases are made
   * under its `.manage/test/`, within the `manage` task's permissions. This project by default.
   */
  root?: URL;
}

const quiet = { env: {}, cwd: ROOT_DIR, notice: () => {} };

function open(url: string): Promise<Database> {
  return openDatabase(url, quiet);
}

function randomName(): string {
  return `manage_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
}

/**
 * A new embedded database copied from the project's cached template, in a folder of its own
 * under the project's `.manage/test/` (`<folder>/db`, its lock file `<folder>/db.lock`): inside
 * the project, so that it goes with a project copy and stays within the permissions of a project
 * that narrows them to its folder. PGlite allows one process at a time: close what you opened
 * before running a `manage` process on the URL.
 */
export async function pgliteTestDatabase(
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const parent = join(fileURLToPath(options.root ?? ROOT), ".manage", "test");
  await Deno.mkdir(parent, { recursive: true });
  const temp = await Deno.makeTempDir({ dir: parent, prefix: "pglite_" });
  const dir = join(temp, "db");
  await createFromTemplate(dir, ROOT_DIR);
  let dropped = false;
  return {
    kind: "pglite",
    url: `pglite:${dir}`,
    open: () => open(`pglite:${dir}`),
    async drop() {
      if (dropped) return;
      dropped = true;
      // Gone already when it was inside a project copy that has been removed.
      await Deno.remove(temp, { recursive: true }).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    },
  };
}

/** A new database on the server at `serverUrl` (dropped with `WITH (FORCE)`). */
export async function serverTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = randomName();
  const admin = await open(serverUrl);
  try {
    await admin.exec(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    kind: "postgres",
    url: url.href,
    open: () => open(url.href),
    async drop() {
      if (dropped) return;
      dropped = true;
      const admin = await open(serverUrl);
      try {
        await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.close();
      }
    },
  };
}

/** A fresh PGlite database always, plus a fresh database on the server when TEST_DATABASE_URL is set. */
export async function testDatabases(options: TestDatabaseOptions = {}): Promise<TestDatabase[]> {
  const databases = [await pgliteTestDatabase(options)];
  if (SERVER_URL) {
    try {
      databases.push(await serverTestDatabase(SERVER_URL));
    } catch (error) {
      await databases[0].drop();
      throw error;
    }
  }
  return databases;
}

/**
 * Runs `fn` as a t.step for each test database (named by kind), dropping each in finally. `fn`
 * also gets that step's context, for steps of its own. Without a server, the `postgres` step is
 * ignored (counted and saying why), or fails under CI=true.
 */
export async function forEachDatabase(
  t: Deno.TestContext,
  fn: (db: TestDatabase, step: Deno.TestContext) => Promise<void>,
  options: TestDatabaseOptions = {},
): Promise<void> {
  const databases = await testDatabases(options);
  try {
    for (const db of databases) {
      await t.step(db.kind, async (step) => {
        try {
          await fn(db, step);
        } finally {
          await db.drop();
        }
      });
    }
    if (!SERVER_URL) await t.step(needs("server", { name: "postgres", fn: () => {} }));
  } finally {
    for (const db of databases) await db.drop();
  }
}

/**
 * Puts the PGlite template into the project at `cwd` (a copy made by `copyProject`), so that
 * the embedded database it creates is a quick copy rather than a 5-second initdb.
 */
export async function seedPgliteTemplate(cwd: string): Promise<void> {
  const template = await ensureTemplate(ROOT_DIR);
  const target = templatePaths(cwd);
  await Deno.mkdir(target.root, { recursive: true });
  await createFromTemplate(target.dataDir, ROOT_DIR);
  await Deno.copyFile(template.tarball, target.tarball);
}
