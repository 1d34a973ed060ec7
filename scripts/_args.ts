// The command line of a script, read by the project's own parser: the same declarations, values,
// usage line and messages as a command's, with `-h/--help`. A mistake prints the usage and the
// error and exits 2, as argparse does.

import type { ArgumentsDecl, ValuesOf } from "../core/arguments.ts";
import { UsageError } from "../core/errors.ts";
import { formatHelp, formatUsage } from "../core/help.ts";
import { parseArgs } from "../core/parser.ts";
import { signatureOf } from "../core/signature.ts";

/** A script's name as typed (`deno task mutate`), its help, and its arguments. */
export interface ScriptDecl<D extends ArgumentsDecl> {
  prog: string;
  help: string;
  arguments: D;
  /** What the declarations cannot say (`--rounds` at least 1): the error, or undefined. */
  check?: (values: ValuesOf<D>) => string | undefined;
}

/** Parses `argv` for `script`; prints help or a usage error and exits where argparse would. */
export function scriptArgs<D extends ArgumentsDecl>(
  script: ScriptDecl<D>,
  argv: readonly string[],
): ValuesOf<D> {
  const decl = script.arguments;
  const signature = signatureOf({
    ...decl,
    options: {
      ...decl.options,
      help: { type: "boolean", short: "h", help: "show this help message and exit" },
    },
  });
  const layout = { prog: script.prog, path: [] };
  try {
    const { values, stopped } = parseArgs(signature, argv, { stopOn: ["help"] });
    // `stopOn` ends parsing only at the framework's shared options: a script's `help` is its own.
    if (stopped || values.help === true) {
      console.log(formatHelp(signature, layout, { description: script.help }));
      Deno.exit(0);
    }
    const problem = script.check?.(values as ValuesOf<D>);
    if (problem !== undefined) throw new UsageError(problem);
    delete values.help;
    return values as ValuesOf<D>;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${formatUsage(signature, layout)}\n${script.prog}: error: ${error.message}`);
    Deno.exit(error.returncode);
  }
}

/**
 * A benchmark's command line that takes only `--rounds N` (a whole number of at least 1, `rounds`
 * by default) and `-h/--help`.
 */
export function roundsArgs(
  prog: string,
  help: string,
  rounds: number,
  argv: readonly string[],
): { rounds: number } {
  return scriptArgs({
    prog,
    help,
    arguments: {
      options: { rounds: { type: "integer", default: rounds, metavar: "N", help: "timed rounds" } },
    },
    check: (values) =>
      values.rounds < 1 ? "--rounds takes a whole number of at least 1" : undefined,
  }, argv);
}
