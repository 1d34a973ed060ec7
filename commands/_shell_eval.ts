// How `manage shell` evaluates what is typed: TypeScript's runtime half (JavaScript) with
// top-level `await`, each input run as the body of an async function inside `with (scope)`, so
// the names the shell offers (models, `db`, `callCommand`…) and those an input declares are
// found in one scope that outlives the input. Top-level `const`/`let`/`var`, `function` and
// `class` declarations are rewritten into assignments to that scope (`const x = 1` → `x = 1`),
// which is what lets `x` be used by the next input. Reading a name that is neither in the scope
// nor a global is a ReferenceError, as anywhere else.

// deno-lint-ignore no-explicit-any
type AnyAsyncFunction = new (...args: string[]) => (...args: unknown[]) => Promise<any>;
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as AnyAsyncFunction;

/** What the scanner found about a piece of code. */
interface Scan {
  /** The code with top-level declarations made assignments. */
  rewritten: string;
  /** The code stops inside a bracket, string, template or comment: more lines are needed. */
  open: boolean;
}

const IDENTIFIER = /^[\p{L}_$][\p{L}\p{N}_$]*/u;
const DECLARATION = /^(const|let|var)\s+(?=[\p{L}_$[{])/u;
const FUNCTION = /^(async\s+)?function\s*\*?\s*([\p{L}_$][\p{L}\p{N}_$]*)/u;
const CLASS = /^class\s+([\p{L}_$][\p{L}\p{N}_$]*)/u;

/** Scans `code`: which brackets are open, and the top-level declarations to rewrite. */
export function scan(code: string): Scan {
  const stack: string[] = [];
  let out = "";
  let i = 0;
  // Whether the next top-level token starts a statement.
  let statementStart = true;
  // A destructuring declaration made an assignment in parentheses, to close at its end.
  let closeAt: "pending" | undefined;
  const closing: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
  while (i < code.length) {
    const c = code[i];
    const rest = code.slice(i);
    if (c === "/" && code[i + 1] === "/") {
      const end = code.indexOf("\n", i);
      const stop = end < 0 ? code.length : end;
      out += code.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === "/" && code[i + 1] === "*") {
      const end = code.indexOf("*/", i + 2);
      if (end < 0) return { rewritten: out + rest, open: true };
      out += code.slice(i, end + 2);
      i = end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < code.length && code[j] !== c && code[j] !== "\n") j += code[j] === "\\" ? 2 : 1;
      if (j >= code.length || code[j] === "\n") return { rewritten: out + rest, open: true };
      out += code.slice(i, j + 1);
      i = j + 1;
      statementStart = false;
      continue;
    }
    if (c === "`" || (c === "}" && stack.at(-1) === "${")) {
      if (c === "}") stack.pop();
      let j = i + 1;
      while (j < code.length && code[j] !== "`" && !(code[j] === "$" && code[j + 1] === "{")) {
        j += code[j] === "\\" ? 2 : 1;
      }
      if (j >= code.length) return { rewritten: out + rest, open: true };
      if (code[j] === "`") {
        out += code.slice(i, j + 1);
        i = j + 1;
      } else {
        stack.push("${");
        out += code.slice(i, j + 2);
        i = j + 2;
      }
      statementStart = false;
      continue;
    }
    if (stack.length === 0 && statementStart) {
      const declaration = DECLARATION.exec(rest);
      if (declaration) {
        const after = rest.slice(declaration[0].length);
        if (after.startsWith("{") || after.startsWith("[")) {
          out += ";(";
          closeAt = "pending";
        } else {
          const name = IDENTIFIER.exec(after)?.[0] ?? "";
          if (/^\s*(;|,|\n|$)/.test(after.slice(name.length))) {
            out += `${name} = undefined`;
            i += declaration[0].length + name.length;
            statementStart = false;
            continue;
          }
        }
        i += declaration[0].length;
        statementStart = false;
        continue;
      }
      const fn = FUNCTION.exec(rest);
      if (fn) {
        out += `${fn[2]} = `;
        statementStart = false;
        out += fn[0];
        i += fn[0].length;
        continue;
      }
      const cls = CLASS.exec(rest);
      if (cls) {
        out += `${cls[1]} = ${cls[0]}`;
        i += cls[0].length;
        statementStart = false;
        continue;
      }
    }
    if (c in closing) stack.push(c);
    else if (c === ")" || c === "]" || c === "}") {
      if (stack.length > 0 && closing[stack.at(-1)!] === c) stack.pop();
    }
    if (stack.length === 0 && closeAt && (c === ";" || c === "\n")) {
      out += ")";
      closeAt = undefined;
    }
    out += c;
    i++;
    if (/\s/.test(c)) {
      if (c === "\n" && stack.length === 0) statementStart = true;
      continue;
    }
    statementStart = stack.length === 0 && (c === ";" || c === "}");
    if (stack.length > 0 && (c === "{" || c === ";")) statementStart = false;
  }
  if (closeAt) out += ")";
  return { rewritten: out, open: stack.length > 0 };
}

/** A scope the shell's inputs run in: what it offers plus what they declare. */
export class ShellScope {
  /** The names and their values (offered and declared). */
  readonly names: Record<string, unknown>;
  readonly #proxy: object;

  constructor(offered: Record<string, unknown>) {
    this.names = { ...offered };
    this.#proxy = new Proxy(this.names, {
      // A name is the scope's when it has it, or when it is no global: so assigning a new name
      // stores it here, and reading an unknown one fails as it would anywhere.
      has: (target, key) => typeof key === "string" && (key in target || !(key in globalThis)),
      get: (target, key) => {
        if (typeof key === "symbol" || key in target) return Reflect.get(target, key);
        throw new ReferenceError(`${key} is not defined`);
      },
    });
  }

  /**
   * Whether `code` needs more lines before it can run (an open bracket, string, template or
   * comment, or a statement the parser says ends too soon).
   */
  incomplete(code: string): boolean {
    if (scan(code).open) return true;
    try {
      this.#compile(code);
      return false;
    } catch (error) {
      return error instanceof SyntaxError && /end of input/i.test(error.message);
    }
  }

  /**
   * Runs `code`: an expression gives its value, statements give undefined. Throws what the code
   * throws (a SyntaxError for code that does not parse).
   */
  async run(code: string): Promise<unknown> {
    return await this.#compile(code)(this.#proxy);
  }

  #compile(code: string): (scope: object) => Promise<unknown> {
    const expression = code.trim().replace(/;+$/, "");
    if (
      expression !== "" && !/^(const|let|var|class|function|async\s+function)\b/.test(expression)
    ) {
      try {
        // An object literal typed alone is an object, as in Node's and Deno's shells.
        const body = expression.startsWith("{") ? `(${expression})` : expression;
        return new AsyncFunction("__scope", `with (__scope) { return (${body}\n); }`);
      } catch {
        // Not one expression: statements.
      }
    }
    let compiled: (scope: object) => Promise<unknown>;
    try {
      compiled = new AsyncFunction("__scope", `with (__scope) {\n${scan(code).rewritten}\n}`);
    } catch (error) {
      // Code that stops inside a bracket: what the parser meets is the wrapping's closing brace.
      if (scan(code).open) throw new SyntaxError("Unexpected end of input");
      throw error;
    }
    return async (scope) => {
      await compiled(scope);
      return undefined;
    };
  }
}
