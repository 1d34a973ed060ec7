// Query results as psql prints them: a header, a rule, the rows, and a row count.

import type { Row } from "../../../core/database.ts";

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) {
    return `\\x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Formats rows as psql does (`(1 row)` at the end); the columns are taken from `columns`, or
 * from the first row.
 */
export function formatTable(rows: readonly Row[], columns?: readonly string[]): string {
  const names = columns ?? (rows.length > 0 ? Object.keys(rows[0]) : []);
  const count = `(${rows.length} ${rows.length === 1 ? "row" : "rows"})`;
  if (names.length === 0) return count;
  const cells = rows.map((row) => names.map((name) => cell(row[name])));
  const numeric = (name: string) =>
    rows.some((row) => typeof row[name] === "number" || typeof row[name] === "bigint");
  const widths = names.map((name, i) => Math.max(name.length, ...cells.map((r) => r[i].length)));
  const header = names.map((name, i) => {
    const pad = widths[i] - name.length;
    return " ".repeat(Math.floor(pad / 2)) + name + " ".repeat(Math.ceil(pad / 2));
  });
  const line = (parts: string[]) => ` ${parts.join(" | ")}`.trimEnd();
  return [
    line(header),
    widths.map((w) => "-".repeat(w + 2)).join("+"),
    // As psql: numbers right-aligned, everything else left-aligned.
    ...cells.map((r) =>
      line(r.map((c, i) => numeric(names[i]) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
    ),
    count,
  ].join("\n");
}
