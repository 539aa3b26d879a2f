/**
 * Rendering for component tests that talk to the API: the real tRPC React client over a
 * link the test writes (its "server"), and what a screen reader would read of a field.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { TRPCLink } from '@trpc/client';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MUTATION_DEFAULTS } from './query-client.ts';
import { trpc, type AppRouter } from './trpc.ts';

/** Renders `ui` with a tRPC client whose every call `server` answers (no retries; mutations as the app runs them). */
export function renderWithServer(ui: ReactNode, server: TRPCLink<AppRouter>) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: MUTATION_DEFAULTS } });
  return render(
    <trpc.Provider client={trpc.createClient({ links: [server] })} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>
    </trpc.Provider>,
  );
}

/** What a field's aria-describedby points at, in words, as a screen reader says it after "invalid". */
export function descriptionOf(field: HTMLElement): string {
  const ids = field.getAttribute('aria-describedby')?.split(' ') ?? [];
  return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
}
