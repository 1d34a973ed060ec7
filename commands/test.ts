import { defineCommand } from "../core/command.ts";
import type { Database } from "../core/database.ts";
import { CommandError } from "../core/errors.ts";
import { projectFolder } from "../core/project.ts";
import { type MigrationEntry, openRegistryDatabase } from "../core/registry.ts";
import { denoExecutable, exists } from "../core/scaffold.ts";
import { TEST_DATABASE_ENV } from "../core/testing.ts";

/** What `deno test` may do: the same as `deno task manage`. */
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
  "--allow-sys",
];

/** Where the tests are when none are named: the apps' and the project's. */
const DEFAULT_PATHS = ["apps", "tests"];

/** The folder of the embedded test database (`db/`, its lock and socket), in the project folder. */
const EMBEDDED_TEST_FOLDER = ".manage/test_database";

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function absolute(path: string, cwd: string): string {
  return /^([a-zA-Z]:)?[\\/]/.test(path) ? path : `${cwd}/${path}`;
}

/** A test database: where it is, and how it goes. */
interface TestDatabase {
  /** Its URL, for `--database` and the tests. */
  readonly url: string;
  /** What to call it in messages. */
  readonly label: string;
  /** Removes it. */
  destroy(): Promise<void>;
  /** Closes what was opened to make it. */
  close(): Promise<void>;
  /** Makes it migrated, calling `migrate` when that is needed; `migrate()` when left out. */
  prepare?(migrate: () => Promise<unknown>): Promise<void>;
}

export default defineCommand({
  help: "Runs the tests against a test database made for the run\n\n" +
    "On a server (--database or DATABASE_URL naming postgres://…/<name>) the test database is " +
    "test_<name>; the embedded one is .manage/test_database/db. The tests get its URL in " +
    `${TEST_DATABASE_ENV} (and DATABASE_URL), which testCase() from mod.ts reads. It is ` +
    "dropped when the run ends, passed, failed or interrupted, unless --keepdb.",
  // It runs the project's code in new processes, as the person at the terminal.
  runFrom: ["cli"],
  requiresDatabase: true,
  epilog: "Exits 1 when a test fails. Run it from the project (the folder of deno.json or below).",
  arguments: {
    paths: {
      nargs: "*",
      metavar: "path",
      help: "test files or folders (default: apps/ and tests/)",
    },
  },
  options: {
    keepdb: {
      type: "boolean",
      help: "keep the test database after the run, and reuse it (migrated further) next time",
    },
    parallel: { type: "integer", metavar: "N", help: "run the test files in N workers" },
    failfast: { type: "boolean", help: "stop at the first failing test" },
    pattern: {
      short: "k",
      help: "run only the tests whose names contain this text (or match /regex/)",
    },
  },
  async handle(ctx) {
    const { options, registry, stderr, verbosity, signal } = ctx;
    // This run holds the embedded test database and serves it to the tests itself: no background
    // server outlives the run, and the folder it removes is no one else's.
    const env: Readonly<Record<string, string | undefined>> = {
      ...ctx.env,
      MANAGE_DBSERVER: "off",
    };
    const root = await projectFolder(ctx.cwd);
    if (!(await exists(`${root}/deno.json`))) {
      throw new CommandError(
        `No deno.json in ${ctx.cwd} or a folder above it: run test in the project`,
      );
    }
    const paths = options.paths.length > 0
      ? options.paths.map((path) => absolute(path, ctx.cwd))
      : (await Promise.all(
        DEFAULT_PATHS.map(async (path) => (await exists(`${root}/${path}`)) ? [path] : []),
      )).flat();
    const notice = (line: string) => verbosity >= 1 && stderr.write(line, { style: (t) => t });
    const open = (url: string) =>
      openRegistryDatabase(registry, url, { env, cwd: root, notice: () => {} });

    const base = options.database ?? env.DATABASE_URL;
    const database = base && /^postgres(ql)?:\/\//i.test(base.trim())
      ? await serverTestDatabase(base.trim(), options.keepdb, open, notice)
      : await embeddedTestDatabase(root, options.keepdb, registry.migrations ?? []);
    let holder: Database | undefined;
    try {
      notice(`${options.keepdb ? "Using" : "Creating"} test database ${database.label}...`);
      const migrate = () =>
        ctx.callCommand("migrate", [
          "--database",
          database.url,
          "--noinput",
          "--verbosity",
          String(Math.max(0, verbosity - 1)),
        ], { env });
      if (database.prepare) await database.prepare(migrate);
      else await migrate();
      // The embedded database serves the test processes from here: each test connects to it
      // through this process rather than opening the files itself.
      if (database.url.startsWith("pglite:")) holder = await open(database.url);
      const args = ["test", ...PERMISSIONS];
      if (options.parallel !== undefined) args.push("--parallel");
      if (options.failfast) args.push("--fail-fast");
      if (options.pattern !== undefined) args.push("--filter", options.pattern);
      args.push(...paths);
      const child = new Deno.Command(denoExecutable(), {
        args,
        cwd: root,
        env: {
          ...Object.fromEntries(
            Object.entries(env).filter((entry): entry is [string, string] =>
              entry[1] !== undefined
            ),
          ),
          [TEST_DATABASE_ENV]: database.url,
          // The manage processes a test starts get the test database too, never the project's own.
          DATABASE_URL: database.url,
          ...(options.parallel !== undefined ? { DENO_JOBS: String(options.parallel) } : {}),
        },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal,
      }).spawn();
      const forward = (stream: ReadableStream<Uint8Array>, out: typeof ctx.stdout) =>
        stream.pipeThrough(new TextDecoderStream()).pipeTo(
          new WritableStream({ write: (text) => out.write(text, { ending: "", style: (t) => t }) }),
        );
      const [status] = await Promise.all([
        child.status,
        forward(child.stdout, ctx.stdout),
        forward(child.stderr, ctx.stderr),
      ]);
      if (signal.aborted) return;
      if (!status.success) {
        throw new CommandError(`The tests failed (deno test exited with code ${status.code})`);
      }
    } finally {
      try {
        await holder?.close();
      } finally {
        try {
          if (!options.keepdb) {
            notice(`Destroying test database ${database.label}...`);
            await database.destroy();
          }
        } finally {
          await database.close();
        }
      }
    }
  },
});

/** `test_<name>` on the server `base` names: made (or reused with `keepdb`), dropped after. */
async function serverTestDatabase(
  base: string,
  keepdb: boolean,
  open: (url: string) => Promise<Database>,
  notice: (line: string) => void,
): Promise<TestDatabase> {
  const url = new URL(base);
  const name = decodeURIComponent(url.pathname.replace(/^\//, "")) || url.username || "postgres";
  const testName = `test_${name}`;
  url.pathname = `/${encodeURIComponent(testName)}`;
  const admin = await open(base);
  try {
    const [found] = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [testName]);
    if (found && !keepdb) {
      notice(`Deleting the test database ${testName} an earlier run left...`);
      await admin.exec(`DROP DATABASE ${quoteIdent(testName)} WITH (FORCE)`);
    }
    if (!found || !keepdb) await admin.exec(`CREATE DATABASE ${quoteIdent(testName)}`);
  } catch (error) {
    await admin.close();
    throw new CommandError(
      `Cannot create the test database ${testName}: ${
        error instanceof Error ? error.message : error
      }`,
      { cause: error },
    );
  }
  return {
    url: url.href,
    label: testName,
    destroy: () => admin.exec(`DROP DATABASE IF EXISTS ${quoteIdent(testName)} WITH (FORCE)`),
    close: () => admin.close(),
  };
}

/**
 * The embedded test database in `.manage/test_database/db`: new each run unless `keepdb`, and
 * then a copy of a migrated template kept in `.manage/cache/` for the project's migrations as they
 * are (a fingerprint of their files names it), so that a run migrates only when a migration
 * changed.
 */
async function embeddedTestDatabase(
  root: string,
  keepdb: boolean,
  migrations: readonly MigrationEntry[],
): Promise<TestDatabase> {
  const folder = `${root}/${EMBEDDED_TEST_FOLDER}`;
  const dir = `${folder}/db`;
  const remove = () =>
    Deno.remove(folder, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  if (!keepdb) await remove();
  const cache = `${root}/.manage/cache`;
  const template = `${cache}/${TEMPLATE_PREFIX}${await fingerprint(root, migrations)}`;
  return {
    url: `pglite:${dir}`,
    label: `${EMBEDDED_TEST_FOLDER}/db`,
    destroy: remove,
    close: async () => {},
    async prepare(migrate) {
      if (await exists(dir)) return void await migrate();
      if (await exists(`${template}/${COMPLETE}`)) {
        await copyTree(`${template}/db`, dir);
        return;
      }
      await migrate();
      // The database is closed now (migrate's connection ended): copy it as the template.
      const temp = `${template}.tmp-${crypto.randomUUID().slice(0, 8)}`;
      try {
        await copyTree(dir, `${temp}/db`);
        await Deno.writeTextFile(`${temp}/${COMPLETE}`, "");
        await removeTemplates(cache);
        await Deno.rename(temp, template);
      } catch {
        // Another run made it first, or the cache cannot be written: the next run migrates.
      } finally {
        await Deno.remove(temp, { recursive: true }).catch(() => {});
      }
    },
  };
}

/** The prefix of the migrated templates' folders in `.manage/cache/`. */
const TEMPLATE_PREFIX = "test-template-";
/** The file that marks a template as complete. */
const COMPLETE = "complete";

/** A fingerprint of the migrations: their names and the bytes of their files. */
async function fingerprint(root: string, migrations: readonly MigrationEntry[]): Promise<string> {
  const parts: string[] = [];
  for (const migration of migrations) {
    let text = "";
    try {
      text = await Deno.readTextFile(`${root}/${migration.module}`);
    } catch {
      // A compiled registry without its sources: the names alone.
    }
    parts.push(`${migration.app}\0${migration.name}\0${text}`);
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(parts.join("\0\0")),
  );
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** Removes the templates made for migrations as they were before. */
async function removeTemplates(cache: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(cache)) {
      if (entry.name.startsWith(TEMPLATE_PREFIX) && !entry.name.includes(".tmp-")) {
        await Deno.remove(`${cache}/${entry.name}`, { recursive: true }).catch(() => {});
      }
    }
  } catch {
    // No cache yet.
  }
}

/** Copies a tree; folders are owner-only, as the embedded database's are. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true, mode: 0o700 });
  const copies: Promise<void>[] = [];
  for await (const entry of Deno.readDir(from)) {
    const source = `${from}/${entry.name}`;
    const target = `${to}/${entry.name}`;
    copies.push(entry.isDirectory ? copyTree(source, target) : Deno.copyFile(source, target));
  }
  await Promise.all(copies);
}
