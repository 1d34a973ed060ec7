// Reading lines and secrets from standard input: key editing in raw mode, the terminal put back
// however a read ends, and reads that end when the run is interrupted.

import assert from "node:assert/strict";
import { lineReader, prompter } from "../../core/prompt.ts";
import { captureOutput, OutputWrapper } from "../../core/output.ts";
import { CommandError } from "../../core/errors.ts";

/** A stream that gives each chunk as one read, like keys arriving at a terminal. */
function keys(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      const chunk = chunks.shift();
      if (chunk === undefined) controller.close();
      else controller.enqueue(encoder.encode(chunk));
    },
  });
}

function rawLog() {
  const calls: boolean[] = [];
  return { calls, setRaw: (raw: boolean) => void calls.push(raw) };
}

Deno.test("readSecret edits keys in raw mode and puts the terminal back", async () => {
  const { calls, setRaw } = rawLog();
  const reader = lineReader(
    keys("se", "cx\x7fret\r", "ab\x15new\x1b[Dpass\r\n", "tail\n"),
    { setRaw },
  );
  let rawWhenReady: boolean | undefined;
  assert.equal(await reader.readSecret(() => rawWhenReady = calls.at(-1)), "secret");
  assert.equal(rawWhenReady, true, "the prompt is written once echo is off");
  assert.equal(await reader.readSecret(), "newpass", "Ctrl-U clears, arrows are ignored");
  // The CR LF of Enter is one line end: the next line is intact.
  assert.equal(await reader.readLine(), "tail");
  assert.deepEqual(calls, [true, false, true, false]);
  reader.release();
});

Deno.test("readSecret: Ctrl-D on an empty line ends the input, Ctrl-C cancels", async () => {
  const { calls, setRaw } = rawLog();
  const ended = lineReader(keys("\x04"), { setRaw });
  assert.equal(await ended.readSecret(), undefined);
  const cancelled = lineReader(keys("abc\x03"), { setRaw });
  await assert.rejects(cancelled.readSecret(), (error) => {
    assert.ok(error instanceof CommandError);
    assert.equal(error.returncode, 130);
    return true;
  });
  assert.deepEqual(calls, [true, false, true, false]);
  ended.release();
  cancelled.release();
});

Deno.test("without raw mode (a pipe), a secret is a plain line", async () => {
  const reader = lineReader(keys("one\ntwo\n"));
  assert.equal(await reader.readSecret(), "one");
  assert.equal(await reader.readLine(), "two");
  assert.equal(await reader.readSecret(), undefined);
});

Deno.test("an interrupted run ends a pending read, and raw mode is put back", async () => {
  const { calls, setRaw } = rawLog();
  const controller = new AbortController();
  // A stream that never answers, like a terminal nobody types at.
  const silent = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
  const reader = lineReader(silent, { signal: controller.signal, setRaw });
  const pending = reader.readSecret();
  setTimeout(() => controller.abort("SIGINT"), 10);
  await assert.rejects(pending, (reason) => reason === "SIGINT");
  assert.deepEqual(calls, [true, false]);
  await assert.rejects(reader.readLine(), (reason) => reason === "SIGINT");
  reader.release();
});

Deno.test("prompter writes questions, and a newline after a secret typed in raw mode", async () => {
  const out = captureOutput();
  const prompt = prompter({
    stdin: keys("ann\n", "hunter22\r"),
    stdout: new OutputWrapper(out),
    signal: new AbortController().signal,
    setRaw: () => {},
  });
  assert.equal(await prompt.ask("Username: "), "ann");
  assert.equal(await prompt.askSecret("Password: "), "hunter22");
  assert.equal(await prompt.ask("More? "), undefined);
  prompt.release();
  assert.equal(out.text, "Username: Password: \nMore? ");
});
