// Running one claimed job: through the same path as the command line (`main`, with its output
// captured), as a background run, with its own abort signal; what escapes the command (see
// `_contain.ts`) fails it, a timeout aborts it, and a command that does not stop within the
// abort grace is given up on.

import type { Database } from "../../../core/database.ts";
import { main } from "../../../core/main.ts";
import { type CapturedOutput, captureOutput } from "../../../core/output.ts";
import type { Registry } from "../../../core/registry.ts";
import type { RetryVerdict } from "../../../core/retry.ts";
import type { ClaimedJob } from "./_claims.ts";
import { outsideJobs, runContained } from "./_contain.ts";
import type { LogLevel } from "./_worker_options.ts";

/** A job while it runs. */
export interface Running {
  readonly job: ClaimedJob;
  readonly controller: AbortController;
  /** What the job has written so far. */
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  /** How much of it is stored (see `saveOutput`). */
  saved: number;
  /** Ends when the command returns. */
  done: Promise<void>;
  /** True once its outcome is recorded (the command may still be running, if it was stuck). */
  settled: boolean;
  /** Why it failed, when code of it escaped (see `_contain.ts`): a call to exit, say. */
  escaped?: string;
  /** Whether its command's failure is worth another attempt, as the run judged it. */
  verdict?: RetryVerdict;
  /** Aborts its signal, and gives up on it if it does not stop within the abort grace. */
  abort: (reason: string) => void;
}

/** What a job runs with, and what it tells its worker. */
export interface JobRunOptions {
  /** The registry its command is found in. */
  readonly registry: Registry;
  /** Keep its output's styles (ANSI). */
  readonly styledOutput: boolean;
  /** The environment it runs with. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The working directory it runs in. */
  readonly cwd: string;
  /** How long it gets to end once aborted, in ms. */
  readonly abortGrace: number;
  /** The database it gets as `ctx.db`. */
  readonly jobDatabase: () => Promise<Database>;
  /** Where the worker says what it does. */
  readonly log: (level: LogLevel, line: string) => void;
  /** Called when its command returned, with how long it ran, in ms. */
  readonly ran: (ms: number) => void;
  /**
   * Called when it ended: its exit code (null when it did not stop in time), its output, and
   * when it started. It may be called twice (a command that ends after it was given up on): the
   * worker keeps the first.
   */
  readonly settle: (
    entry: Running,
    code: number | null,
    stdout: string,
    stderr: string,
    startedAt: Date,
  ) => void;
}

/** Starts `job`; the worker holds what it returns until `settle` is called. */
export function startJob(job: ClaimedJob, options: JobRunOptions): Running {
  const controller = new AbortController();
  const stdout = captureOutput();
  const stderr = captureOutput();
  const startedAt = new Date();
  const began = performance.now();
  options.log("debug", `Job ${job.id} started: ${[job.command, ...job.args].join(" ")}`);
  let timeout: ReturnType<typeof setTimeout> | undefined;
  let giveUp: ReturnType<typeof setTimeout> | undefined;
  // What escapes the command (see `_contain.ts`) fails it; it is told to stop, as on a timeout.
  const escape = (reason: string, thrown?: boolean) => {
    if (entry.settled) {
      options.log(
        "error",
        `Job ${job.id} ${job.command} had ended; what it left running: ${reason}`,
      );
      return;
    }
    if (entry.escaped !== undefined) return;
    entry.escaped = reason;
    if (!thrown) stderr.write(`${reason}\n`);
    entry.abort("failed");
  };
  const entry: Running = {
    job,
    controller,
    stdout,
    stderr,
    saved: 0,
    settled: false,
    abort: (reason) => {
      // As the job's own: its abort listeners run, and whatever they throw is charged to it.
      runContained(escape, () => controller.abort(reason));
      giveUp = setTimeout(() => {
        const note =
          `\n(the command did not stop within ${options.abortGrace} ms of being asked)\n`;
        options.settle(entry, null, stdout.text, stderr.text + note, startedAt);
      }, options.abortGrace);
    },
    done: Promise.resolve(),
  };
  entry.done = (async () => {
    let code: number;
    try {
      code = await runContained(escape, () =>
        main([job.command, ...job.args], {
          registry: options.registry,
          stdout,
          stderr,
          stdoutIsTerminal: options.styledOutput,
          stderrIsTerminal: options.styledOutput,
          env: options.env,
          signal: controller.signal,
          cwd: options.cwd,
          prog: "manage",
          // Opened outside the job: the connection outlives it.
          database: () => outsideJobs(options.jobDatabase),
          // main() refuses a command that may not run in the background (exit 2: not retried).
          from: "background",
          failed: (verdict) => void (entry.verdict = verdict),
        }));
    } catch (error) {
      stderr.write(`${(error as Error)?.message ?? String(error)}\n`);
      code = 1;
    }
    const ms = performance.now() - began;
    options.ran(ms);
    options.settle(entry, code, stdout.text, stderr.text, startedAt);
  })();
  if (job.timeoutMs) timeout = setTimeout(() => entry.abort("timeout"), job.timeoutMs);
  entry.done.finally(() => {
    clearTimeout(timeout);
    clearTimeout(giveUp);
  });
  return entry;
}
