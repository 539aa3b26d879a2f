/** A conversation's mute as the web app reads it (conversations.setMuted). */
import { laterTime } from './format.ts';
import type { ConversationSummary } from './trpc.ts';

export type Mute = Pick<ConversationSummary, 'muted' | 'mutedUntil'>;

/**
 * Whether it is muted at `now`. The server says so as of when it answered; a mute for a while
 * in a view cached since then runs out here on its own, with no call.
 */
export function isMuted(mute: Mute, now: Date): boolean {
  return mute.muted && (mute.mutedUntil === null || Date.parse(mute.mutedUntil) > now.getTime());
}

const HOUR = 60 * 60;

/** How long a mute lasts, as messengers offer it; no duration is until unmuted. */
export const MUTE_CHOICES: readonly { label: string; forSeconds?: number }[] = [
  { label: 'For 1 hour', forSeconds: HOUR },
  { label: 'For 8 hours', forSeconds: 8 * HOUR },
  { label: 'For 1 week', forSeconds: 7 * 24 * HOUR },
  { label: 'Until I unmute it' },
];

/** How long a mute lasts, for a tooltip or a screen reader: "until 7:30 PM", "until you unmute it". */
export function muteEnd(mute: Mute, now: Date): string {
  return mute.mutedUntil === null ? 'until you unmute it' : `until ${laterTime(new Date(mute.mutedUntil), now)}`;
}
