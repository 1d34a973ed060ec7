/**
 * What the operator's view costs: `manage runserver` on the embedded database and on a server,
 * with 100,000 results in `manage_job_result` (30 commands, 5% failed), 1,000 jobs waiting, 200
 * running on 10 workers. By default the results ended over the last 7 days (the workers' default
 * retention), as a steady load leaves them; `--within 1h` puts them all in the last hour, the worst
 * case for the window's queries.
 * Each page and API call of the dashboard is sent 30 times one after another (after 3 untimed);
 * prints its median and 95th percentile, its ratio to a trivial page (`GET /static/style.css`)
 * measured in the same run, and PASS when the median is under the 50 ms budget (OVER when not).
 *
 * ```sh
 * deno task bench:dashboard                   # the server from TEST_DATABASE_URL, or 127.0.0.1:5432
 * deno task bench:dashboard --requests 100 --results 100000
 * deno task bench:dashboard --within 1h   # every result in the dashboard's window
 * ```
 *
 * It makes its own databases (the embedded one under `.manage/bench/`) and removes them.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import openDatabase from "../../apps/db/database.ts";
import { parseDuration } from "../../core/values.ts";
import { countEnded, FORGET_STATS } from "../../apps/jobs/queue/_rollup.ts";
import { type Server, startServer } from "../../tests/apps/web/_server.ts";
import { logIn, markdownTable, onEmbedded, onServer, percentile, prepare } from "./console.ts";
import { scriptArgs } from "../_args.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WARMUP = 3;
const TARGET_MS = 50;

interface Auth {
  cookie: string;
  token: string;
}

interface Probe {
  label: string;
  send(server: Server, auth: Auth): Promise<void>;
}

async function read(response: Response, label: string): Promise<void> {
  if (response.status >= 300) throw new Error(`${label}: ${response.status}`);
  await response.arrayBuffer();
}

const page = (path: string): Probe => ({
  label: `\`GET ${path}\``,
  send: async (server, auth) =>
    await read(await fetch(server.base + path, { headers: { cookie: auth.cookie } }), path),
});
const api = (path: string): Probe => ({
  label: `\`GET ${path}\` (token)`,
  send: async (server, auth) =>
    await read(
      await fetch(server.base + path, { headers: { authorization: `Bearer ${auth.token}` } }),
      path,
    ),
});

/** The first event of the dashboard's stream: what a live page costs each time it refreshes. */
const firstEvent: Probe = {
  label: "`GET /dashboard/events` (first event)",
  async send(server, auth) {
    const response = await fetch(`${server.base}/dashboard/events`, {
      headers: { cookie: auth.cookie },
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("The stream ended before its first event");
      text += value;
    }
    await reader.cancel();
  },
};

const BASELINE = page("/static/style.css");
const PROBES: Probe[] = [
  page("/"),
  page("/?window=15m"),
  page("/?window=24h"),
  firstEvent,
  api("/api/stats"),
  api("/api/stats?window=30d"),
  api("/api/workers"),
  api("/api/schedules"),
  page("/jobs?status=failed&command=command_7"),
];

/**
 * Fills the queue's tables as a busy hour leaves them: the results, and the running totals the
 * workers would have kept as each ended (counted by the same statement, then trimmed as their
 * periodic prune does).
 */
export async function fill(url: string, results: number, withinMs: number): Promise<void> {
  const db = await openDatabase(url, { env: {}, cwd: ROOT, notice: () => {} });
  try {
    await db.exec(`
INSERT INTO manage_job_result (id, queue, command, args, priority, status, error, attempts,
  max_attempts, created_at, run_at, started_at, finished_at)
SELECT 1000000 + g, CASE WHEN g % 4 = 0 THEN 'mail' ELSE 'default' END, 'command_' || (g % 30),
  '[]', 0, CASE WHEN g % 20 = 0 THEN 'failed' ELSE 'succeeded' END,
  CASE WHEN g % 20 = 0 THEN 'CommandError: it failed' END, 1, 3, f - interval '2 s',
  f - interval '2 s', f - (g % 997) * interval '1 ms', f
FROM generate_series(1, ${results}) AS g,
  LATERAL (SELECT now() - (g::float8 / ${results}) * ${
      withinMs * 0.98
    } * interval '1 ms' AS f) AS t;
INSERT INTO manage_worker (id, hostname, pid, queues, concurrency)
SELECT 'bench-' || w, 'host' || w, 1000 + w, 'default,mail', 20 FROM generate_series(1, 10) AS w;
INSERT INTO manage_job (queue, command, status, worker, started_at, attempts)
SELECT 'default', 'command_' || (g % 30), 'running', 'bench-' || (g % 10 + 1), now(), 1
FROM generate_series(1, 200) AS g;
INSERT INTO manage_job (queue, command, run_at)
SELECT 'mail', 'command_' || (g % 30), now() + interval '1 hour' FROM generate_series(1, 1000) AS g;
WITH ${countEnded("manage_job_result")} SELECT count(*) FROM counted;
${FORGET_STATS};
ANALYZE manage_job_result;
ANALYZE manage_job;
ANALYZE manage_worker;
`);
    // What autovacuum does on a server after the prune's deletions (the embedded database has
    // none; its rows are few enough either way).
    await db.exec("VACUUM ANALYZE manage_job_stat");
  } finally {
    await db.close();
  }
}

async function time(probe: Probe, server: Server, auth: Auth, requests: number) {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + requests; i++) {
    const started = performance.now();
    await probe.send(server, auth);
    if (i >= WARMUP) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: percentile(times, 50), p95: percentile(times, 95) };
}

type Timing = { median: number; p95: number };

interface Run {
  requests: number;
  results: number;
  withinMs: number;
}

async function bench(url: string, { requests, results, withinMs }: Run) {
  const token = await prepare(url);
  await fill(url, results, withinMs);
  // No worker here: the bench's jobs are not to run while they are timed.
  const server = await startServer(url, ["-v", "0", "--no-worker"]);
  try {
    const auth = { cookie: await logIn(server), token };
    const baseline = await time(BASELINE, server, auth, requests);
    const timings: Timing[] = [];
    for (const probe of PROBES) timings.push(await time(probe, server, auth, requests));
    return { baseline, timings };
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const { requests, results, within } = scriptArgs({
    prog: "deno task bench:dashboard",
    help: "Times the operator's view with many results on the embedded database and a server",
    arguments: {
      options: {
        requests: {
          type: "integer",
          default: 30,
          metavar: "N",
          help: "timed requests of each kind",
        },
        results: { type: "integer", default: 100_000, metavar: "N", help: "results in the table" },
        within: { default: "7d", metavar: "DURATION", help: "how far back the results ended" },
      },
    },
    check: (values) =>
      values.requests < 1 || values.results < 1
        ? "--requests and --results take a whole number of at least 1"
        : parseDuration(values.within) === undefined
        ? `--within: not a duration: ${values.within}`
        : undefined,
  }, Deno.args);
  const withinMs = parseDuration(within)!;
  const run = { requests, results, withinMs };
  const columns = [
    await onEmbedded("dashboard_", (url) => bench(url, run)),
    await onServer((url) => bench(url, run)),
  ];
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const cell = (column: Awaited<ReturnType<typeof bench>> | undefined, timing?: Timing) => {
    if (!column || !timing) return "-";
    const ratio = timing.median / column.baseline.median;
    const verdict = timing.median < TARGET_MS ? "PASS" : "OVER";
    return `${ms(timing.median)} / ${ms(timing.p95)} (×${ratio.toFixed(1)}, ${verdict})`;
  };
  const rows = [
    ["request", "embedded database", "PostgreSQL server"],
    [
      `${BASELINE.label} (baseline)`,
      columns[0] ? `${ms(columns[0].baseline.median)} / ${ms(columns[0].baseline.p95)}` : "-",
      columns[1] ? `${ms(columns[1].baseline.median)} / ${ms(columns[1].baseline.p95)}` : "-",
    ],
    ...PROBES.map((probe, i) => [
      probe.label,
      cell(columns[0], columns[0]?.timings[i]),
      cell(columns[1], columns[1]?.timings[i]),
    ]),
  ];
  console.log(
    `${results} results over the last ${within}; ${requests} sequential requests each (after ${WARMUP}): ` +
      `median / 95th percentile (median ÷ the baseline's; under ${TARGET_MS} ms?):\n`,
  );
  console.log(markdownTable(rows));
}
