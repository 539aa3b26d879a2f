import { useMemo, useState } from 'react';
import type uPlot from 'uplot';
import {
  CONVERSATION_KINDS,
  conversationsByKind,
  dayToEpochSeconds,
  formatAge,
  formatCount,
  formatDay,
  formatDecimal,
  formatUtcTime,
  kindLabel,
  plural,
  seriesSummary,
  topConversationName,
} from '../../admin-stats.ts';
import type { StoredStats } from '../../trpc.ts';
import { Chart, categoryChart, dailyChart } from './Chart.tsx';
import { ChartCard } from './ChartCard.tsx';
import { HeatMap } from './HeatMap.tsx';

/** The figures from the database: tiles, the three charts, the heat map, top conversations. */
export function StoredStatsView({ stored }: { stored: StoredStats }) {
  return (
    <>
      <StatTiles stored={stored} />
      <div className="stats-grid">
        <MessagesPerDay stored={stored} />
        <ActiveSenders stored={stored} />
        <ConversationsByKind stored={stored} />
        <TopConversations stored={stored} />
      </div>
      <HeatMap busiestHours={stored.busiestHours} totalMessages={stored.messages.total} />
    </>
  );
}

interface StoredFreshnessProps {
  /** When the figures shown were computed. */
  generatedAt: string;
  /** The server computes them at most this often; asking sooner brings the same ones. */
  maxAgeMs: number;
  now: Date;
  /** The figures are being fetched (a Refresh, or the view's own periodic re-read). */
  refreshing: boolean;
  /** Asks the server again: resolves to when its figures were computed, or null if it failed (the view says why). */
  onRefresh: () => Promise<string | null>;
}

/**
 * How old the stored figures are, and Refresh. One that brings the same computation (asked
 * again within maxAgeMs) changes nothing on screen, so it says they are up to date: else the
 * click seemed to do nothing.
 */
export function StoredFreshness({ generatedAt, maxAgeMs, now, refreshing, onRefresh }: StoredFreshnessProps) {
  // The computation a Refresh found unchanged: said while it is the one shown.
  const [confirmed, setConfirmed] = useState<string | null>(null);
  const refresh = async () => {
    setConfirmed(null);
    const answer = await onRefresh();
    if (answer === generatedAt) setConfirmed(answer);
  };
  return (
    <>
      <p className="freshness muted" data-testid="stored-freshness">
        As of <time dateTime={generatedAt}>{formatUtcTime(generatedAt)}</time> ({formatAge(generatedAt, now)}; recomputed at most every{' '}
        {Math.round(maxAgeMs / 1000)} s)
      </p>
      <button type="button" className="button" onClick={() => void refresh()} disabled={refreshing} aria-busy={refreshing || undefined}>
        {refreshing ? 'Refreshing…' : 'Refresh'}
      </button>
      {/* Always there, so screen readers hear it when it is filled. */}
      <p role="status" className="refresh-status muted">
        {confirmed === generatedAt && `Up to date (as of ${formatUtcTime(generatedAt)})`}
      </p>
    </>
  );
}

/** Each tile: what it counts, the figure, and how it is defined (the README lists the same). */
export function StatTiles({ stored }: { stored: StoredStats }) {
  const { users, conversations, messages } = stored;
  const tiles = [
    { id: 'users-total', label: 'Users', value: formatCount(users.total), hint: 'Accounts' },
    { id: 'users-new-today', label: 'New today', value: formatCount(users.newToday), hint: 'Signed up since 00:00 UTC' },
    { id: 'users-new-7-days', label: 'New in 7 days', value: formatCount(users.newLast7Days), hint: 'Signed up today or the 6 days before' },
    { id: 'users-daily-active', label: 'Daily active', value: formatCount(users.dailyActive), hint: 'Sent a message or connected today' },
    { id: 'users-monthly-active', label: 'Monthly active', value: formatCount(users.monthlyActive), hint: 'The same over 30 days' },
    { id: 'conversations-total', label: 'Conversations', value: formatCount(conversations.total), hint: 'Direct, groups and notes' },
    { id: 'messages-total', label: 'Messages', value: formatCount(messages.total), hint: 'All time, deleted ones not counted' },
    { id: 'messages-today', label: 'Messages today', value: formatCount(messages.today), hint: 'Since 00:00 UTC' },
    { id: 'messages-average', label: 'Per conversation', value: formatDecimal(conversations.averageMessages), hint: 'Average messages' },
  ];
  return (
    <dl className="stat-tiles">
      {tiles.map((tile) => (
        <div key={tile.id} className="stat-tile" data-testid={`stat-${tile.id}`}>
          <dt>{tile.label}</dt>
          <dd className="stat-value">{tile.value}</dd>
          <dd className="stat-hint muted">{tile.hint}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The message count behind an empty chart: none ever, or none lately. */
const noMessages = (stored: StoredStats, period: string) => (stored.messages.total === 0 ? 'No messages yet.' : `No messages in the ${period}.`);

function DailyTable({ stored, column, value }: { stored: StoredStats; column: string; value: (day: StoredStats['messagesPerDay'][number]) => number }) {
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th scope="col">Day (UTC)</th>
          <th scope="col">{column}</th>
        </tr>
      </thead>
      <tbody>
        {stored.messagesPerDay.map((day) => (
          <tr key={day.date}>
            <th scope="row">
              <time dateTime={day.date}>{formatDay(day.date)}</time>
            </th>
            <td>{formatCount(value(day))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const messagesChart = dailyChart('Messages', 'bars');
const sendersChart = dailyChart('Active senders', 'line');
const kindsChart = categoryChart('Conversations', CONVERSATION_KINDS.map((kind) => kindLabel(kind)));

function useDailySeries(stored: StoredStats, value: (day: StoredStats['messagesPerDay'][number]) => number): uPlot.AlignedData {
  return useMemo(
    () => [stored.messagesPerDay.map((day) => dayToEpochSeconds(day.date)), stored.messagesPerDay.map(value)],
    [stored.messagesPerDay, value],
  );
}

/** "346 messages in 30 days; the busiest day was Saturday, November 14 with 40." */
function dailySummary(stored: StoredStats, value: (day: StoredStats['messagesPerDay'][number]) => number, one: string, many: string): string {
  const { total, peak } = seriesSummary(stored.messagesPerDay.map((day) => ({ date: day.date, value: value(day) })));
  const days = stored.messagesPerDay.length;
  const head = `${plural(total, one, many)} over the last ${days} days`;
  return peak ? `${head}; the busiest day was ${formatDay(peak.date, 'long')} with ${formatCount(peak.value)}.` : `${head}.`;
}

const messagesOf = (day: StoredStats['messagesPerDay'][number]) => day.messages;
const sendersOf = (day: StoredStats['messagesPerDay'][number]) => day.activeSenders;

function MessagesPerDay({ stored }: { stored: StoredStats }) {
  const data = useDailySeries(stored, messagesOf);
  const anyMessages = stored.messagesPerDay.some((day) => day.messages > 0);
  return (
    <ChartCard
      testId="chart-messages-per-day"
      title="Messages per day"
      description="The last 30 days in UTC, deleted messages not counted."
      empty={anyMessages ? null : noMessages(stored, 'last 30 days')}
      table={<DailyTable stored={stored} column="Messages" value={messagesOf} />}
    >
      <Chart label={`Bar chart of messages per day. ${dailySummary(stored, messagesOf, 'message', 'messages')}`} options={messagesChart} data={data} />
    </ChartCard>
  );
}

function ActiveSenders({ stored }: { stored: StoredStats }) {
  const data = useDailySeries(stored, sendersOf);
  const anySenders = stored.messagesPerDay.some((day) => day.activeSenders > 0);
  const peak = Math.max(0, ...stored.messagesPerDay.map(sendersOf));
  return (
    <ChartCard
      testId="chart-active-senders"
      title="Active users"
      description="People who sent at least one message that day (UTC)."
      empty={anySenders ? null : noMessages(stored, 'last 30 days')}
      table={<DailyTable stored={stored} column="Active senders" value={sendersOf} />}
    >
      <Chart label={`Line chart of active senders per day over the last 30 days; at most ${plural(peak, 'person', 'people')} on one day.`} options={sendersChart} data={data} />
    </ChartCard>
  );
}

function ConversationsByKind({ stored }: { stored: StoredStats }) {
  const byKind = stored.conversations.byKind;
  const kinds = useMemo(() => conversationsByKind(byKind), [byKind]);
  const data = useMemo<uPlot.AlignedData>(() => [kinds.map((_, index) => index), kinds.map((kind) => kind.conversations)], [kinds]);
  return (
    <ChartCard
      testId="chart-conversations-by-kind"
      title="Conversations by kind"
      description="Every conversation there is, by what it is."
      empty={stored.conversations.total === 0 ? 'No conversations yet.' : null}
      table={
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Conversations</th>
            </tr>
          </thead>
          <tbody>
            {kinds.map((kind) => (
              <tr key={kind.kind}>
                <th scope="row">{kind.label}</th>
                <td>{formatCount(kind.conversations)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      <Chart
        label={`Bar chart of conversations by kind: ${kinds.map((kind) => `${kind.label} ${formatCount(kind.conversations)}`).join(', ')}.`}
        options={kindsChart}
        data={data}
      />
    </ChartCard>
  );
}

function TopConversations({ stored }: { stored: StoredStats }) {
  const top = stored.topConversations;
  return (
    <section className="stats-card" aria-labelledby="top-conversations-heading" data-testid="top-conversations">
      <h3 id="top-conversations-heading">Top conversations</h3>
      <p className="muted">Most messages in the last 7 days.</p>
      {top.length === 0 ? (
        <p className="chart-empty" data-testid="chart-empty">
          {noMessages(stored, 'last 7 days')}
        </p>
      ) : (
        <table className="data-table top-table">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Rank</span>
              </th>
              <th scope="col">Conversation</th>
              <th scope="col">Kind</th>
              <th scope="col">Messages</th>
            </tr>
          </thead>
          <tbody>
            {top.map((conversation, index) => (
              <tr key={conversation.id} data-testid="top-conversation">
                <td>{index + 1}</td>
                <th scope="row">{topConversationName(conversation)}</th>
                <td>{kindLabel(conversation.kind, 'one')}</td>
                <td>{formatCount(conversation.messages)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
