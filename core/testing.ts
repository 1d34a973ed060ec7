/**
 * Testing commands, as Django's `TestCase` does: {@linkcode testCase} gives a test a
 * `callCommand` bound to the project's registry and the test database, with stdout and stderr
 * captured, fixtures loaded by name, and one transaction around the whole test that is rolled
 * back when it ends, so every test starts from the migrated, empty database.
 *
 * `manage test` makes the test database (migrated once per run), names it in
 * {@linkcode TEST_DATABASE_ENV} and runs `deno test`. The database is opened on first use: a test
 * whose commands never query it runs under a plain `deno test` too.
 *
 * It imports nothing outside `core/`: the project's registry is read from
 * `commands/_registry.ts` of the project folder when the test does not pass one, and the
 * database is opened through the provider that registry names.
 *
 * @example A command that queries the database, tested
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { testCase } from "../../../mod.ts";
 *
 * Deno.test("count_posts counts the fixture's posts", async () => {
 *   await using t = await testCase({ fixtures: ["posts"] });
 *   const { stdout } = await t.callCommand("count_posts");
 *   assert.equal(stdout, "2 posts\n");
 * });
 * ```
 *
 * @module
 */

import { runIn } from "./call_command.ts";
import type { CallOptions, Command } from "./command.ts";
import type { CommandClass } from "./command_class.ts";
import { type Database, type LazyDatabase, lazyDatabase, type Queryable } from "./database.ts";
import { CommandError } from "./errors.ts";
import type { RunEnvironment } from "./execute.ts";
import { captureOutput } from "./output.ts";
import { projectFolder } from "./project.ts";
import { openRegistryDatabase, type Registry } from "./registry.ts";

/** The environment variable through which `manage test` names the test database. */
export const TEST_DATABASE_ENV = "MANAGE_TEST_DATABASE_URL";

/** Options of {@linkcode testCase}. */
export interface TestCaseOptions {
  /** Fixtures to load before the test, by name, as `manage loaddata` finds them. */
  fixtures?: readonly string[];
  /** The registry names resolve in; the project's `commands/_registry.ts` when left out. */
  registry?: Registry;
  /** The environment commands see; the process's when left out. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The working directory commands see; the process's when left out. */
  cwd?: string;
}

/** What a command run by {@linkcode TestCase.callCommand} wrote, and what it returned. */
export interface CommandOutput<R = unknown> {
  /** Everything it wrote to stdout. */
  readonly stdout: string;
  /** Everything it wrote to stderr. */
  readonly stderr: string;
  /** What its `handle` returned. */
  readonly result: R;
}

/** One test's view of the test database; end it with `await using` or {@linkcode close}. */
export interface TestCase extends AsyncDisposable {
  /**
   * The test database, inside the test's transaction: what the test's commands write is seen
   * here, and rolled back when the test ends. Opened on first use.
   */
  readonly db: LazyDatabase;
  /**
   * Runs a command in-process (by name, or the command itself) against the test database and
   * returns its captured output. Throws what `callCommand` throws (`CommandError`, `UsageError`).
   */
  callCommand<R = unknown>(
    target: string | Command<never, R> | CommandClass,
    args?: readonly string[],
    options?: CallOptions,
  ): Promise<CommandOutput<R>>;
  /** Loads fixtures by name (as `manage loaddata`) inside the test's transaction. */
  loadFixtures(...names: string[]): Promise<void>;
  /** Rolls the test's transaction back and closes the database. */
  close(): Promise<void>;
}

/** Thrown inside the test's transaction to roll it back. */
class TestRollback extends Error {
  constructor() {
    super("The test ended: its transaction is rolled back");
  }
}

/** The process's environment, or nothing when reading it is not permitted. */
function processEnv(): Record<string, string> {
  try {
    return Deno.env.toObject();
  } catch {
    return {};
  }
}

/** The registry of the project that holds `cwd`. */
async function projectRegistry(cwd: string): Promise<Registry> {
  const root = await projectFolder(cwd);
  const url = new URL(`file://${root.replaceAll("\\", "/").replace(/^(?!\/)/, "/")}/`);
  try {
    const module = await import(new URL("commands/_registry.ts", url).href);
    return module.registry as Registry;
  } catch (error) {
    throw new CommandError(
      `Cannot load the registry of ${root}: ${error instanceof Error ? error.message : error}; ` +
        "pass { registry } to testCase",
      { cause: error },
    );
  }
}

/**
 * Runs SQL through the test's transaction, and nested transactions as savepoints: the database
 * a test's commands get as `ctx.db`. Closing it leaves the connection open (the test owns it).
 */
function inTransaction(connection: Database, tx: Queryable): Database {
  let depth = 0;
  return {
    driver: connection.driver,
    url: connection.url,
    sql: (strings, ...values) => tx.sql(strings, ...values),
    query: (text, params) => tx.query(text, params),
    exec: (text) => tx.exec(text),
    copyFrom: tx.copyFrom?.bind(tx),
    copyTo: tx.copyTo?.bind(tx),
    async transaction(fn) {
      const savepoint = `manage_test_${++depth}`;
      await tx.exec(`SAVEPOINT ${savepoint}`);
      try {
        const result = await fn(tx);
        await tx.exec(`RELEASE SAVEPOINT ${savepoint}`);
        return result;
      } catch (error) {
        await tx.exec(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        throw error;
      } finally {
        depth--;
      }
    },
    async tryAdvisoryLock(key) {
      const [row] = await tx.query<{ taken: boolean }>(
        "SELECT pg_try_advisory_lock($1) AS taken",
        [key.toString()],
      );
      return row.taken;
    },
    async advisoryUnlock(key) {
      await tx.query("SELECT pg_advisory_unlock($1)", [key.toString()]);
    },
    listen: (channel, onMessage) => connection.listen(channel, onMessage),
    async notify(channel, payload) {
      await tx.query("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    async close() {},
  };
}

/**
 * Starts a test against the test database that `manage test` made (see the module's notes):
 * loads `options.fixtures`, and gives a `callCommand` whose output is captured. Everything the
 * test writes is rolled back when it ends (`await using`, or {@linkcode TestCase.close}).
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { testCase } from "../../../mod.ts";
 *
 * Deno.test("hello greets", async () => {
 *   await using t = await testCase();
 *   const { stdout } = await t.callCommand("hello", ["World"]);
 *   assert.equal(stdout, "Hello, World!\n");
 * });
 * ```
 */
export async function testCase(options: TestCaseOptions = {}): Promise<TestCase> {
  const env = options.env ?? processEnv();
  const cwd = options.cwd ?? Deno.cwd();
  let registry = options.registry;
  const getRegistry = async () => registry ??= await projectRegistry(cwd);

  let connection: Database | undefined;
  let release: (() => void) | undefined;
  let ended: Promise<void> | undefined;
  let started = false;
  let failure: unknown;
  const begin = async (): Promise<Database> => {
    const url = env[TEST_DATABASE_ENV];
    if (!url) {
      throw new CommandError(
        `No test database: ${TEST_DATABASE_ENV} is not set; run the tests with 'manage test' ` +
          "(deno task manage test), which makes one",
      );
    }
    connection = await openRegistryDatabase(await getRegistry(), url, {
      env,
      cwd,
      notice: () => {},
      pid: Deno.pid,
      processCwd: Deno.cwd(),
    });
    const open = connection;
    const tx = await new Promise<Queryable>((resolve, reject) => {
      // A driver may wrap what is thrown in a transaction: whether the test ended says it.
      let rollingBack = false;
      ended = open.transaction(async (tx) => {
        started = true;
        resolve(tx);
        await new Promise<void>((done) => release = done);
        rollingBack = true;
        throw new TestRollback();
      }).then(() => {}, (error) => {
        if (rollingBack) return;
        // Before the test's queries began, opening fails; after, closing does.
        if (started) failure = error;
        else reject(error);
      });
    });
    return inTransaction(open, tx);
  };
  const db = lazyDatabase(begin);

  const run = async (
    target: string | Command | CommandClass,
    args: readonly string[],
    callOptions: CallOptions,
  ) => {
    const { stdout: _o, stderr: _e, signal, registry: given, env: callEnv, stdin, ...named } =
      callOptions;
    const stdout = captureOutput();
    const stderr = captureOutput();
    const environment: RunEnvironment = {
      registry: given ?? await getRegistry(),
      stdout,
      stderr,
      env: callEnv ?? env,
      signal,
      cwd,
      stdin,
      stdinIsTerminal: Boolean(named.stdinIsTerminal),
      database: () => db.connect(),
    };
    delete named.stdinIsTerminal;
    const result = await runIn(environment, target, args, named);
    return { stdout: stdout.text, stderr: stderr.text, result };
  };

  const close = async () => {
    release?.();
    release = undefined;
    try {
      await ended;
      if (failure !== undefined) throw failure;
    } finally {
      failure = undefined;
      await connection?.close();
      connection = undefined;
    }
  };

  const test: TestCase = {
    db,
    callCommand: <R>(
      target: string | Command<never, R> | CommandClass,
      args: readonly string[] = [],
      callOptions: CallOptions = {},
    ) =>
      run(target as string | Command | CommandClass, args, callOptions) as Promise<
        CommandOutput<R>
      >,
    async loadFixtures(...names) {
      if (names.length > 0) await run("loaddata", names, {});
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  try {
    await test.loadFixtures(...options.fixtures ?? []);
  } catch (error) {
    await close();
    throw error;
  }
  return test;
}
