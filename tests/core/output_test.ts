import assert from "node:assert/strict";
import { captureOutput, OutputWrapper, streamSink } from "../../core/output.ts";
import { DARK_PALETTE, makeStyle } from "../../core/style.ts";

Deno.test("write adds the line ending unless the text already ends with it", () => {
  const sink = captureOutput();
  const out = new OutputWrapper(sink);
  out.write("one");
  out.write("two\n");
  out.write();
  out.write("no newline", { ending: "" });
  out.write("crlf", { ending: "\r\n" });
  assert.equal(sink.text, "one\ntwo\n\nno newlinecrlf\r\n");
});

Deno.test("the wrapper's style applies to every write, a write's own style wins", () => {
  const style = makeStyle(DARK_PALETTE);
  const sink = captureOutput();
  const err = new OutputWrapper(sink, style.ERROR);
  err.write("bad");
  err.write("fine", { style: style.SUCCESS });
  err.write("");
  assert.equal(sink.text, "\x1b[31;1mbad\x1b[0m\n\x1b[32;1mfine\x1b[0m\n\n");
});

Deno.test("streamSink writes every byte and stops quietly when the reader has gone", () => {
  const written: number[] = [];
  let calls = 0;
  const slow = {
    writeSync(bytes: Uint8Array) {
      calls++;
      written.push(bytes[0]);
      return 1; // one byte at a time
    },
  };
  streamSink(slow).write("abc");
  assert.equal(String.fromCharCode(...written), "abc");
  assert.equal(calls, 3);

  let attempts = 0;
  const broken = {
    writeSync(): number {
      attempts++;
      throw new Deno.errors.BrokenPipe("gone");
    },
  };
  const sink = streamSink(broken);
  sink.write("first");
  sink.write("second");
  assert.equal(attempts, 1);
});
