/**
 * The `manage` program: the only module that touches the process — its arguments, environment,
 * signals, streams and exit code. Everything else takes them as parameters.
 *
 * @module
 */

import { registry as generated } from "./commands/_registry.ts";
import { main, SIGNAL_EXIT_CODES } from "./core/main.ts";
import { streamSink } from "./core/output.ts";
import { workingDirectory } from "./core/project.ts";
import { freshRegistry } from "./scripts/registry_files.ts";

const controller = new AbortController();
const stdinIsTerminal = Deno.stdin.isTerminal();
let raw = false;
let interrupts = 0;

/**
 * Raw mode for unechoed input (passwords). `cbreak` keeps Ctrl-C a signal, so it interrupts the
 * run as anywhere else; Windows has no cbreak, and the reader takes Ctrl-C as a key there.
 */
function setRaw(on: boolean): void {
  try {
    Deno.stdin.setRaw(on, { cbreak: on });
  } catch {
    Deno.stdin.setRaw(on);
  }
  raw = on;
}

/**
 * Replaces `Deno.exit` with what `guard` makes of it until the function returned is called: a
 * worker's jobs run in this process, and one that calls exit fails instead of ending it.
 * `Deno.exit` cannot be stopped from outside (its `unload` event cannot cancel it), but it is a
 * writable property.
 */
function guardExit(
  guard: (exit: (code?: number) => never) => (code?: number) => never,
): () => void {
  const deno = Deno as { exit: (code?: number) => never };
  const exit = deno.exit;
  deno.exit = guard(exit);
  return () => {
    deno.exit = exit;
  };
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  try {
    Deno.addSignalListener(signal, () => {
      // The first signal asks the command to stop and clean up; a second one ends it at once.
      if (++interrupts > 1) {
        if (raw) Deno.stdin.setRaw(false);
        Deno.exit(SIGNAL_EXIT_CODES[signal]);
      }
      controller.abort(signal);
    });
  } catch {
    // Not every platform has every signal (Windows has no SIGTERM).
  }
}

/** The host's name, or `localhost` when it may not be read (`--allow-sys` not given). */
function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

const env = Deno.env.toObject();
const columns = Number(env.COLUMNS) ||
  (Deno.stdout.isTerminal() ? Deno.consoleSize().columns : 80);

const stderr = streamSink(Deno.stderr);
// A source run finds a registry that no longer lists the project's files before the command runs,
// and regenerates it (or says why it cannot); the compiled binary has only its registry.
let registry = generated;
if (!Deno.build.standalone) {
  const fresh = await freshRegistry(generated, new URL(".", import.meta.url));
  registry = fresh.registry;
  if (fresh.notice) stderr.write(`${fresh.notice}\n`);
}

const code = await main(Deno.args, {
  registry,
  stdout: streamSink(Deno.stdout),
  stderr,
  stdoutIsTerminal: Deno.stdout.isTerminal(),
  stderrIsTerminal: Deno.stderr.isTerminal(),
  env,
  signal: controller.signal,
  terminalWidth: columns,
  prog: "manage",
  cwd: workingDirectory(env, Deno.cwd()),
  processCwd: Deno.cwd(),
  backgroundServer: true,
  executable: Deno.execPath(),
  pid: Deno.pid,
  hostname: hostName(),
  stdin: Deno.stdin.readable,
  stdinIsTerminal,
  setRaw: stdinIsTerminal ? setRaw : undefined,
  guardExit,
});
Deno.exit(code);
