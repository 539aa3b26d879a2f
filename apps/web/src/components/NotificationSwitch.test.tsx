import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNotifier } from '../notifications.ts';
import { fakeNotificationHost } from '../test-fixtures.ts';
import { NOTE_MS, NotificationSwitch } from './NotificationSwitch.tsx';

function renderSwitch(...permission: Parameters<typeof fakeNotificationHost>) {
  const { host } = fakeNotificationHost(...permission);
  render(<NotificationSwitch notifier={createNotifier(host)} />);
  return { host, bell: screen.getByRole('button', { name: 'Desktop notifications' }), status: screen.getByRole('status') };
}

afterEach(() => vi.useRealTimers());

describe('NotificationSwitch', () => {
  it('asks the browser on the first click and shows them on', async () => {
    const { host, bell, status } = renderSwitch('default', 'granted');
    expect(bell.getAttribute('aria-pressed')).toBe('false');
    await userEvent.click(bell);
    await expect.poll(() => bell.getAttribute('aria-pressed')).toBe('true');
    expect(host.requestPermission).toHaveBeenCalledTimes(1);
    expect(status.textContent).toBe('');
    // And off again, without the browser.
    await userEvent.click(bell);
    await expect.poll(() => bell.getAttribute('aria-pressed')).toBe('false');
    expect(host.requestPermission).toHaveBeenCalledTimes(1);
  });

  it('says why under the bell when the browser did not allow them', async () => {
    const dismissed = renderSwitch('default', 'default');
    await userEvent.click(dismissed.bell);
    await expect.poll(() => dismissed.status.textContent).toBe('The browser did not allow notifications, so they stay off.');
    expect(dismissed.bell.getAttribute('aria-pressed')).toBe('false');
  });

  it('says they are blocked when clicked where the browser blocks them, then lets the note go', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { host, bell, status } = renderSwitch('denied');
    expect(bell.getAttribute('aria-disabled')).toBe('true');
    await userEvent.click(bell);
    expect(status.textContent).toBe("Desktop notifications are blocked in this browser's settings for this site");
    expect(host.requestPermission).not.toHaveBeenCalled();
    act(() => {
      vi.advanceTimersByTime(NOTE_MS);
    });
    expect(status.textContent).toBe('');
  });
});
