import { formatBytes, formatCount, formatPercentile, formatRate, formatUptime, formatUtcTime } from '../../admin-stats.ts';
import type { LiveStats } from '../../trpc.ts';

/** Where the live figures stand: streaming, (re)connecting, or stopped after an error. */
export type LiveStatus = 'live' | 'connecting' | 'reconnecting' | 'stopped';

const STATUS_TEXT: Record<LiveStatus, string> = {
  live: 'Live: updated every 2 s',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting… these are the last figures received',
  stopped: 'Live updates stopped',
};

/** A percentile is null when nothing was delivered in the last minute: say so rather than "–" alone. */
const latencyHint = (ms: number | null | undefined) => (ms === null ? 'Nothing delivered in the last minute' : 'Send → deliver, last minute');

/**
 * The live figures of every running instance (never from the database): totals as tiles and
 * one row per instance. The figures change every ~2 s without an announcement (a screen
 * reader would hear nothing else); only a change of status is announced.
 */
export function LivePanel({ live, status, error }: { live: LiveStats | null; status: LiveStatus; error: string | null }) {
  const totals = live?.totals;
  const tiles = [
    { id: 'sockets', label: 'Connections', value: totals && formatCount(totals.sockets), hint: 'Open WebSockets' },
    { id: 'online-users', label: 'Online users', value: totals && formatCount(totals.onlineUsers), hint: 'Signed in on any instance' },
    { id: 'subscriptions', label: 'Subscriptions', value: totals && formatCount(totals.subscriptions), hint: 'Live streams running' },
    { id: 'typing-users', label: 'Typing now', value: totals && formatCount(totals.typingUsers), hint: 'People typing' },
    { id: 'messages-per-second', label: 'Messages / s', value: totals && formatRate(totals.messagesPerSecond), hint: 'Over the last minute' },
    { id: 'latency-p50', label: 'Latency p50', value: totals && formatPercentile(totals.latencyMs.p50), hint: latencyHint(totals?.latencyMs.p50) },
    { id: 'latency-p99', label: 'Latency p99', value: totals && formatPercentile(totals.latencyMs.p99), hint: latencyHint(totals?.latencyMs.p99) },
  ];

  return (
    <section className="stats-section live-panel" aria-labelledby="live-heading" data-testid="live-panel" data-status={status}>
      <div className="section-head">
        <h2 id="live-heading">Live</h2>
        <p className="freshness muted">
          <span role="status" className={`live-status ${status}`}>
            {STATUS_TEXT[status]}
          </span>
          {live && (
            <>
              {' · as of '}
              <time dateTime={live.generatedAt} data-testid="live-generated-at">
                {formatUtcTime(live.generatedAt)}
              </time>
            </>
          )}
        </p>
      </div>
      {error && (
        <p role="alert" className="admin-error">
          {error}
        </p>
      )}
      {live && !live.complete && (
        <p role="alert" className="admin-warning" data-testid="live-incomplete">
          Only this server&apos;s figures: the other instances&apos; reports could not be read.
        </p>
      )}
      <dl className="stat-tiles live-tiles">
        {tiles.map((tile) => (
          <div key={tile.id} className="stat-tile" data-testid={`live-${tile.id}`}>
            <dt>{tile.label}</dt>
            <dd className="stat-value">{tile.value ?? '–'}</dd>
            <dd className="stat-hint muted">{tile.hint}</dd>
          </div>
        ))}
      </dl>
      {live && live.instances.length > 0 && <Instances instances={live.instances} />}
    </section>
  );
}

function Instances({ instances }: { instances: LiveStats['instances'] }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="instances-caption">
      <table className="data-table instances-table">
        <caption id="instances-caption">
          {instances.length === 1 ? '1 instance' : `${formatCount(instances.length)} instances`}
        </caption>
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Up</th>
            <th scope="col">Connections</th>
            <th scope="col">Online</th>
            <th scope="col">Subscriptions</th>
            <th scope="col">Typing</th>
            <th scope="col">Msgs / s</th>
            <th scope="col">Latency p50 / p99</th>
            <th scope="col">Event-loop lag p99</th>
            <th scope="col">Memory (RSS / heap)</th>
          </tr>
        </thead>
        <tbody>
          {instances.map((instance) => (
            <tr key={instance.id} data-testid="live-instance" data-instance-id={instance.id}>
              <th scope="row" className="instance-id">
                {instance.id}
              </th>
              <td>{formatUptime(instance.uptimeSeconds)}</td>
              <td data-testid="instance-sockets">{formatCount(instance.sockets)}</td>
              <td>{formatCount(instance.onlineUsers)}</td>
              <td>{formatCount(instance.subscriptions)}</td>
              <td>{formatCount(instance.typingUsers)}</td>
              <td>{formatRate(instance.messagesPerSecond)}</td>
              <td>
                {formatPercentile(instance.latencyMs.p50)} / {formatPercentile(instance.latencyMs.p99)}
              </td>
              <td>{formatPercentile(instance.eventLoopLagMs.p99)}</td>
              <td>
                {formatBytes(instance.memory.rssBytes)} / {formatBytes(instance.memory.heapUsedBytes)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
