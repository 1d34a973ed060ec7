/**
 * Writes `apps/auth/common_passwords/passwords.json`, the list `CommonPasswordValidator` rejects,
 * from Django's own `django/contrib/auth/common-passwords.txt.gz`: each line trimmed and
 * lower-cased, blank lines and repeats left out, in Django's order, as a JSON array with one
 * password a line. `--check` writes nothing and exits 1 when the file is not that list.
 *
 * ```sh
 * apt-get install python3-django    # Debian's Django has the file (see DJANGO_LIST)
 * deno task passwords               # write the list
 * deno task passwords --check       # exit 1 when it differs from Django's
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../core/atomic_file.ts";
import { scriptArgs } from "./_args.ts";

/** Where Debian's python3-django installs Django's list. */
export const DJANGO_LIST =
  "/usr/lib/python3/dist-packages/django/contrib/auth/common-passwords.txt.gz";
/** The vendored list, relative to the project root. */
export const LIST = "apps/auth/common_passwords/passwords.json";

/**
 * The passwords of Django's file, as its validator reads them: trimmed, lower-cased, each once.
 *
 * @example
 * ```ts
 * import { passwordsOf } from "./common_passwords.ts";
 *
 * console.assert(passwordsOf("Dragon\n\ndragon \nqwerty").join() === "dragon,qwerty");
 * ```
 */
export function passwordsOf(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    const password = line.trim().toLowerCase();
    if (password !== "") seen.add(password);
  }
  return [...seen];
}

/** The JSON text of the list: an array, one password a line. */
export function listJson(passwords: readonly string[]): string {
  return `${JSON.stringify(passwords, null, 2)}\n`;
}

async function gunzip(path: string): Promise<string> {
  const file = await Deno.open(path);
  const stream = file.readable.pipeThrough(new DecompressionStream("gzip"));
  return new TextDecoder("utf-8", { fatal: true }).decode(
    new Uint8Array(await new Response(stream).arrayBuffer()),
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const options = scriptArgs({
    prog: "deno task passwords",
    help: "Writes the common-password list from Django's common-passwords.txt.gz, or checks it",
    arguments: {
      options: {
        from: { metavar: "FILE", default: DJANGO_LIST, help: "Django's gzipped list" },
        output: { metavar: "FILE", default: LIST, help: "the JSON list to write or check" },
        check: { type: "boolean", help: "write nothing; exit 1 when the list differs" },
      },
    },
  }, argv);
  const root = fileURLToPath(new URL("../", import.meta.url));
  const output = options.output === LIST ? `${root}${LIST}` : options.output;
  let text: string;
  try {
    text = await gunzip(options.from);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file (install Django, e.g. apt-get install python3-django, or name the file " +
        "with --from)"
      : (error as Error).message;
    console.error(`error: Cannot read ${options.from}: ${reason}`);
    return 1;
  }
  const passwords = passwordsOf(text);
  const json = listJson(passwords);
  if (options.check) {
    const current = await Deno.readTextFile(output).catch(() => undefined);
    if (current !== json) {
      console.error(
        `error: ${options.output} is not the list in ${options.from}: run ` +
          "scripts/common_passwords.ts without --check to write it again",
      );
      return 1;
    }
    console.log(`${options.output} is Django's list (${passwords.length} passwords)`);
    return 0;
  }
  await writeFileAtomic(output, json);
  console.log(`Wrote ${options.output} (${passwords.length} passwords)`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
