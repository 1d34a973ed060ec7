/**
 * Keeps what a job does wrong inside the job. While a worker runs, a job that calls the runtime's
 * exit (or Node's `process.exit`, which calls it), leaves a promise rejection unhandled, or lets
 * an exception out of a callback (a timer, an event listener) fails, saying so, instead of ending
 * the process and every other job with it.
 *
 * What Deno 2.9 allows decides how: exit cannot be stopped from outside (its `unload` event
 * cannot cancel it), but it can be replaced, which the process's edge does for the worker
 * (`ctx.guardExit`, given by `cli.ts`): while workers run it is one that throws inside a job and
 * exits as before anywhere else. Without that guard, a job that exits still ends the process. A
 * job is known by its async
 * context (`AsyncLocalStorage`), which follows its promises, microtasks and the listeners it
 * dispatches; `unhandledrejection` and `error` events are then cancelled and charged to it. An
 * exception thrown by a timer's callback reaches the `error` event outside any context, so the
 * callbacks of the timers a job sets are wrapped.
 *
 * What no process can guard against from inside stays out of reach: a job that blocks the event
 * loop for good, exhausts memory, or kills its own process. Its worker stops heartbeating, and
 * the lease gives its jobs to other workers (a job lost this way 10 times fails).
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { CommandError } from "../../../core/errors.ts";

/**
 * Fails the running job with `reason`; `thrown` when the reason is also thrown into the job
 * (whose run then reports it as its error).
 */
export type Escape = (reason: string, thrown?: boolean) => void;

/** Thrown inside a job that calls exit, to end what it was doing. */
export class JobExit extends CommandError {}

const current = new AsyncLocalStorage<Escape | undefined>();
let installs = 0;
let uninstall: (() => void) | undefined;

/** Runs `fn` as the job that `escape` fails: what escapes from it is charged to that job. */
export function runContained<T>(escape: Escape, fn: () => T): T {
  return current.run(escape, fn);
}

/** Runs `fn` as no job's (for what outlives the job that starts it: a shared connection). */
export function outsideJobs<T>(fn: () => T): T {
  return current.run(undefined, fn);
}

/** Replaces the process's exit with the one `guard` makes of it; gives what restores it. */
export type GuardExit = (
  guard: (exit: (code?: number) => never) => (code?: number) => never,
) => () => void;

/**
 * Contains jobs until the function it gives is called (counted: each running worker installs it
 * once, and the process is left as it was when the last one is done). `guardExit` lets it catch
 * a job's call to exit too; the first worker's decides.
 */
export function containJobs(guardExit?: GuardExit): () => void {
  if (installs++ === 0) uninstall = install(guardExit);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--installs === 0) uninstall?.();
  };
}

/** One line saying what was thrown: an error's name and message, or the value itself. */
function describe(value: unknown): string {
  const text = value instanceof Error
    ? `${value.name}: ${value.message}`
    : typeof value === "string"
    ? value
    : Deno.inspect(value);
  const line = text.split("\n")[0];
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

type Timer = (callback: unknown, delay?: number, ...args: unknown[]) => unknown;

function install(guardExit?: GuardExit): () => void {
  const timers = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };
  const restoreExit = guardExit?.((exit) => (code?: number): never => {
    const escape = current.getStore();
    if (!escape) return exit(code);
    const reason = `The job called exit(${code ?? ""}), which would have ended its worker`;
    escape(reason, true);
    throw new JobExit(reason);
  });
  const onRejection = (event: PromiseRejectionEvent) => {
    const escape = current.getStore();
    if (!escape) return;
    event.preventDefault();
    if (!(event.reason instanceof JobExit)) {
      escape(`Unhandled promise rejection in the job: ${describe(event.reason)}`);
    }
  };
  const onError = (event: ErrorEvent) => {
    // Thrown by exit inside a job's callback: that job has failed already.
    if (event.error instanceof JobExit) {
      event.preventDefault();
      return;
    }
    const escape = current.getStore();
    if (!escape) return;
    event.preventDefault();
    escape(`Uncaught exception in the job: ${describe(event.error ?? event.message)}`);
  };
  const wrap = (set: Timer): Timer => (callback, delay, ...args) => {
    const escape = current.getStore();
    if (!escape || typeof callback !== "function") return set(callback, delay, ...args);
    return set(
      function (this: unknown, ...given: unknown[]) {
        try {
          return callback.apply(this, given);
        } catch (error) {
          if (!(error instanceof JobExit)) {
            escape(`Uncaught exception in the job: ${describe(error)}`);
          }
        }
      },
      delay,
      ...args,
    );
  };
  const global = globalThis as unknown as Record<"setTimeout" | "setInterval", Timer>;
  global.setTimeout = wrap(timers.setTimeout as unknown as Timer);
  global.setInterval = wrap(timers.setInterval as unknown as Timer);
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  return () => {
    restoreExit?.();
    globalThis.setTimeout = timers.setTimeout;
    globalThis.setInterval = timers.setInterval;
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
  };
}
