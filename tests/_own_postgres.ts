import { join } from "node:path";
import net from "node:net";

// A PostgreSQL server of a test's own, started from the PostgreSQL binaries on a free port, so a
// test may crash it (`stop("immediate")`) without touching the shared server.

/** Where the PostgreSQL 15 binaries are. */
const BIN = "/usr/lib/postgresql/15/bin";

/** A server this test started. */
export interface OwnPostgres extends AsyncDisposable {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** Stops the server: `immediate` is a crash (no checkpoint, clients cut off). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
}

/** Whether this machine has the PostgreSQL binaries the helper runs. */
export async function hasPostgresBinaries(): Promise<boolean> {
  try {
    return (await Deno.stat(join(BIN, "pg_ctl"))).isFile;
  } catch {
    return false;
  }
}

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function output(command: string, args: string[]): Promise<string> {
  const result = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  if (!result.success) {
    throw new Error(`${command} ${args.join(" ")} failed: ${decoder.decode(result.stderr)}`);
  }
  return decoder.decode(result.stdout);
}

/**
 * Runs a PostgreSQL binary; as root, as the `postgres` user (the server refuses to run as root).
 */
function runPostgres(binary: string, args: string[], root: boolean): Promise<string> {
  const path = join(BIN, binary);
  return root
    ? output("setpriv", [
      "--reuid=postgres",
      "--regid=postgres",
      "--init-groups",
      "--",
      path,
      ...args,
    ])
    : output(path, args);
}

/** Starts a fresh server (initdb, trust authentication, fsync off) in a temporary folder. */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const root = Deno.uid() === 0;
  const dir = await Deno.makeTempDir({ prefix: "manage_pg_" });
  if (root) {
    const uid = Number(await output("id", ["-u", "postgres"]));
    const gid = Number(await output("id", ["-g", "postgres"]));
    await Deno.chown(dir, uid, gid);
  }
  const data = join(dir, "data");
  let started = false;
  try {
    await runPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], root);
    const port = await freePort();
    await runPostgres("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    ], root);
    started = true;
    let stopped = false;
    const stop = async (mode: "fast" | "immediate" = "fast") => {
      if (stopped) return;
      stopped = true;
      await runPostgres("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"], root);
    };
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop,
      async [Symbol.asyncDispose]() {
        try {
          await stop("immediate");
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    };
  } catch (error) {
    if (!started) await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
