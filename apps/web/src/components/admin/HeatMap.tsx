import { useId, useState, type CSSProperties } from 'react';
import { HOURS, formatCount, heatMap, hourRange, plural } from '../../admin-stats.ts';
import type { StoredStats } from '../../trpc.ts';

/**
 * Messages by weekday and hour (UTC) as a table: rows Monday to Sunday, columns the hours;
 * each cell's colour is its share of the busiest cell. A table, not a canvas, so every cell
 * is there for a screen reader; "Show numbers" prints the counts for everyone else.
 */
export function HeatMap({ busiestHours, totalMessages }: { busiestHours: StoredStats['busiestHours']; totalMessages: number }) {
  const [showNumbers, setShowNumbers] = useState(false);
  const headingId = useId();
  const map = heatMap(busiestHours);
  const busiest = map.busiest;

  return (
    <figure className="stats-card heat-card" aria-labelledby={headingId} data-testid="heat-map">
      <h3 id={headingId}>Busiest hours</h3>
      <figcaption className="muted">
        Messages of the last 30 days by weekday and hour, in UTC.
        {busiest && ` Busiest: ${busiest.description}.`}
      </figcaption>
      {map.total === 0 ? (
        <p className="chart-empty" data-testid="chart-empty">
          {totalMessages === 0 ? 'No messages yet.' : 'No messages in the last 30 days.'}
        </p>
      ) : (
        <>
          {/* Focusable so a keyboard can scroll it sideways where the screen is narrow. */}
          <div className="heat-scroll" tabIndex={0} role="region" aria-labelledby={headingId}>
            <table className={showNumbers ? 'heat-map with-numbers' : 'heat-map'}>
              <caption className="visually-hidden">Messages by weekday (rows) and hour of the day in UTC (columns)</caption>
              <thead>
                <tr>
                  <td />
                  {HOURS.map((hour) => (
                    <th key={hour} scope="col">
                      <span aria-hidden="true">{hour % 3 === 0 ? hour : ''}</span>
                      <span className="visually-hidden">{hourRange(hour)}</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {map.rows.map((row) => (
                  <tr key={row.weekday}>
                    <th scope="row">
                      <abbr title={row.long}>{row.short}</abbr>
                    </th>
                    {row.cells.map((cell) => (
                      <td
                        key={cell.hour}
                        title={cell.description}
                        className={cell.intensity > 0.55 ? 'hot' : undefined}
                        // Any message at all shows; the busiest cell is full colour.
                        style={{ '--heat': cell.messages > 0 ? 0.12 + 0.88 * cell.intensity : 0 } as CSSProperties}
                        data-testid="heat-cell"
                        data-weekday={cell.weekday}
                        data-hour={cell.hour}
                        data-messages={cell.messages}
                      >
                        <span className={showNumbers ? undefined : 'visually-hidden'}>{formatCount(cell.messages)}</span>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="heat-footer">
            <span className="heat-legend muted" aria-hidden="true">
              0 <span className="heat-scale" /> {formatCount(map.max)}
            </span>
            <span className="visually-hidden">{`The darkest cell is ${plural(map.max, 'message', 'messages')}.`}</span>
            {/* A toggle keeps one name; aria-pressed says whether it is on. */}
            <button type="button" className="link-button" aria-pressed={showNumbers} onClick={() => setShowNumbers((shown) => !shown)}>
              Show numbers
            </button>
          </div>
        </>
      )}
    </figure>
  );
}
