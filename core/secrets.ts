/**
 * The secrets a run must never show: the passwords of URLs in its words and in `DATABASE_URL`,
 * and the superuser password given through the environment. {@linkcode redactor} hides them in
 * what a command prints on error and in what a stored job shows.
 *
 * @module
 */

import { redactUrl, urlPasswords } from "./database.ts";

/** The secrets in a run's environment and words (the words of a command line, or a job's). */
export function secretsIn(
  env: Readonly<Record<string, string | undefined>>,
  words: readonly string[],
): string[] {
  const secrets: string[] = [];
  for (const text of [env.DATABASE_URL ?? "", ...words]) {
    for (const { password, raw, visible } of urlPasswords(text)) {
      // A password that is also a visible part of its URL (postgres://postgres:postgres@…) would
      // turn every mention of that part into ****; redactUrl already hides it inside URLs.
      if (visible.includes(password)) continue;
      secrets.push(...new Set([password, raw]));
    }
  }
  if (env.MANAGE_SUPERUSER_PASSWORD) secrets.push(env.MANAGE_SUPERUSER_PASSWORD);
  return secrets;
}

/**
 * A function that hides, in a text, every URL's password and the secrets of `env` and `words`
 * (see {@linkcode secretsIn}), each as `****`.
 *
 * @example
 * ```ts
 * import { redactor } from "./secrets.ts";
 *
 * const hide = redactor({}, ["--url=postgres://app:s3cret@db/app"]);
 * console.assert(hide("login s3cret failed") === "login **** failed");
 * console.assert(hide("postgres://u:pw@h/x") === "postgres://u:****@h/x");
 * ```
 */
export function redactor(
  env: Readonly<Record<string, string | undefined>>,
  words: readonly string[],
): (text: string) => string {
  const secrets = secretsIn(env, words);
  return (text) => {
    let out = redactUrl(text);
    for (const secret of secrets) out = out.replaceAll(secret, "****");
    return out;
  };
}
