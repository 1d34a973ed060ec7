import { resolve } from "node:path";
import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { projectFolder } from "../../../core/project.ts";
import {
  describeDatabaseError,
  FixtureDatabaseError,
  type FixtureFormat,
  FixtureLoader,
  FixtureReadError,
  FixtureRecordError,
  FixtureSyntaxError,
  knownApps,
  loadModels,
  Progress,
  readFixture,
} from "../serializers/mod.ts";

/** A fixture to read: a file, or standard input (`-`). */
interface Source {
  /** As the user named it (for messages). */
  readonly name: string;
  /** The file, or undefined for standard input. */
  readonly path?: string;
  /** Its size in bytes, when known. */
  readonly size?: number;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info.size : undefined;
  } catch (error) {
    // A file this run may not read is there: say so, never "not found".
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw error;
  }
}

/**
 * A fixture named on the command line: `-`, a path from the working directory, or (as
 * Django looks in each app's `fixtures/`) a file name, with or without its extension, in
 * `apps/<app>/fixtures/` of the project folder.
 */
async function findFixture(
  label: string,
  cwd: string,
  project: string,
  apps: Iterable<string>,
): Promise<Source> {
  if (label === "-") return { name: "-" };
  const direct = resolve(cwd, label);
  const size = await fileSize(direct);
  if (size !== undefined) return { name: label, path: direct, size };
  if (!/[\\/]/.test(label)) {
    const names = /\.jsonl?(\.gz)?$/.test(label)
      ? [label]
      : [".json", ".jsonl", ".json.gz", ".jsonl.gz"].map((ext) => label + ext);
    const found: Source[] = [];
    for (const app of [...apps].sort()) {
      for (const name of names) {
        const path = resolve(project, "apps", app, "fixtures", name);
        const size = await fileSize(path);
        if (size !== undefined) found.push({ name: `apps/${app}/fixtures/${name}`, path, size });
      }
    }
    if (found.length > 1) {
      throw new CommandError(
        `Multiple fixtures named '${label}' (${
          found.map((f) => f.name).join(", ")
        }): give the path of the one to load`,
      );
    }
    if (found.length === 1) return found[0];
  }
  throw new CommandError(`No fixture named '${label}' found.`);
}

/** The shape a fixture's name gives (`.json`, `.jsonl`, gzipped or not), if it gives one. */
function formatOf(source: Source): FixtureFormat | undefined {
  return /\.jsonl(\.gz)?$/.test(source.name)
    ? "jsonl"
    : /\.json(\.gz)?$/.test(source.name)
    ? "json"
    : undefined;
}

/** Why a fixture's bytes could not be read, as one line. */
function readFailure(source: Source, error: FixtureReadError): string {
  const where = `${source.name}: record ${error.record}`;
  return isGzipped(source)
    ? `${where}: cannot be decompressed (${error.message}): the file is not gzip data, or is ` +
      "damaged or cut short"
    : `${where}: cannot be read: ${error.message}`;
}

function isGzipped(source: Source): boolean {
  return source.name.endsWith(".gz");
}

/** The error's SQLSTATE when the database raised it. */
function isDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
}

export default defineCommand({
  help: "Installs the named fixture(s) in the database",
  // It reads any file the server's user may read: not for the console. A job enqueued from
  // the command line is fine.
  runFrom: ["cli", "background"],
  epilog: "Every fixture loads in one transaction: a bad record anywhere loads nothing. A " +
    "fixture is a JSON array of objects or one object per line (.jsonl), optionally gzipped " +
    "(.gz), as dumpdata and Django's dumpdata write them.",
  requiresDatabase: true,
  arguments: {
    fixtureLabels: {
      nargs: "+",
      metavar: "fixture",
      help: "a fixture file, the name of one in apps/<app>/fixtures/, or - for stdin",
    },
  },
  options: {
    ignorenonexistent: {
      type: "boolean",
      short: "i",
      flag: "--ignorenonexistent",
      help: "ignores fields and models in the fixtures that the project does not have",
    },
  },
  async handle({ options, db, stdout, stderr, stdin, registry, cwd, verbosity, stderrIsTerminal }) {
    const models = await loadModels(registry);
    const apps = knownApps(registry);
    const sources: Source[] = [];
    const project = await projectFolder(cwd);
    for (const label of options.fixtureLabels) {
      sources.push(await findFixture(label, cwd, project, apps));
    }
    if (sources.filter((s) => s.path === undefined).length > 1) {
      throw new CommandError("Standard input (-) can be read once: give it one time");
    }
    const sizes = sources.map((s) => s.size);
    const progress = new Progress({
      write: (text) => verbosity >= 1 && stderr.write(text, { ending: "", style: (t) => t }),
      terminal: stderrIsTerminal,
      totalBytes: sizes.every((s) => s !== undefined)
        ? sizes.reduce((a, b) => a! + b!, 0)
        : undefined,
    });
    const connection = await db.connect();
    let objects = 0;
    try {
      await connection.transaction(async (tx) => {
        // Times without a zone are UTC; constraints that can wait for the commit do.
        await tx.exec("SET LOCAL TimeZone = 'UTC'; SET CONSTRAINTS ALL DEFERRED");
        const loader = new FixtureLoader(tx, models, {
          ignoreNonexistent: options.ignorenonexistent,
          streaming: connection.driver === "postgres",
        });
        for (const source of sources) {
          progress.file = source.name;
          const stream = await openSource(source, stdin, progress);
          let count: number;
          try {
            count = await readFixture(stream, (record, index) => {
              progress.tick();
              return loader.add(record, index);
            }, { format: formatOf(source), gzipped: isGzipped(source) });
          } catch (error) {
            await stream.cancel().catch(() => {});
            await loader.abort();
            if (error instanceof FixtureSyntaxError || error instanceof FixtureRecordError) {
              throw new CommandError(`${source.name}: record ${error.record}: ${error.message}`);
            }
            if (error instanceof FixtureReadError) {
              throw new CommandError(readFailure(source, error), { cause: error });
            }
            if (error instanceof FixtureDatabaseError) {
              throw new CommandError(`${source.name}: ${error.message}`, { cause: error });
            }
            throw error;
          }
          if (count === 0) {
            stderr.write(
              `No fixture data found for '${source.name}'. (File format may be invalid.)`,
            );
          } else if (verbosity >= 2) {
            stderr.write(`Read ${count} record(s) from ${source.name}`, { style: (t) => t });
          }
        }
        try {
          await loader.finish();
        } catch (error) {
          await loader.abort();
          throw error;
        }
        objects = loader.objects;
      });
    } catch (error) {
      if (error instanceof FixtureDatabaseError) {
        throw new CommandError(error.message, { cause: error });
      }
      if (isDatabaseError(error)) {
        throw new CommandError(
          `Could not load the fixtures: ${describeDatabaseError(error)}`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      progress.done();
    }
    if (verbosity >= 1) {
      stdout.write(`Installed ${objects} object(s) from ${sources.length} fixture(s)`);
    }
  },
});

/** The fixture's bytes, counted into `progress`, gunzipped when its name ends in `.gz`. */
async function openSource(
  source: Source,
  stdin: ReadableStream<Uint8Array> | undefined,
  progress: Progress,
): Promise<ReadableStream<Uint8Array>> {
  let raw: ReadableStream<Uint8Array>;
  if (source.path === undefined) {
    if (!stdin) throw new CommandError("There is no standard input to read the fixture - from");
    raw = stdin;
  } else {
    try {
      raw = (await Deno.open(source.path)).readable;
    } catch (error) {
      throw new CommandError(
        `Cannot read ${source.name}: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
  }
  const counted = raw.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        progress.bytes += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  return isGzipped(source)
    ? counted.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    )
    : counted;
}
