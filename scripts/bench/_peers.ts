/**
 * Other PostgreSQL job queues, run through the same job queue benchmark as ours: graphile-worker
 * (with its defaults, and with its batching options) and pg-boss. They are Node packages, so the
 * benchmark for them is a Node script, `jobs_peers/run.mjs`; this module installs its pinned
 * packages once and runs it.
 *
 * ```sh
 * deno run -A scripts/bench/_peers.ts --jobs 100000 --latency 300
 * deno run -A scripts/bench/_peers.ts --jobs 2000 --latency 20 --url postgres://...
 * ```
 *
 * The packages go to `.manage/cache/bench-peers/` under the project root, installed by
 * `npm ci` from `jobs_peers/package-lock.json`, and again only when that lock changes.
 *
 * @module
 */

/** The queues `runPeer` can run. */
export const PEER_SYSTEMS = ["graphile", "graphile-batched", "pgboss"] as const;

/** One of {@linkcode PEER_SYSTEMS}. */
export type PeerSystem = typeof PEER_SYSTEMS[number];

/** What one queue measured: see `jobs_peers/run.mjs` for how. */
export interface PeerResult {
  /** `graphile`, `graphile-batched` or `pgboss`. */
  system: string;
  /** The version of the package that ran. */
  version: string;
  /** The settings that differ from the package's defaults, in words. */
  options?: string;
  /**
   * Working off jobs added beforehand: the seconds from starting the worker to the last handler
   * call, and the rate that gives. `settledSeconds`, when given, runs until the database also
   * shows every job done.
   */
  drain: { jobs: number; seconds: number; jobsPerSecond: number; settledSeconds?: number };
  /** One job at a time: milliseconds from adding a job to its handler starting. */
  latency: { samples: number; medianMs: number; p95Ms: number };
}

/** A queue that could not be run here, and why: no Node.js or npm, or the install failed. */
export interface PeerSkipped {
  /** The system asked for. */
  system: string;
  /** Why it did not run. */
  skipped: string;
}

const SOURCE = new URL("./jobs_peers/", import.meta.url);
const ROOT = new URL("../../", import.meta.url);
const CACHE = new URL(".manage/cache/bench-peers/", ROOT);
const STAMP = ".lock-sha256";

function toPath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows" ? path.slice(1).replaceAll("/", "\\") : path;
}

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join("\n");
}

async function output(
  command: string,
  args: string[],
  cwd?: string,
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const result = await new Deno.Command(command, { args, cwd, stdin: "null" }).output();
  const decoder = new TextDecoder();
  return {
    ok: result.success,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

/** Every `name` on PATH that is a file, in PATH order. */
async function onPath(name: string): Promise<string[]> {
  const windows = Deno.build.os === "windows";
  const names = windows ? [`${name}.exe`, `${name}.cmd`, name] : [name];
  const found: string[] = [];
  for (const dir of (Deno.env.get("PATH") ?? "").split(windows ? ";" : ":")) {
    if (!dir) continue;
    for (const file of names) {
      const path = `${dir}${windows ? "\\" : "/"}${file}`;
      if (await Deno.stat(path).then((info) => info.isFile, () => false)) found.push(path);
    }
  }
  return found;
}

/** The path of `node` when it runs and is new enough (pg-boss wants 20), or why not. */
async function findNode(): Promise<{ node: string } | { skipped: string }> {
  // Looked up on PATH here, passing over Deno: Deno.Command("node") may start Deno itself, and
  // Deno may put a `node` of its own on PATH.
  let why = "node is not installed (it is not on PATH)";
  for (const node of await onPath("node")) {
    const script = "console.log(process.versions.deno ? 'deno' : process.versions.node)";
    const run = await output(node, ["-e", script]).catch((error) => ({
      ok: false,
      stdout: "",
      stderr: String(error),
    }));
    const version = run.stdout.trim();
    if (!run.ok) why = `${node} did not run: ${lastLines(run.stderr, 3)}`;
    else if (version === "deno") why = `${node} is Deno, not Node.js`;
    else if (!(Number(version.split(".")[0]) >= 20)) {
      why = `node ${version} is too old: pg-boss needs 20 or later`;
    } else return { node };
  }
  return { skipped: why };
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function readText(url: URL): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(url);
  } catch {
    return undefined;
  }
}

/** Installs the packages into the cache unless the lock there is already installed. */
async function install(): Promise<{ dir: string } | { skipped: string }> {
  const manifest = await Deno.readFile(new URL("package.json", SOURCE));
  const lock = await Deno.readFile(new URL("package-lock.json", SOURCE));
  const both = new Uint8Array(manifest.length + lock.length);
  both.set(manifest);
  both.set(lock, manifest.length);
  const hash = await sha256(both);
  const dir = toPath(CACHE);

  const installed = await readText(new URL(STAMP, CACHE));
  const present = await Deno.stat(new URL("node_modules/", CACHE)).then(() => true, () => false);
  if (installed?.trim() !== hash || !present) {
    await Deno.mkdir(CACHE, { recursive: true });
    await Deno.remove(new URL(STAMP, CACHE)).catch(() => {});
    await Deno.writeFile(new URL("package.json", CACHE), manifest);
    await Deno.writeFile(new URL("package-lock.json", CACHE), lock);
    console.error(`bench peers: npm ci in ${dir}`);
    const [npm] = await onPath("npm");
    if (!npm) return { skipped: "npm is not installed (it is not on PATH)" };
    const run = await output(npm, ["ci", "--no-audit", "--no-fund"], dir).catch((error) => ({
      ok: false,
      stdout: "",
      stderr: String(error),
    }));
    if (!run.ok) return { skipped: `npm ci failed: ${lastLines(run.stderr || run.stdout, 5)}` };
    await Deno.writeTextFile(new URL(STAMP, CACHE), `${hash}\n`);
  }
  // Node finds the packages from the script's own folder, so the script runs from the cache.
  await Deno.copyFile(new URL("run.mjs", SOURCE), new URL("run.mjs", CACHE));
  return { dir };
}

let ready: Promise<{ node: string; dir: string } | { skipped: string }> | undefined;

/** Node and the installed packages, found and installed once per process. */
function prepare(): Promise<{ node: string; dir: string } | { skipped: string }> {
  ready ??= (async () => {
    const node = await findNode();
    if ("skipped" in node) return node;
    const installed = await install();
    return "skipped" in installed ? installed : { ...node, ...installed };
  })();
  return ready;
}

/**
 * Runs one other queue through the job queue benchmark on the PostgreSQL server at `opts.url`:
 * `opts.jobs` jobs drained, then `opts.latency` single jobs timed from add to handler start.
 * The run makes its own database on that server and drops it afterwards.
 *
 * The first call installs the pinned packages (`npm ci`) into `.manage/cache/bench-peers/`;
 * later calls, in this process or another, reuse them while `package-lock.json` is unchanged.
 * Its progress goes to this process's stderr.
 *
 * @param system Which queue: graphile-worker with its defaults, graphile-worker with batching
 *   (`localQueue.size` 500, `completeJobBatchDelay` 0, `failJobBatchDelay` 0), or pg-boss.
 * @param opts The server (a connection URL to an existing database there; a superuser, or a
 *   role that may create databases), how many jobs to drain and how many latency samples.
 * @returns What it measured, or `{ system, skipped }` when Node.js or npm is missing or the
 *   install fails: that never throws.
 * @throws {Error} When the benchmark itself fails, with its exit code; its stderr has been shown.
 *
 * @example
 * ```ts
 * const result = await runPeer("graphile", {
 *   url: "postgres://postgres@127.0.0.1:5432/postgres",
 *   jobs: 100_000,
 *   latency: 300,
 * });
 * if ("skipped" in result) console.log(`graphile: skipped, ${result.skipped}`);
 * else console.log(result.drain.jobsPerSecond, result.latency.medianMs);
 * ```
 */
export async function runPeer(
  system: PeerSystem,
  opts: { url: string; jobs: number; latency: number },
): Promise<PeerResult | PeerSkipped> {
  const env = await prepare();
  if ("skipped" in env) return { system, skipped: env.skipped };
  const args = [
    toPath(new URL("run.mjs", CACHE)),
    ...["--system", system, "--url", opts.url],
    ...["--jobs", String(opts.jobs), "--latency", String(opts.latency)],
  ];
  const child = new Deno.Command(env.node, {
    args,
    cwd: env.dir,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  });
  const result = await child.output();
  const stdout = new TextDecoder().decode(result.stdout);
  if (!result.success) {
    throw new Error(`the ${system} benchmark failed (exit code ${result.code})`);
  }
  const line = stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as PeerResult;
  } catch {
    throw new Error(`the ${system} benchmark printed no result: ${JSON.stringify(line)}`);
  }
}

function formatTable(rows: readonly string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const lines = rows.map((row) =>
    row.map((cell, column) =>
      column === 0 || column === row.length - 1
        ? cell.padEnd(widths[column])
        : cell.padStart(widths[column])
    ).join("  ").trimEnd()
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  ").trimEnd());
  return lines.join("\n");
}

function flag(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(args: readonly string[]): Promise<number> {
  const jobs = Number(flag(args, "--jobs") ?? 100_000);
  const latency = Number(flag(args, "--latency") ?? 300);
  const url = flag(args, "--url") ?? Deno.env.get("TEST_DATABASE_URL") ??
    "postgres://postgres@127.0.0.1:5432/postgres";
  if (!Number.isInteger(jobs) || jobs < 1 || !Number.isInteger(latency) || latency < 1) {
    console.error("usage: _peers.ts [--jobs N] [--latency M] [--url postgres://...]");
    return 2;
  }
  const rows = [[
    "system",
    "version",
    "drain jobs/s",
    "drain s",
    "median ms",
    "p95 ms",
    "run s",
    "",
  ]];
  const notes: string[] = [];
  for (const system of PEER_SYSTEMS) {
    const start = performance.now();
    const result = await runPeer(system, { url, jobs, latency });
    const took = ((performance.now() - start) / 1000).toFixed(1);
    if ("skipped" in result) {
      rows.push([system, "-", "-", "-", "-", "-", took, `skipped: ${result.skipped}`]);
      continue;
    }
    rows.push([
      system,
      result.version,
      result.drain.jobsPerSecond.toFixed(0),
      result.drain.seconds.toFixed(2),
      result.latency.medianMs.toFixed(2),
      result.latency.p95Ms.toFixed(2),
      took,
      "",
    ]);
    if (result.options) notes.push(`${system}: ${result.options}`);
  }
  console.log(formatTable(rows));
  console.log(`\n${jobs} jobs drained, ${latency} latency samples each.`);
  for (const note of notes) console.log(note);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
