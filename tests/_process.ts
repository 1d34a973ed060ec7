import { CLI_PERMISSIONS, type Project } from "./_helpers.ts";

// Shared by the tests that keep a `cli.ts` process running (a worker, runserver) while they act
// on it: its output read as it comes, waited on, and signalled.

/** A running `cli.ts` process. */
export interface CliProcess {
  /** The process, to signal it. */
  readonly child: Deno.ChildProcess;
  /** What it has written to standard output so far. */
  stdout(): string;
  /** What it has written to standard error so far. */
  stderr(): string;
  /** Whether it has ended. */
  ended(): boolean;
  /** Waits until its standard output matches `pattern` (fails if it ends first). */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Waits for it to end; gives its exit code and output. */
  end(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts `cli.ts <args>` in `project` with colour off. */
export function startCli(
  project: Project,
  args: string[],
  env: Record<string, string> = {},
): CliProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...CLI_PERMISSIONS, "cli.ts", ...args],
    cwd: project.root,
    env: { NO_COLOR: "1", COLUMNS: "80", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  let done = false;
  const collect = (stream: ReadableStream<Uint8Array>, add: (text: string) => void) =>
    stream.pipeThrough(new TextDecoderStream()).pipeTo(new WritableStream({ write: add }));
  const reading = Promise.all([
    collect(child.stdout, (text) => void (out += text)),
    collect(child.stderr, (text) => void (err += text)),
  ]);
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    ended: () => done,
    async waitFor(pattern, ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const match = pattern.exec(out);
        if (match) return match;
        if (done || Date.now() > deadline) {
          throw new Error(`No ${pattern} in the output:\n${out}\n${err}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async end() {
      const { code } = await status;
      await reading;
      return { code, stdout: out, stderr: err };
    },
  };
}

/** Waits until `condition` holds (checked every `every` ms), failing after `ms`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { ms = 60_000, every = 100 } = {},
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/** Lines of `text` that look like a stack trace or an uncaught error. */
export function crashLines(text: string): string[] {
  return text.split("\n").filter((line) => /^\s+at |Uncaught|^error: /.test(line));
}
