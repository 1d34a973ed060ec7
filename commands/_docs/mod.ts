/**
 * The command reference `manage docs` writes: every registered command's usage, arguments,
 * options (types, defaults, environment fallbacks, choices), subcommands and examples, read from
 * the declarations themselves, as Markdown pages, man pages or one JSON document. The files are
 * computed here and compared or written by the command, so `--check` and a test can tell a
 * committed reference that no longer matches the code.
 *
 * @example The pages of one command
 * ```ts
 * import { referenceFiles } from "./mod.ts";
 * import { defineCommand } from "../../core/command.ts";
 *
 * const command = defineCommand({ help: "Greets", handle() {} });
 * const entry = {
 *   name: "greet", app: "demo", summary: "Greets", module: "apps/demo/commands/greet.ts",
 *   flags: [], load: () => Promise.resolve({ default: command }),
 * };
 * const files = await referenceFiles([entry], "markdown", "1.0.0");
 * console.assert(files.has("greet.md") && files.has("README.md"));
 * ```
 *
 * @module
 */

import { writeFileAtomic } from "../../core/atomic_file.ts";
import { loadCommand } from "../../core/checks.ts";
import type { RegistryEntry } from "../../core/registry.ts";
import { commandPage, indexPage } from "./_markdown.ts";
import { commandManPage, indexManPage } from "./_man.ts";
import { type CommandDoc, commandDoc } from "./_model.ts";
import { compareText } from "../../core/compare.ts";

export type { ArgumentDoc, CommandDoc, SubcommandDoc } from "./_model.ts";

/** The formats of the reference. */
export const DOC_FORMATS = ["markdown", "man", "json"] as const;

/** A format of the reference. */
export type DocFormat = typeof DOC_FORMATS[number];

/** Where each format is written by default, relative to the project root. */
export const DEFAULT_OUTPUT: Readonly<Record<DocFormat, string>> = {
  markdown: "docs/commands",
  man: "docs/man",
  json: "docs/json",
};

/** The reference of every command in `entries`, sorted by name. */
export async function commandDocs(entries: readonly RegistryEntry[]): Promise<CommandDoc[]> {
  const sorted = [...entries].sort((a, b) => compareText(a.name, b.name));
  const docs: CommandDoc[] = [];
  for (const entry of sorted) docs.push(commandDoc(entry, await loadCommand(entry)));
  return docs;
}

/** Whether a file name in an output folder is one the reference writes in `format`. */
export function isReferenceFile(name: string, format: DocFormat): boolean {
  return format === "markdown"
    ? name.endsWith(".md")
    : format === "man"
    ? name.endsWith(".1")
    : name === "commands.json";
}

/** The files of the reference in `format`: file name → content. */
export async function referenceFiles(
  entries: readonly RegistryEntry[],
  format: DocFormat,
  version: string,
): Promise<Map<string, string>> {
  const docs = await commandDocs(entries);
  const files = new Map<string, string>();
  if (format === "json") {
    files.set("commands.json", JSON.stringify({ version, commands: docs }, null, 2) + "\n");
  } else if (format === "man") {
    files.set("manage.1", indexManPage(docs, version));
    for (const doc of docs) files.set(`manage-${doc.name}.1`, commandManPage(doc, version));
  } else {
    files.set("README.md", indexPage(docs));
    for (const doc of docs) files.set(`${doc.name}.md`, commandPage(doc));
  }
  return files;
}

/** How a folder differs from the reference: files to write, and files of no command to remove. */
export interface ReferenceDiff {
  /** Files missing or different, by name. */
  readonly changed: readonly string[];
  /** Files of the format in the folder that the reference no longer has. */
  readonly stale: readonly string[];
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Compares the output folder `dir` with the reference `files`. It lists `dir` (the reference's
 * own output folder, never a source folder: commands are never found by listing one).
 */
export async function compareFolder(
  dir: string,
  files: ReadonlyMap<string, string>,
  format: DocFormat,
): Promise<ReferenceDiff> {
  const present: string[] = [];
  try {
    for await (const item of Deno.readDir(dir)) {
      if (item.isFile && isReferenceFile(item.name, format)) present.push(item.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const changed: string[] = [];
  for (const [name, text] of files) {
    if ((await readOrNull(`${dir}/${name}`)) !== text) changed.push(name);
  }
  return { changed, stale: present.filter((name) => !files.has(name)).sort() };
}

/** Brings `dir` up to date: writes each changed file whole or not at all, removes stale ones. */
export async function writeReference(
  dir: string,
  files: ReadonlyMap<string, string>,
  diff: ReferenceDiff,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const name of diff.changed) await writeFileAtomic(`${dir}/${name}`, files.get(name)!);
  for (const name of diff.stale) await Deno.remove(`${dir}/${name}`);
}
