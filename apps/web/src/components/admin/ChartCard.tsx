import { useId, type ReactNode } from 'react';

/**
 * A titled figure: the chart, or a plain sentence when there is nothing to draw (a new
 * install), and the same figures as a table behind "Show the numbers" for keyboard and
 * screen-reader users.
 */
export function ChartCard({
  title,
  description,
  empty,
  children,
  table,
  testId,
}: {
  title: string;
  description: string;
  /** Said instead of the chart when there is nothing to show, e.g. "No messages yet". */
  empty: string | null;
  children: ReactNode;
  table: ReactNode;
  testId: string;
}) {
  const headingId = useId();
  return (
    <figure className="stats-card" aria-labelledby={headingId} data-testid={testId}>
      <h3 id={headingId}>{title}</h3>
      <figcaption className="muted">{description}</figcaption>
      {empty !== null ? (
        <p className="chart-empty" data-testid="chart-empty">
          {empty}
        </p>
      ) : (
        <>
          {children}
          <details className="chart-data">
            <summary>Show the numbers</summary>
            {table}
          </details>
        </>
      )}
    </figure>
  );
}
