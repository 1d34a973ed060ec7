#!/usr/bin/env node
/**
 * Runs another PostgreSQL job queue through the job queue benchmark, on the same server as ours:
 *
 *   node run.mjs --system graphile|graphile-batched|pgboss --jobs 100000 --latency 300 \
 *     --url postgres://postgres@127.0.0.1:5432/postgres
 *
 * 1. drain: `--jobs` no-op jobs are added in bulk (not timed), then a worker is started and timed
 *    until its handler has been called for every one of them.
 * 2. latency: `--warmup` (20) then `--latency` rounds of: add one job, wait until its handler
 *    starts in this process; the add-to-start times give the median and the 95th percentile.
 *
 * It makes its own database (bench_peer_<random>) and drops it at the end, also on an error or a
 * signal. Before it reports, it checks in the database that no job is left pending. stdout gets
 * one JSON line:
 *
 *   {"system": "...", "version": "...", "options": "...", "drain": {"jobs", "seconds",
 *    "jobsPerSecond", "settledSeconds"}, "latency": {"samples", "medianMs", "p95Ms"}}
 *
 * `drain.seconds` ends at the last handler call; `drain.settledSeconds` ends when the database
 * also shows every job done (queues that finish jobs in the background get there later).
 * Progress and diagnostics go to stderr.
 *
 * The systems:
 * - graphile: graphile-worker with its defaults (concurrentJobs 1, no local queue, no batching).
 * - graphile-batched: the same with preset.worker { localQueue: { size: 500 },
 *   completeJobBatchDelay: 0, failJobBatchDelay: 0 }.
 * - pgboss: pg-boss with its defaults, except for work(): with them (batchSize 1, a poll every
 *   2 s) one worker takes one job per 2 seconds, because it waits out the polling interval after
 *   every fetch, jobs found or not; 100,000 jobs would take more than two days. So work() gets
 *   `batchSize` (--pgboss-batch-size, default 500) and `pollingIntervalSeconds`
 *   (--pgboss-polling-seconds, default 0.5, the least pg-boss allows). Its drain rate is then
 *   capped near batchSize / pollingIntervalSeconds. pg-boss does not wake a worker when a job is
 *   added, so a job waits for the next poll: in the latency loop, where each job is added just
 *   after the worker's last fetch, that is close to the whole polling interval (jobs arriving at
 *   random would wait half of it on average). The JSON says what was set.
 */

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

// The packages are CommonJS, and `require` keeps `deno check scripts` off their bare names.
const require = createRequire(import.meta.url);
const pg = require("pg");
const INSERT_BATCH = 5000;
const SETTLE_TIMEOUT_MS = 120_000;

function log(message) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function version(name) {
  const path = require.resolve(`${name}/package.json`);
  return JSON.parse(readFileSync(path, "utf8")).version;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Nearest-rank percentile. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolver, for "the handler has run". */
function signal() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

/** Polls `count()` until it answers 0; the milliseconds waited, or throws after the timeout. */
async function settle(count, what) {
  const start = performance.now();
  for (;;) {
    const left = await count();
    if (left === 0) return performance.now() - start;
    if (performance.now() - start > SETTLE_TIMEOUT_MS) {
      throw new Error(`${left} ${what} job(s) still pending ${SETTLE_TIMEOUT_MS / 1000}s later`);
    }
    await sleep(20);
  }
}

async function countRows(url, sql) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(sql);
    return Number(rows[0].count);
  } finally {
    await client.end();
  }
}

/**
 * The sequential latency loop: `add(n)` adds job n; `waiters.get(n)` is resolved by the handler
 * with the time it started.
 */
async function latencyLoop(add, waiters, warmup, samples) {
  const times = [];
  for (let n = 0; n < warmup + samples; n++) {
    const started = signal();
    waiters.set(n, started.resolve);
    const before = performance.now();
    await add(n);
    const at = await started.promise;
    waiters.delete(n);
    if (n >= warmup) times.push(at - before);
  }
  return times;
}

function drainResult(jobs, seconds, settledSeconds) {
  return {
    jobs,
    seconds: round(seconds, 3),
    jobsPerSecond: round(jobs / seconds, 1),
    settledSeconds: round(settledSeconds, 3),
  };
}

function latencyResult(times) {
  return {
    samples: times.length,
    medianMs: round(median(times), 2),
    p95Ms: round(percentile(times, 95), 2),
  };
}

async function graphile(url, batched, args) {
  const { run, makeWorkerUtils, Logger } = require("graphile-worker");
  const logger = new Logger(() => (level, message) => {
    if (level === "error" || level === "warning") log(`graphile-worker ${level}: ${message}`);
  });
  const batching = { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 };
  const preset = { worker: { connectionString: url, logger, ...(batched ? batching : {}) } };

  const utils = await makeWorkerUtils({ preset });
  let runner;
  try {
    await utils.migrate();
    log(`adding ${args.jobs} jobs (addJobs, ${INSERT_BATCH} a call)`);
    for (let added = 0; added < args.jobs; added += INSERT_BATCH) {
      const size = Math.min(INSERT_BATCH, args.jobs - added);
      await utils.addJobs(
        Array.from({ length: size }, () => ({ identifier: "noop", payload: {} })),
      );
    }

    let done = 0;
    const drained = signal();
    const waiters = new Map();
    const taskList = {
      noop: () => {
        if (++done === args.jobs) drained.resolve(performance.now());
      },
      ping: (payload) => {
        const at = performance.now();
        waiters.get(payload.n)?.(at);
      },
    };

    log("drain: starting the worker");
    const start = performance.now();
    runner = await run({ preset, taskList, noHandleSignals: true, parsedCronItems: [] });
    const end = await drained.promise;
    const pending = `SELECT count(*) FROM graphile_worker.jobs`;
    const settled = await settle(() => countRows(url, pending), "noop");
    const drain = drainResult(args.jobs, (end - start) / 1000, (end - start + settled) / 1000);
    log(`drain: ${drain.seconds}s, ${drain.jobsPerSecond} jobs/s`);

    log(`latency: ${args.warmup} warm-up + ${args.latency} rounds`);
    const add = (n) => utils.addJob("ping", { n });
    const times = await latencyLoop(add, waiters, args.warmup, args.latency);
    await settle(() => countRows(url, pending), "ping");

    return {
      system: batched ? "graphile-batched" : "graphile",
      version: version("graphile-worker"),
      options: batched
        ? "preset.worker: localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0"
        : "defaults (concurrentJobs 1)",
      drain,
      latency: latencyResult(times),
    };
  } finally {
    if (runner) {
      await runner.stop().catch((error) => log(`stopping the runner: ${error}`));
      await runner.promise.catch(() => {});
    }
    await utils.release().catch(() => {});
  }
}

async function pgboss(url, args) {
  const PgBoss = require("pg-boss");
  const work = { batchSize: args.pgbossBatchSize, pollingIntervalSeconds: args.pgbossPolling };
  const boss = new PgBoss({ connectionString: url });
  boss.on("error", (error) => log(`pg-boss error: ${error.message ?? error}`));
  await boss.start();
  try {
    await boss.createQueue("noop");
    await boss.createQueue("ping");
    log(`adding ${args.jobs} jobs (insert, ${INSERT_BATCH} a call)`);
    for (let added = 0; added < args.jobs; added += INSERT_BATCH) {
      const size = Math.min(INSERT_BATCH, args.jobs - added);
      await boss.insert(Array.from({ length: size }, () => ({ name: "noop", data: {} })));
    }

    let done = 0;
    const drained = signal();
    log("drain: starting the worker");
    const start = performance.now();
    await boss.work("noop", work, (jobs) => {
      done += jobs.length;
      if (done === args.jobs) drained.resolve(performance.now());
      return Promise.resolve();
    });
    const end = await drained.promise;
    const pending = `SELECT count(*) FROM pgboss.job WHERE state IN ('created', 'retry', 'active')`;
    const settled = await settle(() => countRows(url, pending), "noop");
    const drain = drainResult(args.jobs, (end - start) / 1000, (end - start + settled) / 1000);
    log(`drain: ${drain.seconds}s, ${drain.jobsPerSecond} jobs/s`);

    const waiters = new Map();
    await boss.work("ping", work, (jobs) => {
      const at = performance.now();
      for (const job of jobs) waiters.get(job.data.n)?.(at);
      return Promise.resolve();
    });
    log(`latency: ${args.warmup} warm-up + ${args.latency} rounds`);
    const add = (n) => boss.send("ping", { n });
    const times = await latencyLoop(add, waiters, args.warmup, args.latency);
    await settle(() => countRows(url, pending), "ping");

    return {
      system: "pgboss",
      version: version("pg-boss"),
      options: `work(): batchSize ${work.batchSize}, pollingIntervalSeconds ` +
        `${work.pollingIntervalSeconds}; otherwise defaults`,
      drain,
      latency: latencyResult(times),
    };
  } finally {
    await boss.stop({ graceful: false, wait: true, timeout: 5000 }).catch((error) =>
      log(`stopping pg-boss: ${error}`)
    );
  }
}

function options() {
  const { values } = parseArgs({
    options: {
      system: { type: "string" },
      jobs: { type: "string", default: "100000" },
      latency: { type: "string", default: "300" },
      warmup: { type: "string", default: "20" },
      url: {
        type: "string",
        default: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
      },
      "pgboss-batch-size": { type: "string", default: "500" },
      "pgboss-polling-seconds": { type: "string", default: "0.5" },
    },
  });
  const systems = ["graphile", "graphile-batched", "pgboss"];
  if (!systems.includes(values.system)) {
    throw new Error(`--system must be one of ${systems.join(", ")}`);
  }
  const int = (name, min) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name}: an integer >= ${min}`);
    return value;
  };
  return {
    system: values.system,
    jobs: int("jobs", 1),
    latency: int("latency", 1),
    warmup: int("warmup", 0),
    url: values.url,
    pgbossBatchSize: int("pgboss-batch-size", 1),
    pgbossPolling: Number(values["pgboss-polling-seconds"]),
  };
}

async function main() {
  const args = options();
  const name = `bench_peer_${randomBytes(6).toString("hex")}`;
  const url = new URL(args.url);
  url.pathname = `/${name}`;

  const admin = new pg.Client({ connectionString: args.url });
  await admin.connect();
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    // A connection that a library is still closing may see itself terminated: not a failure.
    process.on("uncaughtException", (error) => {
      if (error?.code === "57P01") return log(`ignored while dropping: ${error.message}`);
      log(`error: ${error?.stack ?? error}`);
      process.exit(1);
    });
    // Give the libraries' pools a moment to close their connections, then force the rest.
    const connected = `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`;
    for (let waited = 0; waited < 2000; waited += 50) {
      const { rows } = await admin.query(connected, [name]);
      if (Number(rows[0].count) === 0) break;
      await sleep(50);
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    log(`dropped database ${name}`);
  };
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      log(`${sig}: dropping database ${name}`);
      drop().finally(() => process.exit(130));
    });
  }

  await admin.query(`CREATE DATABASE "${name}"`);
  log(`created database ${name}`);
  try {
    const result = args.system === "pgboss"
      ? await pgboss(url.href, args)
      : await graphile(url.href, args.system === "graphile-batched", args);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await drop().catch((error) => log(`dropping database ${name}: ${error}`));
    await admin.end();
  }
}

main().then(
  // Libraries may leave timers behind; the result is out, so leave now.
  () => process.exit(0),
  (error) => {
    log(`error: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
