// Headless Chromium for the console's browser tests, through playwright-core. playwright-core
// probes /proc/sys/fs/binfmt_misc when it loads (is it WSL?), which Deno allows only with
// --allow-all; the suite runs with narrower permissions, so there a browser test runs itself in
// a child `deno test --allow-all` (which the ffi permission, granted only by it, tells).

import assert from "node:assert/strict";
import type { BrowserContext } from "playwright-core";
import { ROOT } from "../../_helpers.ts";
import { CHROMIUM } from "../../_requires.ts";

/** Whether this process may load playwright-core (it runs with --allow-all). */
export const ALL_PERMISSIONS = (await Deno.permissions.query({ name: "ffi" })).state === "granted";

/** Runs the test named `name` of `file` in a child `deno test --allow-all`; fails as it fails. */
export async function runInChild(name: string, file: string): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--filter", name, file],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const output = decoder.decode(stdout) + decoder.decode(stderr);
  assert.equal(code, 0, output);
  assert.match(output, /ok \| 1 passed/);
}

/** A headless Chromium with a profile of its own; `close` ends it and removes the profile. */
export interface Chromium {
  /** The browser's context, to open pages in. */
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Starts headless Chromium (Debian's) with a fresh profile and pages of `viewport`'s size. */
export async function openChromium(
  viewport: { width: number; height: number },
): Promise<Chromium> {
  const { chromium } = await import("playwright-core");
  const profile = await Deno.makeTempDir({ prefix: "manage_chromium_" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
