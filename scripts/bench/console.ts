/**
 * The web console's latency: `manage runserver` on the embedded database and on a server, each
 * request sent 50 times one after another (after 5 untimed), timed as the client sees it; prints
 * the median and 95th percentile of each, as the table in README.
 *
 * ```sh
 * deno task bench:console                 # the server from TEST_DATABASE_URL, or 127.0.0.1:5432
 * deno task bench:console --requests 200
 * ```
 *
 * It makes its own databases (the embedded one under `.manage/bench/`) and removes them.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import openDatabase from "../../apps/db/database.ts";
import { scriptArgs } from "../_args.ts";
import { runCli } from "../../tests/_helpers.ts";
import { type Server, startServer } from "../../tests/apps/web/_server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const USERNAME = "bench";
const PASSWORD = "Bench-Console-Phrase-9";
const WARMUP = 5;

/** One kind of request: what the table calls it, and how to send it. */
interface Probe {
  label: string;
  send(server: Server, auth: Auth): Promise<Response>;
}

/** A session cookie and an API token. */
interface Auth {
  cookie: string;
  token: string;
}

const page = (path: string): Probe["send"] => (server, auth) =>
  fetch(server.base + path, { headers: { cookie: auth.cookie }, redirect: "manual" });
const api = (path: string, body?: unknown): Probe["send"] => (server, auth) =>
  fetch(server.base + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${auth.token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const PROBES: Probe[] = [
  { label: "`GET /commands`", send: page("/commands") },
  { label: "`GET /commands/greet_user` (its form)", send: page("/commands/greet_user") },
  { label: "`GET /jobs`", send: page("/jobs") },
  { label: "`GET /jobs/1`", send: page("/jobs/1") },
  { label: "`GET /api/jobs/1` (with a token)", send: api("/api/jobs/1") },
  { label: "`GET /api/commands` (every declaration)", send: api("/api/commands") },
  {
    label: "`POST /api/jobs` (check, store, notify)",
    // Delayed, so that the server's worker does not run them while the others are timed.
    send: api("/api/jobs", { command: "greet_user", args: ["Bench"], delay: "1h" }),
  },
];

/** The `p`th percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function check(what: string, run: Promise<{ code: number; stderr: string }>) {
  const result = await run;
  if (result.code !== 0) throw new Error(`${what} failed: ${result.stderr}`);
}

/** Migrates `url`, adds the user, a token and job 1; gives the token. */
export async function prepare(url: string): Promise<string> {
  await check("migrate", runCli(["migrate", "--database", url, "-v", "0"]));
  await check(
    "createsuperuser",
    runCli([
      "createsuperuser",
      "--noinput",
      "--username",
      USERNAME,
      "--email",
      "bench@example.com",
      "--database",
      url,
    ], {
      env: { MANAGE_SUPERUSER_PASSWORD: PASSWORD },
    }),
  );
  const minted = await runCli(["createapitoken", USERNAME, "--database", url, "-v", "0"]);
  if (minted.code !== 0) throw new Error(`createapitoken failed: ${minted.stderr}`);
  await check(
    "enqueue",
    // The words after the command's name are its own: the database comes from the environment.
    runCli(["enqueue", "greet_user", "John"], { env: { DATABASE_URL: url } }),
  );
  return minted.stdout.trim();
}

/** Logs in through the form; gives the session's cookie. */
export async function logIn(server: Server): Promise<string> {
  const form = await fetch(`${server.base}/login`);
  const csrf = form.headers.getSetCookie()[0].split(";")[0];
  const token = /name="csrf_token" value="([^"]+)"/.exec(await form.text())![1];
  const response = await fetch(`${server.base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: csrf, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf_token: token, username: USERNAME, password: PASSWORD }),
  });
  await response.body?.cancel();
  const session = response.headers.getSetCookie().find((c) => c.startsWith("manage_session="));
  if (!session) throw new Error(`Logging in failed: ${response.status}`);
  return session.split(";")[0];
}

/** Each probe's median and 95th percentile in ms, against a server on `url`. */
async function bench(url: string, requests: number): Promise<[number, number][]> {
  const token = await prepare(url);
  const server = await startServer(url, ["-v", "0"]);
  try {
    const auth = { cookie: await logIn(server), token };
    const results: [number, number][] = [];
    for (const probe of PROBES) {
      const times: number[] = [];
      for (let i = 0; i < WARMUP + requests; i++) {
        const started = performance.now();
        const response = await probe.send(server, auth);
        await response.arrayBuffer();
        const elapsed = performance.now() - started;
        if (response.status >= 300) throw new Error(`${probe.label}: ${response.status}`);
        if (i >= WARMUP) times.push(elapsed);
      }
      times.sort((a, b) => a - b);
      results.push([percentile(times, 50), percentile(times, 95)]);
    }
    return results;
  } finally {
    await server.stop();
  }
}

/**
 * Runs `bench` on a new embedded database under `.manage/bench/` (its folder named after
 * `prefix`), removed afterwards.
 */
export async function onEmbedded<T>(
  prefix: string,
  bench: (url: string) => Promise<T>,
): Promise<T> {
  const parent = `${ROOT}.manage/bench`;
  await Deno.mkdir(parent, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: parent, prefix });
  try {
    return await bench(`pglite:${dir}/db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs `bench` on a new database of the server TEST_DATABASE_URL names (or 127.0.0.1:5432),
 * dropped afterwards; undefined, saying so, when no server answers.
 */
export async function onServer<T>(bench: (url: string) => Promise<T>): Promise<T | undefined> {
  const base = Deno.env.get("TEST_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const options = { env: {}, cwd: ROOT, notice: () => {} };
  let admin;
  try {
    admin = await openDatabase(base, options);
  } catch {
    console.error(`No server at ${base}: the server column is left out`);
    return undefined;
  }
  const name = `manage_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  try {
    await admin.exec(`CREATE DATABASE ${name}`);
    const url = new URL(base);
    url.pathname = `/${name}`;
    return await bench(url.href);
  } finally {
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
}

/** `rows` (the first one the header) as a Markdown table with aligned columns. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(rows[0]),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...rows.slice(1).map(line),
  ]
    .join("\n");
}

if (import.meta.main) {
  const { requests } = scriptArgs({
    prog: "deno task bench:console",
    help: "Times the web console's pages and API calls on the embedded database and a server",
    arguments: {
      options: {
        requests: {
          type: "integer",
          default: 50,
          metavar: "N",
          help: "timed requests of each kind",
        },
      },
    },
    check: (values) =>
      values.requests < 1 ? "--requests takes a whole number of at least 1" : undefined,
  }, Deno.args);
  const columns = [
    await onEmbedded("console_", (url) => bench(url, requests)),
    await onServer((url) => bench(url, requests)),
  ];
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const cell = (results: [number, number][] | undefined, i: number) =>
    results ? `${ms(results[i][0])} / ${ms(results[i][1])}` : "-";
  console.log(
    `${requests} sequential requests each (after ${WARMUP}), median / 95th percentile:\n`,
  );
  console.log(markdownTable([
    ["request", "embedded database", "PostgreSQL server"],
    ...PROBES.map((probe, i) => [probe.label, cell(columns[0], i), cell(columns[1], i)]),
  ]));
}
