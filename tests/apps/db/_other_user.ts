import { fileURLToPath } from "node:url";
import { CLI_PERMISSIONS, type Project, type RunResult } from "../../_helpers.ts";

// Running `manage` as a user whom file modes bind, for the tests of read-only folders. Root
// ignores modes, so when the tests run as root the process runs as `nobody` instead:
//
// - `setpriv --reuid=nobody --regid=nogroup --clear-groups` starts it (util-linux, in every
//   Debian-like system; `su` would need a shell for nobody);
// - the project copy is given to nobody (`chown -R`), after `deno install` has filled its
//   `node_modules` from Deno's cache as root: the copy then needs nothing from that cache;
// - Deno's own cache directory (DENO_DIR, HOME) is a fresh one of nobody's, since root's home is
//   closed to others.
//
// Run as another user already, the tests run `manage` as that user, with no change.

/** Whether the processes run as root, which file modes do not bind. */
export const AS_ROOT = Deno.uid() === 0;

async function run(command: string, args: string[], cwd?: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(command, { args, cwd, stderr: "piped" })
    .output();
  if (code !== 0) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  }
}

/** A project copy that `runAsUser` can run; its files then belong to that user. */
export async function giveToUser(project: Project): Promise<void> {
  const root = fileURLToPath(project.root);
  await run(Deno.execPath(), ["install", "--quiet"], root);
  if (AS_ROOT) await run("chown", ["-R", "nobody:nogroup", root]);
}

/** Runs the copy's `cli.ts` as the user (see the module's comment). */
export async function runAsUser(
  project: Project,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  if (!AS_ROOT) return await project.run(args, { env });
  const home = await Deno.makeTempDir({ prefix: "manage_nobody_" });
  try {
    await run("chown", ["nobody:nogroup", home]);
    const deno = [Deno.execPath(), "run", "--quiet", ...CLI_PERMISSIONS, "cli.ts", ...args];
    const { code, stdout, stderr } = await new Deno.Command("setpriv", {
      args: ["--reuid=nobody", "--regid=nogroup", "--clear-groups", ...deno],
      cwd: project.root,
      env: { HOME: home, DENO_DIR: home, COLUMNS: "80", NO_COLOR: "", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}
