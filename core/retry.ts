/**
 * Which failures of a command are worth running again, when it runs as a job: a
 * {@linkcode CommandError} is final (the command said what is wrong: a missing file stays
 * missing) unless raised with `{ retry: true }`; an unexpected error (a lost connection, a
 * timeout) is worth another attempt; a command's `retry` policy decides otherwise. The worker
 * runs a job again only while it has attempts left (`enqueue --max-attempts`), and records why
 * it did not.
 *
 * @module
 */

import { CommandError, UsageError } from "./errors.ts";

/**
 * A command's retry policy: `"never"` (no failure is retried), `"always"` (every failure is,
 * a `CommandError` too), or a function saying of a failure whether it is worth retrying. A
 * `CommandError` raised with an explicit `retry` option overrides it.
 *
 * @example Retry only when the upstream service was busy
 * ```ts
 * import type { RetryPolicy } from "./retry.ts";
 *
 * const retry: RetryPolicy = (error) => error instanceof Error && /busy/.test(error.message);
 * console.assert(retry(new Error("service busy")) === true);
 * ```
 */
export type RetryPolicy = "never" | "always" | ((error: unknown) => boolean);

/** Whether a failure is worth another attempt, and if not, why. */
export interface RetryVerdict {
  /** Run it again (while the job has attempts left). */
  readonly retry: boolean;
  /** Why it is final, in words for the job's page. */
  readonly reason?: string;
}

/**
 * Whether the failure `error` of a command with retry policy `policy` is worth another attempt.
 *
 * @example
 * ```ts
 * import { CommandError } from "./errors.ts";
 * import { retryVerdict } from "./retry.ts";
 *
 * console.assert(retryVerdict(new CommandError("File not found")).retry === false);
 * console.assert(retryVerdict(new CommandError("Busy", { retry: true })).retry === true);
 * console.assert(retryVerdict(new Error("connection reset")).retry === true);
 * console.assert(retryVerdict(new Error("connection reset"), "never").retry === false);
 * ```
 */
export function retryVerdict(error: unknown, policy?: RetryPolicy): RetryVerdict {
  if (error instanceof UsageError) {
    return { retry: false, reason: "a usage error (exit status 2) is final" };
  }
  if (error instanceof CommandError && error.retry !== undefined) {
    return error.retry
      ? { retry: true }
      : { retry: false, reason: "the command raised its CommandError with { retry: false }" };
  }
  if (policy === "never") {
    return { retry: false, reason: "the command's retry policy is 'never'" };
  }
  if (policy === "always") return { retry: true };
  if (typeof policy === "function") {
    let worth: boolean;
    try {
      worth = policy(error) === true;
    } catch {
      worth = false;
    }
    return worth
      ? { retry: true }
      : { retry: false, reason: "the command's retry policy says this failure is final" };
  }
  if (error instanceof CommandError) {
    return {
      retry: false,
      reason: "a CommandError is final (raise it with { retry: true } for one worth retrying)",
    };
  }
  return { retry: true };
}
