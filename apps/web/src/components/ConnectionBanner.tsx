import { useConnectionStatus } from '../hooks.ts';

/**
 * Says so while the live connection is down after having been up (new messages will not
 * arrive until it is back). The status region is always in the page, so screen readers
 * announce the text when it appears; nothing shows while the page first connects.
 */
export function ConnectionBanner() {
  const status = useConnectionStatus();
  return (
    <div role="status" className="connection-status">
      {status === 'reconnecting' && (
        <p className="connection-banner" data-testid="reconnecting-banner">
          Reconnecting…
        </p>
      )}
    </div>
  );
}
