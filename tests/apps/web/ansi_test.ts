import assert from "node:assert/strict";
import { ansiToHtml } from "../../../apps/web/ansi.ts";
import { html, trusted } from "../../../apps/web/html.ts";
import { choosePalette, makeStyle } from "../../../core/style.ts";

Deno.test("ansiToHtml turns the styles commands write into spans and escapes the text", () => {
  const style = makeStyle(choosePalette({ forceColor: true, env: {} }));
  assert.equal(
    ansiToHtml(`${style.SUCCESS("Migrated.")} ${style.ERROR('<fail> & "quote"')}\n`),
    '<span class="a-bold a-fg-green">Migrated.</span> ' +
      '<span class="a-bold a-fg-red">&lt;fail&gt; &amp; &quot;quote&quot;</span>\n',
  );
  assert.equal(ansiToHtml("plain <b>text</b>"), "plain &lt;b&gt;text&lt;/b&gt;");
});

Deno.test("ansiToHtml keeps a style across lines, resets it, and reads 256 and true colours", () => {
  assert.equal(
    ansiToHtml("\x1b[33mone\ntwo\x1b[0m three"),
    '<span class="a-fg-yellow">one</span>\n<span class="a-fg-yellow">two</span> three',
  );
  assert.equal(
    ansiToHtml("\x1b[38;5;208mA\x1b[39m\x1b[48;2;1;2;3mB\x1b[49m\x1b[94;4mC\x1b[24;22mD"),
    '<span style="color:#ff8700">A</span><span style="background-color:#010203">B</span>' +
      '<span class="a-underline a-fg-bright-blue">C</span><span class="a-fg-bright-blue">D</span>',
  );
});

Deno.test("ansiToHtml drops cursor moves and lets a carriage return redraw its line", () => {
  assert.equal(ansiToHtml("10%\r50%\r100%\ndone\x1b[2K\x1b[1A!"), "100%\ndone!");
  assert.equal(ansiToHtml("a\r\nb"), "a\nb");
  assert.equal(ansiToHtml("\x1b]0;title\x07x"), "x");
});

Deno.test("html escapes every value but markup made by html or trusted", () => {
  const name = `<img src=x onerror="alert(1)">`;
  assert.equal(
    html`<p title="${name}">${name}${html`<b>${"&"}</b>`}${trusted("<i>ok</i>")}${[
      1,
      "<",
      null,
    ]}</p>`
      .text,
    '<p title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;">' +
      "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;<b>&amp;</b><i>ok</i>1&lt;</p>",
  );
});
