/** A bell, struck through when `muted`: the notifications switch and a conversation's mute. */
export function BellIcon({ muted, size = 20 }: { muted: boolean; size?: number }) {
  return (
    <svg
      className="icon"
      viewBox="0 0 24 24"
      width={size}
      height={size}
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
    >
      <path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4z" />
      <path d="M10 21h4" />
      {muted && <path d="M3 3l18 18" />}
    </svg>
  );
}
