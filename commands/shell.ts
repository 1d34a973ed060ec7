import { join } from "node:path";
import { type CommandContext, defineCommand } from "../core/command.ts";
import { projectFolder } from "../core/project.ts";
import { lineEditor } from "./_shell_editor.ts";
import { ShellScope } from "./_shell_eval.ts";

// `manage shell`, as Django's: `-c CODE` runs the code, code piped in runs when standard input
// is no terminal, and at a terminal a prompt reads inputs one by one. Code is JavaScript (what
// TypeScript runs as), with top-level await. In scope: the project's models by name, `db`,
// `callCommand`, `registry`, and `print`.

/**
 * Where the shell keeps its history, in the project's private folder (MANAGE_SHELL_HISTORY names
 * another file); how many lines it keeps.
 */
const HISTORY_FILE = [".manage", "shell_history"];
const HISTORY_LINES = 1000;

/** The names the shell offers: the models of every app, and the run's resources. */
async function offered(ctx: CommandContext): Promise<Record<string, unknown>> {
  const names: Record<string, unknown> = {};
  for (const entry of ctx.registry.models ?? []) {
    for (const [name, value] of Object.entries(await entry.load())) {
      const model = value as { objects?: unknown; state?: unknown } | null;
      if (typeof model === "object" && model !== null && model.objects && model.state) {
        names[name] = value;
      }
    }
  }
  const models = Object.keys(names);
  names.db = ctx.db;
  names.callCommand = (name: string, args: readonly string[] = [], options = {}) =>
    ctx.callCommand(name, args, options);
  names.registry = ctx.registry;
  names.print = (...values: unknown[]) =>
    ctx.stdout.write(values.map((v) => typeof v === "string" ? v : Deno.inspect(v)).join(" "));
  names.models = Object.fromEntries(models.map((name) => [name, names[name]]));
  return names;
}

async function readAll(stdin: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stdin.pipeThrough(new TextDecoderStream())) text += chunk;
  return text;
}

async function loadHistory(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((line) => line !== "");
  } catch {
    return [];
  }
}

async function saveHistory(path: string, history: readonly string[]): Promise<void> {
  try {
    await Deno.mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(path, history.slice(-HISTORY_LINES).join("\n") + "\n", {
      mode: 0o600,
    });
  } catch {
    // A read-only project: the history is this session's only.
  }
}

/** The one line an error is shown as at the prompt (the stack only with --traceback). */
function describe(error: unknown, traceback: boolean): string {
  if (error instanceof Error) {
    return traceback && error.stack ? error.stack : `Uncaught ${error.name}: ${error.message}`;
  }
  return `Uncaught ${Deno.inspect(error)}`;
}

async function interactive(ctx: CommandContext, scope: ShellScope): Promise<void> {
  const historyPath = ctx.env.MANAGE_SHELL_HISTORY ||
    join(await projectFolder(ctx.cwd), ...HISTORY_FILE);
  const history = await loadHistory(historyPath);
  const editor = lineEditor(
    ctx.stdin!,
    (text) => ctx.stdout.write(text, { ending: "" }),
    ctx
      .setRaw!,
    history,
  );
  const models = Object.keys(scope.names.models as Record<string, unknown>);
  ctx.stdout.write(
    `${models.length + 4} objects in scope: ${
      [...models, "db", "callCommand", "registry", "print"]
        .join(", ")
    }.\nTop-level await works; Ctrl-D on an empty line ends the shell.`,
  );
  try {
    for (;;) {
      let code = await editor.readLine(">>> ");
      if (code === undefined) break;
      while (scope.incomplete(code)) {
        const more = await editor.readLine("... ");
        if (more === undefined || more === "") break;
        code += `\n${more}`;
      }
      if (code.trim() === "") continue;
      try {
        const value = await scope.run(code);
        if (value !== undefined) ctx.stdout.write(Deno.inspect(value, { colors: false }));
      } catch (error) {
        ctx.stderr.write(describe(error, ctx.options.traceback === true));
      }
    }
  } finally {
    editor.release();
    await saveHistory(historyPath, history);
  }
}

export default defineCommand({
  help: "Runs JavaScript with the project's models, db and callCommand in scope",
  epilog: "Without -c, code piped in is run; at a terminal, a prompt reads it line by line " +
    "(history, multi-line input, top-level await).",
  // A shell runs any code with the program's permissions: the command line only.
  runFrom: ["cli"],
  requiresDatabase: true,
  options: {
    command: {
      short: "c",
      metavar: "CODE",
      help: "run CODE and exit, as Django's shell -c",
    },
  },
  async handle(ctx) {
    const scope = new ShellScope(await offered(ctx as CommandContext));
    if (ctx.options.command !== undefined) {
      await scope.run(ctx.options.command);
      return;
    }
    if (ctx.stdin && ctx.stdinIsTerminal && ctx.setRaw) {
      await interactive(ctx as CommandContext, scope);
      return;
    }
    if (ctx.stdin) await scope.run(await readAll(ctx.stdin));
  },
});
