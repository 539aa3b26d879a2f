import type { ConversationDetail, Me } from '../trpc.ts';

/** The messages of one conversation and the composer. */
export function Thread({ conversation }: { conversation: ConversationDetail; me: Me }) {
  return <div className="thread" data-conversation-id={conversation.id} />;
}
