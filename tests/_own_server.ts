import { join } from "node:path";

// Shared by the fault tests: a PostgreSQL 15 server of the test's own, on a free port, that a
// test may crash (`pg_ctl stop -m immediate`) and start again, never touching the shared one.
// As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).

/** Where the PostgreSQL 15 binaries are. */
export const PG_BIN = "/usr/lib/postgresql/15/bin";

/** Whether a server of the test's own can be started here (else the tests say why they skip). */
export const OWN_SERVER_AVAILABLE: boolean = (() => {
  try {
    return Deno.statSync(join(PG_BIN, "pg_ctl")).isFile;
  } catch {
    return false;
  }
})();

/** A server of the test's own. */
export interface OwnServer extends AsyncDisposable {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** Its port. */
  readonly port: number;
  /** Kills it as a power cut would: `pg_ctl stop -m immediate` (no checkpoint, clients cut). */
  crash(): Promise<void>;
  /** Starts it again (crash recovery runs first); resolves once it accepts connections. */
  start(): Promise<void>;
  /** Connections to `database` other than the asking one, counted in `pg_stat_activity`. */
  connections(database: string): Promise<number>;
  /** Runs SQL through `psql` (no driver of ours: it works whatever state they are in). */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops it and deletes its files. */
  remove(): Promise<void>;
}

/** Servers still running: stopped when the test process ends, even by an uncaught error. */
const running = new Map<string, () => void>();
globalThis.addEventListener("unload", () => {
  for (const stop of running.values()) stop();
});

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (Deno.uid() !== 0) return undefined;
  const id = (flag: string) =>
    new Deno.Command("id", { args: [flag, "postgres"], stdout: "piped", stderr: "null" }).output()
      .then((out) => Number(new TextDecoder().decode(out.stdout).trim()));
  return { uid: await id("-u"), gid: await id("-g") };
}

/**
 * Makes a cluster in a temporary folder (initdb, trust, fsync off) and starts it on a free port.
 * Remove it with `await using` or {@linkcode OwnServer.remove}.
 */
export async function startOwnServer(): Promise<OwnServer> {
  const dir = await Deno.makeTempDir({ prefix: "manage_pg_" });
  const data = join(dir, "data");
  const owner = await postgresUser();
  if (owner) await Deno.chown(dir, owner.uid, owner.gid);
  const command = (program: string, args: string[]) => {
    const [name, words] = owner
      ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--clear-groups", program, ...args]]
      : [program, args];
    return new Deno.Command(name, {
      args: words,
      cwd: dir,
      env: { LC_ALL: "C", PGTZ: "UTC" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
  };
  const run = async (program: string, args: string[]): Promise<string> => {
    const out = await command(program, args).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) {
      throw new Error(
        `${program} ${args.join(" ")} failed:\n${text}${new TextDecoder().decode(out.stderr)}`,
      );
    }
    return text;
  };
  running.set(dir, () => {
    command(join(PG_BIN, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]).outputSync();
    Deno.removeSync(dir, { recursive: true });
  });
  await run(join(PG_BIN, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "-A",
    "trust",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const port = freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
    "-c max_connections=200";
  const pgCtl = (...args: string[]) => run(join(PG_BIN, "pg_ctl"), ["-D", data, ...args]);
  const start = async () => {
    await pgCtl("-w", "-t", "60", "-l", join(dir, "log"), "-o", options, "start");
  };
  await start();
  const psql = (sql: string, database = "postgres") =>
    run(join(PG_BIN, "psql"), [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "postgres",
      "-d",
      database,
      "-X",
      "-A",
      "-t",
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      sql,
    ]);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    running.delete(dir);
    await pgCtl("-m", "immediate", "stop").catch(() => {});
    await Deno.remove(dir, { recursive: true });
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    crash: () => pgCtl("-m", "immediate", "stop").then(() => {}),
    start,
    async connections(database) {
      const text = await psql(
        `SELECT count(*) FROM pg_stat_activity WHERE datname = '${database}' ` +
          "AND pid <> pg_backend_pid()",
      );
      return Number(text.trim());
    },
    psql,
    remove,
    [Symbol.asyncDispose]: remove,
  };
}
