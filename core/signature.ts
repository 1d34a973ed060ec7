/**
 * Normalizing a declaration into a {@linkcode Signature}, and checking it: the one place that
 * knows what a declaration means (actions, flags, defaults) and what makes one wrong.
 *
 * @module
 */

import type {
  Action,
  ArgSpec,
  ArgumentDecl,
  ArgumentsDecl,
  OptionDecl,
  Primitive,
  Signature,
  SubcommandSpec,
  ValueType,
} from "./arguments.ts";
import { kebabCase } from "./arguments.ts";
import { convert, hasType } from "./values.ts";
import { DefinitionError } from "./errors.ts";

const VALUE_TYPES: readonly ValueType[] = [
  "string",
  "integer",
  "number",
  "boolean",
  "path",
  "url",
  "duration",
  "count",
];

function actionOf(decl: OptionDecl): Action {
  if (decl.action) return decl.action;
  if (decl.type === "count") return "count";
  if (decl.type === "boolean") return "store_true";
  return decl.multiple ? "append" : "store";
}

/** As argparse: a string default of another type is converted as if given on the command line. */
function typedDefault(type: ValueType, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => typedDefault(type, item));
  if (typeof value !== "string" || type === "string" || type === "path") return value;
  const spec: ArgSpec = {
    kind: "option",
    key: "",
    flags: [],
    type,
    action: "store",
    required: false,
  };
  const result = convert(spec, value);
  // A default that does not convert stays as it is, for signatureProblems to report.
  return "error" in result ? value : result.value;
}

function optionSpec(key: string, decl: OptionDecl, shared: boolean): ArgSpec {
  const type = decl.type ?? "string";
  const long = decl.flag ?? `--${kebabCase(key)}`;
  const flags = [
    ...(decl.short === undefined ? [] : [`-${decl.short}`]),
    long,
    ...(decl.aliases ?? []),
  ];
  const action = actionOf(decl);
  let dflt: unknown = typedDefault(type, decl.default);
  if (dflt === undefined) {
    if (action === "store_true") dflt = false;
    else if (action === "store_false") dflt = true;
    else if (action === "count") dflt = 0;
    else if (action === "append") dflt = [];
  }
  return {
    kind: "option",
    key,
    flags,
    negativeFlag: decl.negatable ? `--no-${long.replace(/^--/, "")}` : undefined,
    type,
    action,
    choices: decl.choices,
    default: dflt,
    required: decl.required ?? false,
    help: decl.help,
    metavar: decl.metavar,
    env: decl.env,
    ...(decl.hidden ? { hidden: true } : {}),
    shared,
  };
}

function positionalSpec(key: string, decl: ArgumentDecl): ArgSpec {
  const nargs = decl.nargs;
  return {
    kind: "positional",
    key,
    flags: [],
    type: decl.type ?? "string",
    action: "store",
    nargs,
    choices: decl.choices,
    default: typedDefault(decl.type ?? "string", decl.default) ??
      (nargs === "*" || nargs === "..." ? [] : undefined),
    required: nargs !== "?" && nargs !== "*" && nargs !== "...",
    help: decl.help,
    metavar: decl.metavar,
  };
}

/**
 * Normalizes a declaration into a {@linkcode Signature}, checking it: throws
 * {@linkcode DefinitionError} naming the first problem found.
 *
 * @example
 * ```ts
 * import { signatureOf } from "./signature.ts";
 *
 * const signature = signatureOf({
 *   arguments: { name: {} },
 *   options: { dryRun: { type: "boolean" } },
 * });
 * console.assert(signature.options[0].flags[0] === "--dry-run");
 * ```
 */
export function signatureOf(
  decl: ArgumentsDecl,
  shared: Readonly<Record<string, OptionDecl>> = {},
): Signature {
  const signature = buildSignature(decl, shared);
  const problems = signatureProblems(signature);
  if (problems.length > 0) throw new DefinitionError(problems[0]);
  return signature;
}

/** Builds a signature from declarations without checking it (see {@linkcode signatureProblems}). */
export function buildSignature(
  decl: ArgumentsDecl,
  shared: Readonly<Record<string, OptionDecl>> = {},
): Signature {
  const positionals = Object.entries(decl.arguments ?? {}).map(([key, d]) =>
    positionalSpec(key, d)
  );
  // A command's own option replaces the shared one of its name (`upgrade --version V`).
  const own = decl.options ?? {};
  const options = [
    ...Object.entries(own).map(([key, d]) => optionSpec(key, d, false)),
    ...Object.entries(shared).filter(([key]) => !Object.hasOwn(own, key))
      .map(([key, d]) => optionSpec(key, d, true)),
  ];
  const groups = (decl.exclusive ?? []).map((g) => ({
    keys: [...g.options],
    required: g.required ?? false,
  }));
  let subcommands: Map<string, SubcommandSpec> | undefined;
  if (decl.subcommands) {
    subcommands = new Map();
    for (const [name, sub] of Object.entries(decl.subcommands)) {
      subcommands.set(name, { name, help: sub.help, signature: buildSignature(sub, shared) });
    }
  }
  return { positionals, options, groups, subcommands };
}

const FLAG = /^--?[A-Za-z0-9][A-Za-z0-9_-]*$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every problem in a signature, one sentence each (empty when it is sound). */
export function signatureProblems(signature: Signature, where = ""): string[] {
  const problems: string[] = [];
  const at = where ? ` in subcommand ${where}` : "";
  const keys = new Set<string>();
  const flags = new Map<string, string>();
  for (const spec of [...signature.positionals, ...signature.options]) {
    const name = spec.kind === "option" ? spec.flags.at(-1)! : spec.key;
    if (!KEY.test(spec.key)) {
      problems.push(`Argument name '${spec.key}'${at} is not a valid identifier`);
    }
    if (keys.has(spec.key)) problems.push(`Argument '${spec.key}'${at} is declared twice`);
    keys.add(spec.key);
    if (!VALUE_TYPES.includes(spec.type)) {
      problems.push(
        `Argument '${spec.key}'${at} has unknown type '${spec.type}' (use one of ${
          VALUE_TYPES.join(", ")
        })`,
      );
    }
    for (const flag of [...spec.flags, ...(spec.negativeFlag ? [spec.negativeFlag] : [])]) {
      if (!FLAG.test(flag) || (flag.startsWith("--") ? flag.length < 3 : flag.length !== 2)) {
        problems.push(`Option '${spec.key}'${at} has an invalid flag '${flag}' (use -x or --name)`);
      }
      const owner = flags.get(flag);
      if (owner !== undefined) {
        problems.push(`Flag ${flag}${at} is used by both '${owner}' and '${spec.key}'`);
      }
      flags.set(flag, spec.key);
    }
    const defaults = Array.isArray(spec.default)
      ? spec.default
      : spec.default === undefined
      ? []
      : [spec.default];
    for (const d of defaults) {
      if (VALUE_TYPES.includes(spec.type) && !hasType(spec.type, d)) {
        problems.push(
          `Argument ${name}${at} has default ${
            JSON.stringify(d)
          }, which is not a valid ${spec.type}`,
        );
      }
    }
    if (spec.choices !== undefined) {
      if (spec.choices.length === 0) {
        problems.push(`Argument ${name}${at} has an empty list of choices`);
      }
      for (const d of defaults) {
        if (!spec.choices.includes(d as Primitive)) {
          problems.push(
            `Argument ${name}${at} has default ${
              JSON.stringify(d)
            }, which is not one of its choices`,
          );
        }
      }
    }
    if (
      spec.kind === "option" && spec.required && spec.default !== undefined &&
      spec.action === "store"
    ) {
      problems.push(`Option ${name}${at} is required and has a default: drop one of them`);
    }
    if (spec.action === "store_true" && spec.default === true && !spec.negativeFlag) {
      problems.push(
        `Option ${name}${at} is a flag that defaults to true, so giving it changes nothing: make it negatable`,
      );
    }
    if (
      (spec.action === "store_true" || spec.action === "store_false") && spec.type !== "boolean"
    ) {
      problems.push(`Option ${name}${at} is a flag, so its type must be boolean`);
    }
    if (spec.negativeFlag && spec.type !== "boolean") {
      problems.push(`Option ${name}${at} is negatable but not a boolean`);
    }
    if (typeof spec.nargs === "number" && (!Number.isInteger(spec.nargs) || spec.nargs < 1)) {
      problems.push(
        `Argument ${name}${at} has nargs ${spec.nargs}: use a whole number of at least 1`,
      );
    } else if (
      spec.nargs !== undefined && typeof spec.nargs !== "number" &&
      !["?", "*", "+", "..."].includes(spec.nargs)
    ) {
      problems.push(
        `Argument ${name}${at} has nargs ${
          JSON.stringify(spec.nargs)
        }: use "?", "*", "+", "..." or a whole number`,
      );
    }
  }
  const rest = signature.positionals.findIndex((p) => p.nargs === "...");
  if (
    rest >= 0 &&
    (rest !== signature.positionals.length - 1 ||
      signature.positionals.slice(0, rest).some((p) => typeof p.nargs === "string"))
  ) {
    problems.push(
      `Argument ${
        signature.positionals[rest].key
      }${at} takes the remaining words ("..."): make it the last positional, after fixed ones`,
    );
  }
  const variadic = signature.positionals.filter((p) =>
    p.nargs === "*" || p.nargs === "+" || p.nargs === "..."
  );
  if (variadic.length > 1) {
    problems.push(
      `Arguments ${
        variadic.map((p) => p.key).join(" and ")
      }${at} both take any number of values: keep one`,
    );
  }
  if (
    signature.subcommands &&
    signature.positionals.some((p) => p.nargs !== undefined && typeof p.nargs !== "number")
  ) {
    problems.push(`A command with subcommands${at} cannot have optional or variadic positionals`);
  }
  for (const group of signature.groups) {
    for (const key of group.keys) {
      const spec = signature.options.find((o) => o.key === key);
      if (!spec) problems.push(`Exclusive group${at} names '${key}', which is not an option`);
      else if (spec.required) {
        problems.push(
          `Option ${spec.flags.at(-1)}${at} is required, so it cannot be in an exclusive group`,
        );
      }
    }
  }
  for (const sub of signature.subcommands?.values() ?? []) {
    problems.push(...signatureProblems(sub.signature, where ? `${where} ${sub.name}` : sub.name));
  }
  return problems;
}
