import type { ReactNode } from 'react';

/** A whole-page message: loading, or an error with a way out. */
export function StatusScreen({ children, alert = false }: { children: ReactNode; alert?: boolean }) {
  return (
    <main className="status-screen">
      <div className="card" role={alert ? 'alert' : 'status'}>
        {children}
      </div>
    </main>
  );
}
