/**
 * Reading answers and lines from a command's standard input (`ctx.stdin`), for confirmations,
 * interactive shells and passwords.
 *
 * @module
 */

import type { CommandContext } from "./command.ts";
import { CommandError } from "./errors.ts";

/** Reads a stream line by line. */
export interface LineReader {
  /** The next line without its ending, or `undefined` at the end of the input. */
  readLine(): Promise<string | undefined>;
  /**
   * The next line, typed unseen. With {@linkcode LineReaderOptions.setRaw} (standard input is a
   * terminal) the terminal is put in raw mode for the read and restored however it ends: keys
   * arrive unechoed, Backspace erases, Ctrl-U clears, Enter ends the line, Ctrl-D on an empty
   * line ends the input, Ctrl-C cancels. Without it (a pipe) this is {@linkcode readLine}.
   * `ready` is called once the terminal no longer shows what is typed, to write the prompt:
   * whatever is typed after the prompt appears stays unseen.
   */
  readSecret(ready?: () => void): Promise<string | undefined>;
  /** Stops reading and lets go of the stream. */
  release(): void;
}

/** Options of {@linkcode lineReader}. */
export interface LineReaderOptions {
  /** Ends a pending read (it rejects with the signal's reason) when the run is interrupted. */
  signal?: AbortSignal;
  /** Switches the terminal on the stream to raw mode and back (`ctx.setRaw`), for secrets. */
  setRaw?: (raw: boolean) => void;
}

// What follows ESC in the sequences a terminal sends for arrows, Home, F-keys…: not part of a
// secret.
const ESCAPE_SEQUENCE_REST = /^(\[[0-9;?]*[ -/]*[@-~]|O.)/s;

/**
 * A line reader over a byte stream (`ctx.stdin`); an absent stream reads as empty.
 *
 * @example
 * ```ts
 * import { lineReader } from "./prompt.ts";
 *
 * const input = new Blob(["yes\nno\n"]).stream();
 * const reader = lineReader(input);
 * console.assert((await reader.readLine()) === "yes");
 * console.assert((await reader.readLine()) === "no");
 * console.assert((await reader.readLine()) === undefined);
 * ```
 */
export function lineReader(
  stream: ReadableStream<Uint8Array> | undefined,
  options: LineReaderOptions = {},
): LineReader {
  if (!stream) {
    const none = () => Promise.resolve(undefined);
    return {
      readLine: none,
      readSecret(ready) {
        ready?.();
        return none();
      },
      release() {},
    };
  }
  const { signal, setRaw } = options;
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let done = false;

  /** Reads more into the buffer; false at the end of the input. */
  async function fill(): Promise<boolean> {
    if (done) return false;
    signal?.throwIfAborted();
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const chunk = await Promise.race([reader.read(), aborted]);
      if (chunk.done) done = true;
      else buffer += chunk.value;
      return !chunk.done;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async function readLine(): Promise<string | undefined> {
    for (;;) {
      const newline = buffer.indexOf("\n");
      if (newline >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        return line;
      }
      if (!(await fill())) {
        if (buffer === "") return undefined;
        const last = buffer;
        buffer = "";
        return last;
      }
    }
  }

  async function readKeys(): Promise<string | undefined> {
    let secret = "";
    for (;;) {
      if (buffer === "" && !(await fill())) return secret === "" ? undefined : secret;
      const key = String.fromCodePoint(buffer.codePointAt(0)!);
      buffer = buffer.slice(key.length);
      if (key === "\r" || key === "\n") {
        // A terminal may send CR LF for Enter: the LF belongs to this line.
        if (key === "\r" && buffer.startsWith("\n")) buffer = buffer.slice(1);
        return secret;
      }
      if (key === "\x7f" || key === "\b") secret = [...secret].slice(0, -1).join("");
      else if (key === "\x15") secret = "";
      else if (key === "\x04") {
        if (secret === "") return undefined;
      } else if (key === "\x03") {
        // Only where raw mode cannot keep Ctrl-C a signal (Windows); elsewhere it aborts the run.
        throw new CommandError("Operation cancelled.", { returncode: 130, bare: true });
      } else if (key === "\x1b") {
        buffer = buffer.replace(ESCAPE_SEQUENCE_REST, "");
      } else if (key >= " ") secret += key;
    }
  }

  return {
    readLine,
    async readSecret(ready) {
      if (!setRaw) {
        ready?.();
        return await readLine();
      }
      setRaw(true);
      try {
        ready?.();
        return await readKeys();
      } finally {
        setRaw(false);
      }
    },
    release() {
      reader.cancel().catch(() => {});
    },
  };
}

/** Asks questions on a command's standard output and reads the answers from its input. */
export interface Prompter {
  /** Writes `question` (no newline) and reads the answer; `undefined` at the end of the input. */
  ask(question: string): Promise<string | undefined>;
  /** Like {@linkcode Prompter.ask}, but the answer is not shown as it is typed (passwords). */
  askSecret(question: string): Promise<string | undefined>;
  /** Lets go of standard input. */
  release(): void;
}

/**
 * A {@linkcode Prompter} over a command's context: questions go to `ctx.stdout`, answers come
 * from `ctx.stdin`, secrets are typed unseen when standard input is a terminal (`ctx.setRaw`),
 * and a pending read ends when the run is interrupted (`ctx.signal`).
 *
 * @example
 * ```ts
 * import { prompter } from "./prompt.ts";
 * import { captureOutput, OutputWrapper } from "./output.ts";
 *
 * const out = captureOutput();
 * const prompt = prompter({
 *   stdin: new Blob(["ann\nhunter22\n"]).stream(),
 *   stdout: new OutputWrapper(out),
 *   signal: new AbortController().signal,
 * });
 * console.assert((await prompt.ask("Username: ")) === "ann");
 * console.assert((await prompt.askSecret("Password: ")) === "hunter22");
 * prompt.release();
 * console.assert(out.text === "Username: Password: ");
 * ```
 */
export function prompter(
  ctx: Pick<CommandContext, "stdin" | "stdout" | "signal" | "setRaw">,
): Prompter {
  const reader = lineReader(ctx.stdin, { signal: ctx.signal, setRaw: ctx.setRaw });
  return {
    ask(question) {
      ctx.stdout.write(question, { ending: "" });
      return reader.readLine();
    },
    async askSecret(question) {
      const answer = await reader.readSecret(() => ctx.stdout.write(question, { ending: "" }));
      // In raw mode the terminal did not echo the Enter that ended the answer.
      if (ctx.setRaw && answer !== undefined) ctx.stdout.write("");
      return answer;
    },
    release: () => reader.release(),
  };
}
