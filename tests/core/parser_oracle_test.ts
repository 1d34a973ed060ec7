// Python's argparse as an oracle for the parser: the same declarations and the same seeded
// argument vectors go through both, and acceptance, exit code, parsed values and error messages
// must agree, except where README ("Where the parser differs from argparse") lists a deliberate
// difference (tests/core/_oracle_differences.ts recognizes each). ORACLE_DUMP=<file> writes every
// disagreement left, to study them; ORACLE_SEED=<n> draws other vectors.

import assert from "node:assert/strict";
import type { Signature } from "../../core/arguments.ts";
import { buildSignature } from "../../core/signature.ts";
import { parseArgs } from "../../core/parser.ts";
import { UsageError } from "../../core/errors.ts";
import { DECLARATIONS, mulberry32, vectorsFor } from "./_oracle_vectors.ts";
import {
  DIFFERENCES,
  disagreement,
  explanation,
  type Outcome,
  type PythonOutcome,
  variantsOf,
} from "./_oracle_differences.ts";
import { needs } from "../_requires.ts";

/** ORACLE_SEED=<n> draws other vectors, to look further. */
const SEED = Number(Deno.env.get("ORACLE_SEED") ?? 0x0a1c_2025) >>> 0;
const VECTORS_PER_DECLARATION = 800;
const ORACLE = new URL("_argparse_oracle.py", import.meta.url);

/** One vector: its declaration, its words, and their variants. */
interface Vector {
  index: number;
  argv: string[];
  variants: ReturnType<typeof variantsOf>;
}

/** A signature as the argparse driver reads it. */
function forPython(signature: Signature): unknown {
  const spec = (s: Signature["options"][number]) => ({
    key: s.key,
    flags: s.flags,
    negativeFlag: s.negativeFlag,
    action: s.action,
    type: s.type,
    nargs: s.nargs,
    choices: s.choices,
    required: s.required,
    ...(s.default === undefined ? {} : { default: s.default }),
  });
  return {
    positionals: signature.positionals.map(spec),
    options: signature.options.map(spec),
    groups: signature.groups,
    subcommands: signature.subcommands &&
      [...signature.subcommands].map(([name, sub]) => [name, forPython(sub.signature)]),
  };
}

function ours(signature: Signature, argv: string[]): Outcome {
  try {
    const { values } = parseArgs(signature, argv);
    return { code: 0, values: JSON.parse(JSON.stringify(values, (_, v) => v ?? null)) };
  } catch (error) {
    if (error instanceof UsageError) return { code: error.returncode, error: error.message };
    throw error;
  }
}

async function argparse(signatures: Signature[], vectors: Vector[]): Promise<PythonOutcome[]> {
  const child = new Deno.Command("python3", {
    args: [decodeURIComponent(ORACLE.pathname)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const request = {
    signatures: signatures.map(forPython),
    vectors: vectors.map(({ index, argv, variants }) => [index, argv, variants]),
  };
  await writer.write(new TextEncoder().encode(JSON.stringify(request)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

Deno.test(needs("python3", {
  name: "the parser agrees with Python's argparse on seeded random vectors",
  async fn() {
    const random = mulberry32(SEED);
    const names = Object.keys(DECLARATIONS);
    const signatures = names.map((name) => buildSignature(DECLARATIONS[name]));
    const vectors: Vector[] = signatures.flatMap((signature, index) =>
      vectorsFor(random, signature, VECTORS_PER_DECLARATION).map((argv) => ({
        index,
        argv,
        variants: variantsOf(argv, signature),
      }))
    );
    const python = await argparse(signatures, vectors);
    const explained = new Map<string, number>();
    const unexplained: string[] = [];
    let accepted = 0;
    vectors.forEach(({ index, argv, variants }, i) => {
      const signature = signatures[index];
      const mine = ours(signature, argv);
      if (mine.code === 0) accepted++;
      const what = disagreement(mine, python[i].plain);
      if (what === undefined) return;
      const without = variants.withoutUnknown && ours(signature, variants.withoutUnknown);
      const labels = explanation(mine, python[i], signature, without);
      if (labels) {
        const key = labels.join(" + ");
        explained.set(key, (explained.get(key) ?? 0) + 1);
        return;
      }
      unexplained.push(
        `${names[index]} ${JSON.stringify(argv)}: ${what}\n  ours:     ${
          JSON.stringify(mine)
        }\n  argparse: ${JSON.stringify(python[i].plain)}\n  intermixed: ${
          JSON.stringify(python[i].intermixed)
        }`,
      );
    });
    const agreed = vectors.length - unexplained.length - [...explained.values()].reduce(
      (a, b) => a + b,
      0,
    );
    console.log(
      `${vectors.length} vectors (${accepted} accepted): ${agreed} the same as argparse, ` +
        `deliberate differences ${JSON.stringify(Object.fromEntries(explained))}`,
    );
    const dump = Deno.env.get("ORACLE_DUMP");
    if (dump) await Deno.writeTextFile(dump, unexplained.join("\n"));
    assert.ok(accepted > vectors.length / 5, `only ${accepted} vectors were accepted`);
    assert.deepEqual(unexplained.slice(0, 20), [], `${unexplained.length} disagreements`);
  },
}));

Deno.test("every deliberate difference the oracle recognizes is listed in README", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const section = readme.split("#### Where the parser differs from argparse")[1]?.split("\n#")[0];
  assert.ok(section, "README has no section 'Where the parser differs from argparse'");
  for (const name of Object.values(DIFFERENCES)) {
    assert.ok(section.includes(`**${name}**`), `README does not list '${name}'`);
  }
});
