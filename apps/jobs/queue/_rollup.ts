// The queue's running totals: every job that ends is counted, in the statement that records its
// end, into `manage_job_stat` (made by the jobs app's migration 0003). A row holds the jobs of one
// queue (kind `q`) or one command (kind `c`) that ended with one status within one second,
// minute or hour: how many, how many had a duration, its sum, and a histogram of the durations in
// half-octaves. The operator's view reads these rows instead of the results: a window costs at
// most a few thousand rows however many jobs ended in it, and the figures stay when results are
// pruned or retried (they tell what ran, not what rows remain).

/** The histogram's buckets: under 1 ms, then [2^((i-1)/2), 2^(i/2)) ms, the last one open. */
export const DURATION_BUCKETS = 56;

/** The columns of the histogram, `h0` to `h55`. */
export const HISTOGRAM_COLUMNS: readonly string[] = Array.from(
  { length: DURATION_BUCKETS },
  (_, i) => `h${i}`,
);

/** The lengths of a row's stretch of time, in seconds, and the kinds of row kept for each. */
export const STAT_LEVELS: readonly (readonly [number, "q" | "c"])[] = [
  [1, "q"],
  [60, "q"],
  [3600, "q"],
  [60, "c"],
  [3600, "c"],
];

/**
 * How long the rows of each length are kept, in seconds: past it no window reads them (the
 * seconds serve windows under an hour, the minutes those under two days, the hours up to 30 days).
 */
export const STAT_KEPT: Readonly<Record<number, number>> = {
  1: 2 * 3600,
  60: 3 * 86_400,
  3600: 31 * 86_400,
};

/** The bucket of a duration in ms (SQL over the expression `ms`). */
function bucketOf(ms: string): string {
  return `CASE WHEN ${ms} < 1 THEN 0 ELSE least(${DURATION_BUCKETS - 1}, ` +
    `floor(2 * ln(${ms}) / ln(2))::int + 1) END`;
}

/**
 * A common table expression named `counted` that adds the jobs of `source` (a relation with
 * `queue`, `command`, `status`, `started_at` and `finished_at`, one row per job that ended) to
 * the totals. Rows are written in key order, so that statements counting at once wait on each
 * other instead of deadlocking; each job is counted once, by the statement that ends it.
 */
export function countEnded(source: string): string {
  const levels = STAT_LEVELS.map(([width, kind]) => `(${width}, '${kind}')`).join(", ");
  const histogram = HISTOGRAM_COLUMNS.map((_, i) =>
    `coalesce(sum(e.n) FILTER (WHERE e.b = ${i}), 0)`
  );
  // The jobs are first summed by second, queue, command, status and bucket (a batch ends mostly
  // together: a few rows), then by each length of row.
  return `counted AS (
  INSERT INTO manage_job_stat AS s (width, kind, start, name, status, runs, timed, total_ms,
    ${HISTOGRAM_COLUMNS.join(", ")})
  SELECT l.width, l.kind,
    to_timestamp(floor(extract(epoch FROM e.second)::float8 / l.width) * l.width),
    CASE l.kind WHEN 'q' THEN e.queue ELSE e.command END, e.status, sum(e.n), sum(e.timed),
    sum(e.total_ms), ${histogram.join(", ")}
  FROM (
    SELECT queue, command, status, date_trunc('second', finished_at) AS second,
      ${bucketOf("ms")} AS b, count(*) AS n, count(ms) AS timed, coalesce(sum(ms), 0) AS total_ms
    FROM (
      SELECT queue, command, status, finished_at,
        extract(epoch FROM finished_at - started_at)::float8 * 1000 AS ms
      FROM ${source}
    ) AS x
    GROUP BY 1, 2, 3, 4, 5
  ) AS e CROSS JOIN (VALUES ${levels}) AS l(width, kind)
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (width, kind, start, name, status) DO UPDATE SET runs = s.runs + excluded.runs,
    timed = s.timed + excluded.timed, total_ms = s.total_ms + excluded.total_ms,
    ${HISTOGRAM_COLUMNS.map((h) => `${h} = s.${h} + excluded.${h}`).join(", ")}
  RETURNING 1
)`;
}

/** Deletes the rows no window reads any more (SQL for a common table expression's body). */
export const FORGET_STATS = `DELETE FROM manage_job_stat WHERE ${
  Object.entries(STAT_KEPT).map(([width, kept]) =>
    `(width = ${width} AND start < now() - interval '${kept} seconds')`
  ).join(" OR ")
} RETURNING 1`;
