/**
 * The start-up benchmark: wall-clock times of whole `deno` processes, as ratios against a bare
 * `deno run` of an empty script measured in the same run.
 *
 * ```sh
 * deno task bench                # 15 rounds after 2 warm-up rounds
 * deno task bench --rounds 40    # more rounds, steadier medians
 * deno task bench --json         # machine-readable
 * ```
 *
 * Every round runs every case once, in an order rotated from round to round, so that drift in the
 * machine's load falls on all of them alike; the warm-up rounds fill Deno's module and transpile
 * caches first. The cases, each run with the flags of the manage task in deno.json (lazy dynamic
 * imports and the permissions): `greet_user John` and `help` through `cli.ts` directly, through
 * the `./manage` launcher and through `deno task manage`; the same through `cli.ts` in a copy of
 * the project with 300 more commands registered; and the peers, citty and commander on Node.js,
 * declaring the same commands, installed from npm by the benchmark (the versions pinned in
 * `startup_peers/package-lock.json`) into its temporary folder — left out, saying why, where
 * Node.js or npm is missing. The baseline's empty script lies in a temporary folder, so it runs
 * without the project's `deno.json`. Targets are reported, not enforced: the exit code is 0 unless
 * a command fails or prints the wrong thing.
 *
 * @module
 */

import { scriptArgs } from "../_args.ts";
import { permissionFlags } from "../compile.ts";
import { PROJECT_ENTRIES } from "../_project.ts";
import { taskFlags } from "../launcher.ts";

/** One timed command. */
export interface BenchCase {
  /** The name shown in the report. */
  name: string;
  /** The arguments of `deno` (or of `program`). */
  args: string[];
  /** The program to run, when not `deno`. */
  program?: string;
  /** The folder it runs in. */
  cwd: string;
  /** The most its median may be, as a multiple of the baseline's median. */
  target?: number;
  /** What its stdout must include. */
  expect?: string;
}

/** One case's result. */
export interface BenchResult {
  /** The case's name. */
  name: string;
  /** The command, as typed in a shell. */
  command: string;
  /** The median wall-clock time, in milliseconds. */
  medianMs: number;
  /** The interquartile range of the samples, in milliseconds: how noisy they were. */
  iqrMs: number;
  /** The median divided by the baseline's median. */
  ratio: number;
  /** The case's target ratio, if it has one. */
  target: number | null;
  /** Whether the ratio is within the target (`null` without a target). */
  pass: boolean | null;
  /** Every timed sample, in milliseconds, in round order. */
  samplesMs: number[];
}

/** How many synthetic commands the large registry gets. */
export const SYNTHETIC_COMMANDS = 300;

const WARMUP_ROUNDS = 2;
const roundTo = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * The median of some numbers (the mean of the middle two for an even count); NaN for none.
 *
 * @example
 * ```ts
 * import { median } from "./startup.ts";
 *
 * console.assert(median([3, 1, 2]) === 2 && median([4, 1, 3, 2]) === 2.5);
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The spread of some numbers: the distance between their upper and lower quartiles. */
export function interquartileRange(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return median(sorted.slice(sorted.length - half)) - median(sorted.slice(0, half)) || 0;
}

/**
 * The source of synthetic command number `index`: a small `defineCommand` with a positional
 * argument and two options, in `apps/bench/commands/`.
 */
export function syntheticCommand(index: number): string {
  const name = `bench_cmd_${String(index).padStart(3, "0")}`;
  return `import { defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Synthetic command ${index} for the start-up benchmark",
  arguments: { target: { help: "what to act on", nargs: "?", default: "all" } },
  options: {
    count: { type: "integer", short: "c", default: 1, help: "how many times" },
    dryRun: { type: "boolean", help: "only say what would be done" },
  },
  handle({ options, stdout }) {
    stdout.write(\`${name}: \${options.target} x\${options.count}\${options.dryRun ? " (dry run)" : ""}\`);
  },
});
`;
}

/** A file URL as a path. */
export function toPath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows" ? path.slice(1).replaceAll("/", "\\") : path;
}

/** The project these scripts belong to: its folder, as a path with no trailing separator. */
export const PROJECT_ROOT: string = toPath(new URL("../../", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

/** The permission flags of the manage task in the `deno.json` of the project at `root`. */
export async function managePermissions(root: string = PROJECT_ROOT): Promise<string[]> {
  return permissionFlags(JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks.manage);
}

/** What a benchmark run in a copy of the project is given. */
export interface ProjectCopy {
  /** The temporary folder holding the copy (and anything else the benchmark writes). */
  tmp: string;
  /** The copy's folder. */
  copy: string;
  /** The arguments of `deno` that run `cli.ts <words>` with the manage task's permissions. */
  cli: (...words: string[]) => string[];
}

/**
 * Runs `bench` in a copy of the project in a new temporary folder (named after `prefix`), removed
 * afterwards; the exit code: 0, or 1 after printing the error `bench` threw.
 */
export async function inProjectCopy(
  prefix: string,
  bench: (project: ProjectCopy) => Promise<void>,
): Promise<number> {
  const perms = await managePermissions();
  return await inTemporaryFolder(prefix, async (tmp) => {
    const copy = await copyProject(PROJECT_ROOT, tmp);
    await bench({ tmp, copy, cli: (...words) => ["run", ...perms, "cli.ts", ...words] });
  });
}

/**
 * Runs `bench` with a new temporary folder (named after `prefix`), removed afterwards; the exit
 * code: 0, or 1 after printing the error `bench` threw.
 */
export async function inTemporaryFolder(
  prefix: string,
  bench: (tmp: string) => Promise<void>,
): Promise<number> {
  const tmp = await Deno.makeTempDir({ prefix });
  try {
    await bench(tmp);
    return 0;
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** Copies a file or a folder tree. */
export async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const entry of Deno.readDir(from)) {
      await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    }
  } else if (info.isFile) {
    await Deno.copyFile(from, to);
  }
}

const ENV = { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };

/** Runs `deno` with `args` in `cwd`; throws, with its output, when it fails. */
export function deno(args: string[], cwd: string): Promise<string> {
  return run(Deno.execPath(), args, cwd);
}

/** Runs `program` with `args` in `cwd`; throws, with its output, when it fails. */
export async function run(program: string, args: string[], cwd: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args,
    cwd,
    env: ENV,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) {
    const errors = new TextDecoder().decode(stderr).trim().split("\n").slice(-5).join("\n  ");
    const name = program === Deno.execPath() ? "deno" : program;
    throw new Error(`'${name} ${args.join(" ")}' in ${cwd} exited with code ${code}:\n  ${errors}`);
  }
  return text;
}

/** Times one run of a case, in milliseconds, and checks what it printed. */
async function timeCase(benchCase: BenchCase): Promise<number> {
  const start = performance.now();
  const stdout = await run(benchCase.program ?? Deno.execPath(), benchCase.args, benchCase.cwd);
  const elapsed = performance.now() - start;
  if (benchCase.expect !== undefined && !stdout.includes(benchCase.expect)) {
    throw new Error(
      `${benchCase.name}: expected '${benchCase.expect}' in its output, got '${stdout.trim()}'`,
    );
  }
  return elapsed;
}

/**
 * Runs every case once per round, `warmup` untimed rounds first, rotating the order each round;
 * returns each case's samples, in the order of `cases`.
 */
export async function measure(
  cases: readonly BenchCase[],
  rounds: number,
  warmup: number = WARMUP_ROUNDS,
  progress: (round: number) => void = () => {},
): Promise<number[][]> {
  const samples = cases.map((): number[] => []);
  for (let round = 0; round < warmup + rounds; round++) {
    progress(round);
    for (let k = 0; k < cases.length; k++) {
      const index = (k + round) % cases.length;
      const elapsed = await timeCase(cases[index]);
      if (round >= warmup) samples[index].push(elapsed);
    }
  }
  return samples;
}

/** Copies the project at `root` into `<tmp>/project`; returns that folder. */
export async function copyProject(root: string, tmp: string): Promise<string> {
  const copy = `${tmp}/project`;
  await Deno.mkdir(copy);
  for (const name of PROJECT_ENTRIES) await copyTree(`${root}/${name}`, `${copy}/${name}`);
  return copy;
}

/** Each case's result from its samples, as ratios against the first case (the baseline). */
export function toResults(
  cases: readonly BenchCase[],
  samples: readonly number[][],
): BenchResult[] {
  const baseline = median(samples[0]);
  return cases.map((c, i) => {
    const medianMs = median(samples[i]);
    const ratio = medianMs / baseline;
    return {
      name: c.name,
      command: `${c.program ?? "deno"} ${c.args.join(" ")}`,
      medianMs: roundTo(medianMs, 2),
      iqrMs: roundTo(interquartileRange(samples[i]), 2),
      ratio: roundTo(ratio, 3),
      target: c.target ?? null,
      pass: c.target === undefined ? null : ratio <= c.target,
      samplesMs: samples[i].map((ms) => roundTo(ms, 2)),
    };
  });
}

/** Makes the copy of the project with the synthetic commands; returns its folder. */
async function largeProject(root: string, tmp: string): Promise<string> {
  const copy = await copyProject(root, tmp);
  const dir = `${copy}/apps/bench/commands`;
  await Deno.mkdir(dir, { recursive: true });
  for (let i = 0; i < SYNTHETIC_COMMANDS; i++) {
    const name = `bench_cmd_${String(i).padStart(3, "0")}.ts`;
    await Deno.writeTextFile(`${dir}/${name}`, syntheticCommand(i));
  }
  await deno(["run", "-A", `${copy}/scripts/build_registry.ts`], copy);
  return copy;
}

/** The command line: `--rounds N`, `--json` (and `-h/--help`). */
function parseArgs(args: readonly string[]): { rounds: number; json: boolean } {
  return scriptArgs({
    prog: "deno task bench",
    help: "Times whole deno processes against a bare deno run of an empty script",
    arguments: {
      options: {
        rounds: { type: "integer", default: 15, metavar: "N", help: "timed rounds" },
        json: { type: "boolean", help: "print the results as JSON" },
      },
    },
    check: ({ rounds }) => rounds < 1 ? "--rounds takes a whole number of at least 1" : undefined,
  }, args);
}

/** The results as a text table, with `extra` lines below it. */
export function formatTable(results: readonly BenchResult[], extra: string[]): string {
  const rows = [
    ["command", "median", "IQR", "vs baseline", "target", "result"],
    ...results.map((r) => [
      r.name,
      `${r.medianMs.toFixed(1)} ms`,
      `${r.iqrMs.toFixed(1)} ms`,
      `${r.ratio.toFixed(2)}x`,
      r.target === null ? "-" : `${r.target.toFixed(2)}x`,
      r.pass === null ? "-" : r.pass ? "PASS" : "OVER",
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const lines = rows.map((row) =>
    row.map((cell, column) =>
      column === 0 || column === 5 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])
    ).join("  ").trimEnd()
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return [...lines, "", ...extra].join("\n");
}

/** The folder of the peers' pinned packages (`package.json`, `package-lock.json`). */
const PEERS = new URL("./startup_peers/", import.meta.url);

/** Whether `program` runs (`--version`) on this machine. */
async function runs(program: string): Promise<boolean> {
  try {
    return (await new Deno.Command(program, { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

/**
 * A peer's program: the project's commands (names and summaries from its registry) declared with
 * citty or commander, `greet_user <name>` printing the greeting as ours does.
 */
export function peerSource(
  framework: "citty" | "commander",
  commands: readonly { name: string; summary: string }[],
): string {
  const others = commands.filter((c) => c.name !== "greet_user");
  if (framework === "citty") {
    return `import { defineCommand, runMain } from "citty";

const subCommands = {
  greet_user: defineCommand({
    meta: { name: "greet_user", description: "Greets a user by name" },
    args: { name: { type: "positional", required: true, description: "the name" } },
    run({ args }) {
      console.log(\`Hello, \${args.name}!\`);
    },
  }),
${
      others.map((c) =>
        `  ${JSON.stringify(c.name)}: defineCommand({ meta: { name: ${
          JSON.stringify(c.name)
        }, description: ${JSON.stringify(c.summary)} }, run() {} }),`
      ).join("\n")
    }
};

await runMain(defineCommand({ meta: { name: "manage", description: "manage" }, subCommands }));
`;
  }
  return `import { program } from "commander";

program.name("manage");
program.command("greet_user").description("Greets a user by name").argument("<name>", "the name")
  .action((name) => console.log(\`Hello, \${name}!\`));
${
    others.map((c) =>
      `program.command(${JSON.stringify(c.name)}).description(${
        JSON.stringify(c.summary)
      }).action(() => {});`
    ).join("\n")
  }
program.parse();
`;
}

/**
 * Installs citty and commander from npm (the versions pinned in `startup_peers/`) into `tmp` and
 * writes their programs there; the reason when Node.js or npm is missing or the install fails.
 */
async function installPeers(
  tmp: string,
  commands: readonly { name: string; summary: string }[],
): Promise<{ dir: string } | { skipped: string }> {
  if (!await runs("node") || !await runs("npm")) return { skipped: "Node.js or npm is missing" };
  const dir = `${tmp}/peers`;
  await Deno.mkdir(dir);
  for (const file of ["package.json", "package-lock.json"]) {
    await Deno.copyFile(new URL(file, PEERS), `${dir}/${file}`);
  }
  try {
    await run("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], dir);
  } catch (error) {
    return { skipped: `npm ci failed: ${error instanceof Error ? error.message : error}` };
  }
  await Deno.writeTextFile(`${dir}/citty.mjs`, peerSource("citty", commands));
  await Deno.writeTextFile(`${dir}/commander.mjs`, peerSource("commander", commands));
  return { dir };
}

async function main(args: readonly string[]): Promise<number> {
  const options = parseArgs(args);
  const log = (message: string) => console.error(message);
  const root = PROJECT_ROOT;
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const task = config?.tasks?.manage;
  // The flags of the manage task, as ./manage and deno task pass them: permissions and the rest.
  const flags = taskFlags(typeof task === "string" ? task : task?.command ?? "");
  if (!flags) {
    console.error("error: the manage task in deno.json is not 'deno run <flags> cli.ts'");
    return 1;
  }
  return await inTemporaryFolder("manage_bench_", async (tmp) => {
    await Deno.writeTextFile(`${tmp}/empty.ts`, "");
    log(`Copying the project and registering ${SYNTHETIC_COMMANDS} synthetic commands…`);
    const large = await largeProject(root, tmp);
    const { registry } = await import("../../commands/_registry.ts");
    log("Installing the peers (citty, commander) from npm…");
    const peers = await installPeers(tmp, registry.commands);
    const last = `bench_cmd_${SYNTHETIC_COMMANDS - 1}`;
    const cli = (...words: string[]) => ["run", ...flags, "cli.ts", ...words];
    const n = SYNTHETIC_COMMANDS;
    const hello = "Hello, John!";
    const cases: BenchCase[] = [
      { name: "deno run empty.ts (baseline)", args: ["run", `${tmp}/empty.ts`], cwd: root },
      {
        name: "cli.ts greet_user John",
        args: cli("greet_user", "John"),
        cwd: root,
        target: 1.15,
        expect: hello,
      },
      { name: "cli.ts help", args: cli("help"), cwd: root, target: 1.15, expect: "greet_user" },
      {
        name: "./manage greet_user John",
        program: `${root}/manage`,
        args: ["greet_user", "John"],
        cwd: root,
        target: 1.15,
        expect: hello,
      },
      {
        name: "./manage help",
        program: `${root}/manage`,
        args: ["help"],
        cwd: root,
        target: 1.15,
        expect: "greet_user",
      },
      {
        name: "deno task -q manage greet_user John",
        args: ["task", "-q", "manage", "greet_user", "John"],
        cwd: root,
        expect: hello,
      },
      {
        name: "deno task -q manage help",
        args: ["task", "-q", "manage", "help"],
        cwd: root,
        expect: "greet_user",
      },
      {
        name: `cli.ts greet_user John (+${n} commands)`,
        args: cli("greet_user", "John"),
        cwd: large,
        target: 1.4,
        expect: hello,
      },
      {
        name: `cli.ts help (+${n} commands)`,
        args: cli("help"),
        cwd: large,
        target: 1.4,
        expect: last,
      },
    ];
    if ("dir" in peers) {
      for (const framework of ["citty", "commander"]) {
        cases.push(
          {
            name: `${framework} (Node) greet_user John`,
            program: "node",
            args: [`${framework}.mjs`, "greet_user", "John"],
            cwd: peers.dir,
            expect: hello,
          },
          {
            name: `${framework} (Node) --help`,
            program: "node",
            args: [`${framework}.mjs`, "--help"],
            cwd: peers.dir,
            expect: "greet_user",
          },
        );
      }
    } else {
      log(`The peers are left out: ${peers.skipped}`);
    }
    log(`Timing ${cases.length} commands: ${WARMUP_ROUNDS} warm-up + ${options.rounds} rounds…`);
    const samples = await measure(cases, options.rounds, WARMUP_ROUNDS, (round) => {
      if (Deno.stderr.isTerminal()) {
        const label = round < WARMUP_ROUNDS
          ? `warm-up ${round + 1}/${WARMUP_ROUNDS}`
          : `round ${round - WARMUP_ROUNDS + 1}/${options.rounds}`;
        Deno.stderr.writeSync(new TextEncoder().encode(`\r${label}   `));
      }
    });
    if (Deno.stderr.isTerminal()) log("");

    const baseline = median(samples[0]);
    const results = toResults(cases, samples);
    const byName = (name: string) => results.find((r) => r.name === name);
    const direct = byName("cli.ts greet_user John")!;
    const launcher = byName("./manage greet_user John")!;
    const viaTask = byName("deno task -q manage greet_user John")!;
    const citty = byName("citty (Node) greet_user John");
    const versus = (other: BenchResult) => ({
      overheadMs: roundTo(other.medianMs - direct.medianMs, 2),
      ratio: roundTo(other.medianMs / direct.medianMs, 3),
    });
    const belowCitty = citty ? direct.ratio < citty.ratio : null;
    if (options.json) {
      console.log(JSON.stringify(
        {
          deno: Deno.version.deno,
          target: Deno.build.target,
          rounds: options.rounds,
          warmupRounds: WARMUP_ROUNDS,
          syntheticCommands: n,
          baselineMs: roundTo(baseline, 2),
          results,
          launcher: { versus: direct.name, ...versus(launcher), target: 1.05 },
          denoTask: { versus: direct.name, ...versus(viaTask) },
          belowCitty,
          peers: "skipped" in peers ? peers : undefined,
        },
        null,
        2,
      ));
    } else {
      const l = versus(launcher);
      const t = versus(viaTask);
      console.log(formatTable(results, [
        `./manage: ${l.ratio.toFixed(2)}x cli.ts greet_user John (target 1.05x); ` +
        `deno task adds ${t.overheadMs.toFixed(1)} ms (${t.ratio.toFixed(2)}x)`,
        citty
          ? `cli.ts greet_user John ${direct.ratio.toFixed(2)}x against citty's ` +
            `${citty.ratio.toFixed(2)}x: ${belowCitty ? "below (PASS)" : "not below (OVER)"}`
          : "citty and commander were not measured",
        `Medians of ${options.rounds} interleaved rounds after ${WARMUP_ROUNDS} warm-up rounds; ` +
        `deno ${Deno.version.deno} on ${Deno.build.target}; flags: ${flags.join(" ")}`,
      ]));
    }
  });
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
