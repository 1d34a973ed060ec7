import assert from "node:assert/strict";
import {
  choosePalette,
  DARK_PALETTE,
  LIGHT_PALETTE,
  makeStyle,
  parseColorSetting,
  ROLES,
  stripAnsi,
} from "../../core/style.ts";

Deno.test("the default palette styles every role Django has", () => {
  const style = makeStyle(DARK_PALETTE);
  assert.equal(style.SUCCESS("ok"), "\x1b[32;1mok\x1b[0m");
  assert.equal(style.ERROR("no"), "\x1b[31;1mno\x1b[0m");
  assert.equal(style.WARNING("hm"), "\x1b[33;1mhm\x1b[0m");
  assert.equal(style.NOTICE("fyi"), "\x1b[31mfyi\x1b[0m");
  assert.equal(style.SQL_KEYWORD("SELECT"), "\x1b[33mSELECT\x1b[0m");
  assert.equal(style.MIGRATE_HEADING("Operations"), "\x1b[36;1mOperations\x1b[0m");
  assert.equal(style.HTTP_SUCCESS("200"), "200");
  assert.equal(ROLES.length, 17);
  for (const role of ROLES) assert.equal(stripAnsi(style[role]("x")), "x");
});

Deno.test("without a palette every role returns its text unchanged", () => {
  const style = makeStyle(undefined);
  for (const role of ROLES) assert.equal(style[role]("text"), "text");
});

Deno.test("MANAGE_COLORS chooses palettes and overrides roles as DJANGO_COLORS does", () => {
  assert.equal(parseColorSetting(undefined), DARK_PALETTE);
  assert.equal(parseColorSetting(""), DARK_PALETTE);
  assert.deepEqual(parseColorSetting("light"), LIGHT_PALETTE);
  assert.equal(parseColorSetting("nocolor"), undefined);
  const custom = parseColorSetting("light;error=yellow/blue,blink;notice=magenta");
  assert.deepEqual(custom?.ERROR, { fg: "yellow", bg: "blue", opts: ["blink"] });
  assert.deepEqual(custom?.NOTICE, { fg: "magenta", bg: undefined, opts: [] });
  assert.equal(makeStyle(custom).ERROR("x"), "\x1b[33;44;5mx\x1b[0m");
  // Unknown roles, colours and options are ignored, as Django ignores them.
  assert.deepEqual(parseColorSetting("dark;bogus=red;error=chartreuse"), DARK_PALETTE);
  // A palette with nothing left in it means no colour.
  assert.equal(parseColorSetting("nocolor;error=nocolor"), undefined);
  assert.ok(parseColorSetting("nocolor;error=red")?.ERROR);
});

Deno.test("colour is decided by flags, then NO_COLOR/FORCE_COLOR, then the terminal", () => {
  assert.equal(choosePalette({ isTerminal: false }), undefined);
  assert.equal(choosePalette({ isTerminal: true }), DARK_PALETTE);
  assert.equal(choosePalette({ isTerminal: true, env: { TERM: "dumb" } }), undefined);
  assert.equal(choosePalette({ isTerminal: true, noColor: true }), undefined);
  assert.equal(choosePalette({ isTerminal: false, forceColor: true }), DARK_PALETTE);
  assert.equal(choosePalette({ isTerminal: true, env: { NO_COLOR: "1" } }), undefined);
  assert.equal(choosePalette({ isTerminal: true, env: { NO_COLOR: "" } }), DARK_PALETTE);
  assert.equal(choosePalette({ isTerminal: false, env: { FORCE_COLOR: "1" } }), DARK_PALETTE);
  assert.equal(choosePalette({ isTerminal: true, env: { FORCE_COLOR: "0" } }), undefined);
  assert.equal(choosePalette({ isTerminal: false, env: { FORCE_COLOR: "" } }), undefined);
  assert.equal(choosePalette({ forceColor: true, env: { NO_COLOR: "1" } }), DARK_PALETTE);
  assert.equal(choosePalette({ forceColor: true, env: { MANAGE_COLORS: "nocolor" } }), undefined);
});
