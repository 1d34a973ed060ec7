/**
 * The job queue benchmark, side by side with graphile-worker and pg-boss on the same local
 * PostgreSQL, in one run:
 *
 * - **drain**: 100,000 no-op jobs added beforehand (not timed), then the time from starting a
 *   worker to the last job's handler, and to every job recorded as ended in the database;
 * - **latency**: one job at a time, the time from enqueueing it to its command starting
 *   (median and 95th percentile).
 *
 * Ours runs in this process, through the `Worker` that `manage worker` runs (each job through
 * the same `main()` as the command line, its output captured), with its defaults and with a
 * larger batch; the others run in Node with their defaults (and graphile-worker with its
 * batching options), see `_peers.ts`. Targets, from the issue: throughput at least 1.5× that of
 * graphile-worker's defaults and at least that of its batched mode; median latency no worse
 * than graphile-worker's.
 *
 * ```sh
 * deno task bench:jobs                         # 100,000 jobs, 300 latency samples
 * deno task bench:jobs --jobs 20000 --latency 100 --only manage
 * ```
 *
 * @module
 */

import openDatabase from "../../apps/db/database.ts";
import type { Database } from "../../core/database.ts";
import { defineCommand } from "../../core/command.ts";
import type { Registry } from "../../core/registry.ts";
import { insertJob, newJob, Worker, type WorkerOptions } from "../../apps/jobs/queue/mod.ts";
import { createQueueTables } from "../../apps/jobs/queue/_tables.ts";
import { scriptArgs } from "../_args.ts";
import { median } from "./startup.ts";
import { PEER_SYSTEMS, type PeerResult, type PeerSkipped, runPeer } from "./_peers.ts";

interface Options {
  jobs: number;
  latency: number;
  url: string;
  only?: string;
}

/** The command line: `--jobs N`, `--latency N`, `--url URL`, `--only NAME` (and `-h/--help`). */
function parse(args: readonly string[]): Options {
  return scriptArgs({
    prog: "deno task bench:jobs",
    help: "Times the job queue's throughput and latency against peer queues",
    arguments: {
      options: {
        jobs: { type: "integer", default: 100_000, metavar: "N", help: "jobs to run" },
        latency: { type: "integer", default: 300, metavar: "N", help: "jobs timed one by one" },
        url: {
          default: Deno.env.get("TEST_DATABASE_URL") ??
            "postgres://postgres@127.0.0.1:5432/postgres",
          help: "the database (default: $TEST_DATABASE_URL)",
        },
        only: { metavar: "NAME", help: "only this system" },
      },
    },
    check: ({ jobs, latency }) =>
      jobs < 1 || latency < 1
        ? "--jobs and --latency take a whole number of at least 1"
        : undefined,
  }, args);
}

const quiet = { env: {}, cwd: Deno.cwd(), notice: () => {} };

/** A registry with one command: `noop`, which tells `onRun` it started. */
function benchRegistry(onRun: () => void): Registry {
  const noop = defineCommand({
    help: "Does nothing",
    handle() {
      onRun();
    },
  });
  return {
    commands: [{
      name: "noop",
      app: "bench",
      summary: "Does nothing",
      module: "bench/noop.ts",
      flags: [],
      load: () => Promise.resolve({ default: noop }),
    }],
    checks: [],
  };
}

async function withDatabase<T>(
  url: string,
  fn: (db: Database, url: string) => Promise<T>,
): Promise<T> {
  const name = `bench_jobs_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = await openDatabase(url, quiet);
  await admin.exec(`CREATE DATABASE ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const db = await openDatabase(target.href, quiet);
  try {
    await createQueueTables(db);
    return await fn(db, target.href);
  } finally {
    await db.close();
    await admin.exec(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.close();
  }
}

/** Ours: drain `jobs` no-op jobs, then `latency` single jobs, with `settings` for the worker. */
async function runManage(
  label: string,
  settings: Partial<WorkerOptions>,
  options: Options,
): Promise<PeerResult> {
  return await withDatabase(options.url, async (db, url) => {
    let ran = 0;
    let lastRun = 0;
    let started: (() => void) | undefined;
    const registry = benchRegistry(() => {
      ran++;
      lastRun = performance.now();
      started?.();
    });
    await db.exec(`
      INSERT INTO manage_job (command, args)
      SELECT 'noop', '[]'::jsonb FROM generate_series(1, ${options.jobs});
      ANALYZE manage_job;`);
    const begin = performance.now();
    const stats = await new Worker({ db, registry, burst: true, ...settings }).run();
    const settled = performance.now();
    if (ran !== options.jobs || stats.succeeded !== options.jobs) {
      throw new Error(`${label}: ${ran} runs, ${stats.succeeded} succeeded of ${options.jobs}`);
    }
    const seconds = (lastRun - begin) / 1000;

    // The enqueuer has a connection of its own, as another process would.
    const client = await openDatabase(url, quiet);
    const controller = new AbortController();
    const worker = new Worker({ db, registry, signal: controller.signal, ...settings });
    const running = worker.run();
    const samples: number[] = [];
    const job = newJob("noop", []);
    for (let i = 0; i < options.latency + 20; i++) {
      const start = Promise.withResolvers<void>();
      started = start.resolve;
      const t0 = performance.now();
      await insertJob(client, job);
      await start.promise;
      if (i >= 20) samples.push(performance.now() - t0);
      // Let the worker record the job before the next one, as a sequential caller would see.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    controller.abort();
    await running;
    await client.close();
    samples.sort((a, b) => a - b);
    return {
      system: label,
      version: "this project",
      options: Object.entries(settings).map(([k, v]) => `${k} ${v}`).join(", ") || "defaults",
      drain: {
        jobs: options.jobs,
        seconds,
        jobsPerSecond: options.jobs / seconds,
        settledSeconds: (settled - begin) / 1000,
      },
      latency: {
        samples: samples.length,
        medianMs: median(samples),
        p95Ms: samples[Math.floor(samples.length * 0.95)],
      },
    };
  });
}

function table(results: readonly (PeerResult | PeerSkipped)[]): string {
  const rows = [[
    "queue",
    "settings",
    "drain jobs/s",
    "drain s",
    "settled s",
    "latency p50",
    "p95",
  ]];
  for (const r of results) {
    if ("skipped" in r) {
      rows.push([r.system, `skipped: ${r.skipped}`, "", "", "", "", ""]);
      continue;
    }
    rows.push([
      r.system,
      r.options ?? "defaults",
      Math.round(r.drain.jobsPerSecond).toLocaleString("en-US"),
      r.drain.seconds.toFixed(2),
      r.drain.settledSeconds?.toFixed(2) ?? "-",
      `${r.latency.medianMs.toFixed(2)} ms`,
      `${r.latency.p95Ms.toFixed(2)} ms`,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) =>
    row.map((cell, c) => c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  ")
      .trimEnd()
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines.join("\n");
}

function verdicts(results: readonly (PeerResult | PeerSkipped)[]): string[] {
  const find = (name: string) =>
    results.find((r): r is PeerResult => r.system === name && !("skipped" in r));
  const ours = find("manage");
  const graphile = find("graphile");
  const batched = find("graphile-batched");
  if (!ours) return [];
  const lines: string[] = [];
  const check = (what: string, ok: boolean) => lines.push(`${ok ? "PASS" : "MISS"}  ${what}`);
  if (graphile) {
    const ratio = ours.drain.jobsPerSecond / graphile.drain.jobsPerSecond;
    check(`throughput ${ratio.toFixed(2)}x graphile-worker's defaults (target 1.5x)`, ratio >= 1.5);
    const latency = ours.latency.medianMs / graphile.latency.medianMs;
    check(
      `median latency ${latency.toFixed(2)}x graphile-worker's (target at most 1.0x)`,
      latency <= 1,
    );
  }
  if (batched) {
    const ratio = ours.drain.jobsPerSecond / batched.drain.jobsPerSecond;
    check(`throughput ${ratio.toFixed(2)}x graphile-worker batched (target 1.0x)`, ratio >= 1);
  }
  return lines;
}

if (import.meta.main) {
  const options = parse(Deno.args);
  const results: (PeerResult | PeerSkipped)[] = [];
  const want = (name: string) => !options.only || options.only.split(",").includes(name);
  console.error(
    `Job queues on ${new URL(options.url).host}: drain ${options.jobs} no-op jobs, ` +
      `${options.latency} latency samples`,
  );
  if (want("manage")) results.push(await runManage("manage", {}, options));
  if (want("manage-prefetch-40")) {
    results.push(await runManage("manage-prefetch-40", { prefetch: 40 }, options));
  }
  for (const system of PEER_SYSTEMS) {
    if (!want(system)) continue;
    console.error(`running ${system}…`);
    results.push(await runPeer(system, options));
  }
  console.log(table(results));
  const lines = verdicts(results);
  if (lines.length) console.log(`\n${lines.join("\n")}`);
}
