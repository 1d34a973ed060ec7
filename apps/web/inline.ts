/**
 * "Run now": a command run in the console's own process while the request waits, through the
 * same path as the command line and the worker (`main()`, its output captured), then stored as
 * an ended job, so that it has a job page and a place in the history like any other. It comes
 * through the console's door: a command that may not run from the console is refused by
 * `main()`, and a command whose output is secret leaves a placeholder in the job, its output
 * given back once to be shown on the answer.
 *
 * @module
 */

import type { Database } from "../../core/database.ts";
import { capOutput, countEnded, DEFAULT_QUEUE, failureLine } from "../jobs/queue/mod.ts";
import { main } from "../../core/main.ts";
import { captureOutput } from "../../core/output.ts";
import type { Registry } from "../../core/registry.ts";

/** What an inline run needs. */
export interface InlineRun {
  /** The console's database: where the job record goes. */
  db: Database;
  /** The database the command gets as `ctx.db`. */
  jobDatabase: () => Promise<Database>;
  /** The registry the command is found in. */
  registry: Registry;
  /** The environment it runs with. */
  env: Readonly<Record<string, string | undefined>>;
  /** Its working directory. */
  cwd: string;
  /** Aborts it (the server stopping). */
  signal?: AbortSignal;
  /** Its time limit, in ms; its signal aborts when it passes. */
  timeout: number;
  /** Who ran it, recorded as the job's worker (`web:<username>`). */
  username: string;
  /** The queue it is recorded in. */
  queue?: string;
}

/** What an inline run gives: its job, and the secret output that was not kept, if any. */
export interface InlineResult {
  /** The job it was recorded as. */
  id: number;
  /** The output of a command whose output is secret: to show once, never to store. */
  secretOutput?: string;
}

/**
 * Runs the command `name` with `args` now and records it as an ended job (one attempt, its exit
 * code, output and times). The arguments should have been checked already
 * (`checkJobArguments`): a usage error is recorded as the failure it is.
 */
export async function runInline(
  name: string,
  args: readonly string[],
  run: InlineRun,
): Promise<InlineResult> {
  const stdout = captureOutput();
  const stderr = captureOutput();
  const secretStdout = captureOutput();
  const limit = AbortSignal.timeout(run.timeout);
  const signal = run.signal ? AbortSignal.any([run.signal, limit]) : limit;
  const started = new Date();
  const code = await main([name, ...args], {
    registry: run.registry,
    stdout,
    stderr,
    stdoutIsTerminal: true,
    stderrIsTerminal: true,
    env: run.env,
    signal,
    cwd: run.cwd,
    prog: "manage",
    database: run.jobDatabase,
    from: "console",
    secretStdout,
  });
  const finished = new Date();
  const timedOut = limit.aborted && !run.signal?.aborted;
  const status = code === 0 ? "succeeded" : run.signal?.aborted ? "cancelled" : "failed";
  const error = code === 0
    ? null
    : timedOut
    ? `Timed out after ${run.timeout} ms (run it in the background instead)`
    : failureLine(stderr.text) ?? `Exit code ${code}`;
  const [row] = await run.db.query<{ id: number }>(
    `
WITH ended AS (
  INSERT INTO manage_job_result (id, queue, command, args, priority, status, exit_code, stdout,
    stderr, error, attempts, max_attempts, worker, created_at, run_at, started_at, finished_at)
  VALUES (nextval(pg_get_serial_sequence('manage_job', 'id')), $1, $2, $3::text::jsonb, 0, $4,
    $5, $6, $7, $8, 1, 1, $9, $10, $10, $10, $11)
  RETURNING id, queue, command, status, started_at, finished_at
), ${countEnded("ended")}
SELECT id FROM ended`,
    [
      run.queue ?? DEFAULT_QUEUE,
      name,
      JSON.stringify(args),
      status,
      code,
      capOutput(stdout.text),
      capOutput(stderr.text),
      error,
      `web:${run.username}`,
      started,
      finished,
    ],
  );
  const secret = secretStdout.text;
  return { id: Number(row.id), ...(secret === "" ? {} : { secretOutput: secret }) };
}
