/**
 * A command's form, generated from the declaration the command line parses: a field per
 * positional argument and option (selects for choices, checkboxes for flags, a number for
 * counters, a space-separated field for lists), and back from the submitted fields to the
 * command-line words, which the parser itself then checks. The form never validates on its own,
 * so a value the command line would refuse is refused here with argparse's very message.
 *
 * @module
 */

import type { ArgSpec, Signature } from "../../core/arguments.ts";
import { CommandError } from "../../core/errors.ts";
import { type Html, html } from "./html.ts";

/**
 * The shared options a form offers: those that only shape the output. The others are not the
 * caller's to give (see `NOT_IN_JOBS`) or make no sense here.
 */
const SHARED_IN_FORMS = new Set(["verbosity", "traceback"]);

/** What was typed into a form, by field name. */
export interface FormValues {
  /** The value of a field (the first, when there are several). */
  get(name: string): string | null;
}

/** The form field name of an argument (prefixed, so no key collides with the form's own). */
export function fieldName(spec: ArgSpec): string {
  return `f_${spec.key}`;
}

/** The own (not shared, not hidden) options and the offered shared ones of a signature. */
export function formOptions(signature: Signature): { own: ArgSpec[]; shared: ArgSpec[] } {
  const visible = signature.options.filter((o) => !o.hidden);
  return {
    own: visible.filter((o) => !o.shared),
    shared: visible.filter((o) => o.shared && SHARED_IN_FORMS.has(o.key)),
  };
}

/** Whether an argument takes a list of values (entered as space-separated words). */
export function takesList(spec: ArgSpec): boolean {
  if (spec.kind === "option") return spec.action === "append";
  return spec.nargs === "*" || spec.nargs === "+" || spec.nargs === "..." ||
    (typeof spec.nargs === "number" && spec.nargs > 1);
}

function isFlag(spec: ArgSpec): boolean {
  return spec.action === "store_true" || spec.action === "store_false";
}

function longFlag(spec: ArgSpec): string {
  return spec.flags.find((f) => f.startsWith("--")) ?? spec.flags[0];
}

/**
 * Splits a field of several values into words as a shell does: spaces separate, quotes ('…' or
 * "…") keep spaces, a backslash escapes the next character.
 *
 * @example
 * ```ts
 * import { splitWords } from "./forms.ts";
 *
 * console.assert(JSON.stringify(splitWords(`a "b c" d\\ e`)) === '["a","b c","d e"]');
 * ```
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CommandError(`unterminated quote (${quote}) in: ${text}`);
  if (inWord) words.push(word);
  return words;
}

/** The command-line words of one signature's fields: options first, then positionals. */
function wordsOf(
  signature: Signature,
  form: FormValues,
): { options: string[]; positionals: string[] } {
  const options: string[] = [];
  const { own, shared } = formOptions(signature);
  for (const spec of [...own, ...shared]) {
    const raw = form.get(fieldName(spec));
    const flag = longFlag(spec);
    if (isFlag(spec)) {
      const checked = raw !== null && raw !== "";
      if (spec.negativeFlag) {
        if (checked !== (spec.default === true)) options.push(checked ? flag : spec.negativeFlag);
      } else if (checked) options.push(flag);
    } else if (spec.action === "count") {
      const times = Number(raw ?? "");
      if (raw && Number.isInteger(times) && times > 0) {
        for (let i = 0; i < Math.min(times, 10); i++) options.push(flag);
      }
    } else if (spec.action === "append") {
      for (const word of splitWords(raw ?? "")) options.push(`${flag}=${word}`);
    } else if (raw !== null && raw !== "") {
      // A shared option left at its default adds nothing (the job's words stay short).
      if (spec.shared && String(spec.default) === raw) continue;
      options.push(
        flag.startsWith("--") ? `${flag}=${raw}` : flag,
        ...(flag.startsWith("--") ? [] : [raw]),
      );
    }
  }
  const positionals: string[] = [];
  for (const spec of signature.positionals) {
    const raw = form.get(fieldName(spec)) ?? "";
    if (takesList(spec)) positionals.push(...splitWords(raw));
    else if (raw !== "") positionals.push(raw);
  }
  return { options, positionals };
}

/**
 * The command-line words a submitted form stands for: what the command line would be given.
 * With `subcommand`, the command's own fields come first, then the subcommand's name and fields.
 * Throws `CommandError` for a list field with an unterminated quote.
 */
export function argvFromForm(
  signature: Signature,
  form: FormValues,
  subcommand?: string,
): string[] {
  const sub = subcommand ? signature.subcommands?.get(subcommand) : undefined;
  // With a subcommand, the shared options are the subcommand's (given after its name).
  const top = wordsOf(
    sub ? { ...signature, options: signature.options.filter((o) => !o.shared) } : signature,
    form,
  );
  if (!sub) {
    const dashes = top.positionals.some((w) => w.startsWith("-")) ? ["--"] : [];
    return [...top.options, ...dashes, ...top.positionals];
  }
  const inner = wordsOf(sub.signature, form);
  const dashes = inner.positionals.some((w) => w.startsWith("-")) ? ["--"] : [];
  return [
    ...top.options,
    ...top.positionals,
    sub.name,
    ...inner.options,
    ...dashes,
    ...inner.positionals,
  ];
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return value.map(describe).join(" ");
  if (value instanceof URL) return value.href;
  return String(value);
}

function label(spec: ArgSpec): string {
  if (spec.kind === "positional") return spec.metavar ?? spec.key;
  return [...spec.flags, ...(spec.negativeFlag ? [spec.negativeFlag] : [])].join(", ");
}

function hint(spec: ArgSpec): Html {
  const notes: string[] = [];
  if (takesList(spec)) {
    const count = spec.kind === "positional" && typeof spec.nargs === "number"
      ? `exactly ${spec.nargs} values`
      : spec.nargs === "+"
      ? "one or more values"
      : "any number of values";
    notes.push(`${count}, separated by spaces (quote a value that has spaces)`);
  }
  if (spec.type !== "string" && spec.type !== "boolean" && spec.type !== "count") {
    notes.push(spec.type);
  }
  const hasDefault = spec.default !== undefined && !isFlag(spec) &&
    !(Array.isArray(spec.default) && spec.default.length === 0) && spec.action !== "count";
  if (hasDefault) notes.push(`default: ${describe(spec.default)}`);
  if (spec.env) notes.push(`or $${spec.env}`);
  return html`${spec.help ? html`<span class="help">${spec.help}</span>` : ""}${
    notes.length
      ? html`
        <span class="note">(${notes.join("; ")})</span>
      `
      : ""
  }`;
}

/** One field, filled with what was submitted (`form`) or left empty. */
function field(spec: ArgSpec, form: FormValues | undefined): Html {
  const name = fieldName(spec);
  const id = `id_${name}`;
  const submitted = form?.get(name) ?? null;
  const required = spec.required && !isFlag(spec);
  const mark = required
    ? html`
      <abbr class="required" title="required">*</abbr>
    `
    : "";
  if (isFlag(spec)) {
    const checked = form ? submitted !== null : spec.negativeFlag ? spec.default === true : false;
    return html`
      <div
        class="field check"><label><input type="checkbox" name="${name}" id="${id}" value="on"${checked
          ? html`
            checked
          `
          : ""}> <code>${label(spec)}</code></label> ${hint(spec)}</div>
    `;
  }
  let input: Html;
  if (spec.choices && !takesList(spec)) {
    const chosen = submitted ?? "";
    const blank = required
      ? html`<option value="">— choose —</option>`
      : html`<option value="">${
        spec.default === undefined ? "— none —" : `— default (${describe(spec.default)}) —`
      }</option>`;
    input = html`<select name="${name}" id="${id}">${blank}${
      spec.choices.map((c) =>
        html`
          <option value="${String(c)}" ${String(c) === chosen
            ? html`
              selected
            `
            : ""}>${String(c)}</option>
        `
      )
    }</select>`;
  } else if (spec.action === "count") {
    input = html`
      <input type="number" min="0" max="10" inputmode="numeric" name="${name}" id="${id}"
        value="${submitted ?? ""}" placeholder="0">
    `;
  } else {
    const numeric = (spec.type === "integer" || spec.type === "number") && !takesList(spec);
    const placeholder =
      spec.default !== undefined && !(Array.isArray(spec.default) && spec.default.length === 0)
        ? describe(spec.default)
        : "";
    input = html`
      <input type="${numeric ? "text" : spec.type === "url" ? "url" : "text"}" ${numeric
        ? html`
          inputmode="${spec.type === "integer" ? "numeric" : "decimal"}"
        `
        : ""} name="${name}" id="${id}" value="${submitted ?? ""}"
        placeholder="${placeholder}" autocomplete="off" ${required
          ? html`
            aria-required="true"
          `
          : ""}>
    `;
  }
  return html`
    <div
      class="field"><label for="${id}"><code>${label(
        spec,
      )}</code>${mark}</label>${input}<div class="hint">${hint(spec)}</div></div>
  `;
}

/**
 * The fields of a signature (or of one of its subcommands): positional arguments, the command's
 * options, then the shared options offered, in a closed section.
 */
export function formFields(
  signature: Signature,
  form: FormValues | undefined,
  subcommand?: string,
): Html {
  const section = (sig: Signature, title: string) => {
    const { own, shared } = formOptions(sig);
    return html`${
      sig.positionals.length
        ? html`<fieldset><legend>${title ? `${title}: arguments` : "Arguments"}</legend>${
          sig.positionals.map((s) => field(s, form))
        }</fieldset>`
        : ""
    }${
      own.length
        ? html`<fieldset><legend>${title ? `${title}: options` : "Options"}</legend>${
          own.map((s) => field(s, form))
        }</fieldset>`
        : ""
    }${
      shared.length
        ? html`<details class="shared"><summary>Options every command has</summary>${
          shared.map((s) => field(s, form))
        }</details>`
        : ""
    }`;
  };
  const sub = subcommand ? signature.subcommands?.get(subcommand) : undefined;
  if (!sub) return section(signature, "");
  const top: Signature = { ...signature, options: signature.options.filter((o) => !o.shared) };
  return html`${section(top, "")}${section(sub.signature, sub.name)}`;
}
